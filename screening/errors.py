"""Errors raised by screening."""

from __future__ import annotations


class ScreeningError(Exception):
    """Base class for every error raised by screening."""


class LexiconError(ScreeningError, ValueError):
    """Lexicon files are invalid. Lists every problem as ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid lexicon:\n" + "\n".join(f"- {p}" for p in problems))


class PolicyError(ScreeningError, ValueError):
    """The decision policy file is invalid."""


class InputError(ScreeningError, ValueError):
    """A record given to the screener cannot be screened (not text, empty, bad field)."""
