"""Policy thresholds come from cross-validated predictions: the most recall within the false-positive
budget, and a block threshold that is right often enough at and above it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from screening.engine.policy import Policy
from screening.evaluation.thresholds import derive, write_policy

BLOCKING = frozenset({"medical_claim", "absolute_claim"})


def _finding(severity: str, category: str = "absolute_claim") -> dict:
    return {"severity": severity, "category": category, "start": 0, "end": 2}


def _rows(spec: list[tuple[str, str | None, float]]) -> tuple[list[dict], list[dict]]:
    """(label, worst finding severity or None, risk) → gold rows and results."""
    gold, results = [], []
    for i, (label, severity, risk) in enumerate(spec):
        gold.append({"id": f"r{i}", "label": label, "text": "文案"})
        findings = [_finding(severity)] if severity else []
        # A model finding the policy added must not count as the lexicon's severity.
        findings.append({"severity": "medium", "category": "model_risk", "start": 0, "end": 2})
        results.append({"id": f"r{i}", "risk": risk, "findings": findings, "decision": "review"})
    return gold, results


def test_review_thresholds_flag_the_most_violations_within_the_budget() -> None:
    # 20 lawful texts with no finding at risks 0.00..0.19 and 10 violations at 0.15..0.24:
    # with a 10 % budget two lawful texts may be flagged, so review_risk is 0.18.
    spec = [("ok", None, i / 100) for i in range(20)] + [("violation", None, 0.15 + i / 100) for i in range(10)]
    d = derive(*_rows(spec), block_categories=BLOCKING, max_fpr=0.1)
    assert d.review_risk == pytest.approx(0.18)
    assert d.fpr == pytest.approx(2 / 20)
    assert d.recall == pytest.approx(7 / 10)


def test_severities_get_their_own_thresholds_in_order() -> None:
    # Medium findings are violations down to risk 0.05, lawful below 0.02; with no finding,
    # lawful texts reach 0.49 and the one violation is at 0.6.
    spec = ([("violation", "medium", 0.05 + i / 100) for i in range(10)]
            + [("ok", "medium", 0.01 + i / 1000) for i in range(10)]
            + [("ok", None, 0.3 + i / 100) for i in range(20)] + [("violation", None, 0.6)])
    d = derive(*_rows(spec), block_categories=BLOCKING, max_fpr=0.0)
    # The lowest thresholds that flag no lawful text: just above the lawful medium texts' risks.
    assert d.finding_review_risk == pytest.approx(0.02)
    assert d.review_risk == pytest.approx(0.5)
    assert d.high_review_risk <= d.finding_review_risk <= d.review_risk
    assert d.recall == 1.0 and d.fpr == 0.0


def test_block_threshold_holds_its_precision_at_every_higher_risk() -> None:
    # Clear high findings: violations at 0.80..0.99, one lawful text at 0.95 among them.
    spec = [("violation", "high", 0.80 + i / 100) for i in range(20)] + [("ok", "high", 0.95)]
    d = derive(*_rows(spec), block_categories=BLOCKING, block_precision=0.97, min_blocks=3)
    # At 0.95 and below the lawful text is blocked with at most 5 violations… but 1/6 > 3 %;
    # from 0.96 up only violations remain.
    assert d.block_risk == pytest.approx(0.96)
    assert d.block_precision == 1.0 and d.blocks == 4


def test_no_block_threshold_without_enough_sure_blocks() -> None:
    spec = [("violation", "high", 0.99), ("ok", "high", 0.99), ("ok", None, 0.1)]
    d = derive(*_rows(spec), block_categories=BLOCKING, min_blocks=1)
    assert d.block_risk == 1.0 and d.blocks == 0 and math.isnan(d.block_precision)


def test_one_class_only_is_an_error() -> None:
    with pytest.raises(ValueError, match="both"):
        derive(*_rows([("ok", None, 0.1)]), block_categories=BLOCKING)


def test_written_policy_keeps_its_comments_and_records_where_the_thresholds_came_from(tmp_path: Path) -> None:
    spec = [("ok", None, i / 100) for i in range(20)] + [("violation", "high", 0.9 + i / 100) for i in range(10)]
    d = derive(*_rows(spec), block_categories=BLOCKING, max_fpr=0.1, min_blocks=3)
    data = tmp_path / "labeled.jsonl"
    data.write_text('{"id": "r0"}\n', encoding="utf-8")
    source = Path(__file__).parents[1] / "screening" / "data" / "policy.toml"
    out = tmp_path / "policy.toml"
    write_policy(source, out, d, data=data, method="5-fold grouped CV")
    p = Policy.load(out)
    assert (p.review_risk, p.finding_review_risk, p.high_review_risk, p.block_risk) == (
        d.review_risk, d.finding_review_risk, d.high_review_risk, d.block_risk)
    assert p.derivation["data"] == "labeled.jsonl" and len(p.derivation["data_sha256"]) == 64
    assert p.derivation["recall"] == pytest.approx(d.recall, abs=1e-4)
    assert "# Review deadlines" in out.read_text(encoding="utf-8")
    # Writing again replaces the derivation rather than adding a second one.
    write_policy(out, out, d, data=data, method="again")
    assert out.read_text(encoding="utf-8").count("\n[decision.derivation]\n") == 1
    assert Policy.load(out).derivation["method"] == "again"


def test_held_out_thresholds_are_derived_without_the_fold_they_decide() -> None:
    pytest.importorskip("sklearn")
    from screening.evaluation.thresholds import held_out

    # Separable: lawful texts below 0.3, violations above 0.6 — any fold's thresholds separate them.
    spec = [("ok", None, 0.01 * (i % 30)) for i in range(60)] + [("violation", "medium", 0.6 + 0.01 * i) for i in range(30)]
    gold, results = _rows(spec)
    h = held_out(gold, results, list(range(len(gold))), block_categories=BLOCKING, folds=3)
    assert (h["recall"], h["fpr"], h["blocks"]) == (1.0, 0.0, 0)
    # One violation far below every lawful text cannot be caught by thresholds learnt elsewhere.
    gold, results = _rows(spec + [("violation", None, 0.0)])
    assert held_out(gold, results, list(range(len(gold))), block_categories=BLOCKING, folds=3)["recall"] < 1.0
