"""One Aho-Corasick pass finds every form, and the compiled automaton is cached on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.cache import cache_dir
from screening.engine.matcher import TermMatcher
from screening.engine.normalize import normalize


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



# ---------------------------------------------------------------- evasion forms and line breaks
@pytest.mark.parametrize(
    ("text", "term", "found"),
    [
        ("zhi疗脚气", "治疗", "zhi疗"),  # pinyin for one character, generated from the table
        ("好用到z疗", "治疗", "z疗"),  # its initial
        ("冶疗", "治疗", "冶疗"),  # a look-alike
        ("全网第1的面霜", "全网第一", "全网第1"),  # a digit
        ("蕞好的", "最好", "蕞好"),  # a homophone
        ("国家ji的", "国家级", "国家ji"),
    ],
)
def test_evasion_forms_are_found_with_exact_offsets(tiny_lexicon, text: str, term: str, found: str) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    hits = [h for h in m.find(normalize(text).text) if term in [tiny_lexicon.terms[t].term for t in h.key.term_ids]]
    assert hits, text
    n = normalize(text)
    a, b = n.to_original(hits[0].start, hits[0].end)
    assert text[a:b] == found


def test_evasion_forms_keep_their_allow_contexts(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    keys = [h.key for h in m.find("第1季度")]
    assert any(k.allow_for == ("ABS-0002",) for k in keys)


@pytest.mark.parametrize("text", ["最hot单品", "型号r11s白色", "2z疗", "abcdi一"])
def test_a_latin_evasion_edge_must_not_run_on_into_more_latin(tiny_lexicon, text: str) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    assert not [h for h in m.find(normalize(text).text) if not h.key.text.isascii() and h.key.edges]


def test_written_forms_never_get_an_edge_check(tiny_lexicon) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    assert all(k.edges == 0 for k in m.keys if k.text in {"zui好", "no1", "top1", "di一"})


@pytest.mark.parametrize(("text", "found"), [("根\n治脚气", "根\n治"), ("全网\n第一", "全网\n第一"), ("美\r\n白", "美\r\n白")])
def test_a_line_break_inside_a_term_does_not_split_it(tiny_lexicon, text: str, found: str) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    n = normalize(text)
    spans = [n.to_original(h.start, h.end) for h in m.find(n.text) if h.key.term_ids]
    assert found in [text[a:b] for a, b in spans]
    # The batch path finds the same.
    assert [[(h.start, h.end, h.key.text) for h in hs] for hs in m.find_many([n.text, "无关", n.text])] == [
        [(h.start, h.end, h.key.text) for h in m.find(t)] for t in (n.text, "无关", n.text)]


@pytest.mark.parametrize("text", ["最\n\n\n好", "根\n\n\n治", "保湿\n补水", "\n第一\n"])
def test_a_paragraph_break_joins_nothing_and_lines_of_separate_words_stay_apart(tiny_lexicon, text: str) -> None:
    m = TermMatcher(tiny_lexicon, use_cache=False)
    n = normalize(text)
    bridged = [h for h in m.find(n.text) if "\n" in n.text[h.start:h.end]]
    assert bridged == []


def test_the_engine_holds_against_evasions_and_leaves_look_alike_lawful_text_alone(engine) -> None:
    for text, term, found in [("z疗脚气", "治疗", "z疗"), ("根\n治脚气", "根治", "根\n治"),
                              ("全网第1的面霜", "全网第一", "全网第1"), ("ding级面霜", "顶级", "ding级"),
                              ("减月巴茶", "减肥", "减月巴"), ("独1无2的设计", "独一无二", "独1无2")]:
        r = engine.screen(text, product_category="cosmetics")
        f = next(f for f in r.findings if f.term == term)
        assert text[f.start:f.end] == f.text == found
    for lawful in ["第1次用这款面霜", "小弟一直用这款", "陶冶情操的好书", "最hot的颜色是黑色", "型号R11S白色",
                   "颜色：黑\n最好冷藏"]:
        assert engine.screen(lawful).decision == "pass", lawful


# --- the batch path's hash table, against a plain search --------------------------------------
def _plain(keys: list[str], texts: list[str]) -> dict[int, list[tuple[int, int, int]]]:
    """Every occurrence of every key as (start, end, key index), by end, the longest first."""
    out: dict[int, list[tuple[int, int, int]]] = {}
    for t, text in enumerate(texts):
        found = [(s, s + len(k), i) for i, k in enumerate(keys) for s in range(len(text)) if text.startswith(k, s)]
        if found:
            out[t] = sorted(found, key=lambda f: (f[1], f[0]))
    return out


_KEYS = ["最", "最好", "好用", "最好用", "第一", "一", "ab", "abc", "b", "全网第一"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("最好用第一全网abcx")), max_size=12), max_size=6))
def test_key_hashes_find_every_occurrence_in_the_automaton_s_order(texts: list[str]) -> None:
    from screening.engine.matcher import _KeyHashes

    h = _KeyHashes(_KEYS)
    assert h.exact
    assert h.occurrences(texts) == _plain(_KEYS, texts)


def test_key_hashes_of_single_characters_and_of_keys_inside_keys() -> None:
    from screening.engine.matcher import _KeyHashes

    assert _KeyHashes(["最"]).occurrences(["最好", "好", "最最"]) == {0: [(0, 1, 0)], 2: [(0, 1, 0), (1, 2, 0)]}
    assert _KeyHashes(["abc", "ab"]).exact  # a key that is a prefix of another is still told apart
    assert _KeyHashes(["ab", "abc"]).occurrences(["xabc"]) == {0: [(1, 3, 0), (1, 4, 1)]}
    assert _KeyHashes(["ab"]).occurrences(["xy", ""]) == {}


def test_keys_that_share_a_hash_make_the_batch_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from screening.engine import matcher

    monkeypatch.setattr(matcher, "_BASE", 1)  # the hash of a key becomes the sum of its characters
    assert not matcher._KeyHashes(["ab", "ba"]).exact
    assert not matcher._KeyHashes(["ab", "ba", "cd"]).exact  # a later key does not undo it
    assert not matcher._KeyHashes(["ab", "cd", "dc"]).exact
    assert matcher._KeyHashes(["ab", "cd"]).exact
    assert matcher._KeyHashes(["ab", "ba"]).occurrences(["ab"]) is None


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("好\n最\n好", [("最\n好", 2, 5)]),  # the term runs across the second of two breaks
        ("最\n好，第\n一", [("最\n好", 0, 3), ("第\n一", 4, 7)]),
        ("第一\n\n\n全网\n第一", [("全网\n第一", 5, 10)]),  # a paragraph break first, then a bridge
        ("全\n网\n第\n一", [("全\n网\n第\n一", 0, 7), ("全\n网", 0, 3), ("第\n一", 4, 7)]),  # three breaks
        ("最\r\n好\n\n用", [("最\r\n好", 0, 4)]),
    ],
)
def test_terms_across_several_line_breaks_are_found_where_they_are(tiny_lexicon, text: str, spans) -> None:
    m = _matcher(tiny_lexicon)
    n = normalize(text)
    got = []
    for h in m.find(n.text):
        if h.key.term_ids and "\n" in n.text[h.start:h.end]:
            a, b = n.to_original(h.start, h.end)
            got.append((text[a:b], a, b))
    assert got == spans
    assert m.find_many([n.text, n.text]) == [m.find(n.text)] * 2


@pytest.mark.parametrize(("ch", "latin"), [("a", True), ("z", True), ("0", True), ("9", True), ("m", True),
                                           ("_", False), ("A", False), (":", False), ("@", False), ("好", False),
                                           ("/", False), ("{", False)])
def test_an_edge_continues_only_into_a_lower_case_letter_or_a_digit(ch: str, latin: bool) -> None:
    from screening.engine.matcher import _latin

    assert _latin(ch) is latin


def test_the_automaton_cache_refuses_stored_objects() -> None:
    from screening.engine.matcher import _no_objects

    with pytest.raises(ValueError, match="^automaton cache must hold integers only$"):
        _no_objects(b"")
