"""Quality floors of the engine (lexicons and rules, no model) on the project's own labeled copy.

The lawful regression corpus is dense in trigger words used lawfully; it guards the
false-positive rate. dev.jsonl is what the rules were tuned on, holdout.jsonl was not looked at
while tuning; both floors sit a little under the figures measured when they were set, so a
change that makes the engine worse fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


def _rates(screener, name: str) -> tuple[float, float, list[str]]:
    rows = [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()]
    tp = fn = fp = tn = 0
    false_positives = []
    for row in rows:
        if row["label"] not in ("violation", "ok"):
            continue
        r = screener.screen(row["text"], content_type=row["content_type"], product_category=row["product_category"])
        flagged = r.decision != "pass"
        if row["label"] == "violation":
            tp += flagged
            fn += not flagged
        else:
            fp += flagged
            tn += not flagged
            if flagged:
                false_positives.append(f"{row['id']}: {[f.text for f in r.findings]}")
    return tp / max(tp + fn, 1), fp / max(fp + tn, 1), false_positives


def test_lawful_copy_full_of_trigger_words_passes(engine) -> None:
    _, fpr, fps = _rates(engine, "lawful_regression.jsonl")
    assert fpr <= 0.02, fps


@pytest.mark.parametrize(("name", "min_recall", "max_fpr"), [("dev.jsonl", 0.85, 0.05), ("holdout.jsonl", 0.65, 0.05)])
def test_recall_and_false_positive_floors(engine, name: str, min_recall: float, max_fpr: float) -> None:
    recall, fpr, fps = _rates(engine, name)
    assert recall >= min_recall
    assert fpr <= max_fpr, fps
