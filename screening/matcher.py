"""One Aho-Corasick pass over normalized text: term forms, allow contexts and lawful phrases.

The automaton stores plain integers (indices into a key table rebuilt from the lexicon), so
the on-disk cache holds no pickled objects; it is keyed by the lexicon's digest and is only a
start-up optimisation: any problem with it falls back to building the automaton anew.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from .about import __version__
from .cache import cache_dir
from .lexicon import Lexicon, compile_pattern
from .normalize import normalize

logger = logging.getLogger(__name__)

CACHE_FORMAT = "2"
# How far from its literal anchor a numeric pattern may reach (年化收益12.5%: the number).
PATTERN_REACH = 16


@dataclass(frozen=True)
class Key:
    """What one normalized string means: forms of terms, allow contexts, lawful phrases, and
    the literal anchors of numeric patterns (天见效 for X天见效)."""

    text: str
    term_ids: tuple[str, ...] = ()
    allow_for: tuple[str, ...] = ()
    lawful_ids: tuple[str, ...] = ()
    pattern_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
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
        self.patterns = {
            t.id: re.compile("|".join(compile_pattern(f) for f in t.forms)) for t in lexicon.active_terms if t.is_pattern
        }
        self.cache_hit = False
        self.automaton = self._load_or_build(use_cache)

    @staticmethod
    def _build_keys(lexicon: Lexicon) -> list[Key]:
        acc: dict[str, dict[str, list[str]]] = {}

        def add(text: str, kind: str, ident: str) -> None:
            slot = acc.setdefault(text, {"term": [], "allow": [], "lawful": [], "pattern": []})
            if ident not in slot[kind]:
                slot[kind].append(ident)

        for t in lexicon.active_terms:
            for form in t.forms:
                if t.is_pattern:
                    # A pattern is searched only near its longest literal part: one automaton pass
                    # finds the anchors, and a regex runs in a small window around each.
                    anchor = max((normalize(p).text for p in form.split("X")), key=len)
                    add(anchor, "pattern", t.id)
                else:
                    add(normalize(form).text, "term", t.id)
            for ctx in t.allow_contexts:
                add(normalize(ctx).text, "allow", t.id)
        for lp in lexicon.lawful:
            add(normalize(lp.phrase).text, "lawful", lp.id)
        return [
            Key(text, tuple(v["term"]), tuple(v["allow"]), tuple(v["lawful"]), tuple(v["pattern"]))
            for text, v in sorted(acc.items())
        ]

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

    def texts_with_hits(self, texts: Sequence[str]) -> set[int]:
        """Indices of the (normalized) ``texts`` with at least one key in them, in one pass.

        Most of a catalogue has no hit at all; one automaton walk over the batch, joined by NUL
        (which normalization never keeps, so no key spans two texts), finds the few that do.
        """
        found: set[int] = set()
        if not self.keys:
            return found
        ends = list(itertools.accumulate(len(t) + 1 for t in texts))
        for end_index, _ in self.automaton.iter("\x00".join(texts)):
            found.add(bisect.bisect_right(ends, end_index))
        return found

    def find(self, text: str) -> list[Hit]:
        """Every hit in ``text`` (already normalized), ordered by start then length."""
        hits = []
        if not self.keys:
            return hits
        keys = self.keys
        found: set[tuple[int, int, str]] = set()
        for end_index, i in self.automaton.iter(text):
            key = keys[i]
            # pyahocorasick's end index is inclusive.
            start, end = end_index + 1 - len(key.text), end_index + 1
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


def _no_objects(_: bytes) -> object:  # pragma: no cover - never called for STORE_INTS
    raise ValueError("automaton cache must hold integers only")
