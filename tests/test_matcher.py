"""One Aho-Corasick pass finds every form, and the compiled automaton is cached on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY
from screening.cache import cache_dir
from screening.engine.lexicon import load_lexicon
from screening.engine.matcher import LATIN_END, LATIN_START, PATTERN_REACH, Key, TermMatcher
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


def test_a_masked_character_stands_only_inside_medical_words(screener) -> None:
    """关某炎 is 关节炎 with 节 masked; 全某第一 is no form, since 某 masks disease and treatment words
    only, and a two-character name (鼻炎) has no inner character to mask."""
    m = screener.matcher
    terms = screener.lexicon.terms

    def found(text: str) -> list[tuple[str, str]]:
        n = normalize(text)
        out = []
        for h in m.find(n.text):
            a, b = n.to_original(h.start, h.end)
            out += [(text[a:b], terms[t].term) for t in h.key.term_ids]
        return out

    assert ("关某炎", "关节炎") in found("专治关某炎")
    assert ("糖某病", "糖尿病") in found("糖某病人群")
    assert not [t for _, t in found("全某第一") if t == "全网第一"]
    assert not [h for h in found("鼻某") if h[1] == "鼻炎"]


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


# --- Latin edges of evasion forms: which side is checked, and where a text begins or ends ------
def _term_spans(m: TermMatcher, text: str, term_id: str) -> list[tuple[int, int, str]]:
    n = normalize(text).text
    return [(h.start, h.end, n[h.start:h.end]) for h in m.find(n) if term_id in h.key.term_ids]


@pytest.mark.parametrize(
    ("text", "term_id"),
    [
        ("最hot单品", "ABS-0001"),  # 最h (最好) runs on into hot
        ("最data说话", "ABS-0010"),  # 最da and 最d (最大) run on into data
        ("国家jian定", "ABS-0004"),  # 国家ji and 国家j (国家级) run on into jian
        ("2z疗", "MED-0001"),  # z疗 (治疗) follows a digit
        ("ozhi疗", "MED-0001"),
        ("data全面升级", "ABS-0012"),  # a全 (安全) follows a letter
        ("发根zero负担", "MED-0002"),  # 根z (根治) runs on into zero
    ],
)
def test_an_evasion_form_that_runs_on_into_latin_is_no_find(text: str, term_id: str) -> None:
    m = TermMatcher(load_lexicon(TINY), use_cache=False)
    assert _term_spans(m, text, term_id) == []


@pytest.mark.parametrize(
    ("text", "term_id", "found"),
    [
        ("这款最hao", "ABS-0001", [(2, 6, "最hao")]),  # ends the text: nothing after it to check
        ("最h", "ABS-0001", [(0, 2, "最h")]),
        ("2025最hao用的面霜", "ABS-0001", [(4, 8, "最hao")]),  # only its end is checked, not its start
        ("zhi疗7天", "MED-0001", [(0, 4, "zhi疗")]),  # only its start is checked, not its end
        ("zhi疗脚气，一盒99", "MED-0001", [(0, 4, "zhi疗")]),  # starts the text: nothing before it
        ("，a全无忧", "ABS-0012", [(1, 3, "a全")]),
    ],
)
def test_an_evasion_form_is_found_where_its_latin_edge_meets_no_latin(text: str, term_id: str, found) -> None:
    m = TermMatcher(load_lexicon(TINY), use_cache=False)
    assert _term_spans(m, text, term_id) == found


def test_edge_flags_mark_the_latin_side_of_each_evasion_form() -> None:
    m = TermMatcher(load_lexicon(TINY), use_cache=False)
    edges = {k.text: k.edges for k in m.keys}
    assert edges["z疗"] == edges["zhi疗"] == edges["a全"] == edges["an全"] == LATIN_START
    assert edges["最h"] == edges["最hao"] == edges["最da"] == edges["根z"] == edges["国家ji"] == LATIN_END
    assert edges["最好"] == edges["治疗"] == 0


# --- numeric patterns: the hit is the whole match, found once -----------------------------------
def test_a_pattern_hit_is_the_whole_number_and_its_anchor_once_each() -> None:
    m = TermMatcher(load_lexicon(TINY), use_cache=False)
    text = "12天见效，温和不刺激，坚持使用7天见效"
    hits = [(h.start, h.end, h.key.text, h.key.term_ids) for h in m.find(text) if "EFF-0002" in h.key.term_ids]
    # The second anchor's window starts inside 12: a partial 2天见效 is no second hit.
    assert hits == [(0, 5, "12天见效", ("EFF-0002",)), (16, 20, "7天见效", ("EFF-0002",))]
    (key,) = {h.key for h in m.find("3天见效") if h.key.term_ids}
    assert key == Key("3天见效", ("EFF-0002",))


# --- the automaton cache on disk ---------------------------------------------------------------
def test_without_the_cache_nothing_is_read_or_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path))
    lexicon = load_lexicon(TINY)
    TermMatcher(lexicon)  # writes the cache
    m = TermMatcher(lexicon, use_cache=False)
    assert m.cache_hit is False
    assert m.lexicon is lexicon
    assert [p.name for p in tmp_path.iterdir()] == [f"automaton-{m._digest()}.bin"]
    other = tmp_path / "other"
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(other))
    TermMatcher(lexicon, use_cache=False)
    assert not other.exists()


def test_the_cache_is_written_beside_itself_then_renamed_into_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    target = tmp_path / "not" / "yet" / "there"  # missing parents are created
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(target))
    # Not through the system temporary directory (it may be another file system).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-dir"))
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    m = TermMatcher(load_lexicon(TINY))
    assert m.cache_hit is False
    ((src, dst),) = renames
    assert dst == target / f"automaton-{m._digest()}.bin" and dst.is_file()
    assert src.parent == target and src.name.startswith(".automaton-")  # hidden while half-written
    assert TermMatcher(load_lexicon(TINY)).cache_hit is True


def test_cache_problems_are_logged_with_the_path_and_the_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path))
    m = TermMatcher(load_lexicon(TINY))
    path = tmp_path / f"automaton-{m._digest()}.bin"
    path.write_bytes(b"\x00garbage" * 10)
    with caplog.at_level(logging.INFO, logger="screening.engine.matcher"):
        TermMatcher(load_lexicon(TINY))
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert record.args[0] == path and isinstance(record.args[1], Exception)
    assert record.getMessage() == f"ignoring unreadable automaton cache {path}: {record.args[1]}"

    caplog.clear()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(blocker / "sub"))
    with caplog.at_level(logging.INFO, logger="screening.engine.matcher"):
        TermMatcher(load_lexicon(TINY))
    (record,) = [r for r in caplog.records if r.getMessage().startswith("automaton cache not written")]
    assert record.args[0] == blocker / "sub" / path.name and isinstance(record.args[1], OSError)
    assert record.getMessage() == f"automaton cache not written ({blocker / 'sub' / path.name}): {record.args[1]}"


def test_key_hashes_without_keys_find_nothing() -> None:
    from screening.engine.matcher import _KeyHashes

    h = _KeyHashes([])
    assert h.exact and h.levels == []
    assert h.occurrences(["全网第一", ""]) == {}


# --- a hand-made lexicon: shared forms, patterns with several forms -----------------------------
def _tiny_plus(tmp_path: Path, terms: list[dict], patterns: list[dict]):
    import shutil

    lex = tmp_path / "lexicon"
    shutil.copytree(TINY, lex)
    for name, extra in (("terms.jsonl", terms), ("patterns.jsonl", patterns)):
        with open(lex / name, encoding="utf-8") as f:
            base = json.loads(f.readline())
        with open(lex / name, "a", encoding="utf-8") as f:
            f.writelines(json.dumps({**base, "variants": [], "allow_contexts": [], **entry}, ensure_ascii=False) + "\n" for entry in extra)
    return load_lexicon(lex)


def test_one_text_keeps_every_meaning_it_has(tmp_path: Path) -> None:
    # 全网通 is the allow context of 全网 and, here, a term of its own as well.
    m = TermMatcher(_tiny_plus(tmp_path, [{"id": "ABS-0090", "term": "全网通"}], []), use_cache=False)
    (key,) = [h.key for h in m.find("全网通") if h.key.text == "全网通"]
    assert key.term_ids == ("ABS-0090",) and key.allow_for == ("ABS-0006",)


def test_a_pattern_is_anchored_on_its_longest_literal_part_and_every_form_is_searched(tmp_path: Path) -> None:
    lexicon = _tiny_plus(tmp_path, [], [{"id": "EFF-0090", "term": "月销X万件以上", "variants": ["月销X万单以上"]}])
    m = TermMatcher(lexicon, use_cache=False)
    assert sorted(k.text for k in m.keys if "EFF-0090" in k.pattern_ids) == ["万件以上", "万单以上"]
    for text in ("月销3万件以上", "月销5万单以上"):
        assert [(h.start, h.end, h.key.text) for h in m.find(text) if h.key.term_ids == ("EFF-0090",)] == [(0, 7, text)]


def test_evasions_of_an_allow_context_replace_only_characters_of_its_term() -> None:
    m = TermMatcher(load_lexicon(TINY), use_cache=False)
    allowed = {k.text for k in m.keys if k.allow_for == ("ABS-0002",)}
    assert {"第1季度", "di一季度", "第一季度"} <= allowed
    # 季度 is no part of 第一: 第一ji度 is no allow context, and 第一 in it is still found.
    assert not [k for k in allowed if "季" not in k]
    assert [h.key.allow_for for h in m.find("第一ji度")] == [()]


def test_a_pattern_match_is_one_hit_whichever_anchors_it_holds(tmp_path: Path) -> None:
    patterns = [{"id": "EFF-0091", "term": "销量X万件", "variants": ["月销量X万件"]},
                {"id": "EFF-0092", "term": "见效仅需X天"}]  # the anchor starts the match
    m = TermMatcher(_tiny_plus(tmp_path, [], patterns), use_cache=False)
    # 月销量 and 销量 both anchor the one match 月销量3万件.
    assert [(h.start, h.end, h.key.text) for h in m.find("月销量3万件") if h.key.term_ids] == [(0, 6, "月销量3万件")]
    assert [(h.start, h.end, h.key.term_ids) for h in m.find("见效仅需7天") if h.key.term_ids] == [(0, 6, ("EFF-0092",))]
    # A match reaching more than PATTERN_REACH characters past its anchor is no find.
    assert PATTERN_REACH == 16
    assert [h for h in m.find("见效仅需" + "7" * 15 + "天") if h.key.term_ids]
    assert not [h for h in m.find("见效仅需" + "7" * 16 + "天") if h.key.term_ids]
