"""The allow phrase a false-positive verdict proposes: the shortest words that name the lawful use."""

from __future__ import annotations

import pytest

from screening.review.proposals import shortest_phrase


def _phrase(text: str, hit: str) -> str | None:
    i = text.index(hit)
    return shortest_phrase(text, i, i + len(hit))


@pytest.mark.parametrize(
    ("text", "hit", "phrase"),
    [
        # a store name in a keyword title: the name, not the title
        ("上海第一百货 羊绒大衣 冬季新款", "第一", "上海第一百货"),
        ("上海第一百货开业大酬宾", "第一", "上海第一百货"),
        # a setting: the verb that makes it one, not the rest of the sentence
        ("音量开到最大也不破音", "最大", "开到最大"),
        # a linking 的 takes the word it links
        ("我们学校是第一中学，最好的老师", "最好", "最好的老师"),
        # the clause ends the phrase
        ("第一医院旁边的药房，步行五分钟", "第一", "第一医院"),
    ],
)
def test_the_proposal_is_the_hit_with_a_word_of_context_on_each_side(text: str, hit: str, phrase: str) -> None:
    assert _phrase(text, hit) == phrase


def test_a_hit_alone_in_its_clause_proposes_nothing() -> None:
    # the phrase would be the term itself: switching a term off is a lead's decision, not a proposal
    assert _phrase("第一！", "第一") is None
    assert _phrase("好用 第一 推荐", "第一") is None


def test_a_span_outside_the_text_proposes_nothing() -> None:
    assert shortest_phrase("最好的面霜", 3, 9) is None
