"""Word segmentation around hits, to tell a term from a longer word that contains it.

This is jieba's segmentation without HMM (its dictionary, its DAG of dictionary words and its
maximum-probability route, its grouping of letters and digits), with one change of storage: the
dictionary is compiled once into a pyahocorasick automaton cached on disk. jieba's own loader
unmarshals a 500,000-entry dict at every start (about 1.5 s here); the automaton loads in a
fraction of that, which is what keeps ``check`` under a second.

Only the stretch around each hit is segmented (a few characters either side), never the whole
text: a hit's word boundaries depend only on its neighbourhood.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import ahocorasick
import jieba

from ..cache import cache_dir, cached

logger = logging.getLogger(__name__)
T = TypeVar("T")

WINDOW = 8
# At most this many span texts keep their straddle cuts (Segmenter._cuts_of).
_CUTS_MAX = 100_000
FORMAT = "4"
# Frequency, an "action" flag and the word length are packed into the stored integer:
# value = (frequency * 2 + is_action) * 64 + length. Action words are those jieba tags as verbs,
# numerals, prepositions or adverbs (v*, m, p, d*): the words an instruction starts with.
LEN_BITS = 64
# jieba's own block and letter patterns (jieba.re_han_default, jieba.re_eng).
RE_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
ENG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba.re_eng
RE_SKIP = re.compile(r"(\r\n|\s)")  # jieba.re_skip_default


@dataclass(slots=True)  # not frozen: cheaper to build, and the word check builds many
class Token:
    """A token with half-open offsets into the segmented text."""

    start: int
    end: int
    text: str


class Dictionary:
    """jieba's dictionary as an automaton of ``word -> frequency``, with the total count."""

    def __init__(self, automaton: ahocorasick.Automaton, total: int) -> None:
        self.automaton = automaton
        self.log_total = math.log(total)

    def containing_words(self, forms: Iterable[str], min_frequency: int) -> dict[str, frozenset[str]]:
        """For each of the ``forms`` that some longer word of at least ``min_frequency`` contains
        (第一 in 第一次, 安全 in 安全带), those words: one automaton of the forms walks the
        dictionary once."""
        forms = sorted(set(forms))
        finder = ahocorasick.Automaton()
        for form in forms:
            finder.add_word(form, form)
        found: dict[str, set[str]] = {}
        if forms:
            finder.make_automaton()
            words = [w for w, v in self.automaton.items() if v // LEN_BITS >> 1 >= min_frequency and len(w) > 1]
            ends = list(itertools.accumulate(len(w) + 1 for w in words))
            for end_index, form in finder.iter("\n".join(words)):
                word = words[bisect.bisect_right(ends, end_index)]
                if len(word) > len(form):
                    found.setdefault(form, set()).add(word)
        return {form: frozenset(words) for form, words in found.items()}

    @classmethod
    def load(cls, use_cache: bool = True) -> Dictionary:
        """Load the compiled dictionary from the cache, or compile jieba's and cache it."""
        key = _dictionary_key()
        path = cache_dir() / f"jieba-{key}.bin"
        total_path = path.with_suffix(".total")
        if use_cache and path.is_file() and total_path.is_file():
            try:
                automaton = ahocorasick.load(str(path), _no_objects)
                return cls(automaton, int(total_path.read_text()))
            except Exception as e:  # a corrupt cache is only a slower start
                logger.warning("ignoring unreadable dictionary cache %s: %s", path, e)
        automaton, total = cls._compile(_dictionary_bytes())
        if use_cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-")
                os.close(fd)
                automaton.save(tmp)
                total_path.write_text(str(total))
                os.replace(tmp, path)
            except OSError as e:
                logger.info("dictionary cache not written (%s): %s", path, e)
        return cls(automaton, total)

    @staticmethod
    def _compile(raw: bytes) -> tuple[ahocorasick.Automaton, int]:
        values: dict[str, int] = {}
        total = 0
        for line in raw.decode("utf-8").splitlines():
            parts = line.strip().split(" ")
            if len(parts) < 2:
                continue
            word, freq = parts[0], int(parts[1])
            is_action = len(parts) > 2 and parts[2][:1] in ("v", "m", "p", "d")
            total += freq
            # jieba leaves zero-frequency words out of its DAG; a later line wins, as in jieba.
            values.pop(word, None)
            if freq > 0 and len(word) < LEN_BITS:
                values[word] = ((freq << 1) | is_action) * LEN_BITS + len(word)
        # A node searches its children one by one, in the order they were added: adding the
        # commonest words first puts common characters first, and the walk twice as fast.
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for word, value in sorted(values.items(), key=lambda wv: -wv[1]):
            automaton.add_word(word, value)
        automaton.make_automaton()
        return automaton, total

    def frequency(self, word: str) -> int:
        """Dictionary frequency of ``word`` (0 when unknown)."""
        value = self.automaton.get(word, 0)
        return value // LEN_BITS >> 1

    def is_action(self, word: str) -> bool:
        """Whether jieba tags ``word`` as a verb, numeral, preposition or adverb."""
        return bool(self.automaton.get(word, 0) // LEN_BITS & 1)

    def cut(self, block: str) -> list[str]:
        """jieba's ``__cut_DAG_NO_HMM`` over one block of CJK, letters and digits."""
        n = len(block)
        # jieba's route, from the end back: at each position the word (of its DAG, or the
        # character alone, of frequency 1) that maximizes log(freq) - log_total + the score after
        # it, ties to the longer. The automaton yields the DAG's words by their ends, ascending:
        # read backwards, every word starting after a word's end comes before it, so the score
        # there is final and each word is tried as it comes, without a list per position (and a
        # position's longest word comes first, winning ties as in jieba).
        log, log_total = math.log, self.log_total
        score = [0.0] * (n + 1)
        best = [-math.inf] * n
        route = [-1] * n
        done = n  # scores from here on are final
        for end_index, value in reversed(list(self.automaton.iter(block))):
            while done > end_index + 1:  # every word starting past this one's end has been read
                done -= 1
                if route[done] < 0:  # none starts here: the character alone (log(1) == 0)
                    route[done], best[done] = done, -log_total + score[done + 1]
                score[done] = best[done]
            start = end_index + 1 - value % LEN_BITS
            sc = log(value // LEN_BITS >> 1) - log_total + score[end_index + 1]
            if sc > best[start]:
                best[start], route[start] = sc, end_index
        while done > 0:
            done -= 1
            if route[done] < 0:
                route[done], best[done] = done, -log_total + score[done + 1]
            score[done] = best[done]
        words = []
        buf = ""
        x = 0
        while x < n:
            y = route[x] + 1
            word = block[x:y]
            if word in ENG_CHARS:
                buf += word
            else:
                if buf:
                    words.append(buf)
                    buf = ""
                words.append(word)
            x = y
        if buf:
            words.append(buf)
        return words


def _dictionary_bytes() -> bytes:
    with jieba.get_dict_file() as f:
        return f.read()


@functools.lru_cache(maxsize=None)
def _dictionary_key() -> str:
    # jieba's dictionary is 5 MB: read and hash once per process, whoever asks first.
    return hashlib.sha256(FORMAT.encode() + _dictionary_bytes()).hexdigest()[:24]


class WordIndex:
    """For a set of forms, the longer dictionary words that contain each (see
    :meth:`Segmenter.word_index`), laid out by where the word starts relative to the form."""

    def __init__(self, forms: Iterable[str], containing: dict[str, frozenset[str]]) -> None:
        self.forms = frozenset(forms)
        self.containing = containing
        # form -> ((offset of the word's start before the form, word length, words), ...)
        self._layout: dict[str, tuple[tuple[int, int, frozenset[str]], ...]] = {}
        for form, words in containing.items():
            by_place: dict[tuple[int, int], set[str]] = {}
            for word in words:
                i = word.find(form)
                while i >= 0:
                    by_place.setdefault((i, len(word)), set()).add(word)
                    i = word.find(form, i + 1)
            self._layout[form] = tuple((i, n, frozenset(ws)) for (i, n), ws in sorted(by_place.items()))

    def __contains__(self, form: object) -> bool:
        """Whether some longer dictionary word contains ``form``."""
        return form in self.containing

    def holds(self, text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> bool:
        """Whether one of the words containing ``text[start:end]`` is in ``text[lo:hi]`` around it."""
        hi = len(text) if hi is None else hi
        for offset, length, words in self._layout.get(text[start:end], ()):
            a = start - offset
            if a >= lo and a + length <= hi and text[a : a + length] in words:
                return True
        return False


_shared: Dictionary | None = None
_shared_lock = threading.Lock()
# Tables of the shared dictionary as parsed from the cache, by cache file name (which holds the
# dictionary's hash, so a name is one content): every Segmenter of the process reads them, and
# parsing them costs more than a batch of copy (a second screener, as one without the model
# beside the full one, would parse them again). A few at most: the word index is per lexicon.
_parsed: dict[str, Any] = {}
_PARSED_MAX = 8


def _cached_once(name: str, build: Callable[[], str], parse: Callable[[str], T]) -> T:
    """:func:`cached`, parsed once per process."""
    table = _parsed.get(name)
    if table is None:
        table = cached(name, build, parse)
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[name] = table
    return table  # type: ignore[no-any-return]


def default_dictionary() -> Dictionary:
    """The process-wide dictionary, loaded on first use (it is read-only once loaded)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Dictionary.load()
    return _shared


class Segmenter:
    """Segments the neighbourhood of hits; safe to share between threads."""

    def __init__(self, dictionary: Dictionary | None = None) -> None:
        self._dictionary = dictionary
        self._opening_table: tuple[frozenset[str], frozenset[str]] | None = None
        self._edge_table: tuple[int, tuple[frozenset[str], frozenset[str]]] | None = None
        # (min_frequency, {span text: the cuts inside it that may straddle}): see _cuts_of.
        self._cut_table: tuple[int, dict[str, tuple[int, ...]]] | None = None

    @property
    def dictionary(self) -> Dictionary:
        """The dictionary, loading the shared one on first use."""
        if self._dictionary is None:
            self._dictionary = default_dictionary()
        return self._dictionary

    def warm(self) -> None:
        """Load the dictionary and the openings table now rather than on first need."""
        _ = self.dictionary
        self._openings()

    def word_index(self, forms: Iterable[str], min_frequency: int) -> WordIndex:
        """The longer dictionary words of at least ``min_frequency`` that contain each of ``forms``.

        Segmentation can put a hit inside a longer word only if the dictionary has one, so the
        word check need not segment around any other hit, and where it must, the index says
        whether such a word is in the text at all. Cached by dictionary, forms and frequency, so
        a warm start does not load the dictionary for it.
        """
        forms = sorted(set(forms))
        key = hashlib.sha256("|".join([_dictionary_key(), str(min_frequency), *forms]).encode()).hexdigest()[:24]

        def build() -> str:
            containing = self.dictionary.containing_words(forms, min_frequency)
            return "\n".join(sorted(f"{form}\t{word}" for form, words in containing.items() for word in words))

        def parse(text: str) -> WordIndex:
            found: dict[str, set[str]] = {}
            for line in text.splitlines():
                form, word = line.split("\t")
                found.setdefault(form, set()).add(word)
            return WordIndex(forms, {f: frozenset(w) for f, w in found.items()})

        shared = self._dictionary is None or self._dictionary is _shared
        return (_cached_once if shared else cached)(f"word-index-{key}.tsv", build, parse)

    def word_frequency(self, word: str) -> int:
        """jieba's dictionary frequency of ``word`` (0 when unknown)."""
        return self.dictionary.frequency(word)

    def next_word(self, text: str) -> tuple[str, bool]:
        """The first word of ``text`` and whether it is an action word (see ``FORMAT``)."""
        # Where no dictionary word of two or more characters starts with the text's first two,
        # jieba's first word is its first character: the openings table answers that without
        # the dictionary, whose load is most of a first ``check`` (最好的… needs only this).
        if text and "\u4e00" <= text[0] <= "\u9fd5":
            openings, single_actions = self._openings()
            if text[:2] not in openings:
                return text[0], text[0] in single_actions
        words = self.cut(text)
        if not words:
            return "", False
        return words[0], self.dictionary.is_action(words[0])

    def _openings(self) -> tuple[frozenset[str], frozenset[str]]:
        """The first two characters of every dictionary word of two or more, and the
        one-character action words; cached on disk by dictionary, a file read at start-up."""
        if self._opening_table is None:

            def build() -> str:  # the one-character action words, a line break, the openings
                openings, actions = set(), set()
                for word, value in self.dictionary.automaton.items():
                    if len(word) > 1:
                        openings.add(word[:2])
                    elif value // LEN_BITS & 1:
                        actions.add(word)
                return "".join(sorted(actions)) + "\n" + "\t".join(sorted(openings))

            def parse(text: str) -> tuple[frozenset[str], frozenset[str]]:
                head, _, tail = text.partition("\n")
                return frozenset(tail.split("\t")) - {""}, frozenset(head)

            # The file on disk is jieba's dictionary's; a dictionary given to this segmenter gets its own.
            shared = self._dictionary is None or self._dictionary is _shared
            self._opening_table = (_cached_once(f"openings-{_dictionary_key()}.txt", build, parse) if shared
                                   else parse(build()))
        return self._opening_table

    def _word_edges(self, min_frequency: int) -> tuple[frozenset[str], frozenset[str]]:
        """The last two and the first two characters of every dictionary word of two or more
        characters and at least ``min_frequency``; cached on disk by dictionary and frequency."""
        if self._edge_table is None or self._edge_table[0] != min_frequency:

            def build() -> str:  # the endings, a line break, the openings
                endings, openings = set(), set()
                for word, value in self.dictionary.automaton.items():
                    if len(word) > 1 and value // LEN_BITS >> 1 >= min_frequency:
                        endings.add(word[-2:])
                        openings.add(word[:2])
                return "\t".join(sorted(endings)) + "\n" + "\t".join(sorted(openings))

            def parse(text: str) -> tuple[frozenset[str], frozenset[str]]:
                head, sep, tail = text.partition("\n")
                if not sep:
                    raise ValueError("word edges cache without its two lines")
                return frozenset(head.split("\t")) - {""}, frozenset(tail.split("\t")) - {""}

            shared = self._dictionary is None or self._dictionary is _shared
            name = f"word-edges-{_dictionary_key()}-{min_frequency}.txt"
            self._edge_table = (min_frequency, _cached_once(name, build, parse) if shared else parse(build()))
        return self._edge_table[1]

    def may_straddle(self, text: str, start: int, end: int, min_frequency: int) -> bool:
        """Whether ``text[start:end]`` can be the tail of one dictionary word and the head of the
        next (通便 in 交通便利, 特效 in 独特效果): a word of at least ``min_frequency`` ends inside
        the span having begun before it, and another begins there and runs past its end.

        Two set lookups answer most spans; only a span that passes them looks words up in the
        dictionary. Whether jieba's route really cuts there is for :meth:`tokens_around`.
        """
        return bool(self.straddling(text, [(start, end)], min_frequency))

    def straddling(self, text: str, spans: Iterable[tuple[int, int]], min_frequency: int) -> list[int]:
        """The indices of the ``spans`` of ``text`` that :meth:`may_straddle`, asked at once (a
        text's hits share the tables, fetched once)."""
        endings, openings = self._word_edges(min_frequency)
        cuts = self._straddle_cuts(min_frequency)
        n = len(text)
        out = []
        for i, (start, end) in enumerate(spans):
            form = text[start:end]
            offsets = cuts.get(form)
            if offsets is None:
                offsets = self._cuts_of(form, min_frequency)
            # (a cut needs two characters either side of it for the lookups)
            for j in offsets:
                cut = start + j
                if (2 <= cut < n - 1 and text[cut - 2 : cut] in endings and text[cut : cut + 2] in openings
                        and self._straddles_at(text, start, end, cut, min_frequency)):
                    out.append(i)
                    break
        return out

    def straddle_cuts(self, form: str, min_frequency: int) -> tuple[int, ...]:
        """The offsets in ``form`` at which a hit of it may straddle two words in some text (see
        :meth:`_cuts_of`): a span of a form without any is never among :meth:`straddling`'s."""
        offsets = self._straddle_cuts(min_frequency).get(form)
        return self._cuts_of(form, min_frequency) if offsets is None else offsets

    def _straddle_cuts(self, min_frequency: int) -> dict[str, tuple[int, ...]]:
        table = self._cut_table
        if table is None or table[0] != min_frequency:
            table = self._cut_table = (min_frequency, {})
        return table[1]

    def _cuts_of(self, form: str, min_frequency: int) -> tuple[int, ...]:
        """The offsets in ``form`` at which a cut may straddle in some text, whatever surrounds
        the form: most forms have few or none, and a hit of them then costs a dict lookup
        instead of two set lookups per character.

        A cut must be within 3 of both ends (:meth:`_straddles_at` reads words of at most 4
        characters either side of it), and the bigrams either side of it must end and open
        dictionary words: a bigram inside the form is checked here, one reaching outside it is
        left to :meth:`straddling`, in the text.
        """
        endings, openings = self._word_edges(min_frequency)
        length = len(form)
        offsets = tuple(j for j in range(max(1, length - 3), min(length, 4))
                        if (j < 2 or form[j - 2 : j] in endings) and (length - j < 2 or form[j : j + 2] in openings))
        cuts = self._straddle_cuts(min_frequency)
        if len(cuts) >= _CUTS_MAX:  # span texts are usually lexicon forms, but callers may pass any
            cuts.clear()
        cuts[form] = offsets
        return offsets

    def _straddles_at(self, text: str, start: int, end: int, cut: int, min_frequency: int) -> bool:
        # A stored value of at least ``least`` is a word of at least ``min_frequency`` (see
        # LEN_BITS): one lookup in C per word, not a call of frequency(). The word after the cut
        # goes first: far fewer spans have one than a word before.
        get, least = self.dictionary.automaton.get, min_frequency * 2 * LEN_BITS
        for b in range(end + 1, min(len(text), cut + 4) + 1):
            if get(text[cut:b], 0) >= least:
                break
        else:
            return False
        for a in range(max(0, cut - 4), start):
            if get(text[a:cut], 0) >= least:
                return True
        return False

    def cut(self, text: str) -> list[str]:
        """Segment ``text`` as ``jieba.cut(text, HMM=False)`` does."""
        words: list[str] = []
        # RE_HAN has one group, so split() alternates: other, block, other, …, other.
        for i, blk in enumerate(RE_HAN.split(text)):
            if not blk:
                continue
            if i % 2:
                words.extend(self.dictionary.cut(blk))
            else:
                words.extend(_split_other(blk))
        return words

    @staticmethod
    def stretches(n: int, spans: list[tuple[int, int]]) -> list[list[int]]:
        """The stretches of a text of length ``n`` that :meth:`tokens_around` segments."""
        stretches: list[list[int]] = []
        for s, e in sorted(spans):
            a, b = max(0, s - WINDOW), min(n, e + WINDOW)
            if stretches and a <= stretches[-1][1]:
                stretches[-1][1] = max(stretches[-1][1], b)
            else:
                stretches.append([a, b])
        return stretches

    def inside_a_word(
        self, text: str, spans: list[tuple[int, int]], min_frequency: int, index: WordIndex | None = None
    ) -> bool:
        """Whether a dictionary word of at least ``min_frequency`` in the stretches around
        ``spans`` strictly contains one of them: the only way :meth:`tokens_around` can show a
        span to be part of a longer word. For a span whose text ``index`` covers, the index
        answers with a few slices and set lookups; for any other, a walk of the dictionary
        automaton (C) does, both for a fraction of the cost of jieba's route (Python)."""
        for a, b in self.stretches(len(text), spans):
            inside = []
            for s, e in spans:
                if not (a <= s and e <= b):
                    continue
                if index is None or text[s:e] not in index.forms:
                    inside.append((s, e))
                elif index.holds(text, s, e, a, b):
                    return True
            if not inside:
                continue
            for end_index, value in self.dictionary.automaton.iter(text, a, b):
                length = value % LEN_BITS
                if length > 1 and value // LEN_BITS >> 1 >= min_frequency:
                    ws, we = end_index + 1 - length, end_index + 1
                    if any(ws <= s and e <= we and we - ws > e - s for s, e in inside):
                        return True
        return False

    def tokens_around(self, text: str, spans: list[tuple[int, int]]) -> list[Token]:
        """Segment the stretches of ``text`` around ``spans`` and return their tokens."""
        stretches = self.stretches(len(text), spans)
        tokens = []
        for a, b in stretches:
            pos = a
            for word in self.cut(text[a:b]):
                tokens.append(Token(pos, pos + len(word), word))
                pos += len(word)
        return tokens


def _split_other(blk: str) -> list[str]:
    # Outside CJK/letter blocks jieba keeps whitespace runs and splits the rest per character;
    # normalized text keeps no whitespace but line breaks, so the split is usually per character.
    if not RE_SKIP.search(blk):
        return list(blk)
    out: list[str] = []
    for i, part in enumerate(RE_SKIP.split(blk)):
        if part:
            if i % 2:
                out.append(part)
            else:
                out.extend(part)
    return out


def straddling_tokens(tokens: list[Token], start: int, end: int, starts: list[int]) -> tuple[Token, Token] | None:
    """The two tokens of which ``[start, end)`` is the tail of the first and the head of the
    second (交通|便利 for 通便), if the route cuts the span so and nowhere else."""
    i = bisect.bisect_right(starts, start) - 1
    if i < 0 or i + 1 >= len(tokens):
        return None
    a, b = tokens[i], tokens[i + 1]
    if a.start < start < a.end == b.start < end < b.end:
        return a, b
    return None


def containing_token(tokens: list[Token], start: int, end: int, starts: list[int] | None = None) -> Token | None:
    """The token that strictly contains ``[start, end)``, if the span is inside one word.

    ``tokens`` are in text order and do not overlap; pass their ``starts`` when asking many
    times, so each question is a binary search, not a scan (a 1 MB paste has many hits).
    """
    if starts is None:
        starts = [t.start for t in tokens]
    i = bisect.bisect_right(starts, start) - 1
    if i < 0:
        return None
    t = tokens[i]
    if t.start <= start and end <= t.end and (t.end - t.start) > (end - start):
        return t
    return None


def _no_objects(_: bytes) -> object:  # pragma: no cover - never called for STORE_INTS
    raise ValueError("dictionary cache must hold integers only")
