"""The residual-risk classifier: a calibrated linear model over ``screening.model.features``.

Why a linear model stored as plain arrays: it is small (a few MB), fast (one sparse dot product
per text, no scikit-learn import at run time), and it can be loaded without unpickling anything.
scikit-learn fits it (``screening.evaluation.train``); this module only scores.

Persistence: ``risk_clf.npz`` (NumPy arrays, loaded with ``allow_pickle=False``) and
``risk_clf.card.json`` (the model card: training data, metrics, versions, and the SHA-256 of the
arrays). A file whose checksum does not match its card is refused, so a tampered or truncated
model never scores anything; the screener then runs lexicon-only and says so.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScreeningError
from .features import CHAR_DIM, FEATURIZER_VERSION, Featurizer

logger = logging.getLogger(__name__)

MODEL_FILE = "risk_clf.npz"
CARD_FILE = "risk_clf.card.json"


class ModelLoadError(ScreeningError, RuntimeError):
    """The model files are missing, corrupt, tampered with, or built for other features."""


class ModelVersionWarning(UserWarning):
    """The model was trained with another scikit-learn version than the one installed."""


def default_model_dir() -> Path:
    """The packaged models: inside the installed package, or ``models/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent  # the package, above this wing
    for candidate in (here / "models", here.parent / "models"):
        if (candidate / CARD_FILE).is_file():
            return candidate
    return here.parent / "models"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class RiskModel:
    """Weights over the feature columns, a bias, and Platt calibration ``sigmoid(a·d + b)``."""

    weights: np.ndarray
    bias: float
    platt_a: float
    platt_b: float
    engine_names: tuple[str, ...]
    card: dict[str, Any]

    @property
    def label(self) -> str:
        """``risk_clf@version``, as results report it."""
        return f"risk_clf@{self.card.get('version', 'unversioned')}"

    def engine_weights(self, featurizer: Featurizer) -> np.ndarray:
        """Weights of the engine features in the featurizer's order (unknown names weigh 0)."""
        offset = CHAR_DIM
        by_name = {n: self.weights[offset + i] for i, n in enumerate(self.engine_names)}
        return np.array([by_name.get(n, 0.0) for n in featurizer.engine_names], dtype=np.float64)

    def decision(self, idx: np.ndarray, vals: np.ndarray, engine: np.ndarray, engine_w: np.ndarray) -> float:
        """The uncalibrated score of one row."""
        return float(self.weights[idx] @ vals + engine_w @ engine + self.bias)

    def probabilities(self, decisions: Iterable[float]) -> list[float]:
        """Calibrated probability of a violation for each decision score (Platt scaling)."""
        a, b, exp = self.platt_a, self.platt_b, math.exp
        return [1.0 / (1.0 + exp(-z)) if (z := a * d + b) > -700 else 0.0 for d in decisions]

    def save(self, directory: str | Path) -> Path:
        """Write the arrays and the card (with their checksum); returns the card's path."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        arrays = d / MODEL_FILE
        with arrays.open("wb") as f:
            np.savez_compressed(
                f,
                weights=self.weights.astype(np.float32),
                scalars=np.array([self.bias, self.platt_a, self.platt_b], dtype=np.float64),
                engine_names=np.array(self.engine_names, dtype=np.str_),
            )
        card = {**self.card, "files": {MODEL_FILE: {"sha256": sha256_file(arrays), "bytes": arrays.stat().st_size}}}
        card_path = d / CARD_FILE
        card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return card_path


# A regularized logistic model over hashed n-grams has weights of a few units (the shipped one
# under 6); a value beyond this is a damaged or hand-edited file, not a model.
MAX_ABS_PARAMETER = 100.0


def load_model(directory: str | Path | None = None) -> RiskModel:
    """Load and verify a model directory (default: the packaged one).

    Raises:
        ModelLoadError: missing files, checksum mismatch, unreadable arrays, wrong shapes.
    """
    d = Path(directory) if directory is not None else default_model_dir()
    card_path, arrays = d / CARD_FILE, d / MODEL_FILE
    if not card_path.is_file() or not arrays.is_file():
        raise ModelLoadError(f"no model in {d} ({CARD_FILE} and {MODEL_FILE} are needed)")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        expected = card["files"][MODEL_FILE]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelLoadError(f"unreadable model card {card_path}: {e}") from None
    if sha256_file(arrays) != expected:
        raise ModelLoadError(f"{arrays} does not match the checksum in its card: refusing a modified model")
    if str(card.get("featurizer")) != FEATURIZER_VERSION:
        raise ModelLoadError(
            f"model built for featurizer {card.get('featurizer')!r}, this code computes {FEATURIZER_VERSION!r}"
        )
    try:
        with np.load(arrays, allow_pickle=False) as z:
            weights = z["weights"].astype(np.float64)
            bias, a, b = (float(x) for x in z["scalars"])
            names = tuple(str(n) for n in z["engine_names"])
    except Exception as e:  # any unreadable array is a corrupt model, whatever numpy raised
        raise ModelLoadError(f"unreadable model arrays {arrays}: {e}") from None
    if weights.shape != (CHAR_DIM + len(names),):
        raise ModelLoadError(f"model weights have shape {weights.shape}, expected {CHAR_DIM + len(names)}")
    # The checksum only proves the arrays are the ones the card names: a card edited along
    # with them (NaN weights, checksum recomputed) would score every text 0 and pass it.
    values = np.append(weights, (bias, a, b))
    if not np.all(np.isfinite(values)):
        raise ModelLoadError(f"{arrays}: weights or calibration are not finite numbers: refusing the model")
    if np.abs(values).max() > MAX_ABS_PARAMETER or a == 0.0:
        raise ModelLoadError(f"{arrays}: a weight or the calibration is out of bounds (|value| > "
                             f"{MAX_ABS_PARAMETER:g}, or a zero calibration slope): refusing the model")
    trained_with = str(card.get("sklearn", ""))
    try:
        # Metadata only: scoring never imports scikit-learn, which would double start-up time.
        installed = importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed and trained_with and installed.split(".")[:2] != trained_with.split(".")[:2]:
        warnings.warn(
            f"risk model was trained with scikit-learn {trained_with}, {installed} is installed; "
            "retrain with `python cli.py train` if scores look off",
            ModelVersionWarning,
            stacklevel=2,
        )
    return RiskModel(weights, bias, a, b, names, card)
