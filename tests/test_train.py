"""Training: units not texts, grouped folds, and the project's own data in training only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from screening import Screener
from screening.evaluation.train import Design, Example, groups
from screening.model.features import units

pytest.importorskip("sklearn")


def _ex(rid: str, text: str, label: str, spans: tuple[str, ...] = (), weight: float = 1.0) -> Example:
    row = {"id": rid, "text": text, "label": label, "spans": [{"text": s, "category": "medical_claim"} for s in spans]}
    return Example(rid, text, int(label == "violation"), "listing", "general", row, weight)


def test_claims_of_one_case_notice_and_repeated_texts_share_a_group() -> None:
    g = groups([
        _ex("case7-c0", "三天根治脚气", "violation"),
        _ex("case7-c1", "无效退款", "violation"),
        _ex("r1", "纯棉T恤，舒适透气！", "ok"),
        _ex("r2", "纯棉T恤 舒适透气", "ok"),  # the same text once punctuation is gone
        _ex("r3", "不锈钢保温杯", "ok"),
    ])
    assert g[0] == g[1]
    assert g[2] == g[3]
    assert len({g[0], g[2], g[4]}) == 3


def test_a_violation_trains_on_the_units_holding_its_claim_only() -> None:
    carrier = "这款保温杯采用不锈钢内胆，容量500毫升，适合上班族日常使用。"
    claim = "喝了三天就能降血压"
    examples = [
        _ex("v", carrier + claim + "。" + carrier, "violation", spans=(claim,)),
        _ex("short", "祛痘一次见效", "violation"),  # no span given: its only unit is the claim
        _ex("ok", carrier, "ok", weight=0.5),
    ]
    design = Design(Screener(model=None), examples)
    u, y, w = design.training_units(np.arange(3))
    texts = {}
    for unit, label, weight in zip(u, y, w):
        k = int(design.owner[unit])
        texts.setdefault(k, []).append((label, weight))
    # The claim's unit is the violation's one positive; its lawful carrier units are left out.
    assert texts[0] == [(1, 1.0)]
    assert texts[1] == [(1, 1.0)]
    assert texts[2] and all(label == 0 and weight == 0.5 for label, weight in texts[2])
    # A text's score is its riskiest unit's.
    decision = np.arange(len(design.owner), dtype=float)
    assert design.text_scores(decision, np.array([0, 2])).tolist() == [
        float(np.flatnonzero(design.owner == 0).max()), float(np.flatnonzero(design.owner == 2).max())]


def test_units_are_as_long_alone_as_inside_a_long_page() -> None:
    claim = "喝了三天就能降血压"
    page = "。".join(["这款保温杯采用不锈钢内胆,容量500毫升,适合上班族日常使用"] * 10 + [claim, "颜色有黑白两款"])
    assert claim in [page[a:b] for a, b in units(page)]
    assert [claim[a:b] for a, b in units(claim)] == [claim]


def test_cross_validated_figures_never_score_the_extra_rows(tmp_path: Path) -> None:
    from screening.evaluation.train import cross_validated_results, load_examples

    corpus = Path(__file__).parent / "corpus"
    examples, _ = load_examples([corpus / "dev.jsonl"])
    extra, _ = load_examples([Path(__file__).parents[1] / "models" / "training" / "extra.jsonl"], weight=0.3)
    results = cross_validated_results(Screener(model=None), examples, extra=extra, folds=3)
    assert [r["id"] for r in results] == [e.id for e in examples]
    assert all(0.0 <= r["risk"] <= 1.0 for r in results)
    flagged = {r["id"] for r in results if r["decision"] != "pass"}
    pos = {e.id for e in examples if e.y}
    # Far better than chance on rows no fold's model saw.
    assert len(flagged & pos) / len(pos) >= 0.7
    assert json.dumps(results, ensure_ascii=False)
