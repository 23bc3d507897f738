"""Assertion helpers shared by the tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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


# The review tests' clock: 10:00 in Asia/Shanghai on a weekday, moved by hand.
T0 = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


class Clock:
    """A clock a test moves by hand (``clock.advance(hours=2)``)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)
