"""Features for the residual-risk classifier, computed the same way at training and at run time.

Two groups, concatenated into one sparse row per text:

- **character n-grams** (1–3) of the normalized text, hashed into ``CHAR_DIM`` buckets and
  L2-normalized. The hashing is vectorized with NumPy over the text's code points, so a text
  costs a few array operations rather than a Python loop per n-gram;
- **engine features**: what the lexicon pass found and suppressed (per category, severity and
  rule), the product category and content type, and disease/symptom words near outcome words
  (the claims a word list misses: 喝了三天血压就降下来了).

Featurizer 1 also had hashed jieba tokens around the hits. Cross-validated on the project's
data they added nothing (recall 0.924 either way, fpr 0.076 with them, 0.072 without) and they
forced the word check to segment around every hit; featurizer 2 drops them.

Featurizer 3 scores **units** rather than whole texts (:func:`units`: sentences, long ones cut
at commas), and a text's risk is its riskiest unit's. Real labeled copy taught why: most
labeled violations are short claims and most lawful texts are long, so a whole-text model learns
length, and L2-normalized n-grams dilute a claim placed inside an ordinary listing. A unit is
about as long whether it stands alone or inside a 500-character detail page. The model reads a
hit that a context rule found lawful masked (:func:`masked`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.normalize import joined, normalize
from ..types import CONTENT_TYPES, LEXICON_CATEGORIES, PRODUCT_CATEGORIES, Finding, Suppressed

CHAR_BITS = 18
CHAR_DIM = 1 << CHAR_BITS
FEATURIZER_VERSION = "3"
# Units longer than this are cut at commas; a claim is rarely longer, a detail page's sentence often.
UNIT_MAX = 40
_SENTENCE = re.compile(r"[^。!?;\n…]+")
_SENTENCE_MARK = re.compile(r"[。!?;\n…]")
_COMMA = re.compile(r"[,:、]")
# The units of a text whose clauses are all at most 2 * UNIT_MAX long (commas included), as
# matches: within a sentence (no mark), the longest run of at most UNIT_MAX characters that
# ends just after a comma or at the sentence's end, i.e. as many whole clauses as fit; failing
# that (a first clause longer than UNIT_MAX), that one clause alone. _clause_units says the
# same clause by clause, a Python step per clause where this is one C scan per text; a test
# holds the two to the same spans.
_NOT_MARK = r"[^,:、。!?;\n…]"
_UNIT = re.compile(rf"[^。!?;\n…]{{1,{UNIT_MAX}}}(?:(?<=[,:、])|(?=[。!?;\n…]|\Z))"
                   rf"|{_NOT_MARK}*[,:、]|{_NOT_MARK}+(?=[。!?;\n…]|\Z)")


# What the model reads in place of a hit that a context rule found lawful (第一 in 第一次, 最好 in
# 最好冷藏): where a rule has decided, the model does not second-guess it on the same characters.
# Cross-validated on the labeled copy it kept recall and lowered the false-positive rate, there
# and on the project's own lawful copy. A symbol: normalization removes it from every text, so it
# stands for nothing else.
MASK = "□"


def masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each span's characters replaced by ``MASK`` (same length, same offsets).

    >>> masked("第一次用,最好冷藏", [(0, 2), (5, 7)])
    '□□次用,□□冷藏'
    """
    # (a few slices: a text has few such hits, and a list of its characters costs more)
    for a, b in spans:
        text = text[:a] + MASK * (b - a) + text[b:]
    return text


def units(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the units the model scores in a normalized text: its sentences, a
    sentence longer than ``UNIT_MAX`` cut at commas into runs of whole clauses of at most that
    length; a clause longer than twice that is read in overlapping windows. Never empty: a
    text with nothing to score (all noise once normalized) is one empty unit.

    >>> t = "温和配方,清爽不油腻。三天祛痘"
    >>> [t[a:b] for a, b in units(t)]
    ['温和配方,清爽不油腻', '三天祛痘']
    """
    n = len(text)
    if n <= UNIT_MAX and _SENTENCE_MARK.search(text) is None:
        return [(0, n)]
    # One regex pass packs the clauses of every sentence (see _UNIT); only a text with a clause
    # too long to pack (its match is longer than any packed unit) takes the clause loop below.
    out = [m.span() for m in _UNIT.finditer(text)]
    if n > 2 * UNIT_MAX and any(b - a > 2 * UNIT_MAX for a, b in out):
        out = _clause_units(text)
    # A unit of only punctuation (",,") says nothing; a text of only punctuation is still one unit.
    return [(a, b) for a, b in out if b - a > 2 or text[a:b].strip(",:、 ")] or [(0, n)]


def unit_texts(text: str) -> list[str]:
    """The texts of :func:`units` (``[text[a:b] for a, b in units(text)]``), for scoring that
    needs no span: the regex gives the strings, without a match object and a slice a unit.

    >>> unit_texts("温和配方,清爽不油腻。三天祛痘")
    ['温和配方,清爽不油腻', '三天祛痘']
    """
    n = len(text)
    if n <= UNIT_MAX and _SENTENCE_MARK.search(text) is None:
        return [text]
    out = _UNIT.findall(text)
    if not out:
        return [text]
    if n > 2 * UNIT_MAX and max(map(len, out)) > 2 * UNIT_MAX:
        out = [text[a:b] for a, b in _clause_units(text)]
    if min(map(len, out)) > 2:
        return out
    return [u for u in out if len(u) > 2 or u.strip(",:、 ")] or [text]


def _clause_units(text: str) -> list[tuple[int, int]]:
    """:func:`units` before the punctuation-only filter, clause by clause: the plain statement
    of the packing that ``_UNIT`` does in one pass, and the only one for a clause longer than
    twice ``UNIT_MAX``."""
    out: list[tuple[int, int]] = []
    step = UNIT_MAX // 2
    for m in _SENTENCE.finditer(text):
        a, b = m.span()
        if b - a <= UNIT_MAX:
            out.append((a, b))
            continue
        # Clause ends (just after each comma, and the sentence's end); the unit being built is
        # [start, prev), extended clause by clause while it stays within UNIT_MAX.
        # Where each comma ends: one split and running lengths rather than a match object per
        # comma (a detail page's sentence holds dozens).
        ends = list(itertools.accumulate(map((1).__add__, map(len, _COMMA.split(text[a:b])[:-1])), initial=a))[1:]
        if not ends or ends[-1] != b:
            ends.append(b)
        start = prev = a
        for e in ends:
            if e - prev > 2 * UNIT_MAX:
                # A long run without punctuation (a pasted document, a keyword title) is read in
                # overlapping windows, so that a claim inside it is not diluted by the rest.
                if prev > start:
                    out.append((start, prev))
                out.extend((s, min(s + UNIT_MAX, e)) for s in range(prev, max(prev + 1, e - step), step))
                start = prev = e
                continue
            if prev > start and e - start > UNIT_MAX:
                out.append((start, prev))
                start = prev
            prev = e
        if prev > start:
            out.append((start, prev))
    return out


# Suppression rules the engine reports (pipeline and screening.engine.rules); a new rule only adds a
# zero column to old models, so this list may grow but never reorder.
RULES = (
    "ascii_boundary", "allow_context", "lawful_phrase", "part_of_word", "contained", "requires_context",
    "time_ordinal", "parameter", "advice", "usage_tip", "composition", "negation", "negative_emphasis",
    "aspiration", "standard_grade", "registration", "self_comparison", "ranking_with_source", "title",
)
SEVERITIES = ("low", "medium", "high")

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M3 = np.uint64(0x165667B19E3779F9)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_SALT = (np.uint64(0x1F), np.uint64(0x2F3), np.uint64(0x3F57))
_SHIFT = np.uint64(64 - CHAR_BITS)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def char_ngram_ids(text: str) -> np.ndarray:
    """Hashed bucket ids of every character 1-, 2- and 3-gram of ``text`` (with repeats)."""
    c = _codepoints(text)
    if c.size == 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        parts = [c * _M1 ^ _SALT[0]]
        if c.size > 1:
            parts.append((c[:-1] * _M1) ^ (c[1:] * _M2) ^ _SALT[1])
        if c.size > 2:
            parts.append((c[:-2] * _M1) ^ (c[1:-1] * _M2) ^ (c[2:] * _M3) ^ _SALT[2])
        h = np.concatenate(parts)
        h = (h ^ (h >> np.uint64(31))) * _MIX
        return (h >> _SHIFT).astype(np.int64)


def char_scores(texts: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """``weights`` · (L2-normalized char n-gram counts) for each text, in one pass over a batch.

    The same value as ``weights[idx] @ vals`` with ``text_part(text)`` for each text (up to float
    rounding), but a batch of catalogue titles costs a few array operations in all instead of a
    few per title. Each text's n-grams are keyed by (bucket, text) so one sort counts them all.
    """
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if n == 0 or not lengths.any():
        return np.zeros(n, dtype=np.float64)
    # NUL never survives normalization, so it marks where one text ends and the next begins.
    c = _codepoints("\x00".join(texts))
    m = c.size
    # The 1-, 2- and 3-grams starting at each position, in one array: char_ngram_ids' hashes,
    # each product computed once and every step in place (the batch is memory-bound).
    sizes = (m, max(m - 1, 0), max(m - 2, 0))
    h = np.empty(sum(sizes), dtype=np.uint64)
    h1, h2, h3 = h[: sizes[0]], h[sizes[0] : sizes[0] + sizes[1]], h[sizes[0] + sizes[1] :]
    with np.errstate(over="ignore"):
        a, b = c * _M1, c * _M2
        np.bitwise_xor(a, _SALT[0], out=h1)
        np.bitwise_xor(a[:-1], b[1:], out=h2)
        h2 ^= _SALT[1]
        np.bitwise_xor(a[:-2], b[1:-1], out=h3)
        h3 ^= c[2:] * _M3
        h3 ^= _SALT[2]
        h ^= h >> np.uint64(31)
        h *= _MIX
    h >>= _SHIFT
    # Key each n-gram by its bucket, then its text (bucket << row_bits | text): sorted, a bucket's
    # texts are together, so reading their weights sweeps the 2 MB weight array once instead of
    # jumping about it text by text (a cache miss per n-gram), and each text still meets its own
    # buckets in ascending order, so its sum is added up in the same order as text by text.
    # An n-gram holding a joining NUL gets the largest key, so it sorts after every real one and
    # is cut off there, instead of masking every array to drop it.
    row_bits = (n + 1).bit_length()  # texts 0 .. n - 1; all ones is none of them
    small = CHAR_BITS + row_bits <= 32  # uint32 keys sort in half the time of int64
    kind = np.uint32 if small else np.int64
    owner = np.repeat(np.arange(n, dtype=kind), lengths + 1)[:m]
    keys = h.astype(kind) << kind(row_bits)
    keys[: sizes[0]] |= owner
    keys[sizes[0] : sizes[0] + sizes[1]] |= owner[: sizes[1]]
    keys[sizes[0] + sizes[1] :] |= owner[: sizes[2]]
    drop = (1 << (CHAR_BITS + row_bits)) - 1
    nul = np.cumsum(lengths[:-1] + 1) - 1
    offset = 0
    for reach, size in enumerate(sizes):
        # A gram of length reach + 1 starting at i holds a NUL at i .. i + reach.
        at = np.concatenate([nul - back for back in range(reach + 1)]) if reach else nul
        keys[offset + at[(at >= 0) & (at < size)]] = drop
        offset += size
    keys.sort()
    grams = (lengths + np.maximum(lengths - 1, 0) + np.maximum(lengths - 2, 0)).astype(np.float64)
    return _scores(keys[: np.searchsorted(keys, kind(drop))], row_bits, weights, grams)


def _scores(keys: np.ndarray, row_bits: int, weights: np.ndarray, grams: np.ndarray) -> np.ndarray:
    # ``keys`` sorted, each a text's bucket (bucket << row_bits | text), so runs of equal keys
    # count every text's buckets; the score of a text is then Σ w·count / ‖count‖, which is the
    # dot product with its L2-normalized counts. ``grams[r]`` is how many n-grams text r has.
    n = grams.size
    out = np.zeros(n, dtype=np.float64)
    if keys.size == 0:
        return out
    uniq, counts = _runs(keys)
    # (as intp, which bincount and a gather convert other types to first: each written so in one step)
    who = np.bitwise_and(uniq, (1 << row_bits) - 1, out=np.empty(uniq.size, dtype=np.intp))
    term = weights[np.right_shift(uniq, row_bits, out=np.empty(uniq.size, dtype=np.intp))]
    term *= counts
    num = np.bincount(who, weights=term, minlength=n)
    # Σ count² = the text's n-grams + Σ count·(count - 1) over the few buckets met more than
    # once: whole numbers, so the same float as summing count² over every bucket.
    dup = np.flatnonzero(counts > 1)
    c = counts[dup]
    sq = np.bincount(who[dup], weights=c * (c - 1), minlength=n) + grams
    np.divide(num, np.sqrt(sq), out=out, where=sq > 0)
    return out


def _normalized_counts(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ids and their L2-normalized counts (np.unique's work without its overhead,
    which dominates on arrays of a few hundred ids)."""
    if ids.size == 0:
        return ids, np.zeros(0, dtype=np.float64)
    uniq, counts = _counted(ids)
    return uniq, counts / math.sqrt(float(counts @ counts))


def _counted(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a non-empty ``ids`` and how often each occurs, by one sort."""
    return _runs(np.sort(ids))


def _runs(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted non-empty ``s`` and how often each occurs."""
    first = np.empty(s.size, dtype=bool)
    first[0] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    # Run lengths written as floats in one step (no appended end, no second array to convert).
    counts = np.empty(starts.size, dtype=np.float64)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = s.size - starts[-1]
    return s[starts], counts


_NEVER = re.compile(r"(?!x)x")


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    forms = sorted({normalize(w).text for w in words if normalize(w).text}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, forms))) if forms else _NEVER


@dataclass(frozen=True)
class ModelCues:
    """Cue lists from ``rules.toml`` ``[model_cues]`` for the disease/outcome features."""

    symptoms: re.Pattern[str]
    outcomes: re.Pattern[str]
    durations: re.Pattern[str]
    window: int

    @classmethod
    def from_rules(cls, rules: dict[str, Any]) -> ModelCues:
        """Read ``[model_cues]``; missing lists give features that are always zero."""
        raw = rules.get("model_cues", {})
        units = _alternation(raw.get("duration_units", [])).pattern
        number = r"(?:\d+|[一二两三四五六七八九十半几]+)"
        durations = re.compile(f"{number}(?:{units})") if raw.get("duration_units") else _NEVER
        return cls(
            _alternation(raw.get("symptoms", [])),
            _alternation(raw.get("outcomes", [])),
            durations,
            int(raw.get("window", 12)),
        )

    def counts(self, text: str) -> tuple[float, float, float]:
        """(symptom words, symptom words with an outcome word close after, durations near outcomes)."""
        out_pos = [m.start() for m in self.outcomes.finditer(text)]
        if not out_pos:
            return float(sum(1 for _ in self.symptoms.finditer(text))), 0.0, 0.0
        sym_pos = [m.start() for m in self.symptoms.finditer(text)]
        w = self.window
        near = sum(1 for i in sym_pos if any(i < j <= i + w for j in out_pos))
        dur = sum(1 for m in self.durations.finditer(text) if any(m.start() < j <= m.end() + w for j in out_pos))
        return float(len(sym_pos)), float(near), float(dur)

    def counts_many(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`counts` of each text as the rows of an array, three regex scans in all.

        The texts are joined by NUL (:func:`~screening.engine.normalize.joined`), which no cue holds, so
        every match lies inside one text; "an outcome word close after" is then the first
        outcome after a position, if it is close and in the same text.
        """
        out = np.zeros((len(texts), 3), dtype=np.float64)
        if not texts:
            return out
        batch, ends = joined(texts)
        outcomes = np.array([m.start() for m in self.outcomes.finditer(batch)], dtype=np.int64)
        symptoms = np.array([m.start() for m in self.symptoms.finditer(batch)], dtype=np.int64)
        sym_owner = np.searchsorted(ends, symptoms)
        out[:, 0] = np.bincount(sym_owner, minlength=len(texts))
        if outcomes.size == 0:
            return out
        out_owner = np.searchsorted(ends, outcomes)
        w = self.window

        def outcome_within(owner: np.ndarray, after: np.ndarray, reach: np.ndarray) -> np.ndarray:
            # The first outcome strictly after each position: within reach, in the same text?
            nxt = np.searchsorted(outcomes, after, side="right")
            found = nxt < outcomes.size
            nxt = np.minimum(nxt, outcomes.size - 1)
            return found & (outcomes[nxt] <= reach) & (out_owner[nxt] == owner)

        near = outcome_within(sym_owner, symptoms, symptoms + w)
        out[:, 1] = np.bincount(sym_owner[near], minlength=len(texts))
        # Only texts with an outcome count their symptoms near one (counts() says the same), and
        # only theirs can hold a duration near one: the durations pattern, which no first
        # character narrows down (a regex scan that tries every position), reads those texts
        # alone. No match spans a NUL, so each text's matches are the same in either string.
        has_outcome = np.zeros(len(texts), dtype=bool)
        has_outcome[out_owner] = True
        out[~has_outcome, 1:] = 0.0
        some = np.flatnonzero(has_outcome)
        sub, sub_ends = joined([texts[r] for r in some])
        spans = [m.span() for m in self.durations.finditer(sub)]
        if spans:
            d = np.array(spans, dtype=np.int64)
            # Back to the batch's offsets: each text moves by where it starts there and here.
            r = np.searchsorted(sub_ends, d[:, 0])
            shift = (ends[some] - sub_ends)[r]
            dur_owner = some[r]
            close = outcome_within(dur_owner, d[:, 0] + shift, d[:, 1] + shift + w)
            out[:, 2] = np.bincount(dur_owner[close], minlength=len(texts))
        return out


class Featurizer:
    """Turns a normalized text and its lexicon-only result into one feature row."""

    def __init__(self, cues: ModelCues) -> None:
        self.cues = cues
        self.engine_names = self._engine_names()
        self._index = {n: i for i, n in enumerate(self.engine_names)}
        # The column of each value a field can take (engine_rows reads them per finding and unit).
        self._columns = {
            field: {name.split(":", 1)[1]: i for name, i in self._index.items() if name.startswith(field + ":")}
            for field in ("cat", "sev", "rule", "pc", "ct")
        }
        self._finding_cols: dict[tuple[str, str, bool], tuple[int, ...]] = {}

    @staticmethod
    def _engine_names() -> list[str]:
        names = [f"cat:{c}" for c in LEXICON_CATEGORIES]
        names += [f"sev:{s}" for s in SEVERITIES]
        names += [f"rule:{r}" for r in RULES]
        names += ["exempt", "n_findings", "log_len", "symptoms", "symptom_near_outcome", "duration_near_outcome"]
        names += [f"pc:{p}" for p in PRODUCT_CATEGORIES]
        names += [f"ct:{c}" for c in CONTENT_TYPES]
        names.append("bias_term")
        return names

    @property
    def n_engine(self) -> int:
        """Number of engine features."""
        return len(self.engine_names)

    @property
    def dim(self) -> int:
        """Total number of columns."""
        return CHAR_DIM + self.n_engine

    def text_part(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of the character features of ``text``."""
        return _normalized_counts(char_ngram_ids(text))

    def clean_engine_scores(
        self, texts: Sequence[str], product_categories: Sequence[str], content_types: Sequence[str], w: np.ndarray,
        owner: np.ndarray | None = None,
    ) -> np.ndarray:
        """``w · engine_part(text, (), (), pc, ct)`` for each text the lexicon pass found nothing in.

        Such a row has only its length, the cue counts and the one-hot fields set, so a batch
        needs no row of its own: the same sum as the dot product, term by term. With ``owner``,
        ``texts`` are units and the fields are given once per record, ``owner[u]`` the record of
        unit ``u``.
        """
        idx = self._index
        cues = self.cues.counts_many(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))
        pcw = {pc: w[i] for pc, i in self._columns["pc"].items()}
        ctw = {ct: w[i] for ct, i in self._columns["ct"].items()}
        one_hot = np.array([pcw.get(pc, 0.0) for pc in product_categories])
        one_hot += np.array([ctw.get(ct, 0.0) for ct in content_types])
        if owner is not None:
            one_hot = one_hot[owner] if one_hot.size else np.zeros(len(texts))
        cue_w = w[[idx["symptoms"], idx["symptom_near_outcome"], idx["duration_near_outcome"]]]
        return (w[idx["log_len"]] * (np.log1p(lengths) / 8.0) + np.log1p(cues) @ cue_w + one_hot
                + w[idx["bias_term"]])

    def engine_part(
        self,
        text: str,
        findings: Sequence[Finding],
        suppressed: Sequence[Suppressed],
        product_category: str,
        content_type: str,
    ) -> np.ndarray:
        """The dense engine features of one screened text."""
        return self.engine_rows([text], [findings], [suppressed], [product_category], [content_type])[0]

    def engine_rows(
        self,
        texts: Sequence[str],
        findings: Sequence[Sequence[Finding]],
        suppressed: Sequence[Sequence[Suppressed]],
        product_categories: Sequence[str],
        content_types: Sequence[str],
    ) -> np.ndarray:
        """:meth:`engine_part` of many screened texts, one row each, built as one array."""
        rows: list[int] = []
        cols: list[int] = []
        for r, (fs, ss) in enumerate(zip(findings, suppressed)):
            for f in fs:
                c = self._finding_columns(f)
                rows.extend([r] * len(c))
                cols.extend(c)
            for x in ss:
                c = self._suppressed_columns(x)
                rows.extend([r] * len(c))
                cols.extend(c)
        return self._rows(texts, np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp),
                          product_categories, content_types)

    def unit_engine_rows(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        hits: Sequence[tuple[Sequence[Finding], Sequence[tuple[int, int]], Sequence[Suppressed],
                             Sequence[tuple[int, int]]]],
        product_categories: Sequence[str],
        content_types: Sequence[str],
    ) -> np.ndarray:
        """:meth:`engine_rows` of the units of many screened texts, one row per unit, in order.

        ``spans[k]`` are the units of text ``k`` (:func:`units`), ``texts`` the units' texts text
        by text, ``hits[k]`` the text's findings and suppressed hits, each list with its spans
        (in the text's offsets), and the fields are given once per text. A hit counts in every
        unit of a one-unit text and otherwise in each unit it overlaps, as
        ``screening.screener.unit_rows`` shares them out; here one search over all the units
        finds them, where a list of findings per unit costs a Python step per unit and hit.
        """
        counts = np.fromiter(map(len, spans), dtype=np.intp, count=len(spans))
        owner = np.repeat(np.arange(len(spans)), counts)
        first = np.cumsum(counts) - counts
        # Each hit's columns (a finding's category, severity, exempt and n_findings; a suppressed
        # hit's rule) and span, text by text.
        columns: list[tuple[int, ...]] = []
        where: list[tuple[int, int]] = []
        text_of: list[int] = []
        for k, (fs, f_spans, ss, s_spans) in enumerate(hits):
            if fs or ss:
                columns += map(self._finding_columns, fs)
                columns += map(self._suppressed_columns, ss)
                where += f_spans
                where += s_spans
                text_of += [k] * (len(fs) + len(ss))
        if not text_of:
            return self._rows(texts, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp),
                              product_categories, content_types, owner)
        hit_text = np.array(text_of, dtype=np.intp)
        hit = np.array(where, dtype=np.intp).reshape(-1, 2)
        unit = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(spans)), dtype=np.intp,
                           count=2 * len(texts)).reshape(-1, 2)
        # Every text moved past the ones before it, so one sorted array holds all the units: a
        # text's units start in increasing order and their ends never decrease (windows overlap,
        # units never nest), so the units a hit overlaps are one run, the first that ends after
        # it starts up to the last that starts before it ends.
        room = int(max(unit[:, 1].max(), hit[:, 1].max())) + 1
        unit_at = unit + (owner * room)[:, None]
        hit_at = hit + (hit_text * room)[:, None]
        lo = np.searchsorted(unit_at[:, 1], hit_at[:, 0], side="right")
        hi = np.searchsorted(unit_at[:, 0], hit_at[:, 1], side="left")
        alone = counts[hit_text] == 1
        lo[alone] = first[hit_text[alone]]
        hi[alone] = lo[alone] + 1
        # One (unit, column) count per column of a hit and unit it counts in.
        width = np.fromiter(map(len, columns), dtype=np.intp, count=len(columns))
        of_hit = np.repeat(np.arange(len(columns)), width)
        start = lo[of_hit]
        reach = np.maximum(hi[of_hit] - start, 0)
        rows = np.arange(reach.sum()) + np.repeat(start - (np.cumsum(reach) - reach), reach)
        cols = np.repeat(np.fromiter(itertools.chain.from_iterable(columns), dtype=np.intp, count=of_hit.size), reach)
        return self._rows(texts, rows, cols, product_categories, content_types, owner)

    def _finding_columns(self, f: Finding) -> tuple[int, ...]:
        # The engine columns a finding adds one to: a handful of combinations, worked out once each.
        key = (f.category, f.severity, bool(f.rule))
        c = self._finding_cols.get(key)
        if c is None:
            cat, sev = self._columns["cat"], self._columns["sev"]
            cols = [cat[f.category]] if f.category in cat else []
            if f.severity in sev:
                cols.append(sev[f.severity])
            if f.rule:
                cols.append(self._index["exempt"])
            cols.append(self._index["n_findings"])
            c = self._finding_cols[key] = tuple(cols)
        return c

    def _suppressed_columns(self, x: Suppressed) -> tuple[int, ...]:
        rule = self._columns["rule"]
        return (rule[x.rule],) if x.rule in rule else ()

    def _rows(
        self, texts: Sequence[str], rows: np.ndarray, cols: np.ndarray, product_categories: Sequence[str],
        content_types: Sequence[str], owner: np.ndarray | None = None,
    ) -> np.ndarray:
        # The rows of engine_rows given each count a hit adds as (row, column), counts being
        # whole numbers, whatever order they come in; with ``owner``, as clean_engine_scores.
        n = len(texts)
        v = np.zeros((n, self.n_engine), dtype=np.float64)
        idx = self._index
        np.add.at(v, (rows, cols), 1.0)
        v[:, : idx["log_len"]] = np.log1p(v[:, : idx["log_len"]])
        v[:, idx["log_len"]] = np.log1p(np.fromiter(map(len, texts), dtype=np.float64, count=n)) / 8.0
        cues = np.log1p(self.cues.counts_many(texts))
        v[:, idx["symptoms"]] = cues[:, 0]
        v[:, idx["symptom_near_outcome"]] = cues[:, 1]
        v[:, idx["duration_near_outcome"]] = cues[:, 2]
        for field, values in (("pc", product_categories), ("ct", content_types)):
            at = self._columns[field]
            col = np.array([at.get(x, -1) for x in values], dtype=np.intp)
            if owner is not None:
                col = col[owner]
            hot = np.flatnonzero(col >= 0)
            v[hot, col[hot]] = 1.0
        v[:, idx["bias_term"]] = 1.0
        return v
