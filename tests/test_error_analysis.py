"""Error analysis: every false positive and miss lands in the right groups, counted once, and the
reports show ids (text) or escaped copy (HTML). Gold rows and results are built here by hand."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import TINY
from screening.evaluation import error_analysis as ea
from screening.cli import cli

REVIEW_RISK = 0.25  # the policy's finding_review_risk, as the tests want it
SCRIPT = "<script>alert(1)</script>"


def finding(term: str, term_id: str, severity: str, *, detector: str = "lexicon", rule: str | None = None,
            category: str = "absolute_claim") -> dict[str, Any]:
    f = {"start": 0, "end": len(term), "text": term, "term": term, "term_id": term_id, "category": category,
         "severity": severity, "detector": detector}
    if rule:
        f["rule"] = rule
    return f


MODEL = {"start": 0, "end": 4, "text": "", "term": "", "term_id": "", "category": "model_risk",
         "severity": "medium", "detector": "model"}


def result(rid: str, decision: str, findings: list[dict[str, Any]] = (), *, risk: float = 0.5,
           suppressed: list[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"id": rid, "decision": decision, "risk": risk, "findings": list(findings), "error": None,
            "suppressed": list(suppressed)}


def gold(rid: str, label: str, text: str, *, ct: str = "listing", pc: str = "general", kind: str = "title",
         spans: list[dict[str, str]] = ()) -> dict[str, Any]:
    return {"id": rid, "label": label, "text": text, "content_type": ct, "product_category": pc,
            "source_kind": kind, "spans": list(spans)}


GOLD = [
    gold("v1", "violation", "这款面霜是全网最好用的", pc="cosmetics",
         spans=[{"text": "全网最好", "category": "absolute_claim"}]),
    gold("v2", "violation", "这款枕头能根治失眠", ct="ad", kind="regulator_case",
         spans=[{"text": "根治失眠", "category": "medical_claim"}]),
    gold("v3", "violation", "销量第一的面霜", pc="cosmetics", kind="regulator_case",
         spans=[{"text": "销量第一", "category": "absolute_claim"}]),
    gold("v4", "violation", "全网最低价，仅此一天", ct="ad", kind="regulator_case",
         spans=[{"text": "仅此一天", "category": "price_fraud"}]),
    gold("v5", "violation", "最好的面霜", pc="cosmetics"),
    gold("o1", "ok", "最近买的洗发水还不错", ct="post", kind="review"),
    gold("o2", "ok", f"{SCRIPT}最好的礼物", ct="post", kind="review"),
    gold("o3", "ok", "开封后最好冷藏，口感最佳", pc="food"),
    gold("o4", "ok", "手感很好，回购第三次", ct="post", kind="review"),
    gold("o5", "ok", "安全无刺激的配方", pc="cosmetics"),
    gold("u1", "unclear", "第一次用就爱上了"),
    gold("o6", "ok", "纯棉短袖"),  # no result: left out, as score() does
]
RESULTS = [
    result("v1", "pass", risk=0.1),
    result("v2", "pass", risk=0.2, suppressed=[{"term": "根治", "term_id": "MED-0002", "text": "根治",
                                                   "rule": "negation", "reason": "否定"}]),
    result("v3", "pass", [finding("第一", "ABS-0002", "medium")], risk=0.1),
    result("v4", "pass", [finding("全网", "ABS-0006", "low")], risk=0.2),
    result("v5", "review", [finding("最好", "ABS-0001", "medium")]),
    result("o1", "pass", risk=0.05),
    result("o2", "review", [finding("最好", "ABS-0001", "medium")]),
    result("o3", "block", [finding("最好", "ABS-0001", "medium"), finding("最佳", "ABS-0005", "high")], risk=0.9),
    result("o4", "review", [MODEL], risk=0.6),
    result("o5", "review", [finding("安全", "ABS-0012", "low", rule="advice"), MODEL], risk=0.45),
    result("u1", "review", [finding("第一", "ABS-0002", "medium")]),
]


@pytest.fixture(scope="module")
def analysis() -> ea.ErrorAnalysis:
    return ea.analyse(GOLD, RESULTS, finding_review_risk=REVIEW_RISK)


def rows(a: ea.ErrorAnalysis, kind: str, name: str) -> dict[str, ea.GroupRow]:
    return {r.key: r for r in a.table(kind, name).rows}


def test_errors_are_the_flagged_ok_and_passed_violations(analysis: ea.ErrorAnalysis) -> None:
    assert analysis.false_positives == ["o2", "o3", "o4", "o5"]
    assert analysis.misses == ["v1", "v2", "v3", "v4"]


def test_decision_paths_name_the_cause(analysis: ea.ErrorAnalysis) -> None:
    fp = {k: r.ids for k, r in rows(analysis, ea.FALSE_POSITIVE, "path").items()}
    assert fp == {ea.FP_MEDIUM_REVIEW: ["o2"], ea.FP_BLOCK: ["o3"], ea.FP_MODEL_ONLY: ["o4"],
                  ea.FP_MODEL_OVER_LOW: ["o5"]}
    miss = {k: r.ids for k, r in rows(analysis, ea.MISS, "path").items()}
    assert miss == {ea.MISS_NO_HIT: ["v1"], ea.MISS_SUPPRESSED: ["v2"], ea.MISS_MODEL_VETO: ["v3"],
                    ea.MISS_LOW: ["v4"]}


def test_a_medium_finding_passed_above_the_threshold_is_the_policy_not_the_model() -> None:
    r = result("x", "pass", [finding("第一", "ABS-0002", "medium")], risk=0.6)
    assert ea.miss_path(r, REVIEW_RISK) == ea.MISS_MEDIUM
    assert ea.miss_path({**r, "risk": 0.1}, REVIEW_RISK) == ea.MISS_MODEL_VETO


def test_a_high_finding_passes_only_where_the_model_vetoed_it() -> None:
    r = result("x", "pass", [finding("根治", "MED-0002", "high", category="medical_claim")], risk=0.01)
    assert ea.miss_path(r, REVIEW_RISK, high_review_risk=0.03) == ea.MISS_MODEL_VETO_HIGH
    # With high_review_risk 0 a passed high finding can only be a policy that passes it.
    assert ea.miss_path(r, REVIEW_RISK) == ea.MISS_HIGH


def test_fp_terms_count_texts_and_the_sole_reason(analysis: ea.ErrorAnalysis) -> None:
    terms = rows(analysis, ea.FALSE_POSITIVE, "term")
    best = terms["最好 (ABS-0001)"]
    # In o2 and o3; the sole reason only in o2 (o3 was blocked for its high 最佳).
    assert (best.count, best.only, best.ids) == (2, 1, ["o2", "o3"])
    assert (terms["最佳 (ABS-0005)"].count, terms["最佳 (ABS-0005)"].only) == (1, 1)
    # The low 安全 rode along the model's finding: it fired, but was not the reason.
    assert (terms["安全 (ABS-0012)"].count, terms["安全 (ABS-0012)"].only) == (1, 0)
    assert terms["(no lexicon term: model or error)"].ids == ["o4"]
    assert analysis.table(ea.FALSE_POSITIVE, "term").rows[0].key == "最好 (ABS-0001)"


def test_fp_rules_and_detectors(analysis: ea.ErrorAnalysis) -> None:
    rules = rows(analysis, ea.FALSE_POSITIVE, "rule")
    assert rules["advice"].ids == ["o5"] and rules["advice"].detail == "安全 (ABS-0012)×1"
    assert rules["(no rule)"].ids == ["o2", "o3"]
    assert rules["(no lexicon finding)"].ids == ["o4"]
    det = rows(analysis, ea.FALSE_POSITIVE, "detector")
    assert (det["lexicon"].count, det["lexicon"].only) == (3, 2)
    assert (det["model"].count, det["model"].only) == (2, 2)


def test_miss_terms_and_rules_name_what_was_dropped(analysis: ea.ErrorAnalysis) -> None:
    terms = rows(analysis, ea.MISS, "term")
    assert terms["根治 (MED-0002)"].detail == "dropped:negation×1"
    assert terms["第一 (ABS-0002)"].detail == "kept:medium×1"
    assert terms[ea.MISS_NO_HIT].ids == ["v1"]
    rules = rows(analysis, ea.MISS, "rule")
    assert rules["negation"].ids == ["v2"] and rules[ea.MISS_NO_HIT].ids == ["v1"]
    assert sorted(rules["(no rule: a finding was kept)"].ids) == ["v3", "v4"]
    cats = rows(analysis, ea.MISS, "gold_category")
    assert cats["absolute_claim"].ids == ["v1", "v3"]


def test_every_error_is_counted_once_per_table(analysis: ea.ErrorAnalysis) -> None:
    for t in analysis.tables:
        errors = analysis.false_positives if t.kind == ea.FALSE_POSITIVE else analysis.misses
        counts = [r.count for r in t.rows]
        assert counts == sorted(counts, reverse=True), t.title
        for r in t.rows:
            assert r.count == len(r.ids) == len(set(r.ids)) and r.examples == r.ids[:3]
        seen = Counter(i for r in t.rows for i in r.ids)
        if t.multi:
            # in at least one row, never twice in a row; at most one sole reason per error
            assert set(seen) == set(errors), t.title
            assert sum(r.only or 0 for r in t.rows) <= len(errors)
            assert all((r.only or 0) <= r.count for r in t.rows)
        else:
            assert seen == Counter(errors), t.title


def test_ties_sort_by_key_and_fields_come_from_the_gold_rows(analysis: ea.ErrorAnalysis) -> None:
    ct = analysis.table(ea.FALSE_POSITIVE, "content_type").rows
    assert [(r.key, r.count) for r in ct] == [("listing", 2), ("post", 2)]
    pc = analysis.table(ea.MISS, "product_category").rows
    assert [(r.key, r.count) for r in pc] == [("cosmetics", 2), ("general", 2)]
    assert [r.key for r in analysis.table(ea.MISS, "source_kind").rows] == ["regulator_case", "title"]


def test_source_kind_table_only_when_the_gold_has_it() -> None:
    bare = [{k: v for k, v in g.items() if k != "source_kind"} for g in GOLD]
    a = ea.analyse(bare, RESULTS, finding_review_risk=REVIEW_RISK)
    assert not any(t.name == "source_kind" for t in a.tables)


def test_text_shows_ids_not_copy(analysis: ea.ErrorAnalysis) -> None:
    out = ea.format_text(analysis)
    assert "false positives: 4" in out and "misses: 4" in out
    assert "o2 o3" in out and "最好 (ABS-0001)" in out
    assert "礼物" not in out and "script" not in out


def test_html_is_self_contained_and_escapes_copy(analysis: ea.ErrorAnalysis) -> None:
    page = ea.render_html(analysis, title="<b>标题</b>")
    assert page.startswith("<!DOCTYPE html>")
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;最好的礼物" in page
    assert "<b>标题</b>" not in page and "&lt;b&gt;标题&lt;/b&gt;" in page
    assert "<script" not in page and "<link" not in page and "http" not in page


def test_json_and_jsonl_carry_every_row(analysis: ea.ErrorAnalysis) -> None:
    d = json.loads(json.dumps(analysis.to_dict(), ensure_ascii=False))
    assert (d["n_false_positive"], d["n_miss"]) == (4, 4)
    lines = [json.loads(x) for x in ea.to_jsonl(analysis).splitlines()]
    assert len(lines) == sum(len(t.rows) for t in analysis.tables)
    assert {"kind": "miss", "table": "rule", "key": "negation"}.items() <= lines[
        next(i for i, x in enumerate(lines) if x["table"] == "rule" and x["key"] == "negation")].items()


def test_cli_eval_errors_on_a_small_labeled_file(tmp_path: Path) -> None:
    src = tmp_path / "labeled.jsonl"
    rows_ = [
        {"id": "a", "text": "这款面霜是全网最好用的", "label": "violation", "content_type": "listing",
         "product_category": "cosmetics", "source_kind": "title"},
        {"id": "b", "text": "这个面霜用了皮肤白得发光", "label": "violation", "product_category": "cosmetics"},
        {"id": "c", "text": "最近买的洗发水还不错", "label": "ok", "content_type": "post"},
        {"id": "d", "text": f"{SCRIPT}这是最好的礼物", "label": "ok", "content_type": "post"},
        {"id": "e", "text": "第一季度销量上涨", "label": "ok"},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows_), encoding="utf-8")
    lex = ["--lexicons", str(TINY), "--no-model"]
    html_out = tmp_path / "errors.html"
    r = CliRunner().invoke(cli, ["eval", str(src), "--errors", "-o", str(html_out), *lex], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "recall=0.500" in r.stdout and "false positives: 1" in r.stdout and "misses: 1" in r.stdout
    assert "最好 (ABS-0001)" in r.stdout and ea.MISS_NO_HIT in r.stdout
    page = html_out.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in page and SCRIPT not in page

    r = CliRunner().invoke(cli, ["eval", str(src), "--errors", "--json", *lex], catch_exceptions=False)
    d = json.loads(r.stdout)
    assert d["recall"] == 0.5 and d["error_analysis"]["n_false_positive"] == 1
    assert d["error_analysis"]["n_miss"] == 1 and d["errors"] == 0  # the metric keeps its name
    path = next(t for t in d["error_analysis"]["tables"] if t["kind"] == "miss" and t["name"] == "path")
    assert path["rows"] == [{"key": ea.MISS_NO_HIT, "count": 1, "only": None, "detail": "", "examples": ["b"],
                             "ids": ["b"]}]

    r = CliRunner().invoke(cli, ["eval", str(src), "--json", *lex], catch_exceptions=False)
    assert "error_analysis" not in json.loads(r.stdout)  # unchanged without --errors
    assert CliRunner().invoke(cli, ["eval", str(src), "-o", str(tmp_path / "x.csv"), *lex]).exit_code == 2
