"""Normalize copy for matching while keeping a map back to the caller's offsets.

Two steps, both table- or regex-driven so no Python code runs per character:

1. A one-to-one ``str.translate`` table: NFKC where it yields one character (full width to
   half width, ``①`` to ``1``), lower case, traditional to simplified. Length is unchanged, so
   offsets survive this step untouched.
2. Invisible and noise characters are dropped: zero-width and format characters, controls,
   spaces, symbols, emoji and the punctuation merchants insert inside a term (``最 好``,
   ``最*好``, ``第-一``, ``最⭐好``). Sentence punctuation (``，。！？；：、…``) and line breaks
   are kept: they end a clause, and a term never spans them.

>>> n = normalize("ＮＯ．１ 最⭐好")
>>> n.text
'no1最好'
>>> n.to_original(3, 5)
(5, 8)
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

# Kept although they are punctuation: they separate clauses, so a hit must not run across them
# and the context rules need them. Full-width forms are listed after NFKC (，→ ,).
CLAUSE_PUNCTUATION = frozenset(",;:!?。、…\n\r%")

# Code points that render as nothing although their general category calls them letters (the
# Hangul fillers) or marks: the Unicode property Default_Ignorable_Code_Point
# (DerivedCoreProperties.txt), which unicodedata does not expose. Format, control, surrogate,
# private-use and unassigned code points are noise by their category.
_DEFAULT_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
                      (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
                      (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                      (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


@lru_cache(maxsize=1)
def _t2s() -> dict[str, str]:
    table = {}
    with resources.files("screening").joinpath("data/t2s.tsv").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            trad, simp = line.rstrip("\n").split("\t")
            table[trad] = simp
    return table


def _is_noise(ch: str) -> bool:
    if ch in CLAUSE_PUNCTUATION:
        return False
    # Letters, digits and CJK are content; everything else a merchant can slip inside a term
    # (spaces, symbols, emoji, dashes, quotes, brackets, format, control, private-use and
    # unassigned code points, lone surrogates) is noise, and so is what renders blank.
    cp = ord(ch)
    return unicodedata.category(ch)[0] in "ZPSMC" or any(a <= cp <= b for a, b in _DEFAULT_IGNORABLE)


TABLE_FORMAT = "3"


def _build_tables() -> tuple[dict[int, str], list[tuple[int, int]]]:
    t2s = _t2s()
    table: dict[int, str] = {}
    noise: set[int] = set()
    for cp in range(0x110000):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            noise.add(cp)  # a lone surrogate (from a JSON \\ud800 escape) is no character at all
            continue
        # (mathematical and enclosed alphanumerics: 𝐓𝐎𝐏𝟏 folds to top1 like ＴＯＰ１)
        out = unicodedata.normalize("NFKC", ch)
        if len(out) != 1:
            out = ch  # expansions (⑴ → (1)) would break the one-to-one offset map
        low = out.lower()
        if len(low) == 1:
            out = low
        out = t2s.get(out, out)
        if out != ch:
            table[cp] = out
        if _is_noise(out):
            noise.add(ord(out))
    # Outside the BMP only the CJK extensions (planes 2 and 3) are content. Plane 1's letters
    # are historic scripts, its digits and letters for styling (𝐓𝐎𝐏𝟏) are folded to ASCII
    # above: the rest of it and planes 4-16 drop whole, as three ranges instead of hundreds
    # (every range is a test per character in the noise regex).
    noise.update(range(0x10000, 0x20000))
    noise.update(range(0x40000, 0x110000))
    # \r is a line break like \n; translate it so the kept set stays small.
    table[ord("\r")] = "\n"
    noise.discard(ord("\n"))
    ranges: list[tuple[int, int]] = []
    for cp in sorted(noise):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return table, ranges


@lru_cache(maxsize=1)
def tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """The translate table and the noise pattern."""
    table, ranges = _table_data()
    cls = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return table, re.compile("[" + cls + "]+")


@lru_cache(maxsize=1)
def _table_data() -> tuple[dict[int, str], list[tuple[int, int]]]:
    """The translate table and the BMP noise ranges, built once per machine and cached.

    Building them walks every BMP code point (a tenth of a second); the cache, keyed by the
    Unicode version and the traditional-to-simplified table, makes it a file read.
    """
    from ..cache import cached

    t2s_bytes = resources.files("screening").joinpath("data/t2s.tsv").read_bytes()
    key = hashlib.sha256(
        f"{TABLE_FORMAT}|{unicodedata.unidata_version}|{''.join(sorted(CLAUSE_PUNCTUATION))}|".encode() + t2s_bytes
    ).hexdigest()[:24]

    def build() -> str:
        table, ranges = _build_tables()
        return json.dumps({"map": {str(k): v for k, v in table.items()}, "noise": ranges}, ensure_ascii=False)

    def parse(text: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
        raw = json.loads(text)
        return {int(k): v for k, v in raw["map"].items()}, [(a, b) for a, b in raw["noise"]]

    return cached(f"tables-{key}.json", build, parse)


@lru_cache(maxsize=1)
def _arrays() -> tuple[np.ndarray, np.ndarray]:
    """The translate table as a code-point array and the noise set as a mask over its output:
    the same two steps as :func:`normalize`, as two gathers over a whole batch."""
    table, ranges = _table_data()
    mapped = np.arange(0x110000, dtype=np.uint32)
    mapped[np.fromiter(table, dtype=np.int64, count=len(table))] = np.fromiter(
        map(ord, table.values()), dtype=np.uint32, count=len(table))
    noise = np.zeros(0x110000, dtype=bool)
    for a, b in ranges:
        noise[a:b + 1] = True
    return mapped, noise


@dataclass(frozen=True)
class Normalized:
    """The normalized text and the map from its positions back to the original text."""

    original: str
    text: str
    # Start of each kept segment in ``text`` and in ``original``; empty when nothing was dropped.
    _norm_starts: tuple[int, ...] = ()
    _orig_starts: tuple[int, ...] = ()

    def position(self, i: int) -> int:
        """Return the original offset of normalized position ``i`` (0 <= i < len(text))."""
        if not self._norm_starts:
            return i
        k = bisect.bisect_right(self._norm_starts, i) - 1
        return self._orig_starts[k] + (i - self._norm_starts[k])

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open normalized span to the half-open original span it came from.

        Noise inside the span is included (``最 好`` is what the reviewer must see); noise
        around it is not.
        """
        if end <= start:
            p = self.position(start) if start < len(self.text) else len(self.original)
            return p, p
        return self.position(start), self.position(end - 1) + 1


@lru_cache(maxsize=1)
def _visible() -> re.Pattern[str]:
    blank = set()
    for cp in range(0x10000):
        if unicodedata.category(chr(cp)) in ("Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"):
            blank.add(cp)
    for a, b in (*_DEFAULT_IGNORABLE, (0xF0000, 0x10FFFF)):
        blank.update(range(a, b + 1))
    ranges: list[list[int]] = []
    for cp in sorted(blank):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    cls = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[^{cls}]")


def has_visible(text: str) -> bool:
    r"""Whether ``text`` shows anything: a text of zero-width, control, filler or private-use
    characters alone is no copy to screen, however long.

    >>> has_visible("\u200b\u3164\x00"), has_visible("\u200b好"), has_visible("👍")
    (False, True, True)
    """
    return _visible().search(text) is not None


# What separates the keywords of a title (修护面霜 全网最好用 敏感肌救星, 保温杯/316不锈钢/最好用).
# Normalization drops them like any noise, so the keywords run together in the normalized text.
PHRASE_SEPARATORS = frozenset(" \t\u3000\xa0/／|｜丨\\【】[]［］")
_SEPARATOR = re.compile("[" + re.escape("".join(sorted(PHRASE_SEPARATORS))) + "]")
# A separator between single characters (最 好 用) is an evasion inside one word, not a break
# between keywords: both neighbours must be at least this long.
PHRASE_MIN_RUN = 2


@lru_cache(maxsize=1)
def _separator_mask() -> np.ndarray:
    """PHRASE_SEPARATORS as a mask over code points, for NormalizedBatch.phrase_breaks."""
    mask = np.zeros(0x110000, dtype=bool)
    mask[[ord(c) for c in PHRASE_SEPARATORS]] = True
    return mask


def phrase_breaks(norm: Normalized) -> tuple[int, ...]:
    """Normalized positions where the caller's text broke between two keywords.

    Context rules read neighbouring words (最好 + verb is advice, 不 + term is a denial); in a
    keyword title the next keyword is no neighbour: 最好用 学生上班族 is a claim followed by an
    audience, not advice to use the students.

    >>> n = normalize("保温杯 316不锈钢 最好用 学生上班族")
    >>> [n.text[i:i + 3] for i in phrase_breaks(n)]
    ['316', '最好用', '学生上']
    >>> phrase_breaks(normalize("最 好 用"))
    ()
    """
    starts = norm._norm_starts
    if not starts or _SEPARATOR.search(norm.original) is None:
        return ()
    breaks = []
    # Only the gaps holding a separator can break: find them in the original (one regex pass)
    # and place each among the kept segments, instead of walking every segment of noise.
    origs = norm._orig_starts
    n = len(norm.text)
    last = len(starts) - 1
    seen = -1
    for m in _SEPARATOR.finditer(norm.original):
        k = bisect.bisect_right(origs, m.start())  # the segment after the gap holding it
        if k > last or k == seen:
            continue
        seen = k
        left = starts[k] - starts[k - 1]
        right = (starts[k + 1] if k < last else n) - starts[k]
        if left >= PHRASE_MIN_RUN and right >= PHRASE_MIN_RUN:
            breaks.append(starts[k])
    return tuple(breaks)


def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching; see the module docstring.

    >>> normalize("第-一 名").text
    '第一名'
    >>> normalize("最佳療效").text
    '最佳疗效'
    """
    table, noise = tables()
    translated = text.translate(table)
    runs = [m.span() for m in noise.finditer(translated)]
    if not runs:
        return Normalized(text, translated)
    norm_starts = [0]
    orig_starts = [0]
    pieces = []
    prev = 0
    n = 0
    for a, b in runs:
        pieces.append(translated[prev:a])
        n += a - prev
        prev = b
        norm_starts.append(n)
        orig_starts.append(b)
    pieces.append(translated[prev:])
    return Normalized(text, "".join(pieces), tuple(norm_starts), tuple(orig_starts))


def joined(texts: Sequence[str]) -> tuple[str, np.ndarray]:
    """``texts`` joined by NUL, and where each text ends in the result (the NUL after it).

    Normalization never keeps a NUL, so nothing found in the joined normalized texts spans two
    of them: the batch paths search a batch as one string and give each find to its text.
    """
    ends = np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))) - 1
    return "\x00".join(texts), ends


class NormalizedBatch:
    """Many texts normalized at once: each one's normalized text, and its offset map on demand.

    A catalogue is mostly text the lexicon finds nothing in, which needs its normalized form only
    to be matched and scored. Per text, ``str.translate`` looks each character up in a dict and a
    regex finds the noise; here the batch is one array of code points and both steps are
    gathers over it, about ten times faster. NUL joins the texts (:func:`joined`): normalization
    drops it inside a text, so it splits them again. The few texts with a hit then ask for their offset maps,
    which come from the same arrays: :meth:`get` equals :func:`normalize`.

    >>> NormalizedBatch(["全網第一", "最 好"]).texts
    ['全网第一', '最好']
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.originals = texts
        n = len(texts)
        if n == 0:
            self.texts: list[str] = []
            return
        mapped, noise = _arrays()
        batch, ends = joined(texts)
        raw = np.frombuffer(batch.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        code = mapped[raw]
        keep = ~noise[code]
        keep[ends[:-1]] = True  # the joining NULs
        starts = np.concatenate(([0], ends[:-1] + 1))
        self.texts = code[keep].tobytes().decode("utf-32-le", "surrogatepass").split("\x00")
        # Where each run of dropped characters ends (a kept one follows it, or the text ends),
        # in the original text and in the normalized one: the map's segment starts.
        after = np.append(keep, True)
        run_ends = np.flatnonzero(~after[:-1] & after[1:]) + 1
        owner = np.searchsorted(starts, run_ends, side="right") - 1
        kept_before = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        self._orig = (run_ends - starts[owner]).tolist()
        run_norm = kept_before[run_ends] - kept_before[starts[owner]]
        self._norm = run_norm.tolist()
        ids = np.arange(n)
        lo, hi = np.searchsorted(owner, ids, side="left"), np.searchsorted(owner, ids, side="right")
        self._lo, self._hi = lo.tolist(), hi.tolist()
        # What phrase_breaks needs, kept for the first text that asks (a batch without a hit never does).
        lengths = kept_before[ends] - kept_before[starts]  # of the normalized texts
        self._arrays = (raw, keep, ends, run_ends, run_norm, owner, lo, hi, lengths)
        self._breaks: tuple[list[int], list[int]] | None = None

    def get(self, k: int) -> Normalized:
        """Text ``k`` as :func:`normalize` returns it."""
        lo, hi = self._lo[k], self._hi[k]
        if lo == hi:
            return Normalized(self.originals[k], self.texts[k])
        return Normalized(self.originals[k], self.texts[k], (0, *self._norm[lo:hi]), (0, *self._orig[lo:hi]))

    def phrase_breaks(self, k: int) -> tuple[int, ...]:
        """:func:`phrase_breaks` of text ``k``; the first text to ask works them out for the whole
        batch as array passes (per text, the regex walk over every separator of a title costs
        as much as the rest of its hits' context rules)."""
        if self._breaks is None:
            self._breaks = self._all_breaks()
        bounds, where = self._breaks
        a, b = bounds[k], bounds[k + 1]
        return tuple(where[a:b]) if b > a else ()

    def _all_breaks(self) -> tuple[list[int], list[int]]:
        """Every text's breaks, in text order, and where each text's start among them."""
        # phrase_breaks' loop, for every separator of the batch at once. A separator lies in a gap
        # of dropped characters, the batch's run g, and may break before the segment after it;
        # 丨, being a character, lies inside a segment, and may break before the next one, the
        # first whose run ends past it. Only the dropped characters are read for the first kind
        # (a tenth of a batch of copy) and one pass per code point finds the second, instead of
        # a lookup in a mask of all code points per character and a binary search per separator.
        raw, keep, ends, run_ends, run_norm, run_owner, lo, hi, lengths = self._arrays
        dropped = np.flatnonzero(~keep)
        # (a run starts wherever a dropped character does not follow the one before it)
        run = np.cumsum(np.diff(dropped, prepend=-2) != 1) - 1
        g = run[_separator_mask()[raw[dropped]]]
        g = g[np.diff(g, prepend=-1) != 0]  # several separators in one gap: one break
        at = np.flatnonzero(np.logical_or.reduce([raw == cp for cp in _kept_separators()]))
        if at.size:
            g_kept = np.searchsorted(run_ends, at, side="right")
            # (past a text's last gap no segment follows)
            g = np.union1d(g, g_kept[g_kept < hi[np.searchsorted(ends, at)]])
        owner = run_owner[g]  # a run is its text's, and so is the segment after it
        here = run_norm[g]
        if g.size:
            before = np.where(g > lo[owner], run_norm[np.maximum(g - 1, 0)], 0)
            after = np.where(g + 1 < hi[owner], run_norm[np.minimum(g + 1, run_norm.size - 1)], lengths[owner])
            ok = (here - before >= PHRASE_MIN_RUN) & (after - here >= PHRASE_MIN_RUN)
            owner, here = owner[ok], here[ok]
        # (g ascending: owner ascending, and each text's breaks in order)
        return np.searchsorted(owner, np.arange(len(self.texts) + 1)).tolist(), here.tolist()


@lru_cache(maxsize=1)
def _kept_separators() -> np.ndarray:
    """The separators normalization keeps (丨, a character), as code points."""
    mapped, noise = _arrays()
    return np.array(sorted(ord(c) for c in PHRASE_SEPARATORS if not noise[mapped[ord(c)]]), dtype=np.uint32)


if __name__ == "__main__":  # pragma: no cover - manual inspection aid
    print(normalize(sys.argv[1]).text)
