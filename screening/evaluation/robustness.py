"""Evasion rewrites of labeled violations, and the engine's recall on each kind of rewrite.

Merchants who know a word is banned write it so a word list misses it: ``最 好``, ``最*好``,
``ｔｏｐ１``, ``最好`` in traditional characters, one character in pinyin or as its initial
(``ding级``, ``zhi疗``, ``z疗``), a homophone or look-alike (``蕞好``, ``弟一``), a digit for a
numeral (``1流``, ``第1``), an emoji or a line break inside the word. :func:`variants` makes
each such rewrite of a labeled violation, deterministically for a seed; ``embedded`` also puts
the claim, unchanged, between two sentences of ordinary lawful copy of the same content type
(``screening/data/carriers.tsv``, or the caller's carriers).

What gets rewritten: each labeled span (the whole text where a row has none); inside a span,
every occurrence of a ``target`` (the lexicon's term forms, when given: the words a merchant
knows to hide), else the span's Chinese characters. A rewrite that cannot apply (no Chinese
character, no table entry for any character) yields no variant: the row is *not applicable*
for that kind, which the report counts apart from misses.

:func:`evaluate` screens the originals and the variants and returns, per kind, how many rows
the rewrite applied to, the recall (decision review or block) of the originals on those rows
and of their variants. ``python cli.py robustness LABELED.jsonl`` prints it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..engine.normalize import _t2s

# The kinds of rewrite, in report order. ``embedded`` is not an evasion: it measures whether a
# claim is still found inside longer lawful copy.
EVASIONS = (
    "spaces", "symbols", "emoji", "linebreak", "fullwidth", "traditional",
    "pinyin", "initials", "homophone", "digits",
)
KINDS = (*EVASIONS, "embedded")

SYMBOLS = ("*", "-", "·", "/", "|", "~", "_", ".", "#", "^")
EMOJI = ("🔥", "✨", "💯", "👍", "❤️", "⭐", "🌟", "😍")
# Homophones and look-alikes merchants write for characters of banned words. Kept apart from the
# engine's own tables on purpose: the report should show what this list has that they lack.
HOMOPHONES: dict[str, tuple[str, ...]] = {
    "最": ("蕞", "嘬", "醉"),
    "第": ("弟",),
    "一": ("壹", "1"),
    "级": ("汲",),
    "顶": ("鼎",),
    "唯": ("惟",),
    "治": ("冶",),
    "根": ("跟",),
    "瘦": ("廋",),
    "祛": ("袪",),
    "国": ("囯",),
    "效": ("効",),
    "药": ("葯",),
    "愈": ("瘉",),
    "肥": ("月巴",),
    "佳": ("嘉",),
    "医": ("毉",),
    "癌": ("ai",),
    "首": ("⾸",),
    "强": ("弓虽",),
}
DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
          "九": "9", "十": "10", "零": "0"}


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=1)
def pinyin_table() -> dict[str, tuple[str, ...]]:
    """Toneless readings per character (``screening/data/pinyin.tsv``), most common first."""
    out: dict[str, tuple[str, ...]] = {}
    with resources.files("screening").joinpath("data/pinyin.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            ch, readings = line.rstrip("\n").split("\t")
            out[ch] = tuple(readings.split(","))
    return out


@lru_cache(maxsize=1)
def _s2t() -> dict[str, str]:
    """Simplified to traditional: the first traditional character the t2s table folds into each."""
    out: dict[str, str] = {}
    for trad, simp in sorted(_t2s().items()):
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            out.setdefault(simp, trad)
    return out


@lru_cache(maxsize=1)
def carriers() -> dict[str, tuple[str, ...]]:
    """The packaged lawful carrier texts by content type."""
    out: dict[str, list[str]] = {}
    with resources.files("screening").joinpath("data/carriers.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            ct, text = line.rstrip("\n").split("\t", 1)
            out.setdefault(ct, []).append(text)
    return {k: tuple(v) for k, v in out.items()}


def _fullwidth(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch


# ------------------------------------------------------------------ rewriting one segment
# Each takes the segment (a term or a span) and the rng and returns its rewrite or None.

def _between(seg: str, rng: random.Random, sep: Callable[[random.Random], str]) -> str | None:
    if len(seg) < 2 or not any(_cjk(c) for c in seg):
        return None
    return seg[0] + "".join(sep(rng) + c for c in seg[1:])


def _one_inside(seg: str, rng: random.Random, what: Sequence[str]) -> str | None:
    if len(seg) < 2 or not any(_cjk(c) for c in seg):
        return None
    i = rng.randrange(1, len(seg))
    return seg[:i] + rng.choice(what) + seg[i:]


def _one_char(seg: str, rng: random.Random, table: Callable[[str], Sequence[str] | None]) -> str | None:
    spots = [(i, table(c)) for i, c in enumerate(seg)]
    spots = [(i, subs) for i, subs in spots if subs]
    if not spots:
        return None
    i, subs = rng.choice(spots)
    return seg[:i] + rng.choice(list(subs)) + seg[i + 1:]


def _pinyin(ch: str) -> Sequence[str] | None:
    r = pinyin_table().get(ch)
    return r[:1] if r else None


def _initial(ch: str) -> Sequence[str] | None:
    r = pinyin_table().get(ch)
    return (r[0][0],) if r else None


def _map_all(seg: str, table: dict[str, str]) -> str | None:
    out = "".join(table.get(c, c) for c in seg)
    return out if out != seg else None


REWRITES: dict[str, Callable[[str, random.Random], str | None]] = {
    "spaces": lambda s, r: _between(s, r, lambda _: " "),
    "symbols": lambda s, r: _between(s, r, lambda g: g.choice(SYMBOLS)),
    "emoji": lambda s, r: _one_inside(s, r, EMOJI),
    "linebreak": lambda s, r: _one_inside(s, r, ("\n",)),
    "fullwidth": lambda s, r: (lambda o: o if o != s else None)("".join(_fullwidth(c) for c in s)),
    "traditional": lambda s, r: _map_all(s, _s2t()),
    "pinyin": lambda s, r: _one_char(s, r, _pinyin),
    "initials": lambda s, r: _one_char(s, r, _initial),
    "homophone": lambda s, r: _one_char(s, r, HOMOPHONES.get),
    "digits": lambda s, r: _map_all(s, DIGITS),
}


# ------------------------------------------------------------------ where to rewrite
def _regions(text: str, spans: Sequence[Any]) -> list[tuple[int, int]]:
    """Where the labeled spans are in ``text`` (the whole text when none is found), in order,
    non-overlapping."""
    regions: list[tuple[int, int]] = []
    for s in spans or ():
        st = s.get("text") if isinstance(s, dict) else None
        if not st:
            continue
        i = text.find(st)
        while i >= 0:
            regions.append((i, i + len(st)))
            i = text.find(st, i + len(st))
    out: list[tuple[int, int]] = []
    for a, b in sorted(set(regions)) or [(0, len(text))]:
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out


class Targets:
    """The words to rewrite inside a span (a lexicon's term forms), by first character."""

    def __init__(self, words: Iterable[str]) -> None:
        self.by_first: dict[str, list[str]] = {}
        for w in sorted({w for w in words if len(w) >= 2 and any(_cjk(c) for c in w)}, key=len, reverse=True):
            self.by_first.setdefault(w[0], []).append(w)

    def segments(self, text: str, a: int, b: int) -> list[tuple[int, int]]:
        """The target words in ``text[a:b]``, longest first from left to right."""
        found = []
        i = a
        while i < b:
            hit = next((w for w in self.by_first.get(text[i], ()) if i + len(w) <= b and text.startswith(w, i)), None)
            if hit:
                found.append((i, i + len(hit)))
                i += len(hit)
            else:
                i += 1
        return found


def segments(text: str, spans: Sequence[Any], targets: Targets | None = None) -> list[tuple[int, int]]:
    """The (start, end) stretches of ``text`` to rewrite: the target words inside each labeled
    span (the span itself where it holds none)."""
    out: list[tuple[int, int]] = []
    for a, b in _regions(text, spans):
        out.extend((targets.segments(text, a, b) if targets else None) or [(a, b)])
    return out


def rewrite(text: str, spans: Sequence[Any], kind: str, rng: random.Random,
            targets: Targets | None = None) -> str | None:
    """``text`` with every segment to rewrite rewritten by ``kind``; None if none could be.
    Full width applies to whole spans (their letters and digits), the rest to target words."""
    fn = REWRITES[kind]
    out: list[str] = []
    prev, changed = 0, False
    for a, b in (_regions(text, spans) if kind == "fullwidth" else segments(text, spans, targets)):
        new = fn(text[a:b], rng)
        # Two adjacent words each with a letter at the seam (根治脚气 → 根zj气) is no one's
        # writing: choose again, or leave the second word alone.
        for _ in range(4):
            if not (new and a == prev and changed and _latin_seam(out[-1], new)):
                break
            new = fn(text[a:b], rng)
        else:
            new = None
        out.append(text[prev:a])
        if new is None:
            out.append(text[a:b])
        else:
            out.append(new)
            changed = True
        prev = b
    out.append(text[prev:])
    return "".join(out) if changed else None


def _latin_seam(before: str, after: str) -> bool:
    return bool(before) and before[-1].isascii() and before[-1].isalpha() and after[0].isascii() and after[0].isalpha()


def embed(text: str, carrier: str, rng: random.Random) -> str:
    """``text`` between two sentences of ``carrier`` (after one of its sentence ends)."""
    cuts = [i + 1 for i, c in enumerate(carrier) if c in "。！？!?"]
    cuts = [c for c in cuts if c < len(carrier)] or [len(carrier)]
    at = rng.choice(cuts)
    sep = "" if text[-1:] in "。！？!?" else "。"
    return carrier[:at] + text + sep + carrier[at:]


@dataclass(frozen=True)
class Variant:
    """One rewrite of one labeled row."""

    id: str
    source_id: str
    kind: str
    text: str
    content_type: str
    product_category: str


def _rng(seed: int, rid: str, kind: str) -> random.Random:
    return random.Random(f"{seed}|{rid}|{kind}")  # str seeds are hashed with SHA-512: stable


def variants(
    rows: Iterable[dict[str, Any]],
    *,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    targets: Iterable[str] | None = None,
    carrier_texts: dict[str, Sequence[str]] | None = None,
) -> tuple[list[Variant], dict[str, int]]:
    """Every applicable rewrite of every row, and per kind how many rows it did not apply to.

    ``rows`` are labeled violations (``id``, ``text``, ``spans``, ``content_type``,
    ``product_category``); ``targets`` the words to rewrite inside spans (see the module doc);
    ``carrier_texts`` lawful texts by content type for ``embedded`` (default: the packaged ones).
    """
    index = Targets(targets) if targets is not None else None
    pool = carrier_texts if carrier_texts is not None else carriers()
    out: list[Variant] = []
    not_applicable = {k: 0 for k in kinds}
    for n, row in enumerate(rows):
        rid = str(row.get("id") or n)
        text = row["text"]
        ct = row.get("content_type") or "listing"
        pc = row.get("product_category") or "general"
        for kind in kinds:
            rng = _rng(seed, rid, kind)
            if kind == "embedded":
                choices = list(pool.get(ct) or pool.get("listing") or ())
                new = embed(text, rng.choice(choices), rng) if choices else None
            else:
                new = rewrite(text, row.get("spans") or (), kind, rng, index)
            if new is None:
                not_applicable[kind] += 1
            else:
                out.append(Variant(f"{rid}#{kind}", rid, kind, new, ct, pc))
    return out, not_applicable


# ------------------------------------------------------------------ the report
FLAGGED = frozenset({"review", "block"})


@dataclass
class KindStats:
    """One row of the report."""

    kind: str
    applicable: int = 0
    not_applicable: int = 0
    original_caught: int = 0  # of the applicable rows, originals flagged
    variant_caught: int = 0
    held: int = 0  # variants flagged among rows whose original is flagged
    missed_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        a = self.applicable
        return {
            "kind": self.kind,
            "applicable": a,
            "not_applicable": self.not_applicable,
            "original_recall": round(self.original_caught / a, 4) if a else None,
            "variant_recall": round(self.variant_caught / a, 4) if a else None,
            "held": round(self.held / self.original_caught, 4) if self.original_caught else None,
            "original_caught": self.original_caught,
            "variant_caught": self.variant_caught,
            "missed": self.missed_ids[:20],
        }


def tally(
    rows: Sequence[dict[str, Any]],
    found: Sequence[Variant],
    not_applicable: dict[str, int],
    original_decision: dict[str, str],
    variant_decision: dict[str, str],
    kinds: Sequence[str] = KINDS,
) -> dict[str, Any]:
    """The report from decisions: per kind, and pooled over the evasion kinds."""
    stats = {k: KindStats(k, not_applicable=not_applicable.get(k, 0)) for k in kinds}
    pooled = KindStats("all evasions")
    for v in found:
        s = stats[v.kind]
        o = original_decision.get(v.source_id) in FLAGGED
        c = variant_decision.get(v.id) in FLAGGED
        targets = [s] + ([pooled] if v.kind in EVASIONS else [])
        for t in targets:
            t.applicable += 1
            t.original_caught += o
            t.variant_caught += c
            t.held += o and c
            if o and not c:
                t.missed_ids.append(v.id)
    pooled.not_applicable = sum(n for k, n in not_applicable.items() if k in EVASIONS)
    n = len(rows)
    orig = sum(original_decision.get(str(r.get("id") or i)) in FLAGGED for i, r in enumerate(rows))
    return {
        "violations": n,
        "original_recall": round(orig / n, 4) if n else None,
        "kinds": [stats[k].as_dict() for k in kinds],
        "evasions": pooled.as_dict(),
    }


def evaluate(
    screener: Any,
    rows: Sequence[dict[str, Any]],
    *,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    carrier_texts: dict[str, Sequence[str]] | None = None,
    screener_for: Callable[[str], Any] | None = None,
) -> tuple[dict[str, Any], list[Variant], dict[str, Any]]:
    """Screen the violations in ``rows`` and their rewrites; (report, variants, results by id).

    ``screener_for`` maps a row's id to the screener for it and its rewrites (cross-validated
    folds: a model that never saw the row); by default ``screener`` screens everything."""
    viol = [r for r in rows if r.get("label") == "violation"]
    for i, r in enumerate(viol):
        r.setdefault("id", str(i))
    targets = [f for t in screener.lexicon.active_terms if not t.is_pattern for f in t.forms]
    found, na = variants(viol, seed=seed, kinds=kinds, targets=targets, carrier_texts=carrier_texts)
    records = [{"id": str(r["id"]), "text": r["text"], "content_type": r.get("content_type") or "listing",
                "product_category": r.get("product_category") or "general"} for r in viol]
    records += [{"id": v.id, "text": v.text, "content_type": v.content_type, "product_category": v.product_category}
                for v in found]
    if screener_for is None:
        results = {r.id: r for r in screener.screen_many(records)}
    else:  # each row and its rewrites screened by the screener that row is given to
        source = {v.id: v.source_id for v in found}
        by: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
        for rec in records:
            s = screener_for(source.get(rec["id"], rec["id"]))
            by.setdefault(id(s), (s, []))[1].append(rec)
        results = {r.id: r for s, recs in by.values() for r in s.screen_many(recs)}
    decisions = {k: r.decision for k, r in results.items()}
    report = tally(viol, found, na, decisions, decisions, kinds)
    report["seed"] = seed
    report["model"] = screener.versions.get("model") if screener_for is None else "cross-validated folds"
    return report, found, results


def format_report(report: dict[str, Any]) -> str:
    """The report as a text table."""
    head = (f"{report['violations']} labeled violations, recall of the originals "
            f"{report['original_recall']:.3f} (model: {report.get('model')}, seed {report.get('seed')})")
    lines = [head, "", f"{'kind':<14}{'applic.':>8}{'n/a':>6}{'orig.':>8}{'variant':>9}{'held':>8}",
             "-" * 53]

    def row(d: dict[str, Any]) -> str:
        def f(x: float | None) -> str:
            return f"{x:.3f}" if x is not None else "  -  "
        return (f"{d['kind']:<14}{d['applicable']:>8}{d['not_applicable']:>6}{f(d['original_recall']):>8}"
                f"{f(d['variant_recall']):>9}{f(d['held']):>8}")

    lines += [row(d) for d in report["kinds"]]
    lines += ["-" * 53, row(report["evasions"]), "",
              "orig./variant: recall (review or block) of the originals and of their rewrites on the rows a "
              "rewrite applied to; held: rewrites still flagged among originals flagged."]
    return "\n".join(lines)


def dump_variants(path: str, found: Sequence[Variant], results: dict[str, Any]) -> None:
    """Write the variants as JSONL, with each one's decision and risk."""
    with open(path, "w", encoding="utf-8") as f:
        for v in found:
            r = results.get(v.id)
            f.write(json.dumps({"id": v.id, "source_id": v.source_id, "kind": v.kind, "text": v.text,
                                "content_type": v.content_type, "product_category": v.product_category,
                                "label": "violation", "decision": getattr(r, "decision", None),
                                "risk": getattr(r, "risk", None)}, ensure_ascii=False) + "\n")
