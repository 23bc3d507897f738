"""Plain result types and the vocabularies of ../shared/docs/contract.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CATEGORIES = (
    "absolute_claim",
    "medical_claim",
    "efficacy_exaggeration",
    "guarantee_claim",
    "authority_claim",
    "superstition",
    "price_fraud",
    "model_risk",
    "other",
)
LEXICON_CATEGORIES = tuple(c for c in CATEGORIES if c != "model_risk")
SEVERITIES = ("none", "low", "medium", "high")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
CONTENT_TYPES = ("listing", "ad", "live_script", "short_video", "post")
PRODUCT_CATEGORIES = (
    "general",
    "cosmetics",
    "food",
    "health_food",
    "infant_formula",
    "device",
    "drug",
    "medical_service",
    "finance",
    "education",
    "real_estate",
    "alcohol",
)
DECISIONS = ("pass", "review", "block")

DECISION_ZH = {"pass": "通过", "review": "复核", "block": "拦截"}
SEVERITY_ZH = {"none": "无", "low": "低", "medium": "中", "high": "高"}
ROLE_ZH = {
    "merchant_compliance": "商家合规专员",
    "content_review": "作品评审专员",
    "risk_control": "合规风控专员",
    "legal": "法务",
}
CONTENT_TYPE_ZH = {
    "listing": "商品文案",
    "ad": "广告",
    "live_script": "直播脚本",
    "short_video": "短视频脚本",
    "post": "图文种草",
}
CATEGORY_ZH = {
    "absolute_claim": "绝对化用语",
    "medical_claim": "疾病治疗/医疗用语",
    "efficacy_exaggeration": "虚假/夸大功效",
    "guarantee_claim": "保证承诺",
    "authority_claim": "权威背书/特供",
    "superstition": "封建迷信",
    "price_fraud": "价格欺诈/虚假紧迫",
    "model_risk": "模型风险",
    "other": "其他",
}


@dataclass(frozen=True)
class Finding:
    """One flagged claim; ``text == original[start:end]``."""

    start: int
    end: int
    text: str
    term: str
    term_id: str
    category: str
    severity: str
    basis: str
    suggestion: str | None
    detector: str
    confidence: float
    explanation: str
    rule: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "term": self.term,
            "term_id": self.term_id,
            "category": self.category,
            "severity": self.severity,
            "basis": self.basis,
            "suggestion": self.suggestion,
            "detector": self.detector,
            "confidence": self.confidence,
            "explanation": self.explanation,
        }
        if self.rule:
            d["rule"] = self.rule
        if self.field:
            d["field"] = self.field
        return d


@dataclass(frozen=True)
class Suppressed:
    """A lexicon hit that was not reported, and why (the explain view)."""

    start: int
    end: int
    text: str
    term: str
    term_id: str
    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "term": self.term,
            "term_id": self.term_id,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Route:
    """Who must review a result and by when."""

    role: str
    due_at: str
    sla_hours: float

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "due_at": self.due_at, "sla_hours": self.sla_hours}


@dataclass(frozen=True)
class ScreeningResult:
    """The contract result for one record."""

    id: str | None
    decision: str
    risk: float
    severity: str
    findings: tuple[Finding, ...]
    route: Route | None
    versions: dict[str, str]
    error: str | None = None
    suppressed: tuple[Suppressed, ...] = field(default=(), compare=False)

    def __init__(
        self,
        id: str | None,  # noqa: A002 - the contract's field name
        decision: str,
        risk: float,
        severity: str,
        findings: tuple[Finding, ...],
        route: Route | None,
        versions: dict[str, str],
        error: str | None = None,
        suppressed: tuple[Suppressed, ...] = (),
    ) -> None:
        # The dataclass's own __init__ (which this replaces; a test keeps the two signatures
        # alike) sets each field of a frozen instance through object.__setattr__, and a catalogue
        # builds one result per record: filling the instance's dict directly costs a third.
        d = self.__dict__
        d["id"], d["decision"], d["risk"], d["severity"], d["findings"] = id, decision, risk, severity, findings
        d["route"], d["versions"], d["error"], d["suppressed"] = route, versions, error, suppressed

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        """Return exactly the contract's JSON object (plus ``suppressed`` when ``explain``)."""
        d = {
            "id": self.id,
            "decision": self.decision,
            "risk": self.risk,
            "severity": self.severity,
            "findings": [f.to_dict() for f in self.findings],
            "route": self.route.to_dict() if self.route else None,
            "versions": dict(self.versions),
            "error": self.error,
        }
        if explain:
            d["suppressed"] = [s.to_dict() for s in self.suppressed]
        return d
