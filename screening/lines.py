"""Line and column of a character offset, for findings in multi-line copy (live scripts).

A finding's ``start``/``end`` are offsets into the original text; a reviewer of a 90-minute
live script needs ``line:column``. The conventions:

* lines and columns are **1-based**; the column counts **characters** (code points, the unit of
  the offsets), not bytes or display width;
* a line break is ``\\r\\n``, ``\\n`` or a lone ``\\r``, and ``\\r\\n`` counts as **one** break, so
  a script saved on Windows gets the same line numbers as on Linux or macOS (and as an editor
  shows). Other separators (U+2028, form feed …) are not line breaks;
* an offset on a line break belongs to the line the break ends.

Building a :class:`LineIndex` is one pass over the text (none for a text without a break) and each
lookup is a bisection, so positions are computed only where an output shows them, cheaply.

>>> ix = LineIndex("家人们看过来\\r\\n这款面霜\\n用了就是全网最好用的")
>>> ix.locate(19), ix.line_text(3), ix.lines
((3, 7), '用了就是全网最好用的', 3)
"""

from __future__ import annotations

import re
from bisect import bisect_right

__all__ = ["LineIndex", "has_line_break", "locate"]

_BREAK = re.compile(r"\r\n|\r|\n")


def has_line_break(text: str) -> bool:
    """Whether ``text`` has more than one line."""
    return "\n" in text or "\r" in text


class LineIndex:
    """The line starts of one text, for ``offset -> (line, column)`` lookups."""

    __slots__ = ("_ends", "_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        if has_line_break(text):
            starts, ends = [0], []
            for m in _BREAK.finditer(text):
                ends.append(m.start())
                starts.append(m.end())
            ends.append(len(text))
        else:
            starts, ends = [0], [len(text)]
        self._starts = starts
        self._ends = ends

    @property
    def lines(self) -> int:
        """How many lines the text has (a text ending in a break has an empty last line)."""
        return len(self._starts)

    @property
    def multiline(self) -> bool:
        return len(self._starts) > 1

    def line_of(self, offset: int) -> int:
        """The 1-based line holding ``offset`` (clamped to the text)."""
        if len(self._starts) == 1:
            return 1
        return bisect_right(self._starts, max(0, min(offset, len(self.text)))) or 1

    def locate(self, offset: int) -> tuple[int, int]:
        """``(line, column)``, both 1-based, of the character at ``offset``."""
        line = self.line_of(offset)
        return line, max(0, min(offset, len(self.text))) - self._starts[line - 1] + 1

    def line_span(self, line: int) -> tuple[int, int]:
        """Offsets ``(start, end)`` of a 1-based line, without its break."""
        return self._starts[line - 1], self._ends[line - 1]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its break."""
        a, b = self.line_span(line)
        return self.text[a:b]


def locate(text: str, offset: int) -> tuple[int, int]:
    """``(line, column)`` of ``offset`` in ``text`` (see the module doc); for one lookup.

    >>> locate("第一行\\n第二行最好", 7)
    (2, 4)
    """
    if not has_line_break(text):
        return 1, offset + 1
    return LineIndex(text).locate(offset)
