"""One Aho-Corasick pass over normalized text: term forms, allow contexts and lawful phrases.

The automaton stores plain integers (indices into a key table rebuilt from the lexicon), so
the on-disk cache holds no pickled objects; it is keyed by the lexicon's digest and is only a
start-up optimisation: any problem with it falls back to building the automaton anew.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick
import numpy as np

from ..about import __version__
from ..cache import OnFirstUse, cache_dir
from .evasion import evasion_forms, masked_forms
from .lexicon import Lexicon, compile_pattern
from .normalize import joined, normalize

logger = logging.getLogger(__name__)

CACHE_FORMAT = "3"
# How far from its literal anchor a numeric pattern may reach (年化收益12.5%: the number).
PATTERN_REACH = 16
# Key.edges: an evasion form that starts (1) or ends (2) in a Latin letter, which the text must
# not continue with another letter or a digit (``最h``, for 最好, is no find in ``最hot``, nor
# ``s白``, for 速白, in ``R11S白色``).
LATIN_START, LATIN_END = 1, 2
# A term split by a line break (最\n好) is found across it; more than this many breaks in a row
# is a paragraph, across which nothing is joined.
BRIDGE_BREAKS = 2


class Key(NamedTuple):
    """What one normalized string means: forms of terms, allow contexts, lawful phrases, and
    the literal anchors of numeric patterns (天见效 for X天见效). A named tuple, not a frozen
    dataclass: the evasion forms make a lexicon's keys ten times as many, and a named tuple is
    built several times faster."""

    text: str
    term_ids: tuple[str, ...] = ()
    allow_for: tuple[str, ...] = ()
    lawful_ids: tuple[str, ...] = ()
    pattern_ids: tuple[str, ...] = ()
    edges: int = 0


# Not frozen: a frozen dataclass costs five times as much to build, and a batch builds one per match.
@dataclass(slots=True)
class Hit:
    """A match in normalized text: half-open ``start``/``end`` and the key that matched."""

    start: int
    end: int
    key: Key


class TermMatcher:
    """Find every occurrence of every lexicon form in normalized text, overlaps included."""

    def __init__(self, lexicon: Lexicon, *, use_cache: bool = True) -> None:
        self.lexicon = lexicon
        self.keys = self._build_keys(lexicon)
        # Pattern terms' regexes, compiled on first use: a one-off check rarely meets one.
        forms = {t.id: t.forms for t in lexicon.active_terms if t.is_pattern}
        self.patterns: OnFirstUse[str, re.Pattern[str]] = OnFirstUse(
            lambda tid: re.compile("|".join(compile_pattern(f) for f in forms[tid])))
        self.cache_hit = False
        self.automaton = self._load_or_build(use_cache)
        self._key_hashes: _KeyHashes | None = None

    @staticmethod
    def _build_keys(lexicon: Lexicon) -> list[Key]:
        acc: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {}
        TERM, ALLOW, LAWFUL, PATTERN = range(4)

        def add(text: str, kind: int, ident: str) -> None:
            slot = acc.get(text)
            if slot is None:
                slot = acc[text] = ([], [], [], [])
            if ident not in slot[kind]:
                slot[kind].append(ident)

        evasions: list[tuple[str, int, str, tuple[str, ...]]] = []
        for t in lexicon.active_terms:
            own: list[str] = []
            for form in t.forms:
                if t.is_pattern:
                    # A pattern is searched only near its longest literal part: one automaton pass
                    # finds the anchors, and a regex runs in a small window around each.
                    anchor = max((normalize(p).text for p in form.split("X")), key=len)
                    add(anchor, PATTERN, t.id)
                else:
                    text = normalize(form).text
                    add(text, TERM, t.id)
                    own.append(text)
                    evasions.append((text, TERM, t.id, ()))
            for ctx in t.allow_contexts:
                text = normalize(ctx).text
                add(text, ALLOW, t.id)
                evasions.append((text, ALLOW, t.id, tuple(own)))
        for lp in lexicon.lawful:
            add(normalize(lp.phrase).text, LAWFUL, lp.id)
        # Evasion forms (zhi疗, 冶疗, 第1) of terms and of their allow contexts, so that 第1次 is
        # allowed where 第一次 is. A written form of another term or context keeps its meaning.
        written = set(acc)
        # Masks stand for a character of a disease or treatment word only (关某炎); elsewhere 某
        # is a plain word (某品牌).
        masked_ids = {t.id for t in lexicon.active_terms if t.category == "medical_claim"}
        for text, kind, ident, within in evasions:
            if kind == ALLOW and not within:
                continue  # a pattern's allow context: its evasions are the pattern's business
            for ev in evasion_forms(text, within):
                if ev not in written:
                    add(ev, kind, ident)
            if kind == TERM and ident in masked_ids:
                for ev in masked_forms(text):
                    if ev not in written:
                        add(ev, kind, ident)
        keys = []
        for text in sorted(acc):
            v = acc[text]
            edges = 0
            if text not in written:
                if "a" <= text[0] <= "z":
                    edges = LATIN_START
                if "a" <= text[-1] <= "z":
                    edges |= LATIN_END
            keys.append(Key(text, tuple(v[0]), tuple(v[1]), tuple(v[2]), tuple(v[3]), edges))
        return keys

    def _digest(self) -> str:
        h = hashlib.sha256()
        h.update(f"{CACHE_FORMAT}|{__version__}|{ahocorasick.__name__}|".encode())
        for k in self.keys:
            h.update(k.text.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()[:24]

    def _build(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for i, key in enumerate(self.keys):
            automaton.add_word(key.text, i)
        automaton.make_automaton()
        return automaton

    def _load_or_build(self, use_cache: bool) -> ahocorasick.Automaton:
        if not use_cache or not self.keys:
            return self._build()
        path = cache_dir() / f"automaton-{self._digest()}.bin"
        if path.is_file():
            try:
                automaton = ahocorasick.load(str(path), _no_objects)
                if len(automaton) == len(self.keys):
                    self.cache_hit = True
                    return automaton
            except Exception as e:  # a corrupt cache is only a slower start
                logger.warning("ignoring unreadable automaton cache %s: %s", path, e)
        automaton = self._build()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".automaton-")
            os.close(fd)
            automaton.save(tmp)
            os.replace(tmp, path)
        except OSError as e:
            logger.info("automaton cache not written (%s): %s", path, e)
        return automaton

    @property
    def _hashes(self) -> _KeyHashes:
        # Built on first use: a one-off check never needs it.
        if self._key_hashes is None:
            self._key_hashes = _KeyHashes([k.text for k in self.keys])
        return self._key_hashes

    def find(self, text: str) -> list[Hit]:
        """Every hit in ``text`` (already normalized), ordered by start then length."""
        if not self.keys:
            return []
        # pyahocorasick's end index is inclusive; it reports by end, the longest key first.
        keys = self.keys
        found = [(e + 1 - len(keys[i].text), e + 1, i) for e, i in self.automaton.iter(text)]
        if "\n" in text:
            found += self._bridged(text)
        return self._hits(text, found)

    def _bridged(self, text: str) -> list[tuple[int, int, int]]:
        """Occurrences of keys that a line break splits (最\n好, 根\n治), as (start, end, key index)
        in ``text``: the text is searched once more with its short runs of line breaks taken out,
        and only what runs across one is kept."""
        pieces, starts, origin = [], [], []
        prev = n = 0
        for m in _BREAKS.finditer(text):
            a, b = m.span()
            if b - a > BRIDGE_BREAKS or a == 0 or b == len(text):
                continue
            pieces.append(text[prev:a])
            n += a - prev
            starts.append(n)
            origin.append(b)
            prev = b
        if not starts:
            return []
        pieces.append(text[prev:])
        glued = "".join(pieces)
        keys = self.keys
        out = []
        for e, i in self.automaton.iter(glued):
            s = e + 1 - len(keys[i].text)
            k = bisect.bisect_right(starts, s)  # the first join after the key's start
            if k < len(starts) and starts[k] <= e:  # the key runs across it
                shift = origin[k - 1] - starts[k - 1] if k else 0
                end_k = bisect.bisect_right(starts, e) - 1
                out.append((s + shift, e + 1 + origin[end_k] - starts[end_k], i))
        return out

    def find_many(self, texts: Sequence[str]) -> list[list[Hit]]:
        """``[self.find(t) for t in texts]`` for a batch of normalized texts, in one array pass.

        Most of a catalogue has no hit at all, and the automaton, whose nodes search their
        children one by one, walks text at a few million characters a second. The batch is
        instead one array of code points, joined by NUL (which normalization never keeps, so no
        key spans two texts): a table of keys' first two characters picks the few positions
        where a key could start, and a rolling hash of the characters from there, one array
        step per character of the longest key, says which key does. Each such match is then
        checked against the key's text, so a hash collision can cost time but not a result.
        """
        out: list[list[Hit]] = [[] for _ in texts]
        if not self.keys or not texts:
            return out
        found = self._hashes.occurrences(texts)
        if found is None:
            return [self.find(t) for t in texts]
        for k, t in enumerate(texts):
            if "\n" in t:
                bridged = self._bridged(t)
                if bridged:
                    found[k] = found.get(k, []) + bridged
        for k, occurrences in found.items():
            out[k] = self._hits(texts[k], occurrences)
        return out

    def _hits(self, text: str, occurrences: Iterable[tuple[int, int, int]]) -> list[Hit]:
        hits = []
        keys = self.keys
        found: set[tuple[int, int, str]] = set()
        for start, end, i in occurrences:
            key = keys[i]
            if key.edges and (
                (key.edges & LATIN_START and start > 0 and _latin(text[start - 1]))
                or (key.edges & LATIN_END and end < len(text) and _latin(text[end]))
            ):
                continue
            if key.term_ids or key.allow_for or key.lawful_ids:
                hits.append(Hit(start, end, key))
            for tid in key.pattern_ids:
                lo, hi = max(0, start - PATTERN_REACH), min(len(text), end + PATTERN_REACH)
                for m in self.patterns[tid].finditer(text, lo, hi):
                    if m.start() <= start and end <= m.end() and (m.start(), m.end(), tid) not in found:
                        found.add((m.start(), m.end(), tid))
                        hits.append(Hit(m.start(), m.end(), Key(m.group(), (tid,))))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits


_BREAKS = re.compile("\n+")


def _latin(ch: str) -> bool:
    return "a" <= ch <= "z" or "0" <= ch <= "9"  # normalized text is lower case


_BASE = 0x100000001B3  # odd, so the hash of a window is a bijection of its last character
_MASK64 = (1 << 64) - 1
_PAIR_BITS = 22
_M1, _M2 = np.uint32(0x9E3779B1), np.uint32(0x85EBCA77)


def _pair_slot(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((first * _M1) ^ (second * _M2)) >> np.uint32(32 - _PAIR_BITS)


class _KeyHashes:
    """Every prefix of every key as a polynomial hash (mod 2**64), by length, for array passes
    over a batch: a position stays a candidate while the characters from it spell a prefix."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = keys
        # Per length n: the sorted hashes of all n-character key prefixes, and for each the
        # index of the key it completes (-1 if it is only a prefix).
        prefixes: dict[int, dict[int, int]] = {}
        # Two keys of one length with one hash would hide each other: then the batch falls back
        # to the automaton.
        self.exact = True
        for i, k in enumerate(keys):
            h = 0
            for n, ch in enumerate(k, 1):
                h = (h * _BASE + ord(ch)) & _MASK64
                level = prefixes.setdefault(n, {})
                if n == len(k):
                    self.exact &= level.get(h, -1) < 0
                    level[h] = i
                else:
                    level.setdefault(h, -1)
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        for n in range(1, max(prefixes, default=0) + 1):
            level = prefixes.get(n, {})
            hashes = sorted(level)
            self.levels.append((np.array(hashes, dtype=np.uint64), np.array([level[h] for h in hashes], dtype=np.int64)))
        pairs = [k for k in keys if len(k) > 1]
        self.pairs = np.zeros(1 << _PAIR_BITS, dtype=bool)
        if pairs:
            first = np.array([[ord(k[0]), ord(k[1])] for k in pairs], dtype=np.uint32)
            self.pairs[_pair_slot(first[:, 0], first[:, 1])] = True
        singles = [ord(k) for k in keys if len(k) == 1]
        self.singles: np.ndarray | None = None
        if singles:
            self.singles = np.zeros(0x110000, dtype=bool)
            self.singles[singles] = True

    def _matches(self, batch: str) -> Iterator[tuple[np.ndarray, int, np.ndarray]]:
        """(positions, length, key indices) of the keys whose hash matches at a position."""
        code = np.frombuffer(batch.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        may_start = np.zeros(code.size, dtype=bool)
        may_start[:-1] = self.pairs[_pair_slot(code[:-1], code[1:])]
        if self.singles is not None:
            may_start |= self.singles[code]
        at = np.flatnonzero(may_start)
        # NUL padding: a window running off the end holds a character no key has.
        padded = np.concatenate([code, np.zeros(len(self.levels), dtype=np.uint32)]).astype(np.uint64)
        h = np.zeros(at.size, dtype=np.uint64)
        base = np.uint64(_BASE)
        with np.errstate(over="ignore"):
            for n, (hashes, ids) in enumerate(self.levels, 1):
                if at.size == 0:
                    return
                h = h * base + padded[at + (n - 1)]
                slot = hashes.searchsorted(h)
                np.minimum(slot, hashes.size - 1, out=slot)
                alive = hashes[slot] == h
                at, h, key = at[alive], h[alive], ids[slot[alive]]
                done = key >= 0
                if done.any():
                    yield at[done], n, key[done]

    def occurrences(self, texts: Sequence[str]) -> dict[int, list[tuple[int, int, int]]] | None:
        """Each text's key occurrences as (start, end, key index), in the automaton's order (by
        end, the longest first); ``None`` when the hashes cannot tell two keys apart."""
        if not self.exact:
            return None
        batch, ends = joined(texts)
        found = list(self._matches(batch))
        if not found:
            return {}
        at = np.concatenate([a for a, _, _ in found])
        length = np.concatenate([np.full(a.size, n, dtype=np.int64) for a, n, _ in found])
        ids = np.concatenate([i for _, _, i in found])
        order = np.lexsort((-length, at + length))
        at, length, ids = at[order], length[order], ids[order]
        owner = np.searchsorted(ends, at)
        first = [0, *(ends + 1).tolist()]
        out: dict[int, list[tuple[int, int, int]]] = {}
        keys = self.keys
        for k, a, n, i in zip(owner.tolist(), at.tolist(), length.tolist(), ids.tolist()):
            if batch[a : a + n] == keys[i]:  # a hash says "probably"; the text says "yes"
                rel = a - first[k]
                out.setdefault(k, []).append((rel, rel + n, i))
        return out


def _no_objects(_: bytes) -> object:  # pragma: no cover - never called for STORE_INTS
    raise ValueError("automaton cache must hold integers only")
