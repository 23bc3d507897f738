"""A self-contained HTML report of a screening run, for the people who act on it.

``scan --format html`` and the Python API write one file that a compliance manager or reviewer
opens in any browser: summary figures and bar charts of the whole run, then a table of the records
that need a person (decision ``review`` or ``block``, or an error), each with its copy, the flagged
claims highlighted, the legal basis and the lawful alternative, sortable by risk and filterable by
decision, category and review role.

Why it is built this way:

* Review rooms are often offline or behind strict proxies, so the page carries everything inline
  (CSS, vanilla JS, SVG charts): no CDN, web font or image is fetched.
* Merchant copy is untrusted input (it may contain ``<script>``); every text is escaped and no
  data is embedded inside ``<script>``, the rows carry it in escaped attributes.
* A catalogue scan may cover 200,000 records. :class:`HtmlReportWriter` counts every record but
  keeps only the ``limit`` flagged records with the highest risk in a min-heap, so memory stays
  bounded, and the page says how many flagged records were left out.

>>> page = render_report([], summarize([]), title="<空>")
>>> page.startswith("<!DOCTYPE html>") and "&lt;空&gt;" in page
True
"""

from __future__ import annotations

import heapq
import html
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Any

from ..lines import LineIndex, has_line_break
from ..types import (
    CATEGORIES,
    CATEGORY_ZH,
    CONTENT_TYPE_ZH,
    DECISION_ZH,
    DECISIONS,
    ROLE_ZH,
    SEVERITY_RANK,
    SEVERITY_ZH,
)
from .tally import Tally
from .tally import findings as _findings

__all__ = [
    "DECISION_ZH",
    "ROLE_ZH",
    "SEVERITY_ZH",
    "HtmlReportWriter",
    "highlight",
    "is_flagged",
    "render_kpis",
    "render_report",
    "summarize",
]

DEFAULT_TITLE = "广告合规筛查报告"
TOP_TERMS = 15
_DECISION_COLOR = {"pass": "#2e7d32", "review": "#c77700", "block": "#c62828"}
_ROLE_COLOR = {
    "merchant_compliance": "#1565c0",
    "content_review": "#00838f",
    "risk_control": "#6a1b9a",
    "legal": "#37474f",
}
_CATEGORY_COLOR = {
    "absolute_claim": "#c62828",
    "medical_claim": "#ad1457",
    "efficacy_exaggeration": "#ef6c00",
    "guarantee_claim": "#6a1b9a",
    "authority_claim": "#283593",
    "superstition": "#4e342e",
    "price_fraud": "#00695c",
    "model_risk": "#546e7a",
    "other": "#757575",
}
_NO_ROLE = "__none__"
# Version keys are few; a run mixing many lexicon releases is itself worth seeing, but not forever.
_MAX_VERSION_VALUES = 5


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _risk(result: Mapping[str, Any]) -> float:
    """The record's risk as a finite float in 0..1 (a malformed value ranks lowest)."""
    try:
        r = float(result.get("risk") or 0.0)
    except (TypeError, ValueError):
        return 0.0
    return min(max(r, 0.0), 1.0) if math.isfinite(r) else 0.0




def _role(result: Mapping[str, Any]) -> str | None:
    route = result.get("route")
    if isinstance(route, Mapping) and route.get("role"):
        return str(route["role"])
    return None


def is_flagged(result: Mapping[str, Any]) -> bool:
    """Whether a result needs a person: decision ``review`` or ``block``, or an error.

    Args:
        result: a contract result dict.

    Returns:
        True when the record belongs in the report's table.

    >>> is_flagged({"decision": "pass", "error": None}), is_flagged({"decision": "block"})
    (False, True)
    """
    return result.get("decision") in ("review", "block") or bool(result.get("error"))


class _Tally(Tally):
    """Running counts over every record of a run; constant memory per distinct term/role/version."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.flagged = 0
        self.decisions.update({d: 0 for d in DECISIONS})
        self.terms: Counter[str] = Counter()
        self.versions: dict[str, list[str]] = {}
        # The zone the generation time is shown in: the one given, else that of the run's due
        # times (the first routed result's), else the packaged policy's.
        self.tz = tz

    def add(self, result: Mapping[str, Any]) -> None:
        super().add(result)
        if is_flagged(result):
            self.flagged += 1
            if self.tz is None:
                self.tz = _due_zone(result)
        # A model_risk finding has no term: its text is a whole clause, not a word to count.
        self.terms.update(
            str(f.get("term") or f.get("text") or "?") for f in _findings(result) if f.get("category") != "model_risk"
        )
        versions = result.get("versions")
        if isinstance(versions, Mapping):
            for key, value in versions.items():
                seen = self.versions.setdefault(str(key), [])
                if str(value) not in seen and len(seen) < _MAX_VERSION_VALUES:
                    seen.append(str(value))

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "decisions": dict(self.decisions),
            "errors": self.errors,
            "flagged": self.flagged,
            "categories": dict(self.categories.most_common()),
            "roles": dict(self.roles.most_common()),
            "terms": [[t, n] for t, n in self.terms.most_common(TOP_TERMS)],
            "versions": {k: list(v) for k, v in self.versions.items()},
            "generated_at": datetime.now(self.tz or policy_zone()).isoformat(timespec="seconds"),
        }


def policy_zone() -> tzinfo:
    """The time zone of the packaged policy, the one its due times are given in."""
    global _POLICY_ZONE
    if _POLICY_ZONE is None:
        from ..engine.policy import Policy

        try:
            _POLICY_ZONE = Policy.load().tz
        except Exception:  # noqa: BLE001 - a report is still written without the policy
            _POLICY_ZONE = datetime.now().astimezone().tzinfo
    return _POLICY_ZONE


_POLICY_ZONE: tzinfo | None = None


def _due_zone(result: Mapping[str, Any]) -> tzinfo | None:
    """The zone (UTC offset) of a result's due time, or None."""
    route = result.get("route")
    if not isinstance(route, Mapping) or not route.get("due_at"):
        return None
    try:
        return datetime.fromisoformat(str(route["due_at"])).tzinfo
    except ValueError:
        return None


def summarize(results: Iterable[Mapping[str, Any]], *, tz: tzinfo | None = None) -> dict[str, Any]:
    """Count a run's results the way the report does.

    Args:
        results: contract result dicts, every record of the run.
        tz: the zone of ``generated_at`` (default: that of the results' due times, else the
            packaged policy's), so the report's times read in one zone.

    Returns:
        The summary dict :func:`render_report` takes: ``records``, ``decisions`` (per decision),
        ``errors``, ``flagged``, ``categories`` (records with at least one finding of the
        category), ``roles`` (records per route role), ``terms`` (top terms as ``[term, findings]``),
        ``versions`` (key -> distinct values) and ``generated_at``.

    >>> s = summarize([{"decision": "block", "findings": [{"category": "absolute_claim", "term": "最好"}]}])
    >>> s["records"], s["decisions"]["block"], s["categories"], s["terms"]
    (1, 1, {'absolute_claim': 1}, [['最好', 1]])
    """
    tally = _Tally(tz)
    for r in results:
        tally.add(r)
    return tally.to_dict()


class HtmlReportWriter:
    """Stream results into a self-contained HTML report, in bounded memory.

    Every record is counted; only flagged records (see :func:`is_flagged`) are kept for the table,
    at most ``limit`` of them, those with the highest risk (earlier records win ties).

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "report.html")
    ...     with HtmlReportWriter(str(path), limit=1) as w:
    ...         w.write({"id": "a", "texts": {"text": "最好"}}, {"id": "a", "decision": "review", "risk": 0.6})
    ...         w.write({"id": "b", "texts": {"text": "最佳"}}, {"id": "b", "decision": "block", "risk": 0.9})
    ...     page = path.read_text(encoding="utf-8")
    >>> w.omitted, "最佳" in page, "最好" in page
    (1, True, False)
    """

    def __init__(self, path: str, *, title: str = DEFAULT_TITLE, limit: int = 5000, tz: tzinfo | None = None) -> None:
        """Open a report.

        Args:
            path: the HTML file to write on :meth:`close`.
            title: the page title.
            limit: the most flagged records shown in the table (those with the highest risk).
            tz: the zone of the generation time (default: that of the due times, else the
                packaged policy's); give the policy's ``tz``.

        Raises:
            ValueError: ``limit`` is negative.
            OutputError: ``path`` is a symbolic link or not a regular file: it is never replaced
                (screening.batch.writers.check_target).
        """
        if limit < 0:
            raise ValueError("limit must be >= 0")
        from .writers import check_target

        check_target(path, "report")
        self.path = os.fspath(path)
        self.title = title
        self.limit = limit
        self._tally = _Tally(tz)
        # Min-heap of (risk, -seq, item, result): the root is the weakest kept row; (risk, -seq) is
        # unique, so tuples never fall through to comparing dicts.
        self._heap: list[tuple[float, int, dict[str, Any], dict[str, Any]]] = []
        self._seq = 0
        self._closed = False
        self._omitted_at_close = 0

    @property
    def omitted(self) -> int:
        """Flagged records counted but not kept for the table."""
        if self._closed:
            return self._omitted_at_close
        return self._tally.flagged - len(self._heap)

    def write(self, item: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        """Count one record and keep it for the table if it is flagged and ranks high enough.

        Args:
            item: ``{"id", "texts": {field: text}, "merchant_id", "content_type", "product_category"}``.
            result: the contract result of the record.

        Raises:
            ValueError: the writer is closed.
        """
        if self._closed:
            raise ValueError("write to a closed HtmlReportWriter")
        item = dict(item or {})
        result = dict(result or {})
        self._tally.add(result)
        self._seq += 1
        if not is_flagged(result) or self.limit == 0:
            return
        entry = (_risk(result), -self._seq, item, result)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)

    def close(self) -> None:
        """Write the report file (atomically); later calls do nothing."""
        if self._closed:
            return
        omitted = self.omitted
        rows = [(item, result) for _, _, item, result in sorted(self._heap, reverse=True)]
        page = render_report(rows, self._tally.to_dict(), title=self.title, omitted=omitted)
        # Written beside the target and renamed over it, so a reader never sees half a report and a
        # failure leaves the previous report; a link or a device at the target is never replaced.
        from .writers import AtomicFile

        out = AtomicFile(self.path, what="report")
        try:
            out.file.write(page.encode("utf-8"))
        except BaseException:
            out.discard()
            raise
        out.commit()
        self._closed = True
        self._omitted_at_close = omitted
        self._heap = []

    def __enter__(self) -> HtmlReportWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # an interrupted or failed scan: the previous report stays as it was
            self.abort()

    def abort(self) -> None:
        """Give the report up without writing it; the file at ``path`` stays as it was."""
        self._closed = True
        self._heap = []


# ---------------------------------------------------------------------------------------- charts
def _text_width(text: str, size: float) -> float:
    """A rough rendered width: CJK glyphs are square, Latin ones about half as wide."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def _clip(text: str, size: float, width: float) -> str:
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _bar_chart(name: str, bars: list[tuple[str, str, str, int, str]], total: int, caption: str) -> str:
    """An inline SVG horizontal bar chart; ``bars`` are (key, label, sublabel, value, colour)."""
    if not bars:
        return f'<p class="empty" data-chart="{_esc(name)}">无数据</p>'
    size, row, width, value_w = 13.0, 28, 560, 92
    label_w = min(max(_text_width(f"{label} {sub}", size) for _, label, sub, _, _ in bars) + 14, 250)
    plot_w = width - label_w - value_w
    top = max(v for _, _, _, v, _ in bars) or 1
    height = row * len(bars) + 6
    parts = [
        (
            f'<svg class="chart" data-chart="{_esc(name)}" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{_esc(caption)}" xmlns="http://www.w3.org/2000/svg">'
        )
    ]
    for i, (key, label, sub, value, colour) in enumerate(bars):
        y = 3 + i * row
        mid = y + row / 2
        w = plot_w * value / top
        pct = f"{100 * value / total:.1f}%" if total else "–"
        shown = _clip(label, size, label_w - 14)
        sub_shown = _clip(sub, size * 0.85, max(label_w - 14 - _text_width(shown, size), 0)) if sub else ""
        parts.append(
            f'<g class="bar" data-key="{_esc(key)}" data-value="{value}">'
            f"<title>{_esc(label)}{' ' + _esc(sub) if sub else ''}：{value:,}（{pct}）</title>"
            f'<rect class="track" x="{label_w}" y="{y + 5}" width="{plot_w}" height="{row - 10}" rx="3"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{max(w, 2 if value else 0):.1f}" height="{row - 10}" '
            f'rx="3" fill="{colour}"/>'
            f'<text class="lbl" x="{label_w - 10}" y="{mid}" text-anchor="end" dominant-baseline="central">'
            f"{_esc(shown)}"
            + (f'<tspan class="sub" dx="5">{_esc(sub_shown)}</tspan>' if sub_shown else "")
            + "</text>"
            f'<text class="val" x="{label_w + w + 6:.1f}" y="{mid}" dominant-baseline="central">'
            f'{value:,}<tspan class="sub" dx="4">{pct}</tspan></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _charts(summary: Mapping[str, Any]) -> str:
    total = int(summary.get("records") or 0)
    decisions = summary.get("decisions") or {}
    dec_bars = [(d, DECISION_ZH[d], d, int(decisions.get(d, 0)), _DECISION_COLOR[d]) for d in DECISIONS]
    dec_bars += [(str(d), str(d), "", int(n), "#757575") for d, n in decisions.items() if d not in DECISIONS and n]
    cats = summary.get("categories") or {}
    order = {c: i for i, c in enumerate(CATEGORIES)}
    cat_bars = [
        (c, CATEGORY_ZH.get(c, c), c if c in CATEGORY_ZH else "", int(n), _CATEGORY_COLOR.get(c, "#757575"))
        for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))
        if n
    ]
    roles = summary.get("roles") or {}
    role_order = {r: i for i, r in enumerate(ROLE_ZH)}
    role_bars = [
        (r, ROLE_ZH.get(r, r), r if r in ROLE_ZH else "", int(n), _ROLE_COLOR.get(r, "#757575"))
        for r, n in sorted(roles.items(), key=lambda kv: (role_order.get(kv[0], 99), kv[0]))
        if n
    ]
    term_total = sum(int(n) for _, n in (summary.get("terms") or []))
    term_bars = [(str(t), str(t), "", int(n), "#455a64") for t, n in list(summary.get("terms") or [])[:TOP_TERMS]]
    # Short charts share the first row, long ones the second, so the grid stays even.
    cards = [
        ("decisions", "判定分布", "记录数", _bar_chart("decisions", dec_bars, total, "判定分布")),
        ("roles", "复核角色", "分派给该角色的记录数", _bar_chart("roles", role_bars, total, "复核角色分布")),
        ("categories", "问题类别", "含该类问题的记录数", _bar_chart("categories", cat_bars, total, "问题类别分布")),
        (
            "terms",
            f"高频问题词 Top {TOP_TERMS}",
            "命中次数（占全部命中）",
            _bar_chart("terms", term_bars, term_total, f"高频问题词前{TOP_TERMS}"),
        ),
    ]
    return "".join(
        f'<figure class="card chart-card" id="chart-{name}"><figcaption><h3>{_esc(h)}</h3>'
        f'<span class="hint">{_esc(hint)}</span></figcaption>{svg}</figure>'
        for name, h, hint, svg in cards
    )


# ------------------------------------------------------------------------------------ highlighting
def _valid_span(f: Mapping[str, Any], length: int) -> tuple[int, int] | None:
    start, end = f.get("start"), f.get("end")
    if type(start) is not int or type(end) is not int:  # bool is an int, and not an offset
        return None
    if 0 <= start < end <= length:
        return start, end
    return None


def _mark_title(n: int, f: Mapping[str, Any]) -> str:
    cat = str(f.get("category") or "other")
    sev = str(f.get("severity") or "")
    lines = [
        f"[{n}] {CATEGORY_ZH.get(cat, cat)}（{cat}）· 严重度：{SEVERITY_ZH.get(sev, sev)}",
        f"依据：{f.get('basis') or '—'}",
        f"建议：{f.get('suggestion') or f.get('suggestion_reason') or '删除或改写为可证实的客观描述'}",
    ]
    return "\n".join(lines)


def highlight(text: str, findings: list[tuple[int, Mapping[str, Any]]]) -> str:
    """Escape ``text`` and wrap each finding's ``text[start:end]`` in a ``<mark>``.

    Findings with the same span share one mark; a finding inside another nests; two findings that
    cross are split so the HTML stays well formed (the pieces share ``data-f``, and the number
    badge sits on the last piece). Offsets that are not ints inside the text are ignored.

    Args:
        text: the original text the offsets point into.
        findings: ``(number, finding)`` pairs; the number labels the mark and the findings list.

    Returns:
        HTML for the text.

    >>> highlight("a<最好>", [(1, {"start": 2, "end": 4, "severity": "high"}), (2, {"start": 9, "end": 12})])
    ... # doctest: +ELLIPSIS
    '<span class="hl">a&lt;<mark class="sev-high" data-f="1" data-n="1" title="...">最好</mark>&gt;</span>'
    """
    groups: dict[tuple[int, int], list[tuple[int, Mapping[str, Any]]]] = {}
    for n, f in findings:
        span = _valid_span(f, len(text))
        if span:
            groups.setdefault(span, []).append((n, f))
    # Longest first at a shared start, so the containing mark opens outermost.
    spans = sorted(groups, key=lambda s: (s[0], -s[1]))
    starts: dict[int, list[tuple[int, int]]] = {}
    for s in spans:
        starts.setdefault(s[0], []).append(s)
    points = sorted({0, len(text)} | {p for s in spans for p in s})
    tokens: list[list[Any]] = []  # ["open", span, continued] | ["close"] | ["text", str]
    stack: list[tuple[int, int]] = []
    for i, p in enumerate(points):
        ending = [k for k, s in enumerate(stack) if s[1] == p]
        if ending:
            k = ending[0]
            reopen = [s for s in stack[k:] if s[1] != p]
            tokens.extend(["close"] for _ in stack[k:])
            del stack[k:]
            for s in reopen:
                tokens.append(["open", s, True])
                stack.append(s)
        for s in starts.get(p, []):
            tokens.append(["open", s, False])
            stack.append(s)
        if i + 1 < len(points) and points[i + 1] > p:
            tokens.append(["text", text[p : points[i + 1]]])
    last_open = {tok[1]: j for j, tok in enumerate(tokens) if tok[0] == "open"}
    out = ['<span class="hl">']
    for j, tok in enumerate(tokens):
        if tok[0] == "text":
            out.append(_esc(tok[1]))
        elif tok[0] == "close":
            out.append("</mark>")
        else:
            span, continued = tok[1], tok[2]
            group = groups[span]
            sev = max((str(f.get("severity") or "none") for _, f in group), key=lambda s: SEVERITY_RANK.get(s, 0))
            nums = " ".join(str(n) for n, _ in group)
            cls = f"sev-{sev}" + (" cont" if continued else "")
            label = f' data-n="{_esc(",".join(str(n) for n, _ in group))}"' if last_open[span] == j else ""
            title = "\n\n".join(_mark_title(n, f) for n, f in group)
            out.append(f'<mark class="{_esc(cls)}" data-f="{nums}"{label} title="{_esc(title)}">')
    out.append("</span>")
    return "".join(out)


# ------------------------------------------------------------------------------------------ rows
def _texts(item: Mapping[str, Any]) -> dict[str, str]:
    texts = item.get("texts")
    if not isinstance(texts, Mapping):
        texts = {"text": item.get("text")} if "text" in item else {}
    return {str(k): v if isinstance(v, str) else "" for k, v in texts.items()}


def _fmt_time(value: Any, *, seconds: bool = False) -> str:
    """An ISO time as ``2026-11-22 10:00 (UTC+08:00)``, in its own zone (due and generation times)."""
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    off = dt.strftime("%z")
    zone = f" (UTC{off[:3]}:{off[3:]})" if off else ""
    return dt.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + zone


def _fmt_due(due_at: Any) -> str:
    return _fmt_time(due_at)


def _finding_item(n: int, f: Mapping[str, Any], *, show_field: bool, placed: bool,
                  where: tuple[int, int] | None = None) -> str:
    cat = str(f.get("category") or "other")
    sev = str(f.get("severity") or "none")
    term = f.get("term")
    text = f.get("text")
    suggestion = f.get("suggestion")
    conf = f.get("confidence")
    meta = [str(x) for x in (f.get("detector"), f.get("term_id")) if x]
    if isinstance(conf, (int, float)) and not isinstance(conf, bool):
        meta.append(f"置信度 {conf:.2f}")
    head = [
        f'<span class="fno">{n}</span>',
        f'<span class="badge sev-{_esc(sev)}">{_esc(SEVERITY_ZH.get(sev, sev))}</span>',
        f'<q class="ftext">{_esc(text)}</q>',
    ]
    if term and term != text:
        head.append(f'<span class="term">词条：{_esc(term)}</span>')
    head.append(f'<span class="cat" data-category="{_esc(cat)}">{_esc(CATEGORY_ZH.get(cat, cat))}</span>')
    if show_field and f.get("field"):
        head.append(f'<span class="field">字段：{_esc(f.get("field"))}</span>')
    if where is not None:
        line, col = where
        head.append(f'<span class="pos" data-line="{line}" data-column="{col}" title="第 {line} 行，第 {col} 列'
                    f'（行、列从 1 起，按字符计）">{line}:{col}</span>')
    if not placed:
        head.append('<span class="warn" title="偏移量不在文本范围内，无法标注">未能定位</span>')
    if f.get("explanation"):
        head.append(f'<span class="why">{_esc(f.get("explanation"))}</span>')
    meta_html = f'<span class="meta">{_esc(" · ".join(meta))}</span>' if meta else ""
    body = [f'<div class="basis"><b>法律依据</b><span>{_esc(f.get("basis") or "—")}</span></div>']
    if suggestion:
        body.append(f'<div class="suggest"><b>合规替代</b><span>{_esc(suggestion)}</span>{meta_html}</div>')
    else:
        body.append(
            '<div class="suggest none"><b>合规替代</b><span>'
            f'{_esc(f.get("suggestion_reason") or "无现成替代词：删除，或改写为可证实的客观描述")}</span>'
            f"{meta_html}</div>"
        )
    return (
        f'<li class="finding" data-f="{n}" data-category="{_esc(cat)}">'
        f'<div class="fhead">{"".join(head)}</div>{"".join(body)}</li>'
    )


def _row(idx: int, item: Mapping[str, Any], result: Mapping[str, Any]) -> str:
    decision = str(result.get("decision") or "")
    severity = str(result.get("severity") or "none")
    risk = _risk(result)
    route = result.get("route") if isinstance(result.get("route"), Mapping) else None
    role = _role(result) or ""
    findings = _findings(result)
    texts = _texts(item)
    names = list(texts)
    rid = item.get("id") if item.get("id") is not None else result.get("id")

    by_field: dict[str, list[tuple[int, Mapping[str, Any]]]] = {name: [] for name in names}
    placed: set[int] = set()
    # line:column of the findings of multi-line texts (a live script), within their field's text.
    where: dict[int, tuple[int, int]] = {}
    lines: dict[str, LineIndex] = {}
    for n, f in enumerate(findings, 1):
        field = f.get("field")
        # Without a field the offsets refer to the only (or first) text; an unknown field has none.
        name = field if field in texts else (names[0] if names and not field else None)
        if name is not None:
            by_field[name].append((n, f))
            span = _valid_span(f, len(texts[name]))
            if span:
                placed.add(n)
                if has_line_break(texts[name]):
                    ix = lines.get(name) or lines.setdefault(name, LineIndex(texts[name]))
                    where[n] = ix.locate(span[0])

    copy = []
    for name in names:
        label = f'<div class="fieldname">{_esc(name)}</div>' if len(names) > 1 else ""
        body = highlight(texts[name], by_field[name]) if texts[name] else '<span class="empty">（空）</span>'
        copy.append(f'<div class="text">{label}{body}</div>')
    if not names:
        copy.append('<div class="text"><span class="empty">（无文本）</span></div>')
    if result.get("error"):
        copy.append(f'<div class="error" role="alert"><b>错误</b>{_esc(result.get("error"))}</div>')
    if findings:
        items = "".join(
            _finding_item(n, f, show_field=len(names) > 1, placed=n in placed, where=where.get(n))
            for n, f in enumerate(findings, 1)
        )
        copy.append(f'<ol class="findings">{items}</ol>')

    sub = " · ".join(
        _esc(x)
        for x in (
            CONTENT_TYPE_ZH.get(str(item.get("content_type")), item.get("content_type")),
            item.get("product_category"),
            f"商家 {item['merchant_id']}" if item.get("merchant_id") else None,
        )
        if x
    )
    if route:
        sla = route.get("sla_hours")
        sla_txt = f" · SLA {float(sla):g} 小时" if isinstance(sla, (int, float)) and not isinstance(sla, bool) else ""
        role_cell = (
            f'<span class="role" data-role="{_esc(role)}">{_esc(ROLE_ZH.get(role, role))}</span>'
            f'<div class="sub due" title="{_esc(route.get("due_at"))}">截止 {_esc(_fmt_due(route.get("due_at")))}'
            f"{_esc(sla_txt)}</div>"
        )
    else:
        role_cell = '<span class="muted">—</span>'
    cats = " ".join(sorted({str(f.get("category") or "other") for f in findings}))
    return (
        f'<tr class="rec dec-{_esc(decision)}" data-idx="{idx}" data-id="{_esc(rid)}" data-decision="{_esc(decision)}"'
        f' data-categories="{_esc(cats)}" data-role="{_esc(role)}" data-risk="{risk!r}"'
        f' data-error="{1 if result.get("error") else 0}">'
        f'<td class="c-id"><code>{_esc(rid) if rid is not None else "（无 id）"}</code>'
        + (f'<div class="sub">{sub}</div>' if sub else "")
        + "</td>"
        f'<td class="c-dec"><span class="badge dec-{_esc(decision)}">{_esc(DECISION_ZH.get(decision, decision))}</span>'
        + ('<span class="badge err">错误</span>' if result.get("error") else "")
        + "</td>"
        f'<td class="c-risk num"><span class="risk-val">{risk:.2f}</span>'
        f'<span class="riskbar" aria-hidden="true"><i style="width:{risk * 100:.0f}%"></i></span></td>'
        f'<td class="c-sev"><span class="badge sev-{_esc(severity)}">{_esc(SEVERITY_ZH.get(severity, severity))}</span></td>'
        f'<td class="c-role">{role_cell}</td>'
        f'<td class="c-copy">{"".join(copy)}</td></tr>'
    )


def _options(values: list[tuple[str, str]]) -> str:
    return '<option value="">全部</option>' + "".join(
        f'<option value="{_esc(v)}">{_esc(label)}</option>' for v, label in values
    )


# ------------------------------------------------------------------------------------------ page
_CSS = """
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#1d4ed8;
--pass:#2e7d32;--review:#c77700;--block:#c62828}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font-size:14px;line-height:1.6;
font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Noto Sans CJK SC","Source Han Sans SC",
"Microsoft YaHei","WenQuanYi Micro Hei","Helvetica Neue",Arial,sans-serif}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","WenQuanYi Micro Hei Mono",monospace;
font-size:.92em}
.wrap{max-width:1360px;margin:0 auto;padding:24px 28px 48px}
header.top{background:#102a43;color:#fff;padding:22px 0 20px}
header.top h1{margin:0 0 6px;font-size:24px;font-weight:600;letter-spacing:.5px}
header.top .meta{color:#bcccdc;font-size:13px;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}
.chip{display:inline-block;background:rgba(255,255,255,.12);border-radius:4px;padding:0 7px;margin-right:4px;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
h2{font-size:18px;margin:28px 0 12px;font-weight:600}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-top:20px}
.fig{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;
border-top:4px solid #9aa5b1}
.fig .k{color:var(--muted);font-size:13px}
.fig .v{font-size:28px;font-weight:600;line-height:1.25;font-variant-numeric:tabular-nums}
.fig .p{color:var(--muted);font-size:12px;margin-left:6px;font-weight:400}
.fig.pass{border-top-color:var(--pass)}.fig.review{border-top-color:var(--review)}
.fig.block{border-top-color:var(--block)}.fig.errors{border-top-color:#6a1b9a}.fig.flagged{border-top-color:var(--accent)}
.notice{background:#fff8e1;border:1px solid #ffe082;border-radius:6px;padding:8px 14px;margin:14px 0 0}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;align-items:start}
@media (max-width:900px){.charts{grid-template-columns:1fr}}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:0}
figcaption{display:flex;align-items:baseline;gap:10px;margin-bottom:6px}
figcaption h3{margin:0;font-size:15px;font-weight:600}
.hint{color:var(--muted);font-size:12px}
svg.chart{display:block;max-width:100%;height:auto;font-size:13px}
svg.chart .lbl{fill:#323f4b}svg.chart .val{fill:#323f4b;font-variant-numeric:tabular-nums}
svg.chart .sub{fill:#7b8794;font-size:11px}svg.chart .track{fill:#f0f2f5}
svg.chart .bar:hover rect:not(.track){opacity:.85}
.empty,.muted{color:#9aa5b1}
.toolbar{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;background:var(--card);
border:1px solid var(--line);border-bottom:0;border-radius:8px 8px 0 0;padding:12px 16px}
.toolbar label{color:var(--muted);font-size:13px;display:flex;align-items:center;gap:6px}
.toolbar select{font:inherit;font-size:13px;padding:4px 8px;border:1px solid #cbd2d9;border-radius:5px;
background:#fff;color:var(--fg);min-width:9em}
.toolbar button{font:inherit;font-size:13px;padding:4px 12px;border:1px solid #cbd2d9;border-radius:5px;
background:#fff;cursor:pointer}
.toolbar .count{margin-left:auto;font-weight:600;font-variant-numeric:tabular-nums}
.tablebox{background:var(--card);border:1px solid var(--line);border-radius:0 0 8px 8px;overflow-x:auto}
table{border-collapse:collapse;width:100%;min-width:960px}
thead th{position:sticky;top:0;background:#f8fafc;z-index:1;text-align:left;font-weight:600;font-size:13px;
color:#3e4c59;padding:10px 12px;border-bottom:2px solid var(--line);white-space:nowrap}
th .sort{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th .sort:hover,th .sort:focus-visible{color:var(--accent)}
th .arrow{display:inline-block;width:1em;color:var(--accent)}
tbody td{padding:12px;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:hover{background:#fbfcfe}
tr.rec.dec-block td:first-child{box-shadow:inset 3px 0 0 var(--block)}
tr.rec.dec-review td:first-child{box-shadow:inset 3px 0 0 var(--review)}
.c-id{width:150px;word-break:break-all}.c-dec{width:84px}.c-risk{width:92px}.c-sev{width:70px}.c-role{width:170px}
.num{font-variant-numeric:tabular-nums}
.sub{color:var(--muted);font-size:12px;line-height:1.5;margin-top:2px}
.badge{display:inline-block;border-radius:10px;padding:0 9px;font-size:12px;line-height:20px;font-weight:600;
white-space:nowrap;margin:0 4px 2px 0}
.badge.dec-pass{background:#e8f5e9;color:var(--pass)}.badge.dec-review{background:#fff3e0;color:#a35f00}
.badge.dec-block{background:#ffebee;color:var(--block)}.badge.err{background:#f3e5f5;color:#6a1b9a}
.badge.sev-high{background:#c62828;color:#fff}.badge.sev-medium{background:#ef6c00;color:#fff}
.badge.sev-low{background:#fbc02d;color:#3e2723}.badge.sev-none{background:#e4e7eb;color:#52606d}
.risk-val{font-weight:600}
.riskbar{display:block;width:64px;height:5px;background:#eef0f3;border-radius:3px;margin-top:5px;overflow:hidden}
.riskbar i{display:block;height:100%;background:linear-gradient(90deg,#fbc02d,#ef6c00 55%,#c62828)}
.text{font-size:15px;line-height:1.9;white-space:pre-wrap;word-break:break-word;max-height:20em;overflow:auto}
.text+.text{margin-top:6px;padding-top:6px;border-top:1px dashed var(--line)}
.fieldname{font-size:12px;color:var(--muted);line-height:1.4}
mark{border-radius:3px;padding:1px 1px;color:inherit;cursor:help}
mark.sev-high{background:#ffd6d6;box-shadow:inset 0 -2px 0 #c62828}
mark.sev-medium{background:#ffe6c7;box-shadow:inset 0 -2px 0 #ef6c00}
mark.sev-low{background:#fff3b0;box-shadow:inset 0 -2px 0 #f9a825}
mark.sev-none{background:#e4e7eb}
mark mark{padding:0;outline:1px solid rgba(0,0,0,.25)}
mark[data-n]::after{content:attr(data-n);font-size:10px;vertical-align:super;line-height:0;margin-left:1px;
color:#52606d;font-weight:600}
ol.findings{list-style:none;margin:8px 0 0;padding:0;display:grid;gap:4px}
li.finding{background:#f8fafc;border:1px solid #edf0f3;border-radius:6px;padding:5px 10px;font-size:13px;line-height:1.65}
.fhead{display:flex;flex-wrap:wrap;align-items:center;gap:2px 8px}
.fno{display:inline-block;min-width:18px;height:18px;line-height:18px;text-align:center;border-radius:9px;
background:#52606d;color:#fff;font-size:11px;font-weight:600}
.fhead .badge{margin:0}
q.ftext{font-weight:600;quotes:"「" "」"}
.term,.field,.why{color:var(--muted)}
.pos{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;
color:#243b53;background:#eef2f7;border-radius:4px;padding:0 6px;cursor:help}
.cat{color:#243b53;background:#e4ecf7;border-radius:4px;padding:0 6px}
.warn{color:#a35f00}
.suggest .meta{margin-left:auto;padding-left:16px;color:#9aa5b1;font-size:12px;white-space:nowrap}
li.finding>div:not(.fhead){display:flex;color:#3e4c59}
li.finding b{flex:none;width:5em;color:var(--muted);font-weight:600}
.suggest{color:#1b5e20}.suggest b{color:#2e7d32}.suggest.none{color:#52606d}
.error{margin-top:8px;background:#fdecea;border:1px solid #f5c2c0;color:#8e1b1b;border-radius:6px;padding:6px 10px}
.error b{margin-right:8px}
.nomatch td{text-align:center;color:var(--muted);padding:28px}
.tablebox.solo{border-radius:8px}
.fig.decided{border-top-color:var(--accent)}.fig.precision{border-top-color:var(--pass)}
.fig.review-error{border-top-color:#6a1b9a}.fig.repeat{border-top-color:#ef6c00}
.fig.open{border-top-color:var(--review)}.fig.overdue{border-top-color:var(--block)}
table.kpi{min-width:640px}table.kpi td.num,table.kpi th.num{text-align:right}
footer{color:#9aa5b1;font-size:12px;margin-top:24px}
@media print{.toolbar{display:none}thead th{position:static}.text{max-height:none}body{background:#fff}}
"""

_JS = """
(function () {
  "use strict";
  var tbody = document.querySelector("#records tbody");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr.rec"));
  var noMatch = document.getElementById("no-match");
  var fDec = document.getElementById("f-decision");
  var fCat = document.getElementById("f-category");
  var fRole = document.getElementById("f-role");
  var count = document.getElementById("shown-count");
  function apply() {
    var d = fDec.value, c = fCat.value, r = fRole.value, shown = 0;
    rows.forEach(function (tr) {
      var ok = (!d || tr.getAttribute("data-decision") === d) &&
        (!c || (" " + tr.getAttribute("data-categories") + " ").indexOf(" " + c + " ") >= 0) &&
        (!r || (r === "__none__" ? !tr.getAttribute("data-role") : tr.getAttribute("data-role") === r));
      tr.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = "显示 " + shown + " / " + rows.length + " 条";
    if (noMatch) { noMatch.hidden = shown !== 0 || rows.length === 0; }
  }
  [fDec, fCat, fRole].forEach(function (el) { el.addEventListener("change", apply); });
  document.getElementById("f-reset").addEventListener("click", function () {
    fDec.value = ""; fCat.value = ""; fRole.value = ""; apply();
  });
  var th = document.getElementById("th-risk");
  var btn = document.getElementById("sort-risk");
  btn.addEventListener("click", function () {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    rows.sort(function (a, b) {
      var x = parseFloat(a.getAttribute("data-risk")) || 0, y = parseFloat(b.getAttribute("data-risk")) || 0;
      var ia = +a.getAttribute("data-idx"), ib = +b.getAttribute("data-idx");
      return asc ? (x - y) || (ib - ia) : (y - x) || (ia - ib);
    });
    rows.forEach(function (tr) { tbody.insertBefore(tr, noMatch); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    btn.querySelector(".arrow").textContent = asc ? "\\u25b2" : "\\u25bc";
    btn.title = asc ? "当前按风险升序，点击改为降序" : "当前按风险降序，点击改为升序";
  });
  apply();
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def _figure(key: str, label: str, value: int, total: int) -> str:
    pct = f'<span class="p">{100 * value / total:.1f}%</span>' if total and key in DECISIONS + ("errors",) else ""
    return (
        f'<div class="fig {key}"><div class="k">{_esc(label)}</div>'
        f'<div class="v"><span id="sum-{key}" data-value="{value}">{value:,}</span>{pct}</div></div>'
    )


def _page_top(title: str) -> str:
    """The top of a page in the report's style, up to its title: the report and the KPI page share it."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="screening report">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="top"><div class="wrap" style="padding-top:0;padding-bottom:0">
<h1 id="title">{_esc(title)}</h1>
"""


def render_report(
    rows: list[tuple[dict[str, Any], dict[str, Any]]], summary: dict[str, Any], *, title: str, omitted: int = 0
) -> str:
    """Render the whole report page.

    Args:
        rows: ``(item, result)`` pairs for the table (normally the flagged records); they are shown
            by risk, highest first, ties in the given order.
        summary: run totals as returned by :func:`summarize` (missing keys count as zero).
        title: the page title.
        omitted: flagged records counted in ``summary`` but not given in ``rows``.

    Returns:
        One self-contained HTML document (inline CSS, JS and SVG; nothing is fetched).
    """
    rows = sorted(rows, key=lambda r: -_risk(r[1]))
    total = int(summary.get("records") or 0)
    decisions = summary.get("decisions") or {}
    generated = summary.get("generated_at") or datetime.now(policy_zone()).isoformat(timespec="seconds")
    generated_txt = _fmt_time(generated, seconds=True)
    versions = summary.get("versions") or {}
    version_html = "".join(
        f'<span class="chip" data-version="{_esc(k)}">{_esc(k)} {_esc(" / ".join(map(str, v if isinstance(v, list) else [v])))}</span>'
        for k, v in versions.items()
    )
    flagged = int(summary.get("flagged") if summary.get("flagged") is not None else len(rows) + omitted)
    figures = "".join(
        [
            _figure("records", "记录总数", total, total),
            _figure("pass", "通过 pass", int(decisions.get("pass", 0)), total),
            _figure("review", "复核 review", int(decisions.get("review", 0)), total),
            _figure("block", "拦截 block", int(decisions.get("block", 0)), total),
            _figure("errors", "错误记录", int(summary.get("errors") or 0), total),
            _figure("flagged", "需处理（复核/拦截/错误）", flagged, total),
        ]
    )
    notice = ""
    if omitted:
        notice = (
            f'<p class="notice" id="omitted" data-omitted="{int(omitted)}">表格仅列出风险最高的 {len(rows):,} 条'
            f"需处理记录，另有 <b>{int(omitted):,}</b> 条需处理记录因数量上限未列出（已计入上方统计）。</p>"
        )

    dec_present = [d for d in DECISIONS if any(r.get("decision") == d for _, r in rows)]
    dec_present += sorted({str(r.get("decision")) for _, r in rows} - set(DECISIONS) - {"None"})
    cat_counts: Counter[str] = Counter()
    role_counts: Counter[str] = Counter()
    for _, r in rows:
        cat_counts.update({str(f.get("category") or "other") for f in _findings(r)})
        role_counts[_role(r) or _NO_ROLE] += 1
    cat_order = {c: i for i, c in enumerate(CATEGORIES)}
    dec_opts = _options([(d, f"{DECISION_ZH.get(d, d)} {d}") for d in dec_present])
    cat_opts = _options(
        [
            (c, f"{CATEGORY_ZH.get(c, c)} {c}（{cat_counts[c]}）")
            for c in sorted(cat_counts, key=lambda c: (cat_order.get(c, 99), c))
        ]
    )
    role_order = {r: i for i, r in enumerate(ROLE_ZH)}
    role_opts = _options(
        [
            (r, f"{ROLE_ZH.get(r, r)}（{role_counts[r]}）" if r != _NO_ROLE else f"无复核角色（{role_counts[r]}）")
            for r in sorted(role_counts, key=lambda r: (r == _NO_ROLE, role_order.get(r, 99), r))
        ]
    )
    body_rows = "".join(_row(i, item, result) for i, (item, result) in enumerate(rows))
    if not rows:
        body_rows = '<tr class="nomatch"><td colspan="6">没有需要复核或拦截的记录。</td></tr>'
    no_match = '<tr class="nomatch" id="no-match" hidden><td colspan="6">没有符合筛选条件的记录。</td></tr>'

    return _page_top(title) + f"""<div class="meta"><span>生成时间 <time id="generated" datetime="{_esc(generated)}">{_esc(generated_txt)}</time></span>
<span id="versions">版本 {version_html or '<span class="chip">—</span>'}</span></div>
</div></header>
<main class="wrap">
<section aria-labelledby="h-summary"><h2 id="h-summary" hidden>概览</h2>
<div class="figures" id="summary">{figures}</div>{notice}
</section>
<section aria-labelledby="h-charts"><h2 id="h-charts">统计图</h2>
<div class="charts">{_charts(summary)}</div>
</section>
<section aria-labelledby="h-records"><h2 id="h-records">需处理记录 <span class="hint">判定为复核、拦截或出错的记录；悬停高亮处可查看类别、依据与建议</span></h2>
<div class="toolbar" role="group" aria-label="筛选">
<label>判定 <select id="f-decision">{dec_opts}</select></label>
<label>问题类别 <select id="f-category">{cat_opts}</select></label>
<label>复核角色 <select id="f-role">{role_opts}</select></label>
<button type="button" id="f-reset">重置</button>
<span class="count" id="shown-count" aria-live="polite">显示 {len(rows)} / {len(rows)} 条</span>
</div>
<div class="tablebox"><table id="records">
<thead><tr><th scope="col">ID</th><th scope="col">判定</th>
<th scope="col" id="th-risk" aria-sort="descending"><button type="button" class="sort" id="sort-risk" title="当前按风险降序，点击改为升序">风险 <span class="arrow">&#x25bc;</span></button></th>
<th scope="col">严重度</th><th scope="col">复核角色 / 截止</th><th scope="col">文案与问题</th></tr></thead>
<tbody>{body_rows}{no_match}</tbody>
</table></div>
</section>
<footer>本报告由 screening 离线生成，所有内容均内嵌于本文件，打开时不访问网络。风险为文案含违规宣称的校准概率，仅用于排序复核工作，不构成法律意见。</footer>
</main>
<script>{_JS}</script>
</body>
</html>
"""


def render_kpis(stats: Mapping[str, Any], *, title: str = "复核工作台 KPI", tz: tzinfo | None = None) -> str:
    """The review KPIs (``ReviewQueue.stats()``) as one self-contained page with charts.

    The page is built from the report's parts (header, figures, chart cards, table) and carries
    the report's stylesheet, so the two pages look alike; its generation time is in ``tz`` (the
    policy's zone, the one due times are given in; default: the packaged policy's).
    """
    per_role = stats.get("per_role") or {}

    def hours(x: Any) -> str:
        return f"{x:.2f}" if isinstance(x, (int, float)) and math.isfinite(x) else "—"

    def pct(x: Any) -> str:
        return f"{x:.0%}" if isinstance(x, (int, float)) and math.isfinite(x) else "—"

    role_rows = "".join(
        f"<tr><td>{_esc(ROLE_ZH.get(r, r))} <span class='muted'>{_esc(r)}</span></td>"
        f"<td class='num'>{_esc(v.get('decided', 0))}</td><td class='num'>{hours(v.get('avg_hours_to_decision'))}</td>"
        f"<td class='num'>{hours(v.get('p90_hours_to_decision'))}</td><td class='num'>{pct(v.get('within_sla'))}</td>"
        f"<td class='num'>{pct(v.get('ai_precision'))}</td></tr>"
        for r, v in per_role.items()
    )
    if not role_rows:
        role_rows = '<tr class="nomatch"><td colspan="6">尚无已决定的任务。</td></tr>'
    sla_bars = [(r, ROLE_ZH.get(r, r), r, round(100 * v["within_sla"]), _ROLE_COLOR.get(r, "#455a64"))
                for r, v in per_role.items() if isinstance(v.get("within_sla"), (int, float))
                and math.isfinite(v["within_sla"])]
    backlog = stats.get("backlog_by_age") or {}
    backlog_bars = [(k, k, "", int(n), "#c77700") for k, n in backlog.items()]
    fp = stats.get("false_positive_rate_by_term") or {}
    fp_bars = [(t, t, f"{v['false_positives']}/{v['decided']}", v["false_positives"], "#c62828")
               for t, v in list(fp.items())[:TOP_TERMS] if v["false_positives"]]

    def figure(key: str, label: str, value: Any) -> str:
        return (f'<div class="fig {key}"><div class="k">{_esc(label)}</div>'
                f'<div class="v"><span id="kpi-{key}">{_esc(value)}</span></div></div>')

    figures = "".join([
        figure("decided", "已决定 decided", stats.get("decided", 0)),
        figure("precision", "AI 精确率 precision", pct(stats.get("ai_precision"))),
        figure("review-error", "评审误报率 review error", pct(stats.get("review_error_rate"))),
        figure("repeat", "重复违规率 repeat", pct(stats.get("repeat_violation_rate"))),
        figure("open", "待处理 open", stats.get("open", 0)),
        figure("overdue", "已超时 overdue", stats.get("overdue", 0)),
    ])
    cards = [
        ("sla", "SLA 内完成率（%）", "各角色已决定任务", _bar_chart("sla", sla_bars, 100, "SLA 内完成率")),
        ("backlog", "积压（按等待时长）", "待处理任务数",
         _bar_chart("backlog", backlog_bars, sum(int(n) for n in backlog.values()), "积压")),
        ("fp_terms", "误报最多的词", "误报 / 已决定",
         _bar_chart("fp_terms", fp_bars, sum(b[3] for b in fp_bars), "误报词")),
    ]
    charts = "".join(
        f'<figure class="card chart-card" id="chart-{name}"><figcaption><h3>{_esc(h)}</h3>'
        f'<span class="hint">{_esc(hint)}</span></figcaption>{svg}</figure>'
        for name, h, hint, svg in cards
    )
    generated = datetime.now(tz or policy_zone()).isoformat(timespec="seconds")
    since = stats.get("since")
    return _page_top(title) + f"""<div class="meta"><span>生成时间 <time id="generated" datetime="{_esc(generated)}">{_esc(_fmt_time(generated, seconds=True))}</time></span>
<span id="since">统计起点 {_esc(_fmt_time(since) if since else "全部")}</span></div>
</div></header>
<main class="wrap">
<section aria-labelledby="h-summary"><h2 id="h-summary" hidden>概览</h2>
<div class="figures" id="summary">{figures}</div>
</section>
<section aria-labelledby="h-charts"><h2 id="h-charts">统计图</h2>
<div class="charts">{charts}</div>
</section>
<section aria-labelledby="h-roles"><h2 id="h-roles">各角色</h2>
<div class="tablebox solo"><table class="kpi" id="roles"><thead><tr><th scope="col">角色</th>
<th scope="col" class="num">已决定</th><th scope="col" class="num">平均用时(h)</th><th scope="col" class="num">P90 用时(h)</th>
<th scope="col" class="num">SLA 内</th><th scope="col" class="num">AI 精确率</th></tr></thead><tbody>{role_rows}</tbody></table></div>
</section>
<footer>本页由 screening 离线生成，所有内容均内嵌于本文件，打开时不访问网络。</footer>
</main>
</body>
</html>
"""
