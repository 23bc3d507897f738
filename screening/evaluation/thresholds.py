"""Policy thresholds derived from cross-validated predictions, not set by hand.

The policy (``screening/data/policy.toml``) turns the worst finding's severity and the model's
risk into a decision. Its four thresholds are chosen here from whole-pipeline results that were
cross-validated (``python cli.py eval LABELED --cv 5 --derive-policy OUT.toml``):

- ``block_risk``: the lowest risk at which blocking a text with a clear high finding is right at
  least ``block_precision`` of the time, at that threshold and at every higher one;
- ``review_risk`` (no medium or high finding), ``finding_review_risk`` (worst finding medium) and
  ``high_review_risk`` (worst finding high, not blocked): the triple, ordered
  ``high ≤ finding ≤ review``, that flags the most violations while flagging at most
  ``max_fpr`` of the lawful texts; among equals, the fewest lawful texts, then the lowest
  thresholds.

The figures come from the same predictions the thresholds were chosen on, which is why the
policy file records the data and the figures together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ..types import SEVERITY_RANK

GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)


@dataclass(frozen=True)
class Derived:
    """Thresholds and the cross-validated figures they give on the data they came from."""

    review_risk: float
    finding_review_risk: float
    high_review_risk: float
    block_risk: float
    recall: float
    fpr: float
    block_precision: float
    blocks: int
    n_violation: int
    n_ok: int


def _rows(gold: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]],
          block_categories: frozenset[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(is violation, worst lexicon severity rank, has a clear high finding, risk) per scored row."""
    by_id = {r.get("id"): r for r in results}
    y, sev, clear, risk = [], [], [], []
    for g in gold:
        r = by_id.get(g.get("id"))
        if r is None or g.get("label") not in ("violation", "ok") or r.get("error"):
            continue
        # The model's own finding follows from the thresholds being chosen: leave it out.
        fs = [f for f in r.get("findings", []) if f.get("category") != "model_risk"]
        y.append(g["label"] == "violation")
        sev.append(max((SEVERITY_RANK[f["severity"]] for f in fs), default=0))
        clear.append(any(f["severity"] == "high" and f["category"] in block_categories for f in fs))
        risk.append(float(r.get("risk") or 0.0))
    return np.array(y, dtype=bool), np.array(sev), np.array(clear, dtype=bool), np.array(risk)


def derive(
    gold: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
    *,
    block_categories: frozenset[str],
    max_fpr: float = 0.05,
    block_precision: float = 0.97,
    min_blocks: int = 10,
) -> Derived:
    """The thresholds for cross-validated ``results`` of the ``gold`` rows (see the module doc).

    Raises:
        ValueError: no violation or no lawful row among the scored rows.
    """
    y, sev, clear, risk = _rows(gold, results, block_categories)
    if not y.any() or y.all():
        raise ValueError("deriving thresholds needs both violation and ok rows with results")
    n_pos, n_neg = int(y.sum()), int((~y).sum())

    block = 1.0
    for t in GRID[::-1]:  # from the top down: the lowest threshold whose every higher one holds too
        chosen = clear & (risk >= t)
        if chosen.sum() >= min_blocks and y[chosen].mean() < block_precision:
            break
        if chosen.sum() >= min_blocks:
            block = float(t)
    blocked = clear & (risk >= block)

    # Per severity group, violations and lawful rows flagged at each grid threshold (risk ≥ t),
    # blocked rows counted as flagged whatever the review threshold.
    def counts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = mask & ~blocked
        r_pos, r_neg = np.sort(risk[m & y]), np.sort(risk[m & ~y])
        tp = len(r_pos) - np.searchsorted(r_pos, GRID, side="left")
        fp = len(r_neg) - np.searchsorted(r_neg, GRID, side="left")
        return tp, fp

    low_tp, low_fp = counts(sev <= 1)
    med_tp, med_fp = counts(sev == 2)
    high_tp, high_fp = counts(sev == 3)
    base_tp, base_fp = int((blocked & y).sum()), int((blocked & ~y).sum())
    budget = max_fpr * n_neg
    best: tuple[Any, ...] | None = None
    n = len(GRID)
    for i in range(n):  # review_risk
        for j in range(i + 1):  # finding_review_risk ≤ review_risk
            fp_ij = base_fp + low_fp[i] + med_fp[j]
            if fp_ij > budget:
                continue
            tp_ij = base_tp + low_tp[i] + med_tp[j]
            for k in range(j + 1):  # high_review_risk ≤ finding_review_risk
                fp = fp_ij + high_fp[k]
                if fp > budget:
                    continue
                # Ties go to the lowest thresholds: what the data cannot tell apart goes to a person.
                key = (tp_ij + high_tp[k], -fp, -i, -j, -k)
                if best is None or key > best:
                    best = key
                break  # lower k flags more lawful rows and no fewer violations: the first that fits is best
    if best is None:
        raise ValueError(f"no thresholds keep the false-positive rate at or below {max_fpr}")
    tp, fp, i, j, k = int(best[0]), -int(best[1]), -int(best[2]), -int(best[3]), -int(best[4])
    blocks = int(blocked.sum())
    return Derived(
        review_risk=float(GRID[i]), finding_review_risk=float(GRID[j]), high_review_risk=float(GRID[k]),
        block_risk=block, recall=tp / n_pos, fpr=fp / n_neg,
        block_precision=float(y[blocked].mean()) if blocks else float("nan"), blocks=blocks,
        n_violation=n_pos, n_ok=n_neg,
    )


_SECTION = re.compile(r"^\[[^\]]+\]\s*$", re.M)


def write_policy(source: str | Path, out: str | Path, derived: Derived, *, data: str | Path, method: str,
                 held: Mapping[str, float] | None = None) -> None:
    """Write ``source``'s policy with ``derived``'s thresholds and a ``[decision.derivation]``
    table recording the data (path and SHA-256), the method and the figures (``held``: those
    of :func:`held_out`, recorded with a ``held_out_`` prefix).

    The TOML is edited as text so that its comments, which explain the policy, survive.
    """
    text = Path(source).read_text(encoding="utf-8")
    # Drop an earlier derivation table: from its header to the next one.
    m = re.search(r"^\[decision\.derivation\]\s*$", text, re.M)
    if m:
        nxt = _SECTION.search(text, m.end())
        text = text[: m.start()] + (text[nxt.start():] if nxt else "")
    head = _SECTION.search(text, text.index("[decision]") + len("[decision]"))
    cut = head.start() if head else len(text)
    section = text[:cut]
    for key in ("review_risk", "finding_review_risk", "high_review_risk", "block_risk"):
        line = f"{key} = {getattr(derived, key)}"
        pattern = re.compile(rf"^{key}\s*=.*$", re.M)
        if pattern.search(section, section.index("[decision]")):
            section = pattern.sub(line, section, count=1)
        else:
            section = section.replace("[decision]\n", f"[decision]\n{line}\n", 1)
    digest = hashlib.sha256(Path(data).read_bytes()).hexdigest()
    figures = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(derived).items()
               if k not in ("review_risk", "finding_review_risk", "high_review_risk", "block_risk")}
    table = ["[decision.derivation]",
             "# Written by `python cli.py eval ... --derive-policy`: the thresholds above came from these",
             "# cross-validated predictions, and give these figures on them.",
             f'data = "{Path(data).name}"', f'data_sha256 = "{digest}"', f'method = "{method}"',
             f'derived = "{date.today().isoformat()}"']
    figures.update({f"held_out_{k}": (round(v, 4) if isinstance(v, float) else v) for k, v in (held or {}).items()})
    table += [f"{k} = {v}" for k, v in figures.items()]
    Path(out).write_text(section.rstrip("\n") + "\n\n" + "\n".join(table) + "\n\n" + text[cut:].lstrip("\n"),
                         encoding="utf-8")


def held_out(
    gold: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
    group: Sequence[int],
    *,
    block_categories: frozenset[str],
    folds: int = 5,
    seed: int = 0,
    **options: Any,
) -> dict[str, float]:
    """Figures with the thresholds cross-validated too: each fold decided by thresholds derived
    from the other folds' predictions (grouped by ``group``, one number per gold row). This is
    what deriving the thresholds on the very predictions they are measured on leaves out."""
    from sklearn.model_selection import StratifiedGroupKFold

    scored = [(g, k) for g, k in zip(gold, group) if g.get("label") in ("violation", "ok")]
    rows = [g for g, _ in scored]
    y, sev, clear, risk = _rows(rows, results, block_categories)
    groups_ = np.array([k for _, k in scored])
    flagged = np.zeros(len(y), dtype=bool)
    blocked = np.zeros(len(y), dtype=bool)
    split = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr, te in split.split(np.zeros(len(y)), y, groups_):
        d = derive([rows[i] for i in tr], results, block_categories=block_categories, **options)
        th = np.where(sev[te] == 3, d.high_review_risk, np.where(sev[te] == 2, d.finding_review_risk, d.review_risk))
        blocked[te] = clear[te] & (risk[te] >= d.block_risk)
        flagged[te] = blocked[te] | (risk[te] >= th)
    return {
        "recall": float(flagged[y].mean()),
        "fpr": float(flagged[~y].mean()),
        "block_precision": float(y[blocked].mean()) if blocked.any() else float("nan"),
        "blocks": int(blocked.sum()),
    }
