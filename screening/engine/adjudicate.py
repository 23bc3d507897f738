"""Adjudicating a text's lexicon hits: which are findings, and why the others are lawful.

For each hit, in order: the term it speaks for (the form's term of highest severity for the
product category; a term of an inferred sector applies too, capped), then the lawful readings —
part of a longer letters-and-digits token, an allow context, a lawful phrase, a context rule
(:mod:`.rules`, reading the hit's neighbours within its title keyword) — then jieba's word check
(最近 is not 最) and containment (the longest term wins). The outcome is a :class:`Pass`. Engine
only: no model and no decision here (the screener joins them).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import CATEGORY_ZH, SEVERITY_RANK, Finding, Suppressed
from .categorize import Inference
from .lexicon import Lexicon, Term
from .matcher import Hit, Key, TermMatcher
from .normalize import Normalized, phrase_breaks, tables
from .rules import EXEMPT, MENTION, HitContext, RuleSet
from .segment import Segmenter, WordIndex, containing_token, straddling_tokens

_UNSEEN = object()
# Past this many lexicon hits in one text the rest is not adjudicated (the screener says so):
# each hit costs its context rules, and a text of nothing but claims must not cost minutes.
MAX_HITS = 2_000


@dataclass(slots=True)
class Candidate:
    start: int
    end: int
    term: Term
    severity: str
    rule: str | None = None
    rule_reason: str = ""
    # The span in the caller's text, which the checks, the finding and the explain view all need.
    original: tuple[int, int] = (0, 0)


def _phrase(breaks: Sequence[int], start: int, end: int, length: int) -> tuple[int, int]:
    """The keyword (between two of a title's ``breaks``) holding ``start:end``; the whole text
    for a hit that straddles a break (全网 最好 as one evasion)."""
    k = bisect.bisect_right(breaks, start)
    lo = breaks[k - 1] if k else 0
    hi = breaks[k] if k < len(breaks) else length
    return (lo, hi) if end <= hi else (0, length)


def _crosses(breaks: Sequence[int], a: int, b: int, start: int, end: int) -> bool:
    """Whether ``a:b`` runs across a break outside the hit ``start:end``."""
    k = bisect.bisect_right(breaks, a)
    while k < len(breaks) and breaks[k] < b:
        if not start < breaks[k] < end:
            return True
        k += 1
    return False


@dataclass
class Pass:
    """One text's lexicon pass: its findings, the hits found lawful and why."""

    norm: Normalized
    field: str | None
    findings: list[Finding]
    suppressed: list[Suppressed]
    # Normalized spans of hits a rule found lawful: the model reads them masked (features.masked).
    lawful: tuple[tuple[int, int], ...] = ()
    # Where in the caller's text adjudication stopped at the hit limit (None: it did not).
    cut_at: int | None = None
    # The normalized spans of the findings and of the suppressed hits, in their order (one per
    # finding and per suppressed hit): the model's units (normalized) are compared with them
    # without mapping each unit back.
    finding_spans: tuple[tuple[int, int], ...] = ()
    suppressed_spans: tuple[tuple[int, int], ...] = ()


class _Cover:
    """Spans answering "which span covers [s, e)?" by binary search over starts and a running
    maximum of ends, so a long text with thousands of hits stays linear-logarithmic."""

    def __init__(self, spans: list[tuple[int, int, str]]) -> None:
        self.spans = sorted(spans)
        self.starts = [a for a, _, _ in self.spans]
        self.best: list[int] = []
        top = -1
        for i, (_, b, _) in enumerate(self.spans):
            if top < 0 or b > self.spans[top][1]:
                top = i
            self.best.append(top)

    def covering(self, start: int, end: int) -> tuple[int, int, str] | None:
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0:
            return None
        span = self.spans[self.best[i]]
        return span if span[1] >= end else None


def _glued(left: str, right: str) -> bool:
    """Two ASCII letters or two digits side by side belong to one token (desktop1, top10);
    a letter next to a digit does not (SPF30, 5G)."""
    if len(left) != 1 or len(right) != 1 or not (left.isascii() and right.isascii()):
        return False
    return (left.isalpha() and right.isalpha()) or (left.isdigit() and right.isdigit())


class Adjudicator:
    """Adjudicates hits against one lexicon and rule set; safe to share between threads."""

    def __init__(self, lexicon: Lexicon, matcher: TermMatcher, segmenter: Segmenter, rules: RuleSet, *,
                 max_hits: int = MAX_HITS) -> None:
        self.lexicon = lexicon
        self.matcher = matcher
        self.segmenter = segmenter
        self.rules = rules
        self.max_hits = max_hits
        self._lawful = {lp.id: lp for lp in lexicon.lawful}
        self._forms = {k.text for k in matcher.keys if k.term_ids}
        # Forms whose finding can depend on the product category: only a hit of one of them needs
        # the category inferred before the lexicon pass.
        terms = lexicon.terms
        self._sector_forms = frozenset(
            k.text for k in matcher.keys
            if any(terms[t].applies_to != {"all"} or terms[t].sector_severity for t in k.term_ids))
        self._term_choice: dict[tuple[str, str], tuple[Term, str] | None] = {}
        self._explanations: dict[tuple[str, str, str | None], str] = {}
        self._fold = tables()[0]
        self._word_index_cache: WordIndex | None = None
        # form -> (inside a longer word of the index, may straddle two words), for _word_check
        self._form_words: tuple[WordIndex | None, dict[str, tuple[bool, bool]]] = (None, {})

    def _severity(self, term: Term, product_category: str) -> str:
        sev = term.severity_for(product_category)
        if product_category == "general" and term.sector_specific():
            cap = self.rules.unknown_category_cap
            if SEVERITY_RANK[sev] > SEVERITY_RANK[cap]:
                sev = cap
        return sev

    def sector_hit(self, hits: Sequence[Hit]) -> bool:
        """Whether a hit's finding could depend on the product category."""
        forms = self._sector_forms
        return any(h.key.text in forms for h in hits)

    def _inferred_severity(self, term: Term, inferred: str, general: str | None) -> str:
        """A term's severity for an inferred category: the category's, but never above the
        unknown-category cap unless the record as general already said so (inference alone
        never raises a finding above medium), and never below the general severity."""
        sev = term.severity_for(inferred)
        cap = self.rules.unknown_category_cap
        ceiling = general if general is not None and SEVERITY_RANK[general] > SEVERITY_RANK[cap] else cap
        if SEVERITY_RANK[sev] > SEVERITY_RANK[ceiling]:
            sev = ceiling
        if general is not None and SEVERITY_RANK[general] > SEVERITY_RANK[sev]:
            sev = general
        return sev

    def _candidates(
        self, text: str, hits: list[Hit], product_category: str, inferred: str | None = None
    ) -> tuple[list[Candidate], dict[str, list[tuple[int, int, str]]], list[tuple[int, int, str]]]:
        allow: dict[str, list[tuple[int, int, str]]] = {}
        lawful: list[tuple[int, int, str]] = []
        candidates = []
        pair = product_category if inferred is None else f"{product_category}>{inferred}"
        choices = self._term_choice
        for h in hits:
            key = h.key
            for tid in key.allow_for:
                allow.setdefault(tid, []).append((h.start, h.end, key.text))
            for lid in key.lawful_ids:
                if self._lawful[lid].applies(product_category):
                    lawful.append((h.start, h.end, lid))
            if key.term_ids:
                choice = choices.get((key.text, pair), _UNSEEN)
                if choice is _UNSEEN:
                    choice = choices[key.text, pair] = self._choose_term(key, product_category, inferred)
                if choice is not None:
                    candidates.append(Candidate(h.start, h.end, *choice))
        return candidates, allow, lawful

    def _choose_term(self, key: Key, product_category: str, inferred: str | None = None) -> tuple[Term, str] | None:
        # A form can belong to several terms: the one of highest severity for the category
        # speaks for the hit. The same for every hit of the form, so worked out once per pair.
        # With an inferred category, a term of that sector applies too (capped: _inferred_severity).
        best: tuple[Term, str] | None = None
        for tid in key.term_ids:
            term = self.lexicon.terms[tid]
            general = self._severity(term, product_category) if term.applies(product_category) else None
            if inferred is not None and term.applies(inferred):
                sev = self._inferred_severity(term, inferred, general)
            elif general is None:
                continue
            else:
                sev = general
            if best is None or SEVERITY_RANK[sev] > SEVERITY_RANK[best[1]]:
                best = (term, sev)
        return best

    def _covers(
        self, allow: dict[str, list[tuple[int, int, str]]], lawful: list[tuple[int, int, str]]
    ) -> tuple[dict[str, _Cover], _Cover, dict[str, _Cover]]:
        by_term: dict[str, list[tuple[int, int, str]]] = {}
        general = []
        for span in lawful:
            lp = self._lawful[span[2]]
            if lp.term_ids:
                for tid in lp.term_ids:
                    by_term.setdefault(tid, []).append(span)
            else:
                general.append(span)
        return ({tid: _Cover(spans) for tid, spans in allow.items()}, _Cover(general),
                {tid: _Cover(spans) for tid, spans in by_term.items()})

    def adjudicate(self, norm: Normalized, product_category: str, content_type: str, field: str | None = None,
              hits: list[Hit] | None = None, inferred: Inference | None = None,
              breaks: Sequence[int] | None = None) -> Pass:
        """The lexicon pass over one text: findings and suppressed hits (``hits``: the matcher's,
        and ``breaks``: :func:`phrase_breaks`, when a batch has found them already)."""
        text = norm.text
        if hits is None:
            hits = self.matcher.find(text)
        if not hits:
            return Pass(norm, field, [], [])
        cut_at = None
        if len(hits) > self.max_hits:
            hits = sorted(hits, key=lambda h: (h.start, -h.end))[: self.max_hits]
            cut_at = norm.position(hits[-1].start)
        inferred_pc = inferred.category if inferred is not None else None
        candidates, allow, lawful = self._candidates(text, hits, product_category, inferred_pc)
        if not candidates:  # hits of allow contexts and lawful phrases alone
            return Pass(norm, field, [], [], cut_at=cut_at)
        covers = self._covers(allow, lawful) if allow or lawful else None
        suppressed: list[tuple[Candidate, str, str]] = []
        kept: list[Candidate] = []
        # Context rules read a hit's neighbours within its keyword, not across a title's spaces.
        if breaks is None:
            breaks = phrase_breaks(norm)
        original, length = norm.original, len(text)
        to_original, apply = norm.to_original, self.rules.apply
        for c in candidates:
            start, end = c.start, c.end
            c.original = to_original(start, end)
            # (most forms are Chinese at both ends, and then nothing can be glued to them)
            why = self._ascii_boundary(norm, c) if text[start].isascii() or text[end - 1].isascii() else None
            if why is None and covers is not None:
                why = self._lawful_context(c, covers, breaks)
            if why is None:
                if breaks:
                    ctx = HitContext(text, start, end, c.term, product_category, content_type, original, c.original,
                                     *_phrase(breaks, start, end, length))
                else:
                    ctx = HitContext(text, start, end, c.term, product_category, content_type, original, c.original)
                out = apply(ctx)
                if out is not None and out.verdict != EXEMPT:
                    why = (out.rule, out.reason)
                elif out is not None:
                    c.rule, c.rule_reason, c.severity = out.rule, out.reason, "low"
            if why is None:
                kept.append(c)
            else:
                suppressed.append((c, *why))
        kept = self._word_check(text, kept, suppressed, breaks)
        if len(kept) + len(suppressed) > 1:  # one hit alone is inside no other
            kept = self._drop_contained(kept, [c for c, _, _ in suppressed], suppressed)
        findings = [self._finding(norm, c, product_category, field, inferred_pc) for c in kept]
        finding_spans = tuple([(c.start, c.end) for c in kept])
        if not suppressed:  # most texts
            return Pass(norm, field, findings, [], (), cut_at, finding_spans)
        # A hit inside a longer reported term is not lawful, only spoken for by that term.
        lawful_spans = tuple([(c.start, c.end) for c, rule, _ in suppressed if rule not in ("contained", MENTION)])
        return Pass(
            norm, field, findings, [self._suppressed(norm, c, rule, reason) for c, rule, reason in suppressed],
            lawful_spans, cut_at, finding_spans, tuple([(c.start, c.end) for c, _, _ in suppressed]),
        )

    # ------------------------------------------------------------------ the model
    # The readings that make a hit lawful before any context rule, each giving (rule, reason) or
    # None: adjudicate asks the first only of a form with an ASCII end, the second only in a text
    # holding allow contexts or lawful phrases, where it has anything to find.
    def _ascii_boundary(self, norm: Normalized, c: Candidate) -> tuple[str, str] | None:
        form = norm.text[c.start : c.end]
        # Letters and digits glued to the hit in the ORIGINAL text make it part of a longer
        # token (desktop1); noise between them (SPF50+ 100%) keeps them apart.
        start, end = c.original
        original = norm.original
        table = self._fold
        if (form[0].isascii() and start > 0
                and _glued(table.get(ord(original[start - 1]), original[start - 1]), form[0])) or (
            form[-1].isascii() and end < len(original)
                and _glued(form[-1], table.get(ord(original[end]), original[end]))
        ):
            return "ascii_boundary", f"“{form}”是更长字母数字串的一部分"
        return None

    def _lawful_context(
        self, c: Candidate, covers: tuple[dict[str, _Cover], _Cover, dict[str, _Cover]], breaks: Sequence[int] = (),
    ) -> tuple[str, str] | None:
        allow, general, by_term = covers
        if c.term.id in allow:
            span = allow[c.term.id].covering(c.start, c.end)
            # 第一次 is a time sense, but 面膜 第一 次元周边 are two keywords: a context phrase
            # read across a title's break is no context of the hit.
            if span is not None and not (breaks and _crosses(breaks, span[0], span[1], c.start, c.end)):
                return "allow_context", f"允许语境“{span[2]}”"
        span = general.covering(c.start, c.end)
        if span is None and c.term.id in by_term:
            span = by_term[c.term.id].covering(c.start, c.end)
        if span is not None:
            lp = self._lawful[span[2]]
            return "lawful_phrase", f"合规表述“{lp.phrase}”：{lp.reason}"
        return None

    @property
    def word_index(self) -> WordIndex:
        # Loaded on first use: the dictionary is only needed once a hit needs a word check.
        if self._word_index_cache is None:
            self._word_index_cache = self.segmenter.word_index(self._forms, self.rules.min_frequency)
        return self._word_index_cache

    def _word_check(
        self, text: str, kept: list[Candidate], suppressed: list[tuple[Candidate, str, str]],
        breaks: Sequence[int] = (),
    ) -> list[Candidate]:
        """Drop hits that jieba sees inside a longer everyday word (首饰, 安全网) or across two
        (交通|便利 holds 通便)."""
        # Segmenting costs more than the rest of a hit's checks; skip it wherever no longer word
        # of the dictionary can hold a hit: first by the form (祛斑 is in no longer word, and
        # 万人疯抢 can straddle no two), then by the words actually around it (第一 is in 第一次,
        # but is 第一次 here?).
        if not kept:
            return kept
        segmenter = self.segmenter
        index = self.word_index
        min_frequency = self.rules.min_frequency
        # What a form's hit may be part of: the same for every hit of the form, so asked once per
        # form (anew should the index be another).
        owner, form_words = self._form_words
        if owner is not index:
            form_words = {}
            self._form_words = (index, form_words)
        contained = False  # some hit's form is inside a longer word, or may be (a pattern's)
        may_straddle = []
        for c in kept:
            if c.term.is_pattern:
                contained = True
                continue
            form = text[c.start : c.end]
            words = form_words.get(form)
            if words is None:
                words = form_words[form] = (form in index, bool(segmenter.straddle_cuts(form, min_frequency)))
            if words[0]:
                contained = True
            if words[1]:
                may_straddle.append(c)
        straddle = {id(may_straddle[i]) for i in segmenter.straddling(
            text, [(c.start, c.end) for c in may_straddle], min_frequency)} if may_straddle else set()
        if not straddle and not contained:
            return kept
        spans = [(c.start, c.end) for c in kept]
        if not straddle and not segmenter.inside_a_word(text, spans, min_frequency, index):
            return kept
        tokens = segmenter.tokens_around(text, spans)
        starts = [t.start for t in tokens]
        keep_suffixes = self.rules.cue("part_of_word", "keep_suffixes")
        keep_prefixes = self.rules.cue("part_of_word", "keep_prefixes")
        out = []
        for c in kept:
            pair = straddling_tokens(tokens, c.start, c.end, starts) if id(c) in straddle else None
            if pair is not None and not (breaks and _crosses(breaks, pair[0].start, pair[1].end, c.start, c.end)):
                suppressed.append((c, "part_of_word", f"跨越词语“{pair[0].text}|{pair[1].text}”，非独立用语"))
                continue
            tok = containing_token(tokens, c.start, c.end, starts)
            # jieba reads 第一次 in 面膜 第一 次元周边, where the title's space ends the word
            if tok is not None and breaks and _crosses(breaks, tok.start, tok.end, c.start, c.end):
                tok = None
            if tok is not None and tok.text not in self._forms:
                head = tok.text[: c.start - tok.start]
                tail = tok.text[c.end - tok.start :]
                claim_kept = (
                    tok.text.startswith("最")
                    or (not head and tail.startswith(keep_suffixes))
                    or (not tail and head.endswith(keep_prefixes))
                )
                if not claim_kept and self.segmenter.word_frequency(tok.text) >= self.rules.min_frequency:
                    suppressed.append((c, "part_of_word", f"属于词语“{tok.text}”，非独立用语"))
                    continue
            out.append(c)
        return out

    @staticmethod
    def _drop_contained(
        kept: list[Candidate], lawful: list[Candidate], suppressed: list[tuple[Candidate, str, str]]
    ) -> list[Candidate]:
        """The longest term wins: a hit inside a longer hit (第一 in 全网第一, 降糖 in 降糖药) is its
        part, reported or suppressed with it; partial overlaps (最好第一) both stay.

        One sweep in (start, longest first) order with the furthest-reaching span so far.
        """
        order = sorted([(c, True) for c in kept] + [(c, False) for c in lawful],
                       key=lambda x: (x[0].start, -x[0].end))
        out: list[Candidate] = []
        reach: Candidate | None = None
        for c, is_kept in order:
            if is_kept:
                if reach is not None and reach.end >= c.end and reach.end - reach.start > c.end - c.start:
                    suppressed.append((c, "contained", f"包含在“{reach.term.term}”中"))
                    continue
                out.append(c)
            if reach is None or c.end > reach.end:
                reach = c
        return out

    def _finding(self, norm: Normalized, c: Candidate, product_category: str, field: str | None,
                 inferred: str | None = None) -> Finding:
        start, end = c.original
        t = c.term
        if c.rule:
            explanation = self._explanation(t, product_category, inferred, c.rule_reason)
        else:
            # The same for every finding of the term for the category pair, so worked out once per triple.
            key = (t.id, product_category, inferred)
            explanation = self._explanations.get(key)
            if explanation is None:
                explanation = self._explanations[key] = self._explanation(t, product_category, inferred)
        return Finding(
            start=start,
            end=end,
            text=norm.original[start:end],
            term=t.term,
            term_id=t.id,
            category=t.category,
            severity=c.severity,
            basis=t.basis,
            suggestion=t.suggestion,
            detector="pattern" if t.is_pattern else "lexicon",
            confidence=0.5 if c.rule else 0.9,
            explanation=explanation,
            rule=c.rule,
            field=field,
            suggestion_reason=t.no_suggestion_reason,
        )

    @staticmethod
    def _explanation(t: Term, product_category: str, inferred: str | None, rule_reason: str | None = None) -> str:
        explanation = t.explanation or f"{CATEGORY_ZH[t.category]}（{t.basis}）"
        if rule_reason is not None:
            return f"{explanation}；{rule_reason}"
        if product_category == "general" and t.sector_specific():
            guess = f"，按文案推断的类目 {inferred} 判断" if inferred is not None and t.applies(inferred) else ""
            explanation = f"{explanation}；行业规则（{'/'.join(sorted(t.applies_to))}）{guess}，请确认商品类目"
        return explanation

    @staticmethod
    def _suppressed(norm: Normalized, c: Candidate, rule: str, reason: str) -> Suppressed:
        start, end = c.original
        return Suppressed(start, end, norm.original[start:end], c.term.term, c.term.id, rule, reason)
