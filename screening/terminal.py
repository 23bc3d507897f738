"""Merchant text made safe to print: control and escape sequences shown, never obeyed.

Copy under review comes from merchants. Printed raw, an ESC sequence in it (CSI ``\\x1b[2J``
clears the screen, OSC ``\\x1b]0;…\\x07`` retitles the window or plants a link, C1 ``\\x9b`` is a
CSI on its own) acts on the reviewer's terminal, a carriage return overwrites what came before it
on the line, and a bidi override (U+202E) shows the text in an order that is not the order it
is screened in. :func:`visible` writes every such character as an escape a person can read
(``\\x1b``, ``\\u202e``), so that the text is shown, not executed; :func:`json_visible` does the
same inside JSON text with JSON's own ``\\uXXXX`` escapes, so the JSON still decodes to exactly the
same strings.

Shown escaped: C0 controls except line feed and tab (a carriage return only when it does not
start a CRLF), DEL, C1 controls, every format character (Unicode category Cf: zero-width
characters, bidi embeddings, overrides and isolates, tag characters, the BOM, the soft hyphen),
the line and paragraph separators U+2028/U+2029 and lone surrogates (which no terminal encoding
can print).
"""

from __future__ import annotations

import re

# Unicode categories Cc, Cf, Zl and Zp above U+007F (Unicode 14, Python 3.11's unicodedata; a
# newer Unicode adds to Cf only in planes 0, 1 and 14, which tests/test_terminal.py checks). Held
# as ranges: computing them at import would cost half a second of every command's start.
_RANGES = ((0x80, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
           (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
           (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
           (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
           (0xE0020, 0xE007F))
_UNSAFE = re.compile("\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"
                     + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _RANGES) + "]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c <= 0xFF:
        return f"\\x{c:02x}"
    if c <= 0xFFFF:
        return f"\\u{c:04x}"
    return f"\\U{c:08x}"


def visible(text: str) -> str:
    """``text`` with its control, escape and invisible format characters written as escapes.

    >>> visible("全网第一\\x1b]0;已审核\\x07面霜")
    '全网第一\\\\x1b]0;已审核\\\\x07面霜'
    >>> visible("家人们\\r\\n最好用\\u202e的")
    '家人们\\r\\n最好用\\\\u202e的'
    """
    return _UNSAFE.sub(_escape, text)


def _json_escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if c > 0xFFFF:  # JSON writes a code point outside the BMP as its UTF-16 pair
        c -= 0x10000
        return f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}"
    return f"\\u{c:04x}"


def json_visible(text: str) -> str:
    """JSON text with the characters :func:`visible` escapes written as ``\\uXXXX``.

    In JSON text such characters can only stand inside strings (JSON escapes C0 controls itself),
    where ``\\uXXXX`` means the same character: the JSON decodes to the same values.

    >>> json_visible('{"text": "最好\\u202e的"}')
    '{"text": "最好\\\\u202e的"}'
    """
    return _UNSAFE.sub(_json_escape, text)
