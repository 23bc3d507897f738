"""One Aho-Corasick pass finds every form, and the compiled automaton is cached on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.cache import cache_dir
from screening.matcher import TermMatcher


def test_every_overlapping_hit_is_found(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    hits = [(h.start, h.end, h.key.text) for h in m.find("全网第一最好")]
    # Ordered by start, longest first.
    assert hits == [(0, 4, "全网第一"), (0, 2, "全网"), (2, 4, "第一"), (4, 6, "最好")]


def test_allow_contexts_and_lawful_phrases_share_the_pass(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    keys = {h.key.text: h.key for h in m.find("全网通，本品不能代替药物")}
    assert keys["全网通"].allow_for == ("ABS-0006",)
    assert keys["本品不能代替药物"].lawful_ids == ("LAW-0001",)
    assert keys["药物"].term_ids == ("MED-0003",)


def test_cache_is_written_then_used(tiny_lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path))
    first = TermMatcher(tiny_lexicon)
    assert not first.cache_hit
    assert len(list(tmp_path.glob("automaton-*.bin"))) == 1
    second = TermMatcher(tiny_lexicon)
    assert second.cache_hit
    text = "最好第一，全网通，3天见效"
    assert [(h.start, h.end, h.key) for h in second.find(text)] == [(h.start, h.end, h.key) for h in first.find(text)]


def test_a_corrupt_cache_is_rebuilt(tiny_lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path))
    TermMatcher(tiny_lexicon)
    (cache_file,) = tmp_path.glob("automaton-*.bin")
    cache_file.write_bytes(b"\x00garbage" * 10)
    m = TermMatcher(tiny_lexicon)
    assert not m.cache_hit
    assert [h.key.text for h in m.find("最好")] == ["最好"]


def test_an_unwritable_cache_dir_is_only_slower(tiny_lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(blocker / "sub"))
    assert cache_dir() == blocker / "sub"
    m = TermMatcher(tiny_lexicon)
    assert [h.key.text for h in m.find("最好")] == ["最好"]
