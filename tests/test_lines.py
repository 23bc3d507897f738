"""Line and column of an offset: 1-based, counted in characters, CRLF one break."""

from __future__ import annotations

import pytest

from screening.lines import LineIndex, has_line_break, locate

SCRIPT = "家人们看过来\n这款面霜\n用了就是全网最好用的"


def test_a_claim_on_the_third_line_of_a_live_script() -> None:
    ix = LineIndex(SCRIPT)
    start = SCRIPT.index("最好用")
    assert ix.lines == 3 and ix.multiline
    assert ix.locate(start) == (3, 7)
    assert ix.line_text(3) == "用了就是全网最好用的"
    assert ix.locate(0) == (1, 1) and ix.locate(SCRIPT.index("这款")) == (2, 1)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_kind_of_line_break_gives_the_same_line_and_column(newline: str) -> None:
    text = SCRIPT.replace("\n", newline)
    ix = LineIndex(text)
    assert ix.locate(text.index("最好用")) == (3, 7)
    assert [ix.line_text(n) for n in (1, 2, 3)] == ["家人们看过来", "这款面霜", "用了就是全网最好用的"]
    assert "\r" not in ix.line_text(1)


def test_columns_count_characters_not_bytes_and_blank_lines_count() -> None:
    text = "👍限时\n\n\n🔥🔥全网第一"
    assert locate(text, text.index("全网第一")) == (4, 3)
    assert LineIndex(text).line_text(2) == ""


def test_a_single_line_text_is_line_one_without_an_index() -> None:
    assert not has_line_break("这款面霜是最好的选择") and locate("这款面霜是最好的选择", 5) == (1, 6)
    assert LineIndex("").locate(0) == (1, 1)
    assert LineIndex("最好\n").lines == 2  # a trailing break opens an empty last line
    assert not has_line_break("最好\u2028选择")  # only CR and LF break lines


def test_a_long_script_locates_by_bisection() -> None:
    lines = [f"第{n}段，给家人们讲讲这款面霜的成分和用法" for n in range(1, 5001)]
    lines[4321] = "这一段说它是全网最好用的面霜"
    text = "\r\n".join(lines)
    ix = LineIndex(text)
    assert ix.locate(text.index("最好用")) == (4322, 9)
    assert ix.line_of(len(text)) == 5000
