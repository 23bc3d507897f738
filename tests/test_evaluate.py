"""Evaluation metrics (screening/evaluation/evaluate.py) on small hand-made sets whose answers are known."""

from __future__ import annotations

import math
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.evaluation.evaluate import auc, format_report, score


@pytest.mark.parametrize(
    ("pos", "neg", "expected"),
    [
        ([0.9, 0.3], [0.1, 0.5], 0.75),  # 3 of the 4 pairs ranked right
        ([1.0, 1.0], [0.0], 1.0),
        ([0.0], [1.0, 0.5], 0.0),
        ([0.5], [0.5], 0.5),  # a tie counts half
        ([0.2, 0.8], [0.2, 0.4], 0.625),
        ([0.3, 0.3, 0.3], [0.3, 0.1], 0.75),
    ],
)
def test_auc_of_known_rankings(pos: list[float], neg: list[float], expected: float) -> None:
    assert auc(pos, neg) == pytest.approx(expected)


def test_auc_without_one_of_the_classes_is_undefined() -> None:
    assert math.isnan(auc([], [0.2])) and math.isnan(auc([0.2], [])) and math.isnan(auc([], []))


@given(st.lists(st.integers(0, 4), min_size=1, max_size=12), st.lists(st.integers(0, 4), min_size=1, max_size=12))
def test_auc_is_the_share_of_pairs_ranked_right_ties_half(pos: list[int], neg: list[int]) -> None:
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in product(pos, neg)]
    assert auc([p / 4 for p in pos], [n / 4 for n in neg]) == pytest.approx(sum(pairs) / len(pairs))


GOLD = [
    {"id": "a", "text": "全网第一的面霜", "label": "violation",
     "spans": [{"text": "全网第一", "category": "absolute_claim"}]},
    {"id": "b", "text": "根治脚气，三天见效", "label": "violation",
     "spans": [{"text": "根治", "category": "medical_claim"},
               {"text": "脚气"},  # no category: counted under "other"
               {"text": "不在文中", "category": "medical_claim"},  # not in the text: not counted
               {"text": "", "category": "medical_claim"}]},
    {"id": "c", "text": "纯棉短袖", "label": "ok", "spans": []},
    {"id": "d", "text": "最好冷藏", "label": "ok"},
    {"id": "e", "text": "说不清", "label": "unclear"},  # left out, as in score.py
    {"id": "f", "text": "没有预测的记录", "label": "violation"},  # no prediction: left out
]
PRED = [
    {"id": "a", "decision": "block", "risk": 0.9,
     "findings": [{"start": 0, "end": 4, "category": "absolute_claim"}]},
    {"id": "b", "decision": "pass", "risk": 0.3, "findings": [{"start": 5, "end": 9, "category": "efficacy"}]},
    {"id": "c", "decision": "pass", "risk": 0.1, "findings": [{"start": 0, "end": 2, "category": "material"}]},
    {"id": "d", "decision": "review", "risk": 0.5, "error": "timeout",
     "findings": [{"start": 0, "end": 2, "category": "absolute_claim"}, {"start": 0, "end": 1}]},
    {"id": "e", "decision": "block", "risk": 1.0, "findings": [{"start": 0, "end": 1, "category": "x"}]},
    {"id": "z", "decision": "block", "risk": 1.0},  # no gold row: ignored
]


def test_score_of_a_hand_made_set() -> None:
    m = score(GOLD, PRED)
    assert (m["n_violation"], m["n_ok"], m["blocks"], m["errors"]) == (2, 2, 1, 1)
    assert m["recall"] == m["fpr"] == m["precision"] == m["f1"] == pytest.approx(0.5)
    assert m["block_prec"] == 1.0
    assert m["span_recall"] == pytest.approx(1 / 3)
    assert m["auc"] == pytest.approx(0.75)
    assert m["per_category"] == {
        "absolute_claim": {"spans": 1, "span_found": 1, "item_flagged": 1, "false_positive_findings": 1},
        "medical_claim": {"spans": 1, "span_found": 0, "item_flagged": 0},
        "other": {"spans": 1, "span_found": 0, "item_flagged": 0, "false_positive_findings": 1},
    }
    assert list(m["per_category"]) == sorted(m["per_category"])


def test_a_span_counts_as_found_only_where_a_finding_overlaps_it() -> None:
    gold = [{"id": "1", "text": "这款面霜全网第一", "label": "violation", "spans": [{"text": "全网第一", "category": "c"}]}]

    def found(start: int, end: int) -> float:
        return score(gold, [{"id": "1", "decision": "review", "findings": [{"start": start, "end": end}]}])["span_recall"]

    assert found(4, 8) == found(3, 5) == found(7, 9) == 1.0
    assert found(2, 4) == found(8, 10) == 0.0  # touching the span is not overlapping it


def test_score_without_blocks_or_rows() -> None:
    m = score([{"id": "1", "text": "纯棉", "label": "ok"}], [{"id": "1", "decision": "pass", "risk": None}])
    assert math.isnan(m["block_prec"]) and math.isnan(m["auc"])
    assert (m["recall"], m["fpr"], m["precision"], m["span_recall"], m["f1"]) == (0.0, 0.0, 0.0, 0.0, 0.0)
    empty = score([], [])
    assert (empty["n_violation"], empty["n_ok"], empty["per_category"]) == (0, 0, {})


def test_format_report_prints_the_metrics_and_a_row_per_category() -> None:
    text = format_report(score(GOLD, PRED))
    head, blank, columns, *rows = text.split("\n")
    assert head.startswith("n_violation=2 n_ok=2 recall=0.500 fpr=0.500 precision=0.500 block_prec=1.000 blocks=1 ")
    assert "span_recall=0.333 auc=0.750 errors=1 f1=0.500" in head and "per_category" not in head
    assert blank == ""
    assert columns.split() == ["category", "spans", "found", "item", "flagged", "FP", "findings"]
    assert [r.split() for r in rows] == [["absolute_claim", "1", "1", "1", "1"], ["medical_claim", "1", "0", "0", "0"],
                                        ["other", "1", "0", "0", "1"]]
    assert len({len(r) for r in rows}) == 1  # aligned columns
