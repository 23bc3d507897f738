"""The decision policy: findings → decision, risk, route and due time.

Thresholds, roles and deadlines come from a versioned TOML file; nothing here reads the clock
(``now`` is a parameter), so deadlines are deterministic in tests.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import PolicyError
from ..types import CONTENT_TYPES, DECISIONS, SEVERITIES, SEVERITY_RANK, Finding, Route

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROLES = ("merchant_compliance", "content_review", "risk_control", "legal")


@dataclass(frozen=True)
class Decision:
    """What the policy decided for one result."""

    decision: str
    severity: str
    risk: float
    route: Route | None


class Policy:
    """A loaded, validated decision policy."""

    def __init__(self, raw: dict[str, Any], source: str = "<policy>") -> None:
        problems = []
        self._due_at: dict[tuple[datetime, float], str] = {}
        self._quiet: dict[float, Decision] = {}  # decide's passes with nothing found, by rounded risk
        self._decided: dict[tuple[Any, ...], Decision] = {}  # decide's answers without the model, by what decides them
        self.name = str(raw.get("name", ""))
        self.version = str(raw.get("version", ""))
        if not self.name or not self.version:
            problems.append("name and version are required")
        try:
            self.tz = ZoneInfo(str(raw.get("timezone", "Asia/Shanghai")))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"unknown timezone {raw.get('timezone')!r}")
            self.tz = ZoneInfo("UTC")
        decision = dict(raw.get("decision", {}))
        self.by_severity = dict(decision.get("without_model", {}))
        try:
            self.block_risk = float(decision.get("block_risk", 0.5))
            self.finding_review_risk = float(decision.get("finding_review_risk", 0.15))
            self.review_risk = float(decision.get("review_risk", 0.5))
            # 0 keeps every high finding in front of a person, whatever the model says.
            self.high_review_risk = float(decision.get("high_review_risk", 0.0))
        except (TypeError, ValueError):
            problems.append("decision thresholds must be numbers")
            self.block_risk = self.finding_review_risk = self.review_risk = 0.5
            self.high_review_risk = 0.0
        for key in ("block_risk", "finding_review_risk", "review_risk", "high_review_risk"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                problems.append(f"decision.{key} must be a number in 0..1")
        self.derivation = dict(decision.get("derivation", {}))
        self.model_severity = str(decision.get("model_severity", "medium"))
        if self.model_severity not in SEVERITIES[1:]:
            problems.append(f"decision.model_severity must be one of {list(SEVERITIES[1:])}")
        self.block_categories = frozenset(decision.get("block_categories", []))
        self.risk_by_severity = {k: float(v) for k, v in raw.get("risk", {}).items()}
        routing = dict(raw.get("routing", {}))
        self.regulated = frozenset(routing.pop("regulated_sectors", []))
        self.legal_terms = frozenset(routing.pop("legal_terms", []))
        self.role_by_type = routing
        self.sla_hours = {k: float(v) for k, v in raw.get("sla_hours", {}).items()}
        review = dict(raw.get("review", {}))
        self.claim_lease_minutes = float(review.get("claim_lease_minutes", 30))
        if not self.claim_lease_minutes > 0:
            problems.append("review.claim_lease_minutes must be a positive number")
        grading = dict(raw.get("merchant_grading", {}))
        self.grading_window_days = float(grading.get("window_days", 90))
        self.grading_high_weight = float(grading.get("high_weight", 2))
        self.grades = sorted(
            ((float(g["at"]), str(g["name"]), str(g["action"])) for g in grading.get("grades", []) if "at" in g),
            reverse=True,
        )
        for sev in SEVERITIES:
            if self.by_severity.get(sev) not in DECISIONS:
                problems.append(f"decision.without_model.{sev} must be one of {list(DECISIONS)}")
            if not 0.0 <= self.risk_by_severity.get(sev, -1.0) <= 1.0:
                problems.append(f"risk.{sev} must be a number in 0..1")
        for ct in CONTENT_TYPES:
            if self.role_by_type.get(ct) not in ROLES:
                problems.append(f"routing.{ct} must be one of {list(ROLES)}")
            if ct not in self.sla_hours:
                problems.append(f"sla_hours.{ct} is required")
        if problems:
            raise PolicyError(f"{source}: " + "; ".join(problems))

    @property
    def label(self) -> str:
        """``name@version``, as results report it."""
        return f"{self.name}@{self.version}"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Load a policy file (default: the packaged one)."""
        try:
            if path is None:
                text = resources.files("screening").joinpath("data/policy.toml").read_text(encoding="utf-8")
                source = "policy.toml"
            else:
                text = Path(path).read_text(encoding="utf-8")
                source = str(path)
            return cls(tomllib.loads(text), source)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise PolicyError(f"cannot read policy {path or 'policy.toml'}: {e}") from None

    def model_flags(self, risk: float, findings: Sequence[Finding]) -> bool:
        """Whether the model alone should send the text to a person (no medium or high finding)."""
        return risk >= self.review_risk and all(SEVERITY_RANK[f.severity] < SEVERITY_RANK["medium"] for f in findings)

    def decide(
        self,
        findings: Sequence[Finding],
        *,
        risk: float | None = None,
        content_type: str,
        product_category: str,
        now: datetime,
    ) -> Decision:
        """Turn findings and the model's risk into a decision, a severity, a risk and a route.

        ``risk`` is None when the model is unavailable: the decision then follows the worst
        finding's severity and ``risk`` is the policy's placeholder.
        """
        if not findings and risk is not None and risk < self.review_risk:
            # Most of a catalogue: nothing found, and the model not concerned. Such passes differ
            # only in the rounded risk, so one frozen Decision serves each value (building one
            # costs more than the rest of this method, for every text of a batch).
            rounded = round(risk, 4)
            quiet = self._quiet.get(rounded)
            if quiet is None:
                quiet = self._quiet[rounded] = Decision("pass", "none", rounded, None)
            return quiet
        if risk is None:
            return self._without_model(findings, content_type, product_category, now)
        severity = "none"
        for f in findings:
            if SEVERITY_RANK[f.severity] > SEVERITY_RANK[severity]:
                severity = f.severity
        if severity == "high":
            clear = any(f.severity == "high" and f.category in self.block_categories for f in findings)
            if clear and risk >= self.block_risk:
                decision = "block"
            else:
                decision = "review" if risk >= self.high_review_risk else "pass"
        elif severity == "medium":
            decision = "review" if risk >= self.finding_review_risk else "pass"
        else:
            decision = "review" if risk >= self.review_risk else "pass"
        route = None
        if decision != "pass":
            route = self.route(severity, content_type=content_type, product_category=product_category, now=now,
                               findings=findings)
        return Decision(decision, severity, round(risk, 4), route)

    def _without_model(self, findings: Sequence[Finding], content_type: str, product_category: str,
                       now: datetime) -> Decision:
        """:meth:`decide` without the model: the worst finding's severity decides. The findings
        count only through that severity, how many have it and whether a high one is a legal
        term (:meth:`route`), so a batch's results share a handful of frozen Decisions, each
        built once, as the passes with nothing found do."""
        severity, worst = "none", 0
        for f in findings:
            if f.severity == severity:
                worst += 1
            elif SEVERITY_RANK[f.severity] > SEVERITY_RANK[severity]:
                severity, worst = f.severity, 1
        legal = severity == "high" and any(f.severity == "high" and f.term in self.legal_terms for f in findings)
        key = (severity, worst, content_type, product_category, legal, now)
        d = self._decided.get(key)
        if d is not None:
            return d
        decision = self.by_severity[severity]
        risk = self.risk_by_severity[severity]
        if severity != "none":
            # More distinct findings at the worst level make a violation likelier.
            risk = min(0.99, risk + 0.02 * (worst - 1))
        route = None
        if decision != "pass":
            route = self.route(severity, content_type=content_type, product_category=product_category, now=now,
                               findings=findings)
        if len(self._decided) > 256:  # a batch's clock reading is part of the key
            self._decided.clear()
        d = self._decided[key] = Decision(decision, severity, round(risk, 4), route)
        return d

    def route(
        self,
        severity: str,
        *,
        content_type: str,
        product_category: str,
        now: datetime,
        findings: Sequence[Finding] = (),
    ) -> Route:
        """The role and due time for a result that needs a person."""
        role = self.role_by_type.get(content_type, "merchant_compliance")
        if severity == "high" and product_category in self.regulated:
            role = "risk_control"
        if any(f.severity == "high" and f.term in self.legal_terms for f in findings):
            role = "legal"
        hours = self.sla_hours.get(content_type, self.sla_hours.get("listing", 24.0))
        return Route(role, self._due(now, hours), hours)

    def _due(self, now: datetime, hours: float) -> str:
        # A batch shares one clock reading: its due times are a handful of strings, worked out
        # once each rather than per routed record.
        key = (now, hours)
        due = self._due_at.get(key)
        if due is None:
            if len(self._due_at) > 64:
                self._due_at.clear()
            due = self._due_at[key] = (now.astimezone(self.tz) + timedelta(hours=hours)).isoformat(timespec="seconds")
        return due

    def grade(self, score: float) -> tuple[str | None, str | None]:
        """The merchant grade and action for a weighted count of confirmed violations."""
        for at, name, action in self.grades:
            if score >= at:
                return name, action
        return None, None

    def error_decision(self, *, content_type: str, product_category: str, now: datetime) -> Decision:
        """A record that could not be screened goes to a person (fail closed)."""
        route = self.route("none", content_type=content_type, product_category=product_category, now=now)
        return Decision("review", "none", self.risk_by_severity["medium"], route)
