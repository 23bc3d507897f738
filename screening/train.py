"""Train and cross-validate the residual-risk classifier (needs scikit-learn: ``screening[train]``).

Training data is labeled JSONL with the fields of ../shared/data/labeled.jsonl: ``text``,
``label`` (violation / ok / unclear; unclear rows are left out), ``content_type``,
``product_category``, ``spans``. Every figure reported is cross-validated: the rows a prediction
is made for never took part in fitting the model, nor its calibration, that made it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .about import __version__
from .classifier import RiskModel
from .evaluate import score
from .features import CHAR_DIM, FEATURIZER_VERSION
from .normalize import normalize
from .pipeline import Screener
from .types import CONTENT_TYPES, PRODUCT_CATEGORIES

C_GRID = (0.5, 2.0, 8.0)


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
        from scipy import sparse  # noqa: F401
    except ImportError:
        raise ImportError('training needs scikit-learn: pip install "screening[train]"') from None
    import sklearn

    return sklearn


@dataclass(frozen=True)
class Example:
    """One labeled row."""

    id: str
    text: str
    y: int
    content_type: str
    product_category: str
    row: dict[str, Any]


def load_examples(paths: Sequence[str | Path]) -> tuple[list[Example], list[dict[str, Any]]]:
    """Read labeled JSONL files; returns the usable examples and a description of each file.

    Raises:
        ValueError: a line is not JSON or lacks ``text``/``label`` (named with file:line).
    """
    examples: list[Example] = []
    sources = []
    for path in map(Path, paths):
        raw = path.read_bytes()
        counts = {"violation": 0, "ok": 0, "unclear": 0}
        for n, line in enumerate(raw.decode("utf-8-sig").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                label = row["label"]
                text = row["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a labeled record ({e})") from None
            if label not in counts or not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}:{n}: label must be violation/ok/unclear and text non-empty")
            counts[label] += 1
            if label == "unclear":
                continue
            ct = row.get("content_type") if row.get("content_type") in CONTENT_TYPES else "listing"
            pc = row.get("product_category") if row.get("product_category") in PRODUCT_CATEGORIES else "general"
            rid = str(row.get("id") or f"{path.stem}:{n}")
            examples.append(Example(rid, text, int(label == "violation"), ct, pc, row))
        sources.append({"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), **counts})
    return examples, sources


class Design:
    """Builds the feature matrix of examples with a lexicon-only screener."""

    def __init__(self, screener: Screener) -> None:
        self.base = screener
        self.fz = screener.featurizer

    def rows(self, examples: Sequence[Example]) -> Any:
        """A CSR matrix, one row per example, columns as in ``screening.features``."""
        from scipy import sparse

        indptr, indices, data = [0], [], []
        offset = CHAR_DIM
        for ex in examples:
            norm = normalize(ex.text)
            p = self.base._pass(norm, ex.product_category, ex.content_type)
            idx, vals = self.fz.text_part(norm.text)
            eng = self.fz.engine_part(norm.text, p.findings, p.suppressed, ex.product_category, ex.content_type)
            nz = np.flatnonzero(eng)
            indices.append(np.concatenate([idx, nz + offset]))
            data.append(np.concatenate([vals, eng[nz]]))
            indptr.append(indptr[-1] + len(indices[-1]))
        return sparse.csr_matrix(
            (np.concatenate(data) if data else [], np.concatenate(indices) if indices else [], indptr),
            shape=(len(examples), offset + self.fz.n_engine),
        )


def _folds(y: np.ndarray, k: int, seed: int) -> Any:
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)


def _lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=5000)


def fit(X: Any, y: np.ndarray, *, folds: int = 5, seed: int = 0, c: float | None = None) -> tuple[np.ndarray, float, float, float, float]:
    """Fit weights and Platt calibration on ``X, y``; returns (weights, bias, a, b, C).

    C is chosen by cross-validated AUC on ``X, y`` when not given; calibration is fitted on
    cross-validated decision values, then applied to the model fitted on all of ``X``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    cv = _folds(y, folds, seed)
    best_c, best_auc, best_d = None, -1.0, None
    for cand in (c,) if c is not None else C_GRID:
        d = cross_val_predict(_lr(cand), X, y, cv=cv, method="decision_function")
        a = roc_auc_score(y, d)
        if a > best_auc:
            best_c, best_auc, best_d = cand, a, d
    platt = LogisticRegression(C=1e4, solver="lbfgs").fit(best_d.reshape(-1, 1), y)
    model = _lr(best_c).fit(X, y)
    return model.coef_.ravel(), float(model.intercept_[0]), float(platt.coef_[0, 0]), float(platt.intercept_[0]), best_c


def cross_validated_results(
    screener: Screener, examples: Sequence[Example], *, folds: int = 5, seed: int = 0, c: float | None = None
) -> list[dict[str, Any]]:
    """Whole-pipeline results for every example from a model that never saw its fold."""
    design = Design(screener)
    X = design.rows(examples)
    y = np.array([e.y for e in examples])
    results: list[dict[str, Any] | None] = [None] * len(examples)
    for train_idx, test_idx in _folds(y, folds, seed).split(np.zeros(len(y)), y):
        w, b, pa, pb, _ = fit(X[train_idx], y[train_idx], folds=folds, seed=seed, c=c)
        model = RiskModel(w, b, pa, pb, tuple(design.fz.engine_names), {"version": "cv"})
        fold = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, segmenter=screener.segmenter,
                        model=model, clock=screener.clock)
        for i in test_idx:
            ex = examples[i]
            r = fold.screen(ex.text, content_type=ex.content_type, product_category=ex.product_category, id=ex.id)
            results[i] = r.to_dict()
    return [r for r in results if r is not None]


def calibration_table(y: Sequence[int], p: Sequence[float], bins: int = 5) -> list[dict[str, float]]:
    """Predicted against observed violation rates in equal-width risk bins."""
    out = []
    yv, pv = np.asarray(y), np.asarray(p)
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        mask = (pv >= lo) & ((pv < hi) if k < bins - 1 else (pv <= hi))
        if mask.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(mask.sum()), "mean_risk": float(pv[mask].mean()),
                        "observed": float(yv[mask].mean())})
    return out


def train(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    version: str,
    description: str = "",
    folds: int = 5,
    seed: int = 0,
    screener: Screener | None = None,
) -> dict[str, Any]:
    """Train on labeled JSONL files, write the model and its card; returns the card.

    The card's metrics are cross-validated over the whole pipeline (lexicon, rules, model,
    policy) with ``folds`` folds.
    """
    sklearn = _sklearn()
    examples, sources = load_examples(paths)
    if len({e.y for e in examples}) < 2:
        raise ValueError("training needs both violation and ok rows")
    base = screener or Screener(model=None)
    design = Design(base)
    X = design.rows(examples)
    y = np.array([e.y for e in examples])
    cv_results = cross_validated_results(base, examples, folds=folds, seed=seed)
    gold = [{**e.row, "id": e.id, "label": "violation" if e.y else "ok"} for e in examples]
    metrics = score(gold, cv_results)
    risks = [r["risk"] for r in cv_results]
    weights, bias, pa, pb, c = fit(X, y, folds=folds, seed=seed)
    card = {
        "name": "risk_clf",
        "version": version,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "description": description,
        "featurizer": FEATURIZER_VERSION,
        "sklearn": sklearn.__version__,
        "screening": __version__,
        "python": platform.python_version(),
        "lexicon": base.lexicon.version,
        "rules": base.rules.version,
        "policy": base.policy.label,
        "estimator": f"LogisticRegression(C={c}, class_weight=balanced, liblinear) + Platt calibration on "
        f"{folds}-fold cross-validated decision values",
        "training_data": sources,
        "n_examples": len(examples),
        "n_violation": int(y.sum()),
        "cross_validated": {
            "folds": folds,
            "seed": seed,
            "note": "whole pipeline: each row screened by a model fitted (and calibrated) without its fold",
            "metrics": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items() if k != "per_category"},
            "per_category": metrics["per_category"],
            "calibration": calibration_table(y, risks),
        },
    }
    model = RiskModel(weights, bias, pa, pb, tuple(design.fz.engine_names), card)
    model.save(out_dir)
    return json.loads((Path(out_dir) / "risk_clf.card.json").read_text(encoding="utf-8"))
