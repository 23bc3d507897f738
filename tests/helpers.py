"""Assertion helpers shared by the tests."""

from __future__ import annotations

from screening.types import ScreeningResult


def spans(result: ScreeningResult) -> list[tuple[str, str, int, int]]:
    """(text, term_id, start, end) of each finding, in order."""
    return [(f.text, f.term_id, f.start, f.end) for f in result.findings]


def assert_offsets(original: str, result: ScreeningResult) -> None:
    """Every finding and suppressed hit points into the original text."""
    for f in result.findings:
        assert original[f.start : f.end] == f.text, f
    for s in result.suppressed:
        assert original[s.start : s.end] == s.text, s
