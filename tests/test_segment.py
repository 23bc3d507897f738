"""Segmentation around hits is jieba's own (HMM off), from a faster-loading dictionary."""

from __future__ import annotations

import logging
import random

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine.segment import Segmenter, containing_token, straddling_tokens

SENTENCES = [
    "阳台装了安全网，孩子玩耍更放心",
    "这个安全网站可以放心浏览",
    "第一次用就爱上了这款面霜",
    "销量第一名的爆款卫衣",
    "最近买的首饰都很好看",
    "全网通5G手机 8+256GB",
    "iPhone15手机壳 TOP1 款式 2026新款",
    "一次性手套100只装",
    "家人们，3、2、1，上链接！",
]


_SEG = Segmenter()


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter()


@pytest.mark.parametrize("sentence", SENTENCES)
def test_cut_is_identical_to_jieba_without_hmm(seg: Segmenter, sentence: str) -> None:
    jieba.setLogLevel(logging.WARNING)
    assert seg.cut(sentence) == list(jieba.cut(sentence, HMM=False))


def test_tokens_around_hits_carry_offsets(seg: Segmenter) -> None:
    text = "阳台装了安全网，孩子玩耍更放心"
    tokens = seg.tokens_around(text, [(4, 6)])
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert containing_token(tokens, 4, 6).text == "安全网"


def test_a_term_that_is_its_own_word_has_no_containing_token(seg: Segmenter) -> None:
    text = "这是最好的面霜"
    assert containing_token(seg.tokens_around(text, [(2, 4)]), 2, 4) is None


@pytest.mark.parametrize(("text", "span", "words"), [
    ("酒店交通便利，早餐丰富", (3, 5), ("交通", "便利")),  # 通便
    ("这款独特效果的面膜", (3, 5), ("独特", "效果")),  # 特效
    ("完美白色连衣裙", (1, 3), ("完美", "白色")),  # 美白
])
def test_a_span_that_is_the_tail_of_one_word_and_the_head_of_the_next_straddles(
    seg: Segmenter, text: str, span: tuple[int, int], words: tuple[str, str]
) -> None:
    assert seg.may_straddle(text, *span, min_frequency=5)
    tokens = seg.tokens_around(text, [span])
    pair = straddling_tokens(tokens, *span, [t.start for t in tokens])
    assert pair is not None and (pair[0].text, pair[1].text) == words


@pytest.mark.parametrize(("text", "span"), [
    ("润肠通便 膳食纤维", (2, 4)),  # 通便 is its own word here
    ("特效祛痘精华", (0, 2)),  # nothing before it to begin a word
    ("这是最好的面霜", (2, 4)),  # 是最 is no word: 最好 stands alone
])
def test_a_span_standing_as_its_own_word_does_not_straddle(seg: Segmenter, text: str, span: tuple[int, int]) -> None:
    tokens = seg.tokens_around(text, [span])
    straddled = seg.may_straddle(text, *span, min_frequency=5) and straddling_tokens(
        tokens, *span, [t.start for t in tokens])
    assert not straddled


def _straddles_one_cut_at_a_time(seg: Segmenter, text: str, start: int, end: int, min_frequency: int) -> bool:
    # may_straddle as it was first written, one span per call, for the batch form to agree with.
    endings, openings = seg._word_edges(min_frequency)
    n = len(text)
    for cut in range(start + 1, end):
        if cut < 2 or cut + 2 > n or text[cut - 2 : cut] not in endings or text[cut : cut + 2] not in openings:
            continue
        frequency = seg.dictionary.frequency
        if any(frequency(text[a:cut]) >= min_frequency for a in range(max(0, cut - 4), start)) and any(
                frequency(text[cut:b]) >= min_frequency for b in range(end + 1, min(n, cut + 4) + 1)):
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["交通", "便利", "独特", "效果", "完美", "白色", "通便", "特效", "美白", "最好", "第一",
                                 "的", "安全", "网站", "a", "1", "，"]), min_size=1, max_size=8).map("".join),
       st.lists(st.tuples(st.integers(0, 20), st.integers(1, 5)), max_size=6))
def test_straddling_asks_what_may_straddle_asks_for_each_span(text: str, spans: list[tuple[int, int]]) -> None:
    spans = [(min(a, len(text) - 1), min(len(text), min(a, len(text) - 1) + w)) for a, w in spans]
    expected = [i for i, (a, b) in enumerate(spans) if _straddles_one_cut_at_a_time(_SEG, text, a, b, 5)]
    assert _SEG.straddling(text, spans, 5) == expected
    assert [_SEG.may_straddle(text, a, b, 5) for a, b in spans] == [i in expected for i in range(len(spans))]


def test_a_second_segmenter_reuses_the_tables_the_first_parsed(seg: Segmenter) -> None:
    # Parsed once per process (an engine-only screener beside the full one reads the same tables).
    fresh = Segmenter()
    assert fresh._word_edges(5) is seg._word_edges(5)
    assert fresh._openings() is seg._openings()
    assert fresh.word_index(["第一", "安全"], 5) is seg.word_index(["安全", "第一"], 5)
    assert fresh._word_edges(5) == Segmenter()._word_edges(5)


def test_word_frequency_comes_from_the_jieba_dictionary(seg: Segmenter) -> None:
    assert seg.word_frequency("安全网") > 0
    assert seg.word_frequency("不是一个词语吧") == 0


def test_only_forms_inside_a_longer_dictionary_word_can_be_split(seg: Segmenter) -> None:
    # 第一 sits inside 第一次, 安全 inside 安全带; nothing in the dictionary holds 祛斑 or 全网第一.
    forms = ["第一", "安全", "全网第一", "祛斑", "顶级"]
    index = seg.word_index(forms, 5)
    assert {f for f in forms if f in index} == {"第一", "安全"}
    assert index.containing == seg.dictionary.containing_words(forms, 5)
    assert {"第一次", "安全带"} <= index.containing["第一"] | index.containing["安全"]
    # Only words frequent enough to suppress a hit count.
    assert not any(f in seg.word_index(forms, 10**9) for f in forms)


def test_the_index_finds_a_containing_word_only_where_it_is_in_the_text(seg: Segmenter) -> None:
    index = seg.word_index(["第一", "安全"], 5)
    text = "第一次买就回购 全网第一 系好安全带"
    assert index.holds(text, 0, 2)  # 第一次
    assert not index.holds(text, 10, 12)  # 全网第一
    assert index.holds(text, 15, 17)  # 安全带
    assert not index.holds(text, 15, 17, hi=17)  # 安全带 runs past the stretch


def test_a_hit_is_inside_a_word_only_where_that_word_is_in_the_text(seg: Segmenter) -> None:
    text = "第一次买就回购 全网第一"
    index = seg.word_index(["第一"], 5)
    for idx in (None, index):  # the automaton's walk, or the index
        assert seg.inside_a_word(text, [(0, 2)], 5, idx)  # 第一次
        assert not seg.inside_a_word(text, [(10, 12)], 5, idx)  # 全网第一: no word holds 第一 here


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["的", "面霜", "冷藏", "先", "咨询", "医生", "用", "温水", "穿", "长袖", "是", "三", "天",
                                 "内", "喝完", "不过", "看", "吃", "我们", "，", "!", "a", "1", "第一", "买"]),
                max_size=6).map("".join))
def test_the_next_word_without_the_dictionary_is_jiebas_first_word(text: str) -> None:
    # next_word answers from a table of word openings where it can; cut() always reads the
    # dictionary. The first word and its action flag must agree.
    seg = _SEG
    words = seg.cut(text)
    expected = (words[0], seg.dictionary.is_action(words[0])) if words else ("", False)
    assert seg.next_word(text) == expected


def test_the_openings_table_is_read_from_disk_once_written(seg: Segmenter) -> None:
    table = seg._openings()  # built from the dictionary if no run has cached it yet
    fresh = Segmenter()
    assert fresh._openings() == table
    assert fresh._dictionary is None  # answered from the cached table, the dictionary never loaded
    assert fresh.next_word("的面霜") == ("的", False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"最好第一次用的面霜防晒全网通，。!?abcXYZ0123%+#&._- \n\t", "\r\n", "防晒霜", "第一次"]),
                max_size=16).map("".join))
def test_cut_is_jiebas_cut_on_any_mix_of_scripts_and_spaces(text: str) -> None:
    assert _SEG.cut(text) == list(jieba.cut(text, HMM=False))


def test_a_form_may_straddle_only_at_cuts_within_reach_of_both_its_ends() -> None:
    cuts = {form: _SEG._cuts_of(form, 5) for form in ["通便", "特效", "美白", "全网第一", "祛斑", "最好"]}
    assert cuts["通便"] == (1,)
    assert all(0 < j < len(f) and j <= 3 and len(f) - j <= 3 for f, js in cuts.items() for j in js)


def test_straddle_cuts_worked_out_per_span_text_agree_with_every_cut_read_in_place() -> None:
    # Two dictionary words side by side and every span across their joint: where words meet,
    # straddles are common, so the cuts _cuts_of drops are put to the test (at the first and
    # the last character of a span, inside it, with the span's text seen before or not).
    rng = random.Random(7)
    words = sorted(w for w, _ in _SEG.dictionary.automaton.items()
                   if 2 <= len(w) <= 4 and _SEG.word_frequency(w) >= 1000)
    straddled = set()
    for _ in range(3000):
        left, right = rng.choice(words), rng.choice(words)
        text = rng.choice(["", "的", "很"]) + left + right + rng.choice(["", "了", "的"])
        joint = text.index(left) + len(left)
        spans = [(s, e) for s in range(max(0, joint - 3), joint) for e in range(joint + 1, min(len(text), joint + 3) + 1)]
        expected = [i for i, (s, e) in enumerate(spans) if _straddles_one_cut_at_a_time(_SEG, text, s, e, 5)]
        assert _SEG.straddling(text, spans, 5) == expected
        straddled.update((joint - spans[i][0], spans[i][1] - joint) for i in expected)
    # every way a cut can sit in a span was met straddling
    assert {(1, 1), (1, 3), (3, 1), (2, 2)} <= straddled
