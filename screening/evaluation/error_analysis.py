"""Error analysis of an evaluation: false positives and misses grouped by cause.

A false positive (FP) is an ``ok`` item flagged review or block; a miss is a ``violation``
item that passed (the definitions of evaluate.py; ``unclear`` items are left out). Each error
is grouped by term, rule, detector, decision path and the gold row's fields.

Two kinds of table:

* partition tables (decision path, content_type, product_category, source_kind): every error
  is in exactly one row, so the counts add up to the number of errors;
* multi tables (term, rule, detector, gold category): an error is in one row per key it holds
  (never twice in a row) and in a fallback row such as "no hit at all" when it holds none.
  ``only`` counts the errors for which the key was the sole reason: for an FP, the only key
  among the findings at the text's worst severity (the ones that decided); for a miss, the
  only key at all.

Results need ``suppressed`` (``to_dict(explain=True)``) for the miss tables to name the rules.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..types import SEVERITY_RANK

FALSE_POSITIVE = "false_positive"
MISS = "miss"
EXAMPLES = 3

# Decision paths, named once so tests and readers of the JSON can rely on them.
FP_ERROR = "error (fails closed to review)"
FP_BLOCK = "high finding blocked"
FP_HIGH_REVIEW = "high finding reviewed"
FP_MEDIUM_REVIEW = "medium finding reviewed"
FP_LOW_REVIEW = "low finding reviewed by policy"
FP_MODEL_ONLY = "model_risk only (no lexicon finding)"
FP_MODEL_OVER_LOW = "model_risk over low finding(s)"
FP_RISK_ONLY = "risk only (no finding)"
MISS_NO_HIT = "no hit at all"
MISS_SUPPRESSED = "hit suppressed by a rule"
MISS_LOW = "low-severity finding passed by policy"
MISS_MODEL_VETO = "model vetoed a medium finding (risk < finding_review_risk)"
MISS_MEDIUM = "medium finding passed by policy"
MISS_HIGH = "high finding passed by policy"
MISS_MODEL_VETO_HIGH = "model vetoed a high finding (risk < high_review_risk)"


@dataclass
class GroupRow:
    """One group of errors: its key, how many, and which."""

    key: str
    count: int
    ids: list[str]
    only: int | None = None  # multi tables only
    detail: str = ""

    @property
    def examples(self) -> list[str]:
        return self.ids[:EXAMPLES]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "count": self.count, "only": self.only, "detail": self.detail,
                "examples": self.examples, "ids": list(self.ids)}


@dataclass
class ErrorTable:
    """The errors of one kind grouped one way, largest group first."""

    kind: str  # FALSE_POSITIVE or MISS
    name: str  # term, rule, detector, path, content_type, ...
    title: str
    multi: bool
    rows: list[GroupRow]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "title": self.title, "multi": self.multi,
                "rows": [r.to_dict() for r in self.rows]}


@dataclass
class ErrorAnalysis:
    """All tables of one evaluation, with the ids of the errors and (for the HTML) their texts."""

    false_positives: list[str]
    misses: list[str]
    tables: list[ErrorTable]
    texts: dict[str, str] = field(default_factory=dict, repr=False)

    def table(self, kind: str, name: str) -> ErrorTable:
        return next(t for t in self.tables if t.kind == kind and t.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"n_false_positive": len(self.false_positives), "n_miss": len(self.misses),
                "tables": [t.to_dict() for t in self.tables]}


# ------------------------------------------------------------------ classifying one error
def _worst(findings: Sequence[Mapping[str, Any]]) -> str:
    return max((f.get("severity", "none") for f in findings), key=lambda s: SEVERITY_RANK.get(s, 0), default="none")


def _is_model(f: Mapping[str, Any]) -> bool:
    return f.get("detector") == "model" or f.get("category") == "model_risk"


def _term_key(hit: Mapping[str, Any]) -> str:
    return f"{hit.get('term') or hit.get('text', '')} ({hit.get('term_id', '')})"


def fp_path(result: Mapping[str, Any]) -> str:
    """Why an ok text was flagged."""
    findings = result.get("findings") or []
    if result.get("error"):
        return FP_ERROR
    if result.get("decision") == "block":
        return FP_BLOCK
    if any(_is_model(f) for f in findings):
        return FP_MODEL_OVER_LOW if any(not _is_model(f) for f in findings) else FP_MODEL_ONLY
    return {"high": FP_HIGH_REVIEW, "medium": FP_MEDIUM_REVIEW, "low": FP_LOW_REVIEW}.get(_worst(findings),
                                                                                           FP_RISK_ONLY)


def miss_path(result: Mapping[str, Any], finding_review_risk: float, high_review_risk: float = 0.0) -> str:
    """Why a violation passed; ``finding_review_risk`` and ``high_review_risk`` are the policy's
    thresholds below which the model lets a medium or a high finding pass."""
    findings = [f for f in result.get("findings") or [] if not _is_model(f)]
    worst = _worst(findings)
    if worst == "medium":
        # Without the model the risk is the policy's placeholder for medium, never this low.
        return MISS_MODEL_VETO if float(result.get("risk") or 0.0) < finding_review_risk else MISS_MEDIUM
    if worst == "high":
        return MISS_MODEL_VETO_HIGH if float(result.get("risk") or 0.0) < high_review_risk else MISS_HIGH
    if worst == "low":
        return MISS_LOW
    return MISS_SUPPRESSED if result.get("suppressed") else MISS_NO_HIT


# Multi-table extractors: (keys with a detail label each, the keys that were the reason).
Keys = tuple[list[tuple[str, str]], set[str]]


def _deciding(findings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    worst = _worst(findings)
    return [f for f in findings if f.get("severity") == worst]


def _fp_keys(key_of: Callable[[Mapping[str, Any]], str | None], detail_of: Callable[[Mapping[str, Any]], str],
             fallback: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Keys]:
    def extract(gold: Mapping[str, Any], result: Mapping[str, Any]) -> Keys:
        findings = result.get("findings") or []
        keys = [(k, detail_of(f)) for f in findings if (k := key_of(f)) is not None]
        reasons = {k for f in _deciding(findings) if (k := key_of(f)) is not None}
        if not keys:
            return [(fallback, "")], {fallback}
        return keys, reasons
    return extract


def _fp_detail(f: Mapping[str, Any]) -> str:
    return f"{f.get('severity')}" + (f"/{f['rule']}" if f.get("rule") else "")


def _miss_hits(result: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    return [f for f in result.get("findings") or [] if not _is_model(f)], list(result.get("suppressed") or [])


def _miss_terms(gold: Mapping[str, Any], result: Mapping[str, Any]) -> Keys:
    kept, dropped = _miss_hits(result)
    keys = [(_term_key(s), f"dropped:{s.get('rule')}") for s in dropped]
    keys += [(_term_key(f), f"kept:{f.get('severity')}") for f in kept]
    keys = keys or [(MISS_NO_HIT, "")]
    return keys, {k for k, _ in keys}


def _miss_rules(gold: Mapping[str, Any], result: Mapping[str, Any]) -> Keys:
    kept, dropped = _miss_hits(result)
    keys = [(str(s.get("rule")), _term_key(s)) for s in dropped]
    if not keys:
        keys = [("(no rule: a finding was kept)", "") if kept else (MISS_NO_HIT, "")]
    return keys, {k for k, _ in keys}


def _miss_detectors(gold: Mapping[str, Any], result: Mapping[str, Any]) -> Keys:
    kept, dropped = _miss_hits(result)
    keys = [(str(f.get("detector")), str(f.get("severity"))) for f in kept]
    keys += [("(suppressed hit)", str(s.get("rule"))) for s in dropped]
    keys = keys or [("(nothing)", "")]
    return keys, {k for k, _ in keys}


def _gold_categories(gold: Mapping[str, Any], result: Mapping[str, Any]) -> Keys:
    keys = [(str(s.get("category") or "other"), "") for s in gold.get("spans") or []] or [("(no gold span)", "")]
    return keys, {k for k, _ in keys}


# ------------------------------------------------------------------ grouping
def _sorted(rows: Iterable[GroupRow]) -> list[GroupRow]:
    return sorted(rows, key=lambda r: (-r.count, r.key))


def _format_detail(c: Counter[str]) -> str:
    return ", ".join(f"{k}×{n}" for k, n in sorted(c.items(), key=lambda x: (-x[1], x[0])) if k)


def partition(errors: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
              key: Callable[[Mapping[str, Any], Mapping[str, Any]], str]) -> list[GroupRow]:
    """Rows of a table where each error has exactly one key."""
    ids: dict[str, list[str]] = {}
    for g, p in errors:
        ids.setdefault(key(g, p), []).append(str(g.get("id")))
    return _sorted(GroupRow(k, len(v), v) for k, v in ids.items())


def multi(errors: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
          keys: Callable[[Mapping[str, Any], Mapping[str, Any]], Keys]) -> list[GroupRow]:
    """Rows of a table where an error holds several keys: counted once per key, ``only`` when
    the key was its sole reason; ``detail`` tallies the keys' labels over all hits."""
    ids: dict[str, list[str]] = {}
    only: Counter[str] = Counter()
    details: dict[str, Counter[str]] = {}
    for g, p in errors:
        pairs, reasons = keys(g, p)
        for k in dict.fromkeys(k for k, _ in pairs):
            ids.setdefault(k, []).append(str(g.get("id")))
        for k, d in pairs:
            details.setdefault(k, Counter())[d] += 1
        if len(reasons) == 1:
            only[next(iter(reasons))] += 1
    return _sorted(GroupRow(k, len(v), v, only[k], _format_detail(details[k])) for k, v in ids.items())


def _field(name: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], str]:
    return lambda g, p: str(g.get(name) or "(missing)")


def analyse(gold: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]], *,
            finding_review_risk: float, high_review_risk: float = 0.0) -> ErrorAnalysis:
    """Group the false positives and misses of ``results`` (contract dicts, best with
    ``suppressed``) against ``gold`` rows; the thresholds as in the policy."""
    by_id = {p.get("id"): p for p in results}
    fps: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    misses: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    for g in gold:
        p = by_id.get(g.get("id"))
        if p is None or g.get("label") not in ("violation", "ok"):
            continue
        flagged = p.get("decision") in ("review", "block")
        if g["label"] == "ok" and flagged:
            fps.append((g, p))
        elif g["label"] == "violation" and not flagged:
            misses.append((g, p))
    fp_tables = [
        ("term", "FP by finding term", True, _fp_keys(
            lambda f: None if _is_model(f) else _term_key(f), _fp_detail, "(no lexicon term: model or error)")),
        ("rule", "FP by rule on the finding", True, _fp_keys(
            lambda f: None if _is_model(f) else (f.get("rule") or "(no rule)"), _term_key,
            "(no lexicon finding)")),
        ("detector", "FP by detector", True, _fp_keys(lambda f: str(f.get("detector")), _fp_detail, "(no finding)")),
        ("path", "FP by decision path", False, lambda g, p: fp_path(p)),
    ]
    miss_tables = [
        ("term", "Misses by hit term (suppressed or kept but passed)", True, _miss_terms),
        ("rule", "Misses by the rule that suppressed a hit", True, _miss_rules),
        ("detector", "Misses by detector", True, _miss_detectors),
        ("path", "Misses by decision path", False, lambda g, p: miss_path(p, finding_review_risk, high_review_risk)),
        ("gold_category", "Misses by gold span category", True, _gold_categories),
    ]
    fields = ["content_type", "product_category"]
    if any(g.get("source_kind") for g in gold):
        fields.append("source_kind")
    tables = []
    for kind, errors, specs in ((FALSE_POSITIVE, fps, fp_tables), (MISS, misses, miss_tables)):
        label = "FP" if kind == FALSE_POSITIVE else "Misses"
        for name, title, is_multi, fn in specs + [(f, f"{label} by {f}", False, _field(f)) for f in fields]:
            rows = multi(errors, fn) if is_multi else partition(errors, fn)  # type: ignore[arg-type]
            tables.append(ErrorTable(kind, name, title, is_multi, rows))
    texts = {str(g.get("id")): str(g.get("text", "")) for g, _ in fps + misses}
    return ErrorAnalysis([str(g.get("id")) for g, _ in fps], [str(g.get("id")) for g, _ in misses], tables, texts)


# ------------------------------------------------------------------ output
def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * max(width - _width(s), 0)


def _clip(s: str, width: int) -> str:
    out, w = "", 0
    for c in s:
        w += _width(c)
        if w > width - 1:
            return out + "…"
        out += c
    return out


def format_text(a: ErrorAnalysis, top: int | None = 15) -> str:
    """The tables as plain text (ids only, no copy), ``top`` rows each."""
    lines = [f"false positives: {len(a.false_positives)} (ok texts flagged review/block)   "
             f"misses: {len(a.misses)} (violations passed)"]
    for t in a.tables:
        total = len(a.false_positives if t.kind == FALSE_POSITIVE else a.misses)
        note = "a text counts once per key; only = sole reason" if t.multi else "each text once"
        lines += ["", f"{t.title} ({note}; {len(t.rows)} groups, {total} texts)"]
        key_w = min(max([_width(r.key) for r in t.rows] + [8]), 60)
        # Partition tables have no "only" and no detail: the key says it all.
        extra_head = f"  only  {_pad('detail', 36)}" if t.multi else ""
        lines.append(f"{_pad('key', key_w)}  {'count':>5s}{extra_head}  examples")
        for r in t.rows[:top]:
            extra = f"  {r.only:4d}  {_pad(_clip(r.detail, 37), 36)}" if t.multi else ""
            lines.append(f"{_pad(_clip(r.key, key_w + 1), key_w)}  {r.count:5d}{extra}  {' '.join(r.examples)}")
        if top is not None and len(t.rows) > top:
            lines.append(f"… {len(t.rows) - top} more")
    return "\n".join(lines)


def to_jsonl(a: ErrorAnalysis) -> str:
    """One line per group row, each naming its table."""
    return "".join(json.dumps({"kind": t.kind, "table": t.name, **r.to_dict()}, ensure_ascii=False) + "\n"
                   for t in a.tables for r in t.rows)


_CSS = """
body{margin:0 auto;max-width:1200px;padding:20px 28px;font:14px/1.6 -apple-system,"Segoe UI","PingFang SC",
"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2933;background:#f5f7fa}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h3{font-size:15px;margin:22px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:#616e7c}.ex{margin:2px 0}.ex code{color:#1d4ed8;margin-right:6px}
details summary{cursor:pointer;color:#616e7c}
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def render_html(a: ErrorAnalysis, *, title: str = "误报与漏报分析", metrics: Mapping[str, Any] | None = None,
                text_chars: int = 200) -> str:
    """One self-contained page (no script, no external resource); every text is escaped."""
    head = (f"<p>误报 false positives <b>{len(a.false_positives)}</b> · 漏报 misses <b>{len(a.misses)}</b></p>")
    if metrics:
        head += "<p class='muted'>" + _esc(" ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()
            if not isinstance(v, (dict, list)))) + "</p>"
    sections = []
    for kind, heading in ((FALSE_POSITIVE, "误报 False positives"), (MISS, "漏报 Misses")):
        parts = [f"<h2>{_esc(heading)}</h2>"]
        for t in (t for t in a.tables if t.kind == kind):
            note = "一条文本每个键计一次；only = 唯一原因" if t.multi else "每条文本计一次"
            rows = []
            for r in t.rows:
                examples = "".join(
                    f"<div class='ex'><code>{_esc(i)}</code>{_esc(_clip(a.texts.get(i, ''), text_chars))}</div>"
                    for i in r.examples)
                more = ""
                if len(r.ids) > EXAMPLES:
                    more = (f"<details><summary>all {len(r.ids)} ids</summary>"
                            f"<code>{_esc(' '.join(r.ids))}</code></details>")
                only = f"<td class='n'>{r.only}</td>" if t.multi else ""
                rows.append(f"<tr><td>{_esc(r.key)}</td><td class='n'>{r.count}</td>{only}"
                            f"<td>{_esc(r.detail)}</td><td>{examples}{more}</td></tr>")
            only_head = "<th>only</th>" if t.multi else ""
            parts.append(f"<h3>{_esc(t.title)} <span class='muted'>({_esc(note)})</span></h3>"
                         f"<table><thead><tr><th>key</th><th>count</th>{only_head}<th>detail</th><th>examples</th>"
                         f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        sections.append("".join(parts))
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>{head}{''.join(sections)}</body></html>")
