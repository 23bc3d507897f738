"""Word segmentation around hits, to tell a term from a longer word that contains it.

Only the stretch around each hit is segmented (a few characters either side), never the whole
text: jieba is by far the slowest stage of the pipeline, and a hit's word boundaries depend
only on its neighbourhood.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import jieba

# jieba logs its dictionary loading at DEBUG to stderr through its own handler.
jieba.setLogLevel(logging.WARNING)

WINDOW = 8


@dataclass(frozen=True)
class Token:
    """A jieba token with half-open offsets into the segmented text."""

    start: int
    end: int
    text: str


_shared: jieba.Tokenizer | None = None
_shared_lock = threading.Lock()


def _default_tokenizer() -> jieba.Tokenizer:
    # One dictionary per process: it is read-only once loaded and takes ~0.5 s to load.
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                _shared = tok
    return _shared


class Segmenter:
    """A lazily initialised jieba tokenizer, safe to share between threads."""

    def __init__(self, tokenizer: jieba.Tokenizer | None = None) -> None:
        self._tokenizer = tokenizer

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        """The jieba tokenizer, loading the shared dictionary on first use."""
        if self._tokenizer is None:
            self._tokenizer = _default_tokenizer()
        return self._tokenizer

    def word_frequency(self, word: str) -> int:
        """jieba's dictionary frequency of ``word`` (0 when unknown)."""
        return self.tokenizer.FREQ.get(word, 0) or 0

    def tokens_around(self, text: str, spans: list[tuple[int, int]]) -> list[Token]:
        """Segment the stretches of ``text`` around ``spans`` and return their tokens."""
        stretches: list[list[int]] = []
        for s, e in sorted(spans):
            a, b = max(0, s - WINDOW), min(len(text), e + WINDOW)
            if stretches and a <= stretches[-1][1]:
                stretches[-1][1] = max(stretches[-1][1], b)
            else:
                stretches.append([a, b])
        tokens = []
        cut = self.tokenizer.cut
        for a, b in stretches:
            pos = a
            for word in cut(text[a:b], HMM=False):
                tokens.append(Token(pos, pos + len(word), word))
                pos += len(word)
        return tokens


def containing_token(tokens: list[Token], start: int, end: int) -> Token | None:
    """The token that strictly contains ``[start, end)``, if the span is inside one word."""
    for t in tokens:
        if t.start <= start and end <= t.end and (t.end - t.start) > (end - start):
            return t
        if t.start > start:
            break
    return None
