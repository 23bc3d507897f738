"""Shared fixtures: expensive objects are built once per session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from screening import Screener
from screening.engine.lexicon import load_lexicon

TESTS = Path(__file__).resolve().parent
TINY = TESTS / "fixtures" / "tiny_lexicon"


_CACHE_ENV: list[tuple[str | None, str]] = []  # (the caller's value, the test run's directory)


def pytest_configure(config: pytest.Config) -> None:
    # Keep the caches of the test run (automata, normalization tables) out of the user's home.
    # Set when pytest starts, not in a fixture: test modules are imported (collected) before any
    # fixture runs, and whatever they build then must not read or write the real cache either.
    test_dir = tempfile.mkdtemp(prefix="screening-test-cache-")
    _CACHE_ENV.append((os.environ.get("SCREENING_CACHE_DIR"), test_dir))
    os.environ["SCREENING_CACHE_DIR"] = test_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _CACHE_ENV:
        return
    saved, test_dir = _CACHE_ENV.pop()
    shutil.rmtree(test_dir, ignore_errors=True)
    if saved is None:
        os.environ.pop("SCREENING_CACHE_DIR", None)
    else:
        os.environ["SCREENING_CACHE_DIR"] = saved


@pytest.fixture(scope="session")
def tiny_lexicon():
    return load_lexicon(TINY)


@pytest.fixture(scope="session")
def tiny(tiny_lexicon) -> Screener:
    """A lexicon-only screener over the small hand-written test lexicon (terms with known ids)."""
    return Screener(tiny_lexicon, model=None)


@pytest.fixture(scope="session")
def screener() -> Screener:
    """The screener over the packaged lexicons, policy and model."""
    return Screener()


@pytest.fixture(scope="session")
def engine(screener: Screener) -> Screener:
    """The packaged lexicons and rules without the model: the engine's own behaviour."""
    return Screener(screener.lexicon, screener.policy, matcher=screener.matcher, model=None)
