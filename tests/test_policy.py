"""The decision policy table: each outcome and route, with real findings and explicit risks."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from screening import PolicyError, Screener
from screening.policy import Policy
from screening.types import LEXICON_CATEGORIES

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)  # 10:00 in Asia/Shanghai


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def _findings(engine, text: str, **kw):
    return engine.screen(text, **kw).findings


# Risks are given relative to the policy's derived thresholds ("above"/"below" the one that
# applies), so the table states the policy's logic whatever the data put the numbers at.
@pytest.mark.parametrize(
    ("text", "kw", "where", "decision", "severity"),
    [
        ("这款茶降血压，喝了就见效", {"product_category": "food"}, ("block_risk", +1), "block", "high"),  # clear, model sure
        ("这款茶降血压，喝了就见效", {"product_category": "food"}, ("block_risk", -1), "review", "high"),  # a person decides
        ("这是最好的洗发水", {"product_category": "cosmetics"}, ("finding_review_risk", +1), "review", "medium"),
        ("这是最好的洗发水", {"product_category": "cosmetics"}, ("finding_review_risk", -1), "pass", "medium"),
        ("全网同款 纯棉T恤", {}, ("review_risk", -1), "pass", "low"),
        ("纯棉短袖T恤", {}, ("review_risk", -1), "pass", "none"),
    ],
)
def test_outcomes(engine, policy: Policy, text, kw, where, decision, severity) -> None:
    name, side = where
    if side < 0 and getattr(policy, name) == 0.0:
        pytest.skip(f"the derived policy has {name} = 0: no risk is below it")
    risk = round(min(max(getattr(policy, name) + 0.01 * side, 0.0), 1.0), 4)
    d = policy.decide(_findings(engine, text, **kw), risk=risk, content_type="listing",
                      product_category=kw.get("product_category", "general"), now=NOW)
    assert (d.decision, d.severity, d.risk) == (decision, severity, risk)
    assert (d.route is None) == (decision == "pass")


def test_thresholds_are_ordered_and_record_their_derivation(policy: Policy) -> None:
    assert 0.0 <= policy.high_review_risk <= policy.finding_review_risk <= policy.review_risk <= 1.0
    assert policy.block_risk > policy.finding_review_risk
    d = policy.derivation
    assert d["data"] and len(d["data_sha256"]) == 64 and "cross-validation" in d["method"]
    assert d["block_precision"] >= 0.97 and d["fpr"] <= 0.05


def test_a_high_finding_passes_only_below_high_review_risk() -> None:
    raw = {"name": "t", "version": "1", "decision": {"high_review_risk": 0.05, "block_risk": 0.9,
                                                       "block_categories": list(LEXICON_CATEGORIES),
                                                       "without_model": {"none": "pass", "low": "pass",
                                                                         "medium": "review", "high": "block"}},
           "risk": {"none": 0.05, "low": 0.2, "medium": 0.6, "high": 0.9},
           "routing": {ct: "content_review" for ct in ("listing", "ad", "live_script", "short_video", "post")},
           "sla_hours": {ct: 24 for ct in ("listing", "ad", "live_script", "short_video", "post")}}
    p = Policy(raw)
    findings = Screener(model=None).screen("根治脚气", product_category="drug").findings
    assert any(f.severity == "high" for f in findings)
    assert p.decide(findings, risk=0.04, content_type="ad", product_category="drug", now=NOW).decision == "pass"
    assert p.decide(findings, risk=0.05, content_type="ad", product_category="drug", now=NOW).decision == "review"
    assert p.decide(findings, risk=0.95, content_type="ad", product_category="drug", now=NOW).decision == "block"


def test_model_alone_sends_to_review_above_its_threshold(policy: Policy) -> None:
    assert policy.model_flags(policy.review_risk, [])
    assert not policy.model_flags(policy.review_risk - 0.01, [])


@pytest.mark.parametrize(
    ("text", "kw", "role", "hours", "due"),
    [
        ("这是最好的洗发水", {"content_type": "listing"}, "merchant_compliance", 24, "2026-11-22T10:00:00+08:00"),
        ("这是最好的洗发水", {"content_type": "ad"}, "merchant_compliance", 24, "2026-11-22T10:00:00+08:00"),
        ("家人们这是最好的洗发水", {"content_type": "live_script"}, "content_review", 12, "2026-11-21T22:00:00+08:00"),
        ("这是最好的洗发水", {"content_type": "short_video"}, "content_review", 2, "2026-11-21T12:00:00+08:00"),
        ("这是最好的洗发水", {"content_type": "post"}, "content_review", 24, "2026-11-22T10:00:00+08:00"),
        ("本品可治疗失眠", {"product_category": "health_food"}, "risk_control", 24, None),
        ("保本保息，年化收益8%", {"product_category": "finance"}, "legal", 24, None),
        ("国家机关特供茶", {"product_category": "food"}, "legal", 24, None),
    ],
)
def test_routes_and_deadlines_in_the_policy_time_zone(engine, policy: Policy, text, kw, role, hours, due) -> None:
    ct = kw.get("content_type", "listing")
    pc = kw.get("product_category", "general")
    d = policy.decide(_findings(engine, text, content_type=ct, product_category=pc), risk=0.9, content_type=ct,
                      product_category=pc, now=NOW)
    assert d.route.role == role and d.route.sla_hours == hours
    if due:
        assert d.route.due_at == due


def test_without_a_model_the_severity_decides(engine, policy: Policy) -> None:
    d = policy.decide(_findings(engine, "国家级工艺"), risk=None, content_type="listing", product_category="general",
                      now=NOW)
    assert (d.decision, d.risk) == ("block", 0.9)


def test_an_invalid_policy_names_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text('name = "x"\nversion = "1"\ntimezone = "Mars/Base"\n[decision]\nblock_risk = "high"\n',
                   encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        Policy.load(bad)
    assert "unknown timezone" in str(e.value) and "thresholds must be numbers" in str(e.value)
