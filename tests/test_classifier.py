"""The residual-risk model: calibrated, safe to load, and never a crash when it is missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from screening import Screener
from screening.model.classifier import (
    CARD_FILE,
    MODEL_FILE,
    ModelLoadError,
    ModelVersionWarning,
    default_model_dir,
    load_model,
)
from screening.model.features import CHAR_DIM, char_ngram_ids

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    shutil.copytree(default_model_dir(), d, ignore=shutil.ignore_patterns("training", "*.md"))
    return d


def test_packaged_model_loads_small_and_reports_its_version(screener) -> None:
    model = load_model()
    assert screener.versions["model"] == model.label and model.label.startswith("risk_clf@")
    assert (default_model_dir() / MODEL_FILE).stat().st_size < 20 * 1024 * 1024
    card = model.card
    assert card["training_data"] and all(len(src["sha256"]) == 64 for src in card["training_data"])
    assert card["cross_validated"]["folds"] >= 5 and card["sklearn"]


def test_risk_is_a_probability_that_ranks(screener) -> None:
    lawful = screener.screen("纯棉短袖T恤 夏季 男女同款", product_category="general")
    claim = screener.screen("这款茶降血压，喝三天就见效，全网第一", product_category="food")
    assert 0.0 <= lawful.risk < claim.risk <= 1.0


def test_the_model_alone_flags_a_claim_with_no_listed_term(screener) -> None:
    claim = "腰疼了十年，戴了一个礼拜就能下地干活了"
    # The claim inside an ordinary script: the finding is on the claim's sentence, not the page.
    text = f"家人们晚上好，今天给大家带来这款护腰带。{claim}！尺码有M和L两个，拍的时候备注身高体重。"
    r = screener.screen(text, content_type="live_script", product_category="general")
    assert r.decision == "review"
    (f,) = r.findings
    assert (f.category, f.detector, f.severity) == ("model_risk", "model", "medium")
    assert text[f.start : f.end] == f.text == claim
    assert f.confidence == r.risk >= screener.policy.review_risk


def test_a_tampered_model_is_refused_and_screening_degrades(model_copy: Path, screener) -> None:
    arrays = model_copy / MODEL_FILE
    data = bytearray(arrays.read_bytes())
    data[len(data) // 2] ^= 0xFF
    arrays.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the checksum"):
        load_model(model_copy)
    s = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, model=model_copy)
    assert s.model is None and s.versions["model"].startswith("unavailable (")
    r = s.screen("国家级工艺")
    assert r.decision == "block" and r.risk == 0.9  # the policy's severity path and placeholder


def test_missing_or_corrupt_files_degrade_never_crash(tmp_path: Path, model_copy: Path, screener) -> None:
    with pytest.raises(ModelLoadError, match="no model"):
        load_model(tmp_path / "nothing")
    (model_copy / CARD_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="unreadable model card"):
        load_model(model_copy)
    s = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, model=tmp_path / "nothing")
    assert "lexicon-only" in s.versions["model"]
    assert s.screen("纯棉短袖").decision == "pass"


def test_a_pickle_disguised_as_arrays_is_not_loaded(model_copy: Path) -> None:
    import pickle

    arrays = model_copy / MODEL_FILE
    arrays.write_bytes(pickle.dumps({"weights": np.zeros(3)}))
    card = json.loads((model_copy / CARD_FILE).read_text(encoding="utf-8"))
    import hashlib

    card["files"][MODEL_FILE]["sha256"] = hashlib.sha256(arrays.read_bytes()).hexdigest()
    (model_copy / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="unreadable model arrays"):
        load_model(model_copy)


def _rewrite_consistently(model_copy: Path, edit) -> None:
    """Edit the arrays and recompute the checksum beside them, as a careful attacker would."""
    import hashlib

    arrays = model_copy / MODEL_FILE
    with np.load(arrays) as z:
        data = {k: z[k].copy() for k in z.files}
    edit(data)
    with arrays.open("wb") as f:
        np.savez(f, **data)
    card = json.loads((model_copy / CARD_FILE).read_text(encoding="utf-8"))
    card["files"][MODEL_FILE]["sha256"] = hashlib.sha256(arrays.read_bytes()).hexdigest()
    (model_copy / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["weights"].__setitem__(0, np.nan),
        lambda d: d["weights"].__setitem__(slice(None), np.nan),
        lambda d: d["scalars"].__setitem__(1, np.inf),
        lambda d: d["weights"].__setitem__(5, 1e6),
        lambda d: d["scalars"].__setitem__(1, 0.0),
    ],
    ids=["one-nan", "all-nan", "inf-slope", "huge-weight", "zero-slope"],
)
def test_a_consistently_edited_model_with_impossible_weights_is_refused(model_copy: Path, edit, screener) -> None:
    load_model(model_copy)  # the copy is sound before the edit
    _rewrite_consistently(model_copy, edit)
    with pytest.raises(ModelLoadError, match="refusing the model"):
        load_model(model_copy)
    s = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, model=model_copy)
    assert s.model is None and s.screen("全网最好的面霜").decision != "pass"


def test_another_sklearn_version_warns(model_copy: Path) -> None:
    card = json.loads((model_copy / CARD_FILE).read_text(encoding="utf-8"))
    card["sklearn"] = "0.1.0"
    (model_copy / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.1.0"):
        load_model(model_copy)


def test_char_ngram_hashing_is_stable() -> None:
    ids = char_ngram_ids("最好的")
    assert len(ids) == 3 + 2 + 1 and ids.max() < CHAR_DIM and ids.min() >= 0
    assert (char_ngram_ids("最好的") == ids).all()
    assert CHAR_DIM < load_model().weights.size


def test_calibration_on_held_out_folds() -> None:
    """Risk bins against observed violation rates, on rows the model never saw."""
    pytest.importorskip("sklearn")
    from screening.evaluation.train import calibration_table, cross_validated_results, load_examples

    examples, _ = load_examples([CORPUS / "dev.jsonl", CORPUS / "holdout.jsonl", CORPUS / "lawful_regression.jsonl"])
    results = cross_validated_results(Screener(model=None), examples, folds=5)
    table = calibration_table([e.y for e in examples], [r["risk"] for r in results])
    populated = [row for row in table if row["n"] >= 30]
    assert len(populated) >= 2
    for row in populated:
        assert abs(row["mean_risk"] - row["observed"]) <= 0.15, table
