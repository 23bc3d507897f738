"""Merchant text printed for a person: control and escape sequences shown, never obeyed (issue 16)."""

from __future__ import annotations

import json
import unicodedata

import pytest

from screening.terminal import _RANGES, json_visible, visible

HOSTILE = [
    "\x1b[2J\x1b[H",  # CSI: clear the screen
    "\x1b]0;已审核通过\x07",  # OSC: retitle the window
    "\x1b]8;;http://example.invalid\x1b\\链接\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x9b31m",  # C1 CSI
    "\x7f\x00\x08",
    "\u202e",  # right-to-left override
    "\u2066\u2069\u200b\u200d\ufeff\u00ad",
    "\U000e0041",  # tag character
    "\u2028\u2029",
    "\ud800",  # a lone surrogate (from a JSON \\ud800 escape)
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_every_control_escape_and_format_character_is_shown_not_sent(bad: str) -> None:
    text = f"全网第一{bad}的面霜"
    shown = visible(text)
    assert shown.startswith("全网第一") and shown.endswith("的面霜")
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in shown)
    shown.encode("utf-8")  # printable on any UTF-8 terminal


def test_line_breaks_tabs_and_chinese_text_are_left_alone() -> None:
    script = "家人们看过来\r\n这款面霜\t第1号链接\n用了就是全网最好用的"
    assert visible(script) == script
    assert visible("最好\r用的") == "最好\\x0d用的"  # a lone CR would overwrite the line


def test_escapes_read_as_python_escapes() -> None:
    assert visible("最好\x1b[31m的") == "最好\\x1b[31m的"
    assert visible("A\u202eB\U000e0041") == "A\\u202eB\\U000e0041"


@pytest.mark.parametrize("bad", HOSTILE)
def test_json_stays_exact(bad: str) -> None:
    value = {"text": f"全网第一{bad}的面霜", "findings": [{"text": "全网第一", "start": 0, "end": 4}]}
    raw = json.dumps(value, ensure_ascii=False)
    safe = json_visible(raw)
    assert json.loads(safe) == value
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in safe)


def test_the_ranges_are_unicodes_format_and_control_characters() -> None:
    # Held as ranges for a fast start; they must cover what this Python's Unicode says.
    held = {c for a, b in _RANGES for c in range(a, b + 1)}
    for c in range(0x80, 0x110000):
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp"):
            assert c in held, hex(c)
