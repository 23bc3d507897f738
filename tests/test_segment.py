"""Segmentation around hits is jieba's own (HMM off), from a faster-loading dictionary."""

from __future__ import annotations

import logging

import jieba
import pytest

from screening.segment import Segmenter, containing_token

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


def test_word_frequency_comes_from_the_jieba_dictionary(seg: Segmenter) -> None:
    assert seg.word_frequency("安全网") > 0
    assert seg.word_frequency("不是一个词语吧") == 0


def test_only_forms_inside_a_longer_dictionary_word_can_be_split(seg: Segmenter) -> None:
    # 第一 sits inside 第一次, 安全 inside 安全带; nothing in the dictionary holds 祛斑 or 全网第一.
    forms = ["第一", "安全", "全网第一", "祛斑", "顶级"]
    assert seg.inside_words(forms, 5) == seg.dictionary.inside_words(forms, 5) == {"第一", "安全"}
    # Only words frequent enough to suppress a hit count.
    assert seg.inside_words(forms, 10**9) == frozenset()


def test_a_hit_is_inside_a_word_only_where_that_word_is_in_the_text(seg: Segmenter) -> None:
    text = "第一次买就回购 全网第一"
    assert seg.inside_a_word(text, [(0, 2)], 5)  # 第一次
    assert not seg.inside_a_word(text, [(10, 12)], 5)  # 全网第一: no word holds 第一 here
