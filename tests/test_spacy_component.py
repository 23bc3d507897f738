"""The spaCy component: spans and doc._.compliance agree with the screener, in one process or many."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import pickle
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

spacy = pytest.importorskip("spacy")

from spacy import displacy  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

from screening import Screener  # noqa: E402
from screening.integrations.spacy_component import FACTORY, ComplianceScreen  # noqa: E402
from screening.types import CATEGORIES, Finding  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXED_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CONTRACT_KEYS = {"id", "decision", "risk", "severity", "findings", "route", "versions", "error"}
FINDING_KEYS = {"term", "term_id", "severity", "basis", "suggestion", "explanation", "confidence"}

COSMETICS = "全网第一的面霜，7天美白"
LAWFUL = "第一次用就爱上了，最好冷藏"
FULLWIDTH = "ＮＯ．１爆款"
TRADITIONAL = "國家級品質，最佳選擇"
TEXTS = [COSMETICS, LAWFUL, FULLWIDTH, TRADITIONAL, "", "这款面霜根治痘痘，无效退款"]


def _nlp(**config: Any) -> Language:
    nlp = spacy.blank("zh")
    nlp.add_pipe(FACTORY, config=config)
    return nlp


def _component(nlp: Language) -> ComplianceScreen:
    comp = nlp.get_pipe(FACTORY)
    assert isinstance(comp, ComplianceScreen)
    return comp


def _fix_clock(nlp: Language) -> Screener:
    screener = _component(nlp).screener
    screener.clock = lambda: FIXED_NOW
    return screener


@pytest.fixture(scope="module")
def nlp() -> Language:
    """Lexicon-only, cosmetics by default, with a fixed clock so results compare exactly."""
    nlp = _nlp(model="none", product_category="cosmetics")
    _fix_clock(nlp)
    return nlp


def _view(doc: Doc) -> dict[str, Any]:
    """What a caller reads off a Doc, minus the clock-dependent deadline."""
    result = {**doc._.compliance}
    if result["route"]:
        result["route"] = {k: v for k, v in result["route"].items() if k != "due_at"}
    spans = [
        (s.start_char, s.end_char, s.text, s.label_, s.id_, s.kb_id_, s._.finding) for s in doc.spans["compliance"]
    ]
    return {"result": result, "spans": spans}


def _assert_spans_match_findings(doc: Doc) -> None:
    findings = doc._.compliance["findings"]
    spans = list(doc.spans["compliance"])
    assert len(spans) == len(findings)
    for span, f in zip(spans, findings):
        assert span.text == doc.text[span.start_char : span.end_char] == f["text"]
        assert (span.start_char, span.end_char) == (f["start"], f["end"])
        assert span.label_ == f["category"] and span.label_ in CATEGORIES
        assert span.kb_id_ == span.id_ == f["term_id"]
        assert span._.finding == f
        assert FINDING_KEYS <= set(span._.finding)


# ---------------------------------------------------------------------------- registration / import
def test_factory_is_registered() -> None:
    assert FACTORY in spacy.registry.factories
    assert Language.has_factory(FACTORY)


def test_importing_screening_does_not_import_spacy() -> None:
    code = "import sys, screening; assert 'spacy' not in sys.modules, 'spacy imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


def test_component_without_spacy_says_how_to_install() -> None:
    code = (
        "import sys; sys.modules['spacy'] = None\n"
        "try:\n    import screening.integrations.spacy_component\n"
        "except ImportError as e:\n    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert 'pip install "screening[spacy]"' in proc.stdout


def test_adding_the_pipe_is_cheap_and_initialize_builds_the_screener() -> None:
    nlp = _nlp(model="none")
    comp = _component(nlp)
    assert comp._screener is None
    nlp.initialize()
    assert comp._screener is not None


def test_bad_config_value_fails_at_add_pipe() -> None:
    with pytest.raises(ValueError, match="product_category"):
        _nlp(product_category="cosmetic")


# ---------------------------------------------------------------------------- findings on the Doc
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (COSMETICS, [("全网第一", "absolute_claim"), ("7天美白", "efficacy_exaggeration")]),
        (FULLWIDTH, [("ＮＯ．１", "absolute_claim"), ("爆款", "other")]),
        (TRADITIONAL, [("國家級", "absolute_claim"), ("最佳選擇", "absolute_claim")]),
    ],
)
def test_findings_become_labelled_spans(nlp: Language, text: str, expected: list[tuple[str, str]]) -> None:
    doc = nlp(text)
    assert [(s.text, s.label_) for s in doc.spans["compliance"]] == expected
    _assert_spans_match_findings(doc)
    assert doc._.compliance["decision"] in ("review", "block")


def test_lawful_text_has_no_spans(nlp: Language) -> None:
    doc = nlp(LAWFUL)
    assert list(doc.spans["compliance"]) == []
    assert doc._.compliance["decision"] == "pass"
    assert doc._.compliance["findings"] == []


def test_doc_extension_is_the_contract_result(nlp: Language) -> None:
    doc = nlp(COSMETICS)
    expected = _component(nlp).screener.screen(COSMETICS, product_category="cosmetics").to_dict()
    assert set(doc._.compliance) == CONTRACT_KEYS
    assert doc._.compliance == expected
    assert doc._.compliance["versions"]["model"].startswith("none")


def test_user_data_overrides_the_config(nlp: Language) -> None:
    doc = nlp.make_doc(COSMETICS)
    doc.user_data.update({"product_category": "general", "content_type": "live_script", "id": "sku-7"})
    doc = nlp(doc)
    expected = _component(nlp).screener.screen(COSMETICS, content_type="live_script", id="sku-7").to_dict()
    assert doc._.compliance == expected
    assert doc._.compliance["id"] == "sku-7"
    _assert_spans_match_findings(doc)


def test_pipe_screens_in_batches_with_the_results_of_one_by_one(nlp: Language) -> None:
    texts = [COSMETICS, LAWFUL, "", "加绒卫衣 宽松百搭 男女同款", COSMETICS + "，全网第一"] * 3
    piped = list(nlp.pipe(texts, batch_size=4))
    assert [d.text for d in piped] == texts
    def undated(result: dict) -> dict:  # due_at follows the clock; the rest must be identical
        return {**result, "route": result["route"] and {**result["route"], "due_at": None}}

    for doc, text in zip(piped, texts):
        alone = nlp(text)
        assert undated(doc._.compliance) == undated(alone._.compliance)
        assert [(s.start_char, s.end_char, s.label_) for s in doc.spans["compliance"]] == [
            (s.start_char, s.end_char, s.label_) for s in alone.spans["compliance"]]


@pytest.mark.parametrize("text", ["", "  \n "])
def test_empty_text_gets_the_error_result(nlp: Language, text: str) -> None:
    doc = nlp(text)
    expected = _component(nlp).screener.error_result(None, "text is empty", "listing", "cosmetics").to_dict()
    assert doc._.compliance == expected
    assert doc._.compliance["decision"] == "review"
    assert list(doc.spans["compliance"]) == []


def test_unknown_value_in_user_data_gets_an_error_result(nlp: Language) -> None:
    doc = nlp.make_doc(COSMETICS)
    doc.user_data["content_type"] = "tv_shopping"
    doc = nlp(doc)
    assert doc._.compliance["decision"] == "review"
    assert "tv_shopping" in doc._.compliance["error"]


def test_every_finding_is_kept_even_without_tokens(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding no token covers stays in doc._.compliance; two findings on the same characters
    each keep their own span._.finding (values set on spans would be keyed by offsets only)."""
    screener = _component(nlp).screener
    text = "最好 \n 第一"
    real = screener.screen_record({"text": text, "product_category": "cosmetics"})
    base = real.findings[0]
    extra = (
        dataclasses.replace(base, category="other", term_id="TEST-1", term="最好的"),
        Finding(2, 3, " ", " ", "TEST-2", "other", "low", "测试", None, "lexicon", 0.5, "只有空白"),
    )
    faked = dataclasses.replace(real, findings=real.findings + extra)
    monkeypatch.setattr(screener, "screen_record", lambda record: faked)
    doc = nlp(text)
    findings = doc._.compliance["findings"]
    assert [f["term_id"] for f in findings][-2:] == ["TEST-1", "TEST-2"]
    spans = list(doc.spans["compliance"])
    assert len(spans) == len(findings) - 1
    assert [s._.finding for s in spans] == findings[:-1]
    assert spans[0].text == spans[-1].text == "最好" and spans[0]._.finding != spans[-1]._.finding


def test_default_model() -> None:
    nlp = _nlp(content_type="ad")
    screener = _fix_clock(nlp)
    doc = nlp(TRADITIONAL)
    assert not doc._.compliance["versions"]["model"].startswith(("none", "unavailable"))
    assert doc._.compliance == screener.screen(TRADITIONAL, content_type="ad").to_dict()
    _assert_spans_match_findings(doc)


# ---------------------------------------------------------------------------- outside the process
def test_pickling_keeps_the_config_not_the_screener(nlp: Language) -> None:
    comp = _component(nlp)
    assert comp._screener is not None
    state = pickle.dumps(comp)
    assert len(state) < 2000
    copy = pickle.loads(state)
    assert copy._screener is None
    assert (copy.model, copy.product_category, copy.spans_key) == ("none", "cosmetics", "compliance")


@pytest.fixture(params=[m for m in ("fork", "spawn") if m in mp.get_all_start_methods()])
def start_method(request: pytest.FixtureRequest) -> Iterator[str]:
    """spaCy starts workers with the default start method; spawn pickles the pipeline."""
    before = mp.get_start_method(allow_none=True)
    mp.set_start_method(request.param, force=True)
    yield request.param
    mp.set_start_method(before, force=True)


def test_pipe_with_two_processes_matches_one(nlp: Language, start_method: str) -> None:
    def inputs() -> list[str | Doc]:
        doc = nlp.make_doc(COSMETICS)
        doc.user_data.update({"product_category": "general", "id": "sku-9"})
        return [*TEXTS, doc]

    single = [_view(d) for d in nlp.pipe(inputs())]
    multi = [_view(d) for d in nlp.pipe(inputs(), n_process=2, batch_size=2)]
    assert multi == single
    assert [v["result"]["decision"] for v in multi] == ["block", "pass", "review", "block", "review", "block", "block"]
    assert multi[-1]["result"]["id"] == "sku-9"
    assert all(v["spans"] for v in multi if v["result"]["findings"])


def test_saved_pipeline_loads_from_its_config(nlp: Language, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.config["components"][FACTORY] == nlp.config["components"][FACTORY]
    doc = loaded(COSMETICS)
    assert [s.text for s in doc.spans["compliance"]] == ["全网第一", "7天美白"]


def test_displacy_shows_findings(nlp: Language) -> None:
    doc = nlp(COSMETICS)
    html = displacy.render(doc, style="span", options={"spans_key": "compliance"})
    assert "absolute_claim" in html and "efficacy_exaggeration" in html
    assert all(ch in html for ch in "全网第一7天美白")
    parsed = displacy.parse_spans(doc, {"spans_key": "compliance"})
    marked = [("".join(parsed["tokens"][s["start_token"] : s["end_token"]]), s["label"]) for s in parsed["spans"]]
    assert marked == [("全网第一", "absolute_claim"), ("7天美白", "efficacy_exaggeration")]
