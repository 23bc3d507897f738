"""Plain result types and the vocabularies of ../shared/docs/contract.md."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .lines import LineIndex

_T = TypeVar("_T")

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


def _fills_dict(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass an ``__init__`` that fills the instance's ``__dict__`` directly.

    The dataclass's own ``__init__`` sets each field of a frozen instance through
    ``object.__setattr__``, and a catalogue builds a result per record and a finding per hit:
    filling the dict costs about a third. Same signature and defaults (a test keeps them so);
    the instance stays frozen, comparable and hashable, since only ``__init__`` changes.
    """
    fields = dataclasses.fields(cls)
    params, defaults = [], {}
    for f in fields:
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            defaults[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
    names = [f.name for f in fields]
    src = (f"def __init__(self, {', '.join(params)}):\n"
           f"    d = self.__dict__\n"
           + "".join(f"    d[{n!r}] = {n}\n" for n in names))
    namespace: dict[str, Any] = {}
    exec(src, defaults, namespace)  # noqa: S102 - code built from the field names, as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = f"Build a {cls.__name__} (fields in declaration order)."
    cls.__init__ = init  # type: ignore[misc]
    return cls


@_fills_dict
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
    # Why there is no lawful alternative (a disease name: delete), when ``suggestion`` is None.
    suggestion_reason: str | None = None

    def to_dict(self, at: tuple[int, int] | None = None) -> dict[str, Any]:
        """The contract's finding object; ``at`` is its ``(line, column)`` when the text is known."""
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
        if at is not None:
            # Next to the offsets they are computed from.
            d = {"start": self.start, "end": self.end, "line": at[0], "column": at[1], **d}
        if self.rule:
            d["rule"] = self.rule
        if self.field:
            d["field"] = self.field
        if self.suggestion_reason and self.suggestion is None:
            d["suggestion_reason"] = self.suggestion_reason
        return d


@_fills_dict
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

    def to_dict(self, at: tuple[int, int] | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end}
        if at is not None:
            d["line"], d["column"] = at
        return {
            **d,
            "text": self.text,
            "term": self.term,
            "term_id": self.term_id,
            "rule": self.rule,
            "reason": self.reason,
        }


@_fills_dict
@dataclass(frozen=True)
class Route:
    """Who must review a result and by when."""

    role: str
    due_at: str
    sla_hours: float

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "due_at": self.due_at, "sla_hours": self.sla_hours}


@_fills_dict
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
    # The category inferred from the text of a record given as "general" (a
    # screening.engine.categorize.Inference), or None.
    inferred_category: Any = None
    # Set when the text held more hits than the screener adjudicates: where it stopped.
    truncated: str | None = None

    def to_dict(self, explain: bool = False, texts: str | Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return exactly the contract's JSON object (plus ``suppressed`` when ``explain``).

        Given the screened text (``texts``: the text, or the record's ``{field: text}``), each
        finding also gets its ``line`` and ``column`` (1-based, in characters; ``\\r\\n`` is one
        break; see :mod:`screening.lines`) within its field's text, from its ``start`` offset.
        A finding whose text is not given (an unknown field) or whose offset lies outside it gets
        none. Without ``texts`` nothing is computed: a batch that does not show positions does not
        pay for them.
        """
        if texts is None:
            findings = [f.to_dict() for f in self.findings]
        else:
            place = _Placer(texts)
            findings = [f.to_dict(place(f.field, f.start)) for f in self.findings]
        d = {
            "id": self.id,
            "decision": self.decision,
            "risk": self.risk,
            "severity": self.severity,
            "findings": findings,
            "route": self.route.to_dict() if self.route else None,
            "versions": dict(self.versions),
            "error": self.error,
        }
        if self.inferred_category is not None:
            d["inferred_category"] = self.inferred_category.to_dict()
        if self.truncated is not None:
            d["truncated"] = self.truncated
        if explain:
            if texts is None:
                d["suppressed"] = [s.to_dict() for s in self.suppressed]
            else:
                d["suppressed"] = [s.to_dict(place(None, s.start)) for s in self.suppressed]
        return d


class _Placer:
    """``(field, offset) -> (line, column)`` over a record's texts, one line index per text, built
    on first use."""

    def __init__(self, texts: str | Mapping[str, Any]) -> None:
        self.texts: Mapping[str, Any] = {"": texts} if isinstance(texts, str) else texts
        self.index: dict[str | None, LineIndex | None] = {}

    def __call__(self, field_name: str | None, offset: int) -> tuple[int, int] | None:
        if field_name not in self.index:
            if field_name is None:
                # No field: the offsets are into the record's only (or first) text.
                text = next(iter(self.texts.values()), None)
            else:
                text = self.texts.get(field_name)
            self.index[field_name] = LineIndex(text) if isinstance(text, str) else None
        ix = self.index[field_name]
        if ix is None or type(offset) is not int or not 0 <= offset <= len(ix.text):
            return None
        return ix.locate(offset)
