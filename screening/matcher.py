"""One Aho-Corasick pass over normalized text: term forms, allow contexts and lawful phrases.

The automaton stores plain integers (indices into a key table rebuilt from the lexicon), so
the on-disk cache holds no pickled objects; it is keyed by the lexicon's digest and is only a
start-up optimisation: any problem with it falls back to building the automaton anew.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from .about import __version__
from .lexicon import Lexicon, compile_pattern
from .normalize import normalize

logger = logging.getLogger(__name__)

CACHE_FORMAT = "1"


@dataclass(frozen=True)
class Key:
    """What one normalized string means: forms of terms, allow contexts, lawful phrases."""

    text: str
    term_ids: tuple[str, ...] = ()
    allow_for: tuple[str, ...] = ()
    lawful_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A match in normalized text: half-open ``start``/``end`` and the key that matched."""

    start: int
    end: int
    key: Key


def cache_dir() -> Path:
    """Where compiled automata are cached (``SCREENING_CACHE_DIR`` or the user cache)."""
    env = os.environ.get("SCREENING_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "screening"


class TermMatcher:
    """Find every occurrence of every lexicon form in normalized text, overlaps included."""

    def __init__(self, lexicon: Lexicon, *, use_cache: bool = True) -> None:
        self.lexicon = lexicon
        self.keys = self._build_keys(lexicon)
        self.patterns = self._build_patterns(lexicon)
        self.cache_hit = False
        self.automaton = self._load_or_build(use_cache)

    @staticmethod
    def _build_keys(lexicon: Lexicon) -> list[Key]:
        acc: dict[str, dict[str, list[str]]] = {}

        def add(text: str, kind: str, ident: str) -> None:
            slot = acc.setdefault(text, {"term": [], "allow": [], "lawful": []})
            if ident not in slot[kind]:
                slot[kind].append(ident)

        for t in lexicon.active_terms:
            if not t.is_pattern:
                for form in t.forms:
                    add(normalize(form).text, "term", t.id)
            for ctx in t.allow_contexts:
                add(normalize(ctx).text, "allow", t.id)
        for lp in lexicon.lawful:
            add(normalize(lp.phrase).text, "lawful", lp.id)
        return [
            Key(text, tuple(v["term"]), tuple(v["allow"]), tuple(v["lawful"]))
            for text, v in sorted(acc.items())
        ]

    @staticmethod
    def _build_patterns(lexicon: Lexicon) -> tuple[re.Pattern[str] | None, list[str]]:
        ids = [t.id for t in lexicon.active_terms if t.is_pattern]
        if not ids:
            return None, []
        groups = []
        for i, tid in enumerate(ids):
            alts = "|".join(compile_pattern(f) for f in lexicon.terms[tid].forms)
            groups.append(f"(?P<p{i}>{alts})")
        return re.compile("|".join(groups)), ids

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

    def find(self, text: str) -> list[Hit]:
        """Every hit in ``text`` (already normalized), ordered by start then length."""
        hits = []
        if self.keys:
            keys = self.keys
            for end_index, i in self.automaton.iter(text):
                key = keys[i]
                # pyahocorasick's end index is inclusive.
                hits.append(Hit(end_index + 1 - len(key.text), end_index + 1, key))
        regex, ids = self.patterns
        if regex is not None:
            for m in regex.finditer(text):
                tid = ids[int(m.lastgroup[1:])]  # type: ignore[index]
                hits.append(Hit(m.start(), m.end(), Key(m.group(), (tid,))))
        hits.sort(key=lambda h: (h.start, -h.end))
        return hits


def _no_objects(_: bytes) -> object:  # pragma: no cover - never called for STORE_INTS
    raise ValueError("automaton cache must hold integers only")
