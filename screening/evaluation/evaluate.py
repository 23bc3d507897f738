"""Evaluation with the definitions of ../shared/eval/score.py, plus a table per category.

- recall: share of violation items flagged (decision review or block);
- fpr: share of ok items flagged; precision: share of flagged items that are violations;
- block_prec: share of blocked items that are violations;
- span_recall: share of gold violation spans overlapped by a finding;
- auc: ROC AUC of ``risk``, violation against ok (ties averaged).
Items labeled ``unclear`` are left out, as in score.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """ROC AUC by the rank-sum, ties averaged (as score.py computes it)."""
    if not pos or not neg:
        return float("nan")
    scores = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum = 0.0
    i, n = 0, len(scores)
    while i < n:
        j = i
        while j < n and scores[j][0] == scores[i][0]:
            j += 1
        avg = (i + j + 1) / 2.0
        rank_sum += avg * sum(1 for k in range(i, j) if scores[k][1] == 1)
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg))


def score(gold: Sequence[dict[str, Any]], pred: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The score.py metrics of predictions ``pred`` (contract results) against ``gold`` rows."""
    by_id = {p.get("id"): p for p in pred}
    tp = fp = fn = tn = blocks = block_tp = span_hit = span_total = errors = 0
    pos, neg = [], []
    per_category: dict[str, Counter[str]] = {}
    for g in gold:
        p = by_id.get(g.get("id"))
        if p is None or g.get("label") not in ("violation", "ok"):
            continue
        errors += bool(p.get("error"))
        flagged = p.get("decision") in ("review", "block")
        viol = g["label"] == "violation"
        risk = float(p.get("risk") or 0.0)
        if viol:
            pos.append(risk)
            tp += flagged
            fn += not flagged
            text = g.get("text", "")
            for s in g.get("spans", []):
                start = text.find(s.get("text", ""))
                if start < 0 or not s.get("text"):
                    continue
                end = start + len(s["text"])
                span_total += 1
                hit = any(f.get("start", -1) < end and f.get("end", -1) > start for f in p.get("findings", []))
                span_hit += hit
                row = per_category.setdefault(s.get("category", "other"), Counter())
                row["spans"] += 1
                row["span_found"] += hit
                row["item_flagged"] += flagged
        else:
            neg.append(risk)
            fp += flagged
            tn += not flagged
        if p.get("decision") == "block":
            blocks += 1
            block_tp += viol
    gold_by_id = {g.get("id"): g for g in gold}
    for p in pred:
        g = gold_by_id.get(p.get("id"))
        if g is None or g.get("label") != "ok" or p.get("decision") == "pass":
            continue
        for f in p.get("findings", []):
            per_category.setdefault(f.get("category", "other"), Counter())["false_positive_findings"] += 1
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return {
        "n_violation": tp + fn,
        "n_ok": fp + tn,
        "recall": recall,
        "fpr": fp / max(fp + tn, 1),
        "precision": precision,
        "block_prec": block_tp / blocks if blocks else float("nan"),
        "blocks": blocks,
        "span_recall": span_hit / max(span_total, 1),
        "auc": auc(pos, neg),
        "errors": errors,
        "f1": 2 * precision * recall / max(precision + recall, 1e-9),
        "per_category": {k: dict(v) for k, v in sorted(per_category.items())},
    }


def format_report(m: dict[str, Any]) -> str:
    """The metrics as a few lines of text, with the table per category."""
    head = " ".join(
        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items() if k != "per_category"
    )
    lines = [head, "", f"{'category':24s} {'spans':>6s} {'found':>6s} {'item flagged':>13s} {'FP findings':>12s}"]
    for cat, row in m["per_category"].items():
        lines.append(
            f"{cat:24s} {row.get('spans', 0):6d} {row.get('span_found', 0):6d} {row.get('item_flagged', 0):13d} "
            f"{row.get('false_positive_findings', 0):12d}"
        )
    return "\n".join(lines)
