"""Shared fixtures: expensive objects are built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import Screener
from screening.lexicon import load_lexicon

TESTS = Path(__file__).resolve().parent
TINY = TESTS / "fixtures" / "tiny_lexicon"


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Keep the automaton cache of the test run out of the user's home.
    mp = pytest.MonkeyPatch()
    mp.setenv("SCREENING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


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
