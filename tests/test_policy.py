"""The decision policy table: each outcome and route, with real findings and explicit risks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from screening import PolicyError, Screener
from screening.engine.policy import Policy
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


def test_nothing_found_passes_below_review_risk_and_goes_to_review_at_it(policy: Policy) -> None:
    # A batch decides most texts this way; the decision is shared between risks that round alike.
    if policy.review_risk < 0.01:
        pytest.skip("the derived policy has review_risk near 0: no risk is below it")
    half = round(policy.review_risk / 2, 4)
    below = [policy.review_risk - x for x in (0.01, 0.00001, 0.000001)] + [0.0, half, half + 0.00004, half + 0.00005]
    for risk in below:
        d = policy.decide((), risk=risk, content_type="post", product_category="food", now=NOW)
        assert (d.decision, d.severity, d.risk, d.route) == ("pass", "none", round(risk, 4), None), risk
    a, b = (policy.decide((), risk=r, content_type="ad", product_category="general", now=NOW)
            for r in (half + 0.00001, half + 0.00004))
    assert a is b
    at = policy.decide((), risk=policy.review_risk, content_type="listing", product_category="general", now=NOW)
    assert (at.decision, at.severity, at.risk) == ("review", "none", round(policy.review_risk, 4))
    assert at.route is not None
    low = [replace(f, severity="low") for f in Screener(model=None).screen("全网第一").findings]
    assert policy.decide(low, risk=0.0, content_type="listing", product_category="general", now=NOW).severity == "low"


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


# --- Boundaries and settings, one assertion per way the policy could be misread -----------------

def _raw(**over) -> dict:
    """A complete, valid policy as a dict; keyword arguments replace top-level sections."""
    raw = {"name": "t", "version": "1",
           "decision": {"without_model": {"none": "pass", "low": "pass", "medium": "review", "high": "block"}},
           "risk": {"none": 0.05, "low": 0.2, "medium": 0.6, "high": 0.9},
           "routing": {"listing": "merchant_compliance", "ad": "merchant_compliance", "live_script": "content_review",
                       "short_video": "content_review", "post": "content_review"},
           "sla_hours": {"listing": 10, "ad": 24, "live_script": 12, "short_video": 2, "post": 24, "complaint": 72}}
    raw.update(over)
    return raw


def _decision(**kw) -> dict:
    d = {"without_model": {"none": "pass", "low": "pass", "medium": "review", "high": "block"}}
    d.update(kw)
    return d


def _finding(severity: str, category: str = "absolute_claim", term: str = "最好"):
    from screening.types import Finding

    return Finding(start=0, end=len(term), text=term, term=term, term_id="T-1", category=category, severity=severity,
                   basis="", suggestion=None, detector="lexicon", confidence=0.9, explanation="")


def _problems(raw: dict, source: str | None = None) -> list[str]:
    with pytest.raises(PolicyError) as e:
        Policy(raw) if source is None else Policy(raw, source)
    msg = str(e.value)
    head, _, rest = msg.partition(": ")
    return [head, *rest.split("; ")]


def test_every_threshold_is_inclusive_at_exactly_its_value() -> None:
    p = Policy(_raw(decision=_decision(block_risk=0.5, finding_review_risk=0.5, review_risk=0.5, high_review_risk=0.5,
                                       block_categories=["medical_claim"])))
    high_clear = [_finding("high", "medical_claim")]
    high_unclear = [_finding("high", "absolute_claim")]  # not a block category: never blocks

    def dec(findings, risk):
        return p.decide(findings, risk=risk, content_type="listing", product_category="general", now=NOW).decision

    assert dec(high_clear, 0.5) == "block" and dec(high_clear, 0.4999) == "pass"
    assert dec(high_unclear, 0.5) == "review" and dec(high_unclear, 1.0) == "review"
    assert dec([_finding("medium")], 0.5) == "review" and dec([_finding("medium")], 0.4999) == "pass"
    assert dec([_finding("low")], 0.5) == "review" and dec([_finding("low")], 0.4999) == "pass"
    assert dec([], 0.5) == "review" and dec([], 0.4999) == "pass"
    assert p.model_flags(0.5, []) and not p.model_flags(0.4999, [])
    assert p.model_flags(0.9, [_finding("low")]) and not p.model_flags(0.9, [_finding("medium")])


def test_without_a_model_more_findings_at_the_worst_level_raise_risk_but_never_above_one(engine) -> None:
    p = Policy(_raw())

    def risk(findings):
        return p.decide(findings, risk=None, content_type="listing", product_category="general", now=NOW).risk

    assert risk([_finding("low"), _finding("low")]) == 0.22
    assert risk([_finding("high"), _finding("high"), _finding("low")]) == 0.92
    assert risk([_finding("high")] + [_finding("medium")] * 5) == 0.9  # only the worst level counts
    assert risk([]) == 0.05
    # Findings without a severity add nothing (the placeholder of "none" stays as it is).
    assert risk([_finding("none"), _finding("none")]) == 0.05
    ten = engine.screen("国家级" * 10)
    assert len(ten.findings) == 10 and 0.9 < ten.risk <= 0.99
    assert Policy.load().decide(ten.findings, risk=None, content_type="listing", product_category="general",
                                now=NOW).risk == 0.99


def test_a_model_risk_is_reported_rounded_to_four_places() -> None:
    d = Policy(_raw()).decide([], risk=0.123456, content_type="listing", product_category="general", now=NOW)
    assert d.risk == 0.1235


def test_due_times_are_worked_out_per_clock_reading_and_deadline() -> None:
    p = Policy(_raw())
    later = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
    assert p.route("low", content_type="listing", product_category="general", now=NOW).due_at == \
        "2026-11-21T20:00:00+08:00"
    assert p.route("low", content_type="listing", product_category="general", now=later).due_at == \
        "2026-11-22T20:00:00+08:00"
    assert p.route("low", content_type="short_video", product_category="general", now=NOW).due_at == \
        "2026-11-21T12:00:00+08:00"


def test_routes_of_unlisted_content_types_and_of_regulated_sectors() -> None:
    p = Policy(_raw(routing={**_raw()["routing"], "regulated_sectors": ["drug"], "legal_terms": ["保本"]}))
    r = p.route("low", content_type="complaint", product_category="general", now=NOW)
    assert (r.role, r.sla_hours) == ("merchant_compliance", 72.0)
    r = p.route("low", content_type="unknown", product_category="general", now=NOW)
    assert (r.role, r.sla_hours) == ("merchant_compliance", 10.0)  # the listing's deadline
    assert p.route("medium", content_type="listing", product_category="drug", now=NOW).role == "merchant_compliance"
    assert p.route("high", content_type="listing", product_category="drug", now=NOW).role == "risk_control"
    assert p.route("medium", content_type="listing", product_category="general", now=NOW,
                   findings=[_finding("medium", term="保本")]).role == "merchant_compliance"
    assert p.route("high", content_type="listing", product_category="general", now=NOW,
                   findings=[_finding("high", term="保本")]).role == "legal"
    assert "regulated_sectors" not in p.role_by_type and "legal_terms" not in p.role_by_type


def test_a_record_that_could_not_be_screened_goes_to_a_person() -> None:
    d = Policy(_raw()).error_decision(content_type="short_video", product_category="drug", now=NOW)
    assert (d.decision, d.severity, d.risk) == ("review", "none", 0.6)
    assert (d.route.role, d.route.sla_hours, d.route.due_at) == ("content_review", 2.0, "2026-11-21T12:00:00+08:00")


def test_merchant_grades_start_at_exactly_their_score() -> None:
    grading = {"window_days": 30, "high_weight": 3, "grades": [
        {"name": "轻度", "at": 1, "action": "提醒整改"}, {"name": "重度", "at": 5, "action": "清退并公示"},
        {"name": "中度", "at": 3, "action": "下架整改"}, {"name": "无门槛", "action": "忽略"}]}
    p = Policy(_raw(merchant_grading=grading))
    assert p.grades == [(5.0, "重度", "清退并公示"), (3.0, "中度", "下架整改"), (1.0, "轻度", "提醒整改")]
    assert (p.grading_window_days, p.grading_high_weight) == (30.0, 3.0)
    assert p.grade(3) == ("中度", "下架整改") and p.grade(2.99) == ("轻度", "提醒整改")
    assert p.grade(5) == ("重度", "清退并公示") and p.grade(0.99) == (None, None)


def test_defaults_of_a_minimal_policy() -> None:
    p = Policy(_raw())
    assert (p.name, p.version, p.label) == ("t", "1", "t@1")
    assert str(p.tz) == "Asia/Shanghai"
    assert (p.block_risk, p.finding_review_risk, p.review_risk, p.high_review_risk) == (0.5, 0.15, 0.5, 0.0)
    assert p.derivation == {} and p.model_severity == "medium" and p.block_categories == frozenset()
    assert p.regulated == frozenset() and p.legal_terms == frozenset()
    assert p.claim_lease_minutes == 30.0
    assert (p.grading_window_days, p.grading_high_weight, p.grades) == (90.0, 2.0, [])
    assert Policy(_raw(decision={"without_model": _decision()["without_model"], "block_risk": 1.0})).block_risk == 1.0


def test_every_setting_is_read_from_its_own_key() -> None:
    p = Policy(_raw(timezone="UTC",
                    decision=_decision(block_risk=0.8, finding_review_risk=0.1, review_risk=0.3, high_review_risk=0.05,
                                       model_severity="low", derivation={"data": "x.jsonl"},
                                       block_categories=["medical_claim"]),
                    review={"claim_lease_minutes": 0.5},
                    risk={"none": 0.0, "low": 0.2, "medium": 0.6, "high": 1.0}))
    assert str(p.tz) == "UTC"
    assert (p.block_risk, p.finding_review_risk, p.review_risk, p.high_review_risk) == (0.8, 0.1, 0.3, 0.05)
    assert p.model_severity == "low" and p.derivation == {"data": "x.jsonl"}
    assert p.block_categories == {"medical_claim"} and p.claim_lease_minutes == 0.5
    assert p.risk_by_severity == {"none": 0.0, "low": 0.2, "medium": 0.6, "high": 1.0}


@pytest.mark.parametrize(
    ("over", "problems"),
    [
        ({"name": ""}, ["name and version are required"]),
        ({"version": ""}, ["name and version are required"]),
        ({"timezone": "Mars/Base"}, ["unknown timezone 'Mars/Base'"]),
        ({"decision": _decision(block_risk="high")}, ["decision thresholds must be numbers"]),
        ({"decision": _decision(review_risk=1.5)}, ["decision.review_risk must be a number in 0..1"]),
        ({"decision": _decision(model_severity="none")},
         ["decision.model_severity must be one of ['low', 'medium', 'high']"]),
        ({"review": {"claim_lease_minutes": 0}}, ["review.claim_lease_minutes must be a positive number"]),
        ({"risk": {"none": 0.05, "low": 0.2, "medium": 0.6}}, ["risk.high must be a number in 0..1"]),
        ({"risk": {"none": 0.05, "low": 0.2, "medium": 0.6, "high": 1.5}}, ["risk.high must be a number in 0..1"]),
        ({"name": "", "decision": _decision(finding_review_risk=-0.1)},
         ["name and version are required", "decision.finding_review_risk must be a number in 0..1"]),
    ],
)
def test_an_invalid_policy_lists_exactly_its_problems(over: dict, problems: list[str]) -> None:
    assert _problems(_raw(**over), "p.toml") == ["p.toml", *problems]


def test_a_policy_without_sections_is_an_error_not_a_crash() -> None:
    raw = _raw()
    del raw["decision"], raw["name"]
    got = _problems(raw)
    assert got[0] == "<policy>" and got[1] == "name and version are required"
    assert "decision.without_model.none must be one of ['pass', 'review', 'block']" in got


def test_policy_files_name_themselves_in_errors(tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(PolicyError, match=f"^cannot read policy {missing}: "):
        Policy.load(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "政策"\nversion = "1"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=f"^{bad}: "):
        Policy.load(bad)

    class Packaged:  # the packaged policy, unreadable or invalid
        def __init__(self, text):
            self.text = text

        def files(self, _):
            return self

        def joinpath(self, _):
            return self

        def read_text(self, encoding):
            if self.text is None:
                raise OSError("gone")
            return self.text

    import screening.engine.policy as policy_module

    monkeypatch.setattr(policy_module, "resources", Packaged(None))
    with pytest.raises(PolicyError, match="^cannot read policy policy.toml: gone"):
        Policy.load()
    monkeypatch.setattr(policy_module, "resources", Packaged('name = "x"\n'))
    with pytest.raises(PolicyError, match="^policy.toml: "):
        Policy.load()
