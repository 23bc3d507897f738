"""One Aho-Corasick pass finds every form, and the compiled automaton is cached on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.cache import cache_dir
from screening.matcher import TermMatcher
from screening.normalize import normalize


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


def test_a_batch_finds_what_the_automaton_finds_text_by_text(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    texts = ["全网第一的面霜", "温和不刺激", "", "最", "好", "最好", "第一次用就爱上", "全网通", "本品不能代替药物", "7天见效"]
    found = m.find_many(texts)
    assert found == [m.find(t) for t in texts]
    assert [i for i, hits in enumerate(found) if hits] == [0, 5, 6, 7, 8, 9]
    # A key split across two texts of the batch is in neither.
    assert m.find_many(["药", "物", "最", "好"]) == [[], [], [], []]
    assert m.find_many([]) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from([*"全网第一最好通药物本品不能代替次的天见效37", "3天见效", "100%", "no1"]),
                         max_size=8).map("".join), max_size=6))
def test_the_batch_agrees_with_the_automaton_on_any_mix(tiny_lexicon, texts: list[str]) -> None:
    m = _matcher(tiny_lexicon)
    assert m.find_many(texts) == [m.find(t) for t in texts]


def test_the_batch_agrees_with_the_automaton_on_the_packaged_lexicon(engine) -> None:
    texts = []
    for name in ("dev", "holdout", "lawful_regression"):
        with open(f"tests/corpus/{name}.jsonl", encoding="utf-8") as f:
            texts += [normalize(json.loads(line)["text"]).text for line in f if line.strip()]
    found = engine.matcher.find_many(texts)
    # Patterns (X天见效) included: every hit of every text, in the automaton's order.
    assert found == [engine.matcher.find(t) for t in texts]
    assert 0 < sum(1 for hits in found if hits) < len(texts)


def test_keys_the_hashes_cannot_tell_apart_fall_back_to_the_automaton(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    texts = ["全网第一的面霜", "3天见效", "温和"]
    m._hashes.exact = False  # as if two keys of one length shared a hash
    assert m.find_many(texts) == [m.find(t) for t in texts]


_MATCHERS: dict[int, TermMatcher] = {}


def _matcher(lexicon) -> TermMatcher:
    return _MATCHERS.setdefault(id(lexicon), TermMatcher(lexicon, use_cache=False))

