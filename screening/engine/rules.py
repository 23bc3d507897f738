"""Context rules: when a lexicon hit is lawful (../shared/docs/legal-basis.md §3, R1–R6).

Each rule is a small named function over a :class:`HitContext` returning an :class:`Outcome`
or ``None``. Cue words live in the lexicon's ``rules.toml`` (versioned data); the functions
only say how cues are read. Outcomes follow the guideline's vocabulary:

- ``not_violation``: the hit is dropped (it is shown in the explain view with the reason);
- ``exempt_with_evidence``: the hit stays as a low-severity finding that names the evidence a
  reviewer must see (a standard number, sales data with its source).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cache import OnFirstUse
from .evasion import MASK
from .lexicon import Term
from .normalize import normalize
from .segment import Segmenter

CLAUSE_END = frozenset(",;:!?。、…\n")
# An enumeration (改善水肿、黄疸、哮喘) is one clause for the verb that governs its items; a sentence
# (服用三个月,心脏病明显好转) is the reach of a narrative's subject.
LIST_END = CLAUSE_END - {"、"}
SENTENCE_END = frozenset(";!?。…\n")
# The rule name of a requires_context hit whose words alone carry no risk (张文宏 in the news, 肺部
# in a question about a scan): the model reads it as plain text, not as a masked suppressed hit.
MENTION = "mention"
_CLAUSE_MARK = re.compile("[" + re.escape("".join(sorted(CLAUSE_END))) + "]")
# The last clause mark before a position: a mark with none after it up to the (end)pos.
_LAST_CLAUSE_MARK = re.compile("[{0}][^{0}]*\\Z".format(re.escape("".join(sorted(CLAUSE_END)))))
SEVERITY_ORDER = ("low", "medium", "high")
# A clause longer than this (a pasted document without punctuation) is cut: context rules look
# no further than this many characters either side of a hit.
CLAUSE_LIMIT = 200
NOT_VIOLATION = "not_violation"
EXEMPT = "exempt_with_evidence"


@dataclass(frozen=True)
class Outcome:
    """What a rule decided about a hit."""

    rule: str
    verdict: str
    reason: str


class _clause_part:  # noqa: N801 - an attribute, named like one
    """One of a context's clause attributes (``clause_start``, ``clause_end``, ``clause``,
    ``before``, ``after``), worked out on first read. The first read of any of them works out all
    of them (:meth:`HitContext._read_clause`): the negation rule reads them for nearly every hit,
    and one call costs less than a chain of lazy attributes, each reading the next. (Not
    ``functools.cached_property``: Python 3.11 takes a lock on every first access, a measurable
    cost per hit; a context belongs to one thread.)"""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        obj._read_clause()
        return getattr(obj, self.name)


@dataclass
class HitContext:
    """A hit in normalized text with the clause around it (built per hit, so not frozen: a
    frozen dataclass costs five times as much to build)."""

    text: str
    start: int
    end: int
    term: Term
    product_category: str
    content_type: str
    # The caller's text and the hit's span in it: punctuation that normalization drops
    # (《》 around a title) is read there.
    original: str = ""
    original_span: tuple[int, int] = (0, 0)
    # The keyword of a title holding the hit (normalize.phrase_breaks): its neighbours are read
    # within it. A sentence-wide rule (requires_context) still reads the whole sentence, since
    # a post's spaces stand where a comma would.
    phrase_start: int = 0
    phrase_end: int = 1 << 62

    clause_start = _clause_part("Start of the clause holding the hit.")
    clause_end = _clause_part("End of the clause holding the hit (before its punctuation).")
    clause = _clause_part("The clause holding the hit: ``before``, the hit and ``after``.")
    before = _clause_part("Clause text before the hit.")
    after = _clause_part("Clause text after the hit.")

    def ahead(self, n: int) -> str:
        """Up to ``n`` characters after the hit, within its keyword."""
        return self.text[self.end : min(self.end + n, self.phrase_end)]

    @property
    def hit(self) -> str:
        """The matched normalized text."""
        return self.text[self.start : self.end]

    def _read_clause(self) -> None:
        # Read on first use, not when built: the caller sets the phrase bounds after building.
        text, start, end = self.text, self.start, self.end
        lo = max(self.phrase_start, start - CLAUSE_LIMIT)
        m = _LAST_CLAUSE_MARK.search(text, lo, start)
        clause_start = lo if m is None else m.start() + 1
        hi = min(len(text), end + CLAUSE_LIMIT, self.phrase_end)
        m = _CLAUSE_MARK.search(text, end, hi)
        clause_end = hi if m is None else m.start()
        # Set as instance attributes, which hide the class's lazy ones from then on; not through
        # __dict__, which Python makes for a context only when asked for, at more cost than this.
        self.clause_start, self.clause_end, self.clause = clause_start, clause_end, text[clause_start:clause_end]
        self.before, self.after = text[clause_start:start], text[end:clause_end]


_MARKS: dict[frozenset[str], tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _span(text: str, start: int, end: int, marks: frozenset[str]) -> tuple[int, int]:
    """The stretch around ``start:end`` bounded by ``marks`` (at most CLAUSE_LIMIT either side)."""
    pats = _MARKS.get(marks)
    if pats is None:
        cls = re.escape("".join(sorted(marks)))
        pats = _MARKS[marks] = (re.compile(f"[{cls}][^{cls}]*\\Z"), re.compile(f"[{cls}]"))
    lo, hi = max(0, start - CLAUSE_LIMIT), min(len(text), end + CLAUSE_LIMIT)
    m = pats[0].search(text, lo, start)
    n = pats[1].search(text, end, hi)
    return (lo if m is None else m.start() + 1), (hi if n is None else n.start())


class Cues:
    """The cue lists of ``rules.toml``, normalized like the text they are compared with."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def get(self, section: str, key: str) -> tuple[str, ...]:
        """Normalized cue list ``section.key`` (empty if absent), longest first; cues of one length
        in code-point order, so that the cue an explanation names is the same in every process."""
        values = self.raw.get(section, {}).get(key, [])
        return tuple(sorted({normalize(v).text for v in values if normalize(v).text}, key=lambda c: (-len(c), c)))

    def value(self, section: str, key: str, default: Any) -> Any:
        """A scalar setting ``section.key``."""
        return self.raw.get(section, {}).get(key, default)


def _ends_with_any(s: str, cues: tuple[str, ...]) -> bool:
    return s.endswith(cues)


def _ending(s: str, cues: tuple[str, ...]) -> str | None:
    # As _starts_with_any: the C-level test first, the list walked only on a match.
    if not s.endswith(cues):
        return None
    return next(c for c in cues if s.endswith(c))


def _starts_with_any(s: str, cues: tuple[str, ...]) -> str | None:
    # The C-level test first: most hits match no cue, and only a match needs to know which.
    if not s.startswith(cues):
        return None
    for c in cues:
        if s.startswith(c):
            return c
    return None


class RuleSet:
    """The context rules compiled from cue lists; call :meth:`apply` on each hit."""

    def __init__(self, raw: dict[str, Any], segmenter: Segmenter | None = None) -> None:
        cues = Cues(raw)
        self.segmenter = segmenter if segmenter is not None else Segmenter()
        self.version = str(raw.get("version", "unversioned"))
        self.unknown_category_cap = cues.value("sector", "unknown_category_cap", "medium")
        self.c = {
            (sec, key): cues.get(sec, key)
            for sec, body in raw.items()
            if isinstance(body, dict)
            for key, val in body.items()
            if isinstance(val, list)
        }
        # Each cue list as one regex (None for an empty list), compiled on first use: a one-off
        # check reads a few of the lists. A key naming several lists of a section, (section,
        # key, key, ...), is one regex for any cue of any of them (:meth:`any_cue`).
        self._patterns: OnFirstUse[tuple[str, ...], re.Pattern[str] | None] = OnFirstUse(self._pattern)
        self.negation_window = int(cues.value("negation", "window", 6))
        self.parameter_reach = int(cues.value("parameter", "reach", 8))
        self.composition_reach = int(cues.value("composition", "reach", 6))
        self.min_frequency = int(cues.value("part_of_word", "min_frequency", 5))
        self.registration_categories = frozenset(cues.value("registration", "categories", []))
        self.work_categories = frozenset(cues.value("work_subject", "categories", []))
        self.work_products = frozenset(cues.value("work_subject", "product_categories", []))
        self.work_reach = int(cues.value("work_subject", "reach", 40))
        self.registration_max = cues.value("registration", "max_severity", "medium")
        self.sentence_scoped = frozenset(cues.value("requires_context_scope", "sentence", []))
        self.mention_only = frozenset(cues.value("requires_context_scope", "mention", []))
        self.list_min_items = int(cues.value("disease_list", "min_items", 3))
        self.list_content_types = frozenset(cues.value("disease_list", "content_types", []))
        self.rules: list[tuple[str, Callable[[HitContext], Outcome | None]]] = [
            ("requires_context", self.requires_context),
            ("time_ordinal", self.time_ordinal),
            ("parameter", self.parameter),
            ("advice", self.advice),
            ("usage_tip", self.usage_tip),
            ("composition", self.composition),
            ("gm_variety", self.gm_variety),
            ("disinfectant", self.disinfectant),
            ("garment_fit", self.garment_fit),
            ("garment_function", self.garment_function),
            ("setting", self.setting),
            ("evaluative_detail", self.evaluative_detail),
            ("negation", self.negation),
            ("measure_level", self.measure_level),
            ("negative_emphasis", self.negative_emphasis),
            ("slang", self.slang),
            ("aspiration", self.aspiration),
            ("standard_grade", self.standard_grade),
            ("title", self.title),
            ("service_term", self.service_term),
            ("work_subject", self.work_subject),
            ("registration", self.registration),
            ("self_comparison", self.self_comparison),
            ("ranking_with_source", self.ranking_with_source),
            ("emphasis_adverb", self.emphasis_adverb),
        ]
        self._gates = self._gate_table()
        self._applicable: dict[tuple[str, str, str], tuple[Callable[[HitContext], Outcome | None], ...]] = {}

    def cue(self, section: str, key: str) -> tuple[str, ...]:
        """A normalized cue list."""
        return self.c.get((section, key), ())

    def _pattern(self, key: tuple[str, ...]) -> re.Pattern[str] | None:
        section, *lists = key
        cues = [c for name in lists for c in self.cue(section, name)]
        return re.compile("|".join(map(re.escape, cues))) if cues else None

    def any_cue(self, s: str, section: str, *keys: str) -> bool:
        """Whether any cue of the lists ``section.key`` (for each of ``keys``) occurs in ``s``: one
        search ahead of checks that each read a part of ``s`` for one of the lists, where most
        text holds none of them."""
        pattern = self._patterns[(section,) + keys]
        return pattern is not None and pattern.search(s) is not None

    def found(self, section: str, key: str, s: str) -> str | None:
        """The first cue of the list, in list order, that occurs in ``s``."""
        pattern = self._patterns[section, key]
        # One regex scan answers "any?" for the whole list; the list is walked only on a match,
        # so the cue named in the explanation is the same as a plain loop would name.
        if pattern is None or pattern.search(s) is None:
            return None
        return next(c for c in self.c[section, key] if c in s)

    def apply(self, ctx: HitContext) -> Outcome | None:
        """Run the rules in order; the first that decides wins."""
        key = (ctx.term.id, ctx.hit, ctx.product_category)
        rules = self._applicable.get(key)
        if rules is None:
            rules = self._applicable[key] = tuple(
                rule for name, rule in self.rules
                if name not in self._gates or self._gates[name](ctx.term, ctx.hit, ctx.product_category))
        for rule in rules:
            out = rule(ctx)
            if out is not None:
                return out
        return None

    def _gate_table(self) -> dict[str, Callable[[Term, str, str], bool]]:
        """Each rule's first test, where it reads only the term, the hit's text and the product
        category: a rule whose test fails cannot decide, so :meth:`apply` works out once per
        such triple which rules to run at all. The rules keep their own tests; a test checks
        that gated and ungated runs agree on every hit of the test corpora."""
        absolute = lambda term, hit, pc: term.category == "absolute_claim"  # noqa: E731

        def advice(term: Term, hit: str, pc: str) -> bool:
            t = next((t for t in self.cue("advice", "terms") if hit.startswith(t)), None)
            return t is not None and len(hit) <= len(t) + 1

        def registration(term: Term, hit: str, pc: str) -> bool:
            return term.category in self.registration_categories and SEVERITY_ORDER.index(
                term.severity_for(pc)) <= SEVERITY_ORDER.index(self.registration_max)

        def listed(section: str) -> Callable[[Term, str, str], bool]:
            return lambda term, hit, pc: hit in self.cue(section, "terms")

        return {
            "setting": listed("setting"),
            "evaluative_detail": listed("evaluative_detail"),
            "slang": listed("slang"),
            "service_term": listed("service_term"),
            "work_subject": lambda term, hit, pc: term.category in self.work_categories and pc in self.work_products,
            "emphasis_adverb": listed("emphasis"),
            "requires_context": lambda term, hit, pc: term.requires_context is not None,
            "time_ordinal": lambda term, hit, pc: term.category == "absolute_claim"
            and hit.endswith(self.cue("time_ordinal", "terms")),
            "parameter": listed("parameter"),
            "advice": advice,
            "usage_tip": listed("usage_tip"),
            "composition": listed("composition"),
            "measure_level": listed("measure_level"),
            "gm_variety": listed("gm_variety"),
            "disinfectant": listed("disinfectant"),
            "garment_fit": listed("garment_fit"),
            "garment_function": listed("garment_function"),
            "negative_emphasis": absolute,
            "aspiration": absolute,
            "standard_grade": listed("standard_grade"),
            "title": absolute,
            "registration": registration,
            "self_comparison": absolute,
            "ranking_with_source": lambda term, hit, pc: hit.endswith(self.cue("ranking_with_source", "terms")),
        }

    def requires_context(self, ctx: HitContext) -> Outcome | None:
        """A disease name alone (糖尿病的朋友别买) is no claim; next to 降/治/改善 it is. The cue is
        looked for in the clause, an enumeration counting as one (改善水肿、黄疸、哮喘), or in the
        sentence for lists read that way (服用三个月,心脏病明显好转). A listing of three or more
        disease names in sales copy (咽炎、鼻炎、支气管炎) names indications even without a verb."""
        name = ctx.term.requires_context
        if name is None:
            return None
        if MASK in ctx.hit and not any(MASK in f for f in ctx.term.forms):
            # 关某炎: lawful copy names a disease or does not; masking it is written to evade.
            return None
        lo, hi = _span(ctx.text, ctx.start, ctx.end, SENTENCE_END if name in self.sentence_scoped else LIST_END)
        clause = ctx.text[lo:hi]
        negators = self.cue("negation", "direct")
        for cue in self.cue("requires_context", name):
            i = clause.find(cue)
            while i >= 0:
                # 能不能治湿疹 asks, 不能治 denies: a negated efficacy word makes no claim.
                if not _ends_with_any(clause[:i], negators):
                    return None
                i = clause.find(cue, i + 1)
        if name == "efficacy" and self._disease_list(ctx, lo, hi):
            return None
        if name in self.mention_only:
            return Outcome(MENTION, NOT_VIOLATION, "仅提及，未与推荐/功效等用语连用")
        return Outcome("requires_context", NOT_VIOLATION, "仅提及，未与功效/治疗用语连用")

    def _disease_list(self, ctx: HitContext, lo: int, hi: int) -> bool:
        """咽炎、鼻炎、支气管炎 in an ad or listing: an enumeration of disease names is a list of
        indications, unless the sentence warns (高血压、糖尿病、心脏病患者慎用)."""
        if ctx.content_type not in self.list_content_types:
            return False
        items = ctx.text[lo:hi].split("、")
        if len(items) < self.list_min_items:
            return False
        pattern = self._patterns["disease_list", "endings"]
        if pattern is None or sum(1 for it in items if pattern.search(it)) < self.list_min_items:
            return False
        a, b = _span(ctx.text, ctx.start, ctx.end, SENTENCE_END)
        return self.found("disease_list", "warning", ctx.text[a:b]) is None

    # R1: ordinal and time senses --------------------------------------------------------
    def time_ordinal(self, ctx: HitContext) -> Outcome | None:
        """第一次, 第一步, 第一批; 第一、… opening a numbered list."""
        if ctx.term.category != "absolute_claim":
            return None
        ordinal = _ending(ctx.hit, self.cue("time_ordinal", "terms"))
        if ordinal is None:
            return None
        following = ctx.ahead(6)
        if _ends_with_any(ctx.before + ctx.hit[: len(ctx.hit) - len(ordinal)], self.cue("time_ordinal", "scope_before")):
            return None
        cue = _starts_with_any(following, self.cue("time_ordinal", "next"))
        if cue:
            return Outcome("time_ordinal", NOT_VIOLATION, f"序数/时间义：“{ctx.hit}{cue}”")
        at_clause_start = ctx.start == ctx.clause_start
        if at_clause_start and _starts_with_any(following, self.cue("time_ordinal", "list_marks")):
            return Outcome("time_ordinal", NOT_VIOLATION, "列举序号“第一，…”")
        return None

    def parameter(self, ctx: HitContext) -> Outcome | None:
        """最大2.0m, 最高可达40℃: a superlative stating a parameter."""
        if ctx.hit not in self.cue("parameter", "terms"):
            return None
        following = ctx.text[ctx.end : min(ctx.clause_end, ctx.end + self.parameter_reach)]
        digit = next((i for i, ch in enumerate(following) if ch.isdigit()), None)
        if digit is not None:
            return Outcome("parameter", NOT_VIOLATION, f"参数描述：“{ctx.hit}{following[: digit + 1]}…”")
        return None

    def advice(self, ctx: HitContext) -> Outcome | None:
        """最好冷藏, 最好先咨询医生, 最好煮三分钟, 最好用温水: advice to the buyer."""
        term = next((t for t in self.cue("advice", "terms") if ctx.hit.startswith(t)), None)
        # 最好用/最好吃 are terms of their own; read them as 最好 + verb.
        if term is None or len(ctx.hit) > len(term) + 1:
            return None
        # 中国最好吃的, 全网最好用: a scope before 最好 makes a ranking, not advice.
        if ctx.before and _ends_with_any(ctx.before, self.cue("advice", "scope_before")):
            return None
        following = ctx.hit[len(term) :] + ctx.ahead(8)
        cue = _starts_with_any(following, self.cue("advice", "next"))
        if not cue:
            word, is_action = self.segmenter.next_word(following)
            # An ordinal is a numeral too, but 最好第一 is two claims, not advice.
            if not is_action or word.startswith("第"):
                return None
            cue = word
        # 最好穿的鞋 is a claim, 最好穿长袖 is advice: a one-character verb needs an object.
        if len(cue) == 1 and following[1:2] in ("的", "了", "!", "。", ",", "?", "没", "不", ""):
            return None
        return Outcome("advice", NOT_VIOLATION, f"建议语气：“{ctx.hit}{cue}…”")

    def usage_tip(self, ctx: HitContext) -> Outcome | None:
        """最佳赏味期, 最佳饮用温度: consumption tips (guideline Art. 6(2))."""
        if ctx.hit not in self.cue("usage_tip", "terms"):
            return None
        cue = _starts_with_any(ctx.ahead(8), self.cue("usage_tip", "next"))
        if cue:
            return Outcome("usage_tip", NOT_VIOLATION, f"消费提示：“{ctx.hit}{cue}”")
        return None

    def composition(self, ctx: HitContext) -> Outcome | None:
        """100%纯棉: a composition statement."""
        if ctx.hit not in self.cue("composition", "terms"):
            return None
        materials = self.cue("composition", "next")
        following = ctx.text[ctx.end : min(ctx.clause_end, ctx.end + self.composition_reach + 4)]
        # The list is walked (for the first material close enough) only when one search finds any.
        if self.any_cue(following, "composition", "next"):
            for m in materials:
                if 0 <= following.find(m) <= self.composition_reach - 1:
                    return Outcome("composition", NOT_VIOLATION, f"成分含量标示：“{ctx.hit}…{m}”")
        before = ctx.text[max(ctx.phrase_start, ctx.start - 8) : ctx.start]
        m = _ending(before, (*materials, *self.cue("composition", "before")))
        if m:
            return Outcome("composition", NOT_VIOLATION, f"成分含量标示：“{m}{ctx.hit}”")
        return None

    def measure_level(self, ctx: HitContext) -> Outcome | None:
        """CPU占用达到100%, 0-100%充电用时, 100%翻新机: a reading on a scale or a disclosed state,
        not a claim that the goods are perfect."""
        if ctx.hit not in self.cue("measure_level", "terms"):
            return None
        cue = _ending(ctx.before, self.cue("measure_level", "before"))
        if cue is None and ctx.before.endswith("0") and not ctx.before[-2:-1].isdigit():
            cue = "0-"  # 0-100% (the dash is dropped by normalization; SPF50 100% is no range)
        if cue is None:
            cue = _starts_with_any(ctx.after, self.cue("measure_level", "next"))
        if cue:
            return Outcome("measure_level", NOT_VIOLATION, f"读数/状态描述：“{cue}”")
        return None

    def _sentence(self, ctx: HitContext) -> str:
        a, b = _span(ctx.text, ctx.start, ctx.end, SENTENCE_END)
        return ctx.text[a:b]

    def _found_in_sentence(self, ctx: HitContext, section: str, key: str) -> str | None:
        """:meth:`found` in the hit's sentence. The sentence lies within CLAUSE_LIMIT of the hit,
        and most hits have no cue even there: one search of that stretch spares working out the
        sentence."""
        if not self.any_cue(ctx.text[max(0, ctx.start - CLAUSE_LIMIT) : ctx.end + CLAUSE_LIMIT], section, key):
            return None
        return self.found(section, key, self._sentence(ctx))

    def gm_variety(self, ctx: HitContext) -> Outcome | None:
        """非转基因大豆油: a crop with genetically modified varieties on the market may be labelled
        非转基因 if true (evidence kept); on rice or wheat, which have none, the label misleads."""
        if ctx.hit not in self.cue("gm_variety", "terms"):
            return None
        window = ctx.text[max(0, ctx.start - CLAUSE_LIMIT) : ctx.end + CLAUSE_LIMIT]
        cue = self.found("gm_variety", "crops", window)
        if cue:
            return Outcome("gm_variety", EXEMPT, f"有转基因品种的作物（{cue}）标注非转基因，须有检测/溯源证明")
        return None

    def disinfectant(self, ctx: HitContext) -> Outcome | None:
        """消毒柜杀菌, 消毒液杀灭病毒: the function of a disinfecting appliance or product, kept as a
        low finding that names the evidence."""
        if ctx.hit not in self.cue("disinfectant", "terms"):
            return None
        cue = self._found_in_sentence(ctx, "disinfectant", "products")
        if cue:
            return Outcome("disinfectant", EXEMPT, f"消毒器械/产品的功能（{cue}），须有卫生安全评价或检测报告")
        return None

    def garment_fit(self, ctx: HitContext) -> Outcome | None:
        """修饰腿型显得瘦腿, V领有瘦脸的效果: the look of a garment, not a slimming efficacy; kept
        when the sentence speaks of fat or weight (塑身衣燃脂瘦腿)."""
        if ctx.hit not in self.cue("garment_fit", "terms"):
            return None
        sentence = self._sentence(ctx)
        cue = self.found("garment_fit", "garments", sentence)
        if cue and not self.found("garment_fit", "efficacy", sentence):
            return Outcome("garment_fit", NOT_VIOLATION, f"服装版型的视觉修饰（{cue}）")
        return None

    def garment_function(self, ctx: HitContext) -> Outcome | None:
        """防晒衣, 防辐射服: a textile function with its own test standard (UPF, shielding rate),
        kept as a low finding that names the evidence."""
        if ctx.hit not in self.cue("garment_function", "terms"):
            return None
        cue = self._found_in_sentence(ctx, "garment_function", "garments")
        if cue:
            return Outcome("garment_function", EXEMPT, f"纺织品功能（{cue}），须有检测报告（如UPF值、屏蔽率）")
        return None

    def setting(self, ctx: HitContext) -> Outcome | None:
        """音量开到最大, 亮度调到最低: a setting of the device, not a ranking of the goods."""
        if ctx.hit not in self.cue("setting", "terms"):
            return None
        cue = _ending(ctx.before, self.cue("setting", "before"))
        if cue:
            return Outcome("setting", NOT_VIOLATION, f"档位/设置描述：“{cue}{ctx.hit}”")
        return None

    def evaluative_detail(self, ctx: HitContext) -> Outcome | None:
        """唯一的缺点, 唯一值得称道的是, 最大的亮点在于: an evaluation of one detail of the goods,
        not a claim that the goods are unique or the greatest."""
        if ctx.hit not in self.cue("evaluative_detail", "terms"):
            return None
        after = ctx.after
        for _ in range(3):  # 唯一的一个小缺点, 唯一一点不满意
            gap = _starts_with_any(after, self.cue("evaluative_detail", "gap"))
            if gap is None:
                break
            after = after[len(gap) :]
        cue = _starts_with_any(after, self.cue("evaluative_detail", "next"))
        if cue:
            return Outcome("evaluative_detail", NOT_VIOLATION, f"评价某一细节：“{ctx.hit}…{cue}”")
        return None

    # R1: negation, quotation, questions --------------------------------------------------
    def negation(self, ctx: HitContext) -> Outcome | None:
        """不是最便宜的; 广告法不让说最好; questions."""
        # The rule runs on nearly every hit, and most clauses hold no cue of negation or quotation:
        # one search of the clause rules out the three readings below (each reads a part of it).
        if self.any_cue(ctx.clause, "negation", "direct", "before", "quote_cues"):
            before = ctx.before
            if before:  # (a hit opening its clause has nothing before it to negate it)
                cue = _ending(before, self.cue("negation", "direct"))
                if cue and not _ends_with_any(before, self.cue("negation", "not_negating")):
                    return Outcome("negation", NOT_VIOLATION, f"否定语境：“{cue}{ctx.hit}”")
                cue = self.found("negation", "before", before[-self.negation_window :])
                if cue:
                    return Outcome("negation", NOT_VIOLATION, f"否定语境：“{cue}…{ctx.hit}”")
            cue = self.found("negation", "quote_cues", ctx.clause)
            if cue:
                return Outcome("negation", NOT_VIOLATION, f"引述规则而非宣称：“{cue}”")
        # The clause with its closing mark (a question ends 吗 or ?).
        if ctx.term.category == "absolute_claim" and ctx.text.endswith(
            self.cue("negation", "question_ends"), ctx.clause_start, ctx.clause_end + 1
        ):
            return Outcome("negation", NOT_VIOLATION, "疑问句，不构成断言")
        return None

    def negative_emphasis(self, ctx: HitContext) -> Outcome | None:
        """绝对是假货, 垃圾中的极品: emphasis on a negative statement."""
        if ctx.term.category != "absolute_claim":
            return None
        clause = ctx.clause
        # Blanking only takes text away: a clause without a cue (most) has none once blanked.
        if not self.any_cue(clause, "negative_emphasis", "cues"):
            return None
        # 突破 holds 破 and 除臭 holds 臭: words that praise are blanked before the cues are read.
        masks = self._patterns["negative_emphasis", "positive_words"]
        if masks is not None:
            clause = masks.sub("\x00", clause)
        cue = self.found("negative_emphasis", "cues", clause)
        if cue:
            return Outcome("negative_emphasis", NOT_VIOLATION, f"强调负面评价：“{cue}”")
        return None

    def slang(self, ctx: HitContext) -> Outcome | None:
        """极品卖家, 真是个极品: slang about a person, not a grade of the goods."""
        if ctx.hit not in self.cue("slang", "terms"):
            return None
        cue = _starts_with_any(ctx.after, self.cue("slang", "next"))
        if cue:
            return Outcome("slang", NOT_VIOLATION, f"俚语，指人：“{ctx.hit}{cue}”")
        if _ends_with_any(ctx.before, self.cue("slang", "before")) and (
            not ctx.after or _starts_with_any(ctx.after, self.cue("slang", "closing"))
        ):
            return Outcome("slang", NOT_VIOLATION, f"俚语，指人：“…{ctx.hit}”")
        return None

    # R2: not aimed at the goods ----------------------------------------------------------
    def aspiration(self, ctx: HitContext) -> Outcome | None:
        """致力于成为行业第一, 顾客第一, 最好的服务: mottos, goals, service attitude."""
        if ctx.term.category != "absolute_claim":
            return None
        # Each reading below looks for a cue in a part of the clause; most clauses hold none.
        if not self.any_cue(ctx.clause, "aspiration", "before", "motto_before", "after"):
            return None
        cue = self.found("aspiration", "before", ctx.before)
        if cue:
            return Outcome("aspiration", NOT_VIOLATION, f"经营理念/目标：“{cue}…{ctx.hit}”")
        if ctx.hit.endswith("第一") and _ends_with_any(ctx.before, self.cue("aspiration", "motto_before")):
            return Outcome("aspiration", NOT_VIOLATION, "经营理念口号（如“顾客第一”）")
        after = ctx.after.lstrip("的")
        cue = _starts_with_any(after, self.cue("aspiration", "after"))
        if cue:
            return Outcome("aspiration", NOT_VIOLATION, f"服务态度：“{ctx.hit}…{cue}”")
        return None

    # R3: aimed at the goods but exempt with evidence -------------------------------------
    def standard_grade(self, ctx: HitContext) -> Outcome | None:
        """特级初榨, 一级能效: a grade defined by a standard."""
        if ctx.hit not in self.cue("standard_grade", "terms"):
            return None
        cue = self.found("standard_grade", "next", ctx.ahead(4))
        if cue:
            return Outcome("standard_grade", EXEMPT, f"标准分级名称（{ctx.hit}{cue}），须能注明标准编号")
        return None

    def title(self, ctx: HitContext) -> Outcome | None:
        """《最好的时光》: the term is part of the title of a work or a product name (guideline
        Art. 6(4)); exempt if the name is real, which a person checks."""
        if ctx.term.category != "absolute_claim" or not ctx.original:
            return None
        a, b = ctx.original_span
        # (looked for in place: most hits have no 《 before them, and then nothing is cut out)
        opened = ctx.original.rfind("《", max(0, a - 30), a)
        if opened < 0:
            return None
        before, after = ctx.original[opened:a], ctx.original[b : b + 30]
        if "》" not in before and "》" in after and "《" not in after[: after.find("》")]:
            name = before + ctx.original[a:b] + after[: after.find("》") + 1]
            return Outcome("title", EXEMPT, f"作品/商品名称{name}中的用语，须核实名称属实")
        return None

    def service_term(self, ctx: HitContext) -> Outcome | None:
        """永久会员, 永久免费更新: the term of a service or membership, a promise to keep rather
        than a claim about the goods' quality; kept as a low finding (it must be true)."""
        if ctx.hit not in self.cue("service_term", "terms"):
            return None
        cue = _starts_with_any(ctx.after, self.cue("service_term", "next"))
        if cue:
            return Outcome("service_term", EXEMPT, f"服务/权益期限（{ctx.hit}{cue}），须属实并写明条件")
        # 7天/30天/永久 as rental tiers, 某武器永久 in a game-item listing: the term of a virtual item.
        cue = self._found_in_sentence(ctx, "service_term", "virtual")
        if cue:
            return Outcome("service_term", EXEMPT, f"虚拟物品/租期（{cue}），须属实并写明条件")
        return None

    def work_subject(self, ctx: HitContext) -> Outcome | None:
        """这本书讲心理治疗, 纪录片讲癌症治疗: a medical word naming the subject of a book or film,
        not an efficacy claim for goods; kept as a low finding (a person checks the goods)."""
        if ctx.term.category not in self.work_categories or ctx.product_category not in self.work_products:
            return None
        window = ctx.text[max(0, ctx.start - self.work_reach) : ctx.end + self.work_reach]
        cue = self.found("work_subject", "cues", window)
        if cue:
            return Outcome("work_subject", EXEMPT, f"书籍/影视作品的主题（{cue}），须确认商品为出版物")
        return None

    def registration(self, ctx: HitContext) -> Outcome | None:
        """国妆特字… in the copy: a special-function claim whose approval can be checked."""
        if ctx.term.category not in self.registration_categories:
            return None
        # The number usually sits near the claim; a pasted document is not searched end to end.
        window = ctx.text[max(0, ctx.start - CLAUSE_LIMIT) : ctx.end + CLAUSE_LIMIT]
        cue = self.found("registration", "cues", window)
        # (the severity is read only once a number is found: most copy has none, and the search
        # costs less)
        if cue and SEVERITY_ORDER.index(ctx.term.severity_for(ctx.product_category)) <= SEVERITY_ORDER.index(
            self.registration_max
        ):
            return Outcome("registration", EXEMPT, f"文案附注册/备案号（{cue}），须核对批准的功效范围")
        return None

    def self_comparison(self, ctx: HitContext) -> Outcome | None:
        """本店最大号: comparison within the shop or brand."""
        if ctx.term.category != "absolute_claim":
            return None
        # As in aspiration: both readings look for a cue in a part of the clause.
        if not self.any_cue(ctx.clause, "self_comparison", "before", "after"):
            return None
        cue = self.found("self_comparison", "before", ctx.before)
        if cue:
            return Outcome("self_comparison", EXEMPT, f"同一品牌/店铺内比较（{cue}），须属实")
        if ctx.hit.startswith("最") and _starts_with_any(ctx.after, self.cue("self_comparison", "after")):
            return Outcome("self_comparison", EXEMPT, "规格描述（如“最大号”），须为本店比较")
        return None

    def ranking_with_source(self, ctx: HitContext) -> Outcome | None:
        """2026年度 天猫面霜类目销量第一（数据来源：…）: a limited, sourced ranking."""
        if not _ends_with_any(ctx.hit, self.cue("ranking_with_source", "terms")):
            return None
        # Look beyond the clause (the source note is usually its own), but not across a whole
        # pasted document.
        text = ctx.text[max(0, ctx.start - CLAUSE_LIMIT) : ctx.end + CLAUSE_LIMIT]
        if (
            self.found("ranking_with_source", "period", text)
            and self.found("ranking_with_source", "scope", text)
            and self.found("ranking_with_source", "source", text)
        ):
            return Outcome("ranking_with_source", EXEMPT, "限定时间与范围并注明来源的排名，须核验数据")
        return None

    def emphasis_adverb(self, ctx: HitContext) -> Outcome | None:
        """绝对会回购, 绝对不建议, 百分百满意: the buyer's intent or satisfaction; otherwise a bare
        degree adverb (绝对好看) that claims nothing checkable is kept as a low finding, unless a
        claim follows it (绝对安全, 绝对没有, 绝对是最…)."""
        if ctx.hit not in self.cue("emphasis", "terms"):
            return None
        after = ctx.after
        cue = _starts_with_any(after, self.cue("emphasis", "intent"))
        if cue and not self.found("emphasis", "promise_before", ctx.before):
            return Outcome("emphasis_adverb", NOT_VIOLATION, f"消费者意向/满意度：“{ctx.hit}{cue}”")
        if ctx.hit not in self.cue("emphasis", "adverbs") or not after:
            return None
        if _starts_with_any(after.lstrip("是的"), self.cue("emphasis", "claim_next")):
            return None
        return Outcome("emphasis_adverb", EXEMPT, "程度副词强调，未接可核实的商品宣称，须人工判断")
