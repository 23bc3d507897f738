"""Train and cross-validate the residual-risk classifier (needs scikit-learn: ``screening[train]``).

Training data is labeled JSONL with the fields of ../shared/data/labeled.jsonl: ``text``,
``label`` (violation / ok / unclear; unclear rows are left out), ``content_type``,
``product_category``, ``spans``. Every figure reported is cross-validated: the rows a prediction
is made for never took part in fitting the model, nor its calibration, that made it.

Three choices keep the figures honest and the model from learning length:

- **units, not texts**: the model scores the units of :func:`screening.model.features.units` and a
  text's risk is its riskiest unit's. A violation's positive units are those holding one of its
  labeled ``spans`` (all its units when no span is found in the text); its other units are left
  out, since they are neither claims nor known to be lawful. Every unit of a lawful text is a
  negative;
- **grouped folds**: claims quoted from one case notice (ids ``CASE-c0``, ``CASE-c1`` …) and
  texts that are the same once punctuation is dropped fall in one group, and a group never
  straddles folds;
- **two kinds of data**: ``data`` rows are the real copy the figures are about; ``extra`` rows
  (the project's own writing) are in every fold's training set with a weight, and never scored;
- **no base rates of the file**: the content type and product category features are not fitted
  (``UNFITTED``), since the labeled file's mix of them is not a catalogue's.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..about import __version__
from ..engine.normalize import normalize
from ..model.classifier import RiskModel
from ..model.features import CHAR_DIM, FEATURIZER_VERSION
from ..screener import Screener, pass_units
from ..types import CONTENT_TYPES, PRODUCT_CATEGORIES
from .evaluate import score

C_DEFAULT = 8.0
EXTRA_WEIGHT = 0.3
# Engine features the model is not fitted on: the labeled file's content types and product
# categories carry its own base rates (most of its live-script lines and drug claims are
# violations, quoted from case notices), which a catalogue does not share; fitted, they made
# every ordinary live-script line look risky.
UNFITTED = ("pc:", "ct:")
_CASE_ID = re.compile(r"^(.+)-c\d+$")
# Called with one line per training step (folds, fits) when given: ``train --data`` prints them on
# stderr, since a training run takes minutes.
Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """The default progress: say nothing."""


_NOT_WORD = re.compile(r"\W+")


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
    weight: float = 1.0


def load_examples(paths: Sequence[str | Path], weight: float = 1.0) -> tuple[list[Example], list[dict[str, Any]]]:
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
            examples.append(Example(rid, text, int(label == "violation"), ct, pc, row, weight))
        sources.append({"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), **counts})
    return examples, sources


def groups(examples: Sequence[Example]) -> np.ndarray:
    """A group number per example: one case notice's claims, and texts equal up to punctuation,
    share a group (union-find over both keys)."""
    parent = list(range(len(examples)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, ex in enumerate(examples):
        m = _CASE_ID.match(ex.id)
        keys = ["text:" + _NOT_WORD.sub("", normalize(ex.text).text)]
        if m:
            keys.append("case:" + m.group(1))
        for key in keys:
            j = first.setdefault(key, i)
            parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(examples))]
    _, numbered = np.unique(roots, return_inverse=True)
    return numbered


class Design:
    """The unit rows of examples, featurized once with a lexicon-only screener.

    ``X`` has one CSR row per unit; ``owner[u]`` is the example a unit belongs to and
    ``positive[u]`` whether it holds a labeled span of a violation (see the module doc).
    """

    def __init__(self, screener: Screener, examples: Sequence[Example]) -> None:
        from scipy import sparse

        self.base = screener
        self.fz = screener.featurizer
        fitted = np.array([not n.startswith(UNFITTED) for n in self.fz.engine_names])
        indptr, indices, data = [0], [], []
        owner: list[int] = []
        positive: list[bool] = []
        for k, ex in enumerate(examples):
            p = screener.adjudicator.adjudicate(normalize(ex.text), ex.product_category, ex.content_type)
            spans = _span_offsets(ex)
            for _, (oa, ob), text, fs, ss in pass_units(p):
                idx, vals = self.fz.text_part(text)
                eng = self.fz.engine_part(text, fs, ss, ex.product_category, ex.content_type)
                nz = np.flatnonzero(eng * fitted)
                indices.append(np.concatenate([idx, nz + CHAR_DIM]))
                data.append(np.concatenate([vals, eng[nz]]))
                indptr.append(indptr[-1] + len(indices[-1]))
                owner.append(k)
                positive.append(any(s < ob and e > oa for s, e in spans))
        self.X = sparse.csr_matrix(
            (np.concatenate(data) if data else [], np.concatenate(indices) if indices else [], indptr),
            shape=(len(owner), CHAR_DIM + self.fz.n_engine),
        )
        self.owner = np.array(owner, dtype=np.int64)
        self.positive = np.array(positive, dtype=bool)
        self.y = np.array([e.y for e in examples], dtype=np.int64)
        self.weight = np.array([e.weight for e in examples], dtype=np.float64)

    def training_units(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit indices, unit labels and unit weights for training on examples ``rows``."""
        chosen = np.zeros(len(self.y), dtype=bool)
        chosen[rows] = True
        in_rows = chosen[self.owner]
        viol = self.y[self.owner] == 1
        # A violation whose spans were found in none of its units lends every unit its label.
        has_pos = np.zeros(len(self.y), dtype=bool)
        has_pos[self.owner[self.positive]] = True
        pos = viol & (self.positive | ~has_pos[self.owner])
        keep = in_rows & (~viol | pos)
        u = np.flatnonzero(keep)
        return u, pos[u].astype(np.int64), self.weight[self.owner[u]]

    def text_scores(self, decision: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each example's score from its units' ``decision`` (given for all units): the maximum."""
        best = np.full(len(self.y), -np.inf)
        np.maximum.at(best, self.owner, decision)
        return best[rows]


def _span_offsets(ex: Example) -> list[tuple[int, int]]:
    out = []
    if ex.y != 1:
        return out
    for s in ex.row.get("spans") or []:
        t = s.get("text") if isinstance(s, dict) else None
        if t:
            i = ex.text.find(t)
            if i >= 0:
                out.append((i, i + len(t)))
    return out


def _folds(y: np.ndarray, g: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    return list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, g))


def _lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=5000)


def _fit_units(design: Design, rows: np.ndarray, c: float) -> Any:
    u, yu, wu = design.training_units(rows)
    return _lr(c).fit(design.X[u], yu, sample_weight=wu)


def fit(design: Design, rows: np.ndarray, g: np.ndarray, *, folds: int = 5, seed: int = 0,
        c: float = C_DEFAULT) -> tuple[np.ndarray, float, float, float]:
    """Fit unit weights on examples ``rows`` and a Platt calibration of text scores; returns
    (weights, bias, a, b).

    The calibration is fitted on text scores cross-validated within ``rows`` (grouped folds),
    then applied to the model fitted on all of them.
    """
    from sklearn.linear_model import LogisticRegression

    y = design.y[rows]
    held = np.zeros(len(rows))
    for tr, te in _folds(y, g[rows], folds, seed):
        model = _fit_units(design, rows[tr], c)
        held[te] = design.text_scores(model.decision_function(design.X), rows[te])
    platt = LogisticRegression(C=1e4, solver="lbfgs").fit(held.reshape(-1, 1), y,
                                                          sample_weight=design.weight[rows])
    model = _fit_units(design, rows, c)
    return model.coef_.ravel(), float(model.intercept_[0]), float(platt.coef_[0, 0]), float(platt.intercept_[0])


def fold_screeners(
    screener: Screener,
    examples: Sequence[Example],
    *,
    extra: Sequence[Example] = (),
    folds: int = 5,
    seed: int = 0,
    c: float = C_DEFAULT,
    design: Design | None = None,
    progress: Progress = _quiet,
) -> list[tuple[Screener, list[int]]]:
    """One screener per grouped fold, with a model fitted (and calibrated) without the fold, and
    the indices of the ``examples`` it may score. ``extra`` examples join every fold's training
    set and are never in a fold; ``design``, if given, is theirs (examples first). ``progress``
    gets a line per fold."""
    everything = [*examples, *extra]
    if design is None:
        progress(f"featurizing {len(everything):,} texts (lexicon and rules pass)")
        design = Design(screener, everything)
    g = groups(everything)
    n = len(examples)
    extra_rows = np.arange(n, len(everything))
    out = []
    splits = _folds(design.y[:n], g[:n], folds, seed)
    for k, (train_idx, test_idx) in enumerate(splits, 1):
        progress(f"fold {k}/{len(splits)}: fitting on {len(train_idx) + len(extra_rows):,} texts "
                 f"({folds + 1} fits: {folds} for the calibration, 1 for the model)")
        w, b, pa, pb = fit(design, np.concatenate([train_idx, extra_rows]), g, folds=folds, seed=seed, c=c)
        model = RiskModel(w, b, pa, pb, tuple(design.fz.engine_names), {"version": "cv"})
        fold = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, segmenter=screener.segmenter,
                        model=model, clock=screener.clock)
        out.append((fold, [int(i) for i in test_idx]))
    return out


def cross_validated_results(
    screener: Screener,
    examples: Sequence[Example],
    *,
    extra: Sequence[Example] = (),
    folds: int = 5,
    seed: int = 0,
    c: float = C_DEFAULT,
    design: Design | None = None,
    progress: Progress = _quiet,
) -> list[dict[str, Any]]:
    """Whole-pipeline results for every example, each from a model that never saw its group."""
    results: list[dict[str, Any] | None] = [None] * len(examples)
    screeners = fold_screeners(screener, examples, extra=extra, folds=folds, seed=seed, c=c, design=design,
                               progress=progress)
    for k, (fold, test_idx) in enumerate(screeners, 1):
        progress(f"fold {k}/{len(screeners)}: screening its {len(test_idx):,} held-out texts")
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


def gold_rows(examples: Sequence[Example]) -> list[dict[str, Any]]:
    """The examples as score.py's gold rows."""
    return [{**e.row, "id": e.id, "label": "violation" if e.y else "ok"} for e in examples]


def train(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    version: str,
    extra_paths: Sequence[str | Path] = (),
    extra_weight: float = EXTRA_WEIGHT,
    description: str = "",
    folds: int = 5,
    seed: int = 0,
    c: float = C_DEFAULT,
    screener: Screener | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Train on labeled JSONL files, write the model and its card; returns the card.

    The card's metrics are cross-validated over the whole pipeline (lexicon, rules, model,
    policy) with ``folds`` grouped folds of the ``paths`` rows; ``extra_paths`` rows train with
    ``extra_weight`` and are not scored. ``progress`` gets one line per step: reading,
    featurizing, each fold's fitting and screening, the final fit, writing.
    """
    sklearn = _sklearn()
    examples, sources = load_examples(paths)
    extra, extra_sources = load_examples(extra_paths, weight=extra_weight)
    progress(f"read {len(examples):,} labeled texts (--data) and {len(extra):,} extra texts")
    if len({e.y for e in examples + extra}) < 2:
        raise ValueError("training needs both violation and ok rows")
    base = screener or Screener(model=None)
    everything = [*examples, *extra]
    progress(f"featurizing {len(everything):,} texts (lexicon and rules pass)")
    design = Design(base, everything)
    cv_results = cross_validated_results(base, examples, extra=extra, folds=folds, seed=seed, c=c, design=design,
                                         progress=progress)
    metrics = score(gold_rows(examples), cv_results)
    g = groups(everything)
    progress(f"final model: fitting on all {len(everything):,} texts ({folds + 1} fits)")
    weights, bias, pa, pb = fit(design, np.arange(len(everything)), g, folds=folds, seed=seed, c=c)
    y = [e.y for e in examples]
    risks = [r["risk"] for r in cv_results]
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
        "estimator": f"LogisticRegression(C={c}, class_weight=balanced, liblinear) over units, a text scored by "
        f"its riskiest unit; Platt calibration on {folds}-fold grouped cross-validated text scores",
        "training_data": [{**s, "role": "data", "weight": 1.0} for s in sources]
        + [{**s, "role": "extra", "weight": extra_weight} for s in extra_sources],
        "n_examples": len(everything),
        "n_violation": int(sum(e.y for e in everything)),
        "cross_validated": {
            "folds": folds,
            "seed": seed,
            "grouped": "case notice id (CASE-cN) and text equal up to punctuation",
            "note": "whole pipeline on the role=data rows: each row screened by a model fitted (and calibrated) "
            "without its group; role=extra rows are in every fold's training set and never scored",
            "metrics": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items() if k != "per_category"},
            "per_category": metrics["per_category"],
            "calibration": calibration_table(y, risks),
        },
    }
    model = RiskModel(weights, bias, pa, pb, tuple(design.fz.engine_names), card)
    progress(f"writing {Path(out_dir) / 'risk_clf.npz'} and its model card")
    model.save(out_dir)
    return json.loads((Path(out_dir) / "risk_clf.card.json").read_text(encoding="utf-8"))
