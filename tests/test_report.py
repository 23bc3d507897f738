"""The HTML report: escaping, highlighting and bounded memory, then the real page in a headless browser.

The unit tests need nothing beyond the standard library. The browser tests load a report built from
the real screener's results in Debian's Chromium through Selenium, and check what a reviewer sees:
the figures, the flagged rows, the filters, sorting, highlights and that hostile copy stays text.
They are skipped (with the reason) when Chromium, chromedriver or Selenium are missing.
"""

from __future__ import annotations

import base64
import html
import random
import shutil
import struct
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from screening import Screener
from screening.batch.report import HtmlReportWriter, highlight, is_flagged, render_kpis, render_report, summarize
from screening.types import CATEGORY_ZH

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)  # fixed, so the due times are stable
SCREENSHOT_COPY = Path("/tmp/report_screenshot.png")
SCRIPT = "<script>alert(1)</script>"
HOSTILE_MERCHANT = '"><img src=x onerror="window.__pwned=1">'

# (id, content_type, product_category, text): violations and lawful look-alikes a platform sees daily.
LINES = [
    ("sku-001", "listing", "cosmetics", "全网第一的美白精华，7天美白，效果最佳"),
    ("sku-002", "listing", "general", "第一次用就爱上了，手感很好，回购第三次"),
    ("sku-003", "listing", "food", "开封后最好冷藏，建议三天内吃完"),
    ("sku-004", "listing", "general", "100%纯棉T恤，透气舒适，机洗不变形"),
    ("ad-005", "ad", "health_food", "国家级专家推荐，根治失眠，一盒见效"),
    ("live-006", "live_script", "alcohol", "家人们，这是特供酒同款原料，限时秒杀最后一天"),
    ("post-007", "post", "cosmetics", "用了三天祛斑，永不反弹，无效退款"),
    ("sv-008", "short_video", "general", SCRIPT + "史上最低价，全网最低"),
    ("sku-009", "listing", "drug", "药到病除，包治百病"),
    ("sku-010", "listing", "general", "风水摆件，招财旺运保平安"),
    ("sku-011", "listing", "general", "北欧风实木餐桌，尺寸120×70cm，可拆卸桌腿"),
    ("sku-012", "listing", "food", "东北五常大米，当季新米，真空包装"),
    ("sku-013", "listing", "cosmetics", "这款面霜是最好的选择，专柜正品"),
    ("live-014", "live_script", "cosmetics", "姐妹们看过来，这个精华消炎杀菌，三天去痘印"),
    ("post-015", "post", "food", "周末烘焙记录：黄油最好提前软化，面粉过筛两次"),
    ("sv-016", "short_video", "health_food", "老中医祖传秘方，降血压降血糖，无副作用"),
    ("ad-017", "ad", "finance", "保本保息，年化收益12%，稳赚不赔"),
    ("sku-018", "listing", "infant_formula", "最接近母乳的配方，提高宝宝免疫力"),
    ("sku-019", "listing", "general", "销量第一名的充电宝，行业领先"),
    ("post-020", "post", "general", "第一次去这家咖啡店，环境安静，适合办公"),
    ("live-021", "live_script", "food", "今天直播间专供价，错过再等一年"),
    ("sku-022", "listing", "general", "顶级工艺，奢华享受，独一无二"),
    ("sku-023", "listing", "general", "棉麻混纺围巾，长180cm，多色可选"),
    ("ad-024", "ad", "education", "保过班，不过全额退款，名师押题"),
    ("sku-025", "listing", "real_estate", "地铁口旁，步行5分钟到商圈，升值潜力无限"),
    ("post-026", "post", "cosmetics", "敏感肌亲测，用了一个月皮肤状态稳定，不是最便宜的但值得"),
    ("sku-027", "listing", "food", "纯天然无添加，100%有机认证，抗癌防衰老"),
    ("sv-028", "short_video", "general", "开运手串，转运招桃花，戴上就发财"),
    ("sku-029", "listing", "general", "驾驶座椅腰靠，记忆棉材质，适合长途驾驶"),
    ("sku-030", "listing", "food", "宝宝辅食最佳搭配，第一口就爱上"),
]


# ------------------------------------------------------------------------------------ helpers
class _MarkText(HTMLParser):
    """Collect, per finding number, the text inside its <mark> pieces; check the tags balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[list[str]] = []
        self.by_finding: dict[str, str] = {}
        self.text = ""
        self.marks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            self.marks += 1
            self.stack.append((dict(attrs).get("data-f") or "").split())

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            assert self.stack, "a </mark> without its <mark>"
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text += data
        for numbers in self.stack:
            for n in numbers:
                self.by_finding[n] = self.by_finding.get(n, "") + data


def parse_marks(fragment: str) -> _MarkText:
    p = _MarkText()
    p.feed(fragment)
    p.close()
    assert not p.stack, "unclosed <mark>"
    return p


def finding(start: Any, end: Any, text: str = "", severity: str = "high", **kw: Any) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "text": text,
        "term": text,
        "term_id": "T-1",
        "category": kw.pop("category", "absolute_claim"),
        "severity": severity,
        "basis": "广告法第九条第三项",
        "suggestion": "很好",
        "detector": "lexicon",
        "confidence": 0.9,
        "explanation": "绝对化用语",
        **kw,
    }


def result(rid: str, decision: str, risk: float, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": rid,
        "decision": decision,
        "risk": risk,
        "severity": "high" if decision == "block" else "medium" if decision == "review" else "none",
        "findings": findings or [],
        "route": None if decision == "pass" else {"role": "merchant_compliance", "due_at": "2026-11-22T10:00:00+08:00", "sla_hours": 24},
        "versions": {"screening": "0.1.0"},
        "error": None,
    }


# ------------------------------------------------------------------------------------ unit tests
def test_render_report_escapes_every_text() -> None:
    item = {"id": '<b id="x">', "texts": {"text": SCRIPT + "最好"}, "merchant_id": "<i>m</i>", "content_type": "listing"}
    res = result('<b id="x">', "review", 0.6, [finding(25, 27, "最好", basis="<u>法</u>", suggestion='"><script>x()</script>')])
    res["error"] = "<svg onload=alert(1)>"
    page = render_report([(item, res)], summarize([res]), title="<title>报告")

    assert page.count("<script") == 1  # only the page's own
    assert "<svg onload" not in page and "<u>" not in page and "<i>m" not in page and '<b id="x">' not in page
    assert html.escape(SCRIPT) in page and "&lt;title&gt;报告" in page
    assert '<meta charset="utf-8">' in page and '<html lang="zh-CN">' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page


def test_highlight_nests_merges_splits_and_ignores_bad_offsets() -> None:
    text = "最好最佳第一品牌"
    fs = [
        (1, finding(0, 4, "最好最佳")),  # contains 2
        (2, finding(0, 2, "最好", severity="medium")),
        (3, finding(2, 6, "最佳第一")),  # crosses 1
        (4, finding(2, 6, "最佳第一", severity="low")),  # same span as 3: shares its mark
        (5, finding(-1, 2)),
        (6, finding(5, 99)),
        (7, finding(3, 3)),
        (8, finding(4, 2)),
        (9, finding("0", 2)),
        (10, finding(True, 2)),
        (11, finding(None, None)),
        (12, finding(6, 8, "品牌", severity="low")),  # ends exactly at the end of the text
    ]
    out = highlight(text, fs)
    p = parse_marks(out)

    assert p.text == text  # nothing lost, nothing duplicated
    assert {n: t for n, t in p.by_finding.items()} == {"1": "最好最佳", "2": "最好", "3": "最佳第一", "4": "最佳第一", "12": "品牌"}
    assert 'data-f="3 4"' in out  # one mark for an identical span
    assert 'class="sev-high cont"' in out  # 3 is split where 1 ends
    assert highlight("", [(1, finding(0, 1))]) == '<span class="hl"></span>'


def test_findings_are_placed_by_field_and_unplaceable_ones_still_listed() -> None:
    item = {"id": "m-1", "texts": {"title": "国家级面霜", "detail": "效果最佳<b>"}}
    res = result(
        "m-1",
        "block",
        0.9,
        [
            finding(0, 3, "国家级", field="title"),
            finding(2, 4, "最佳", field="detail"),
            finding(0, 2, "最佳", field="nope"),  # unknown field: listed, not highlighted
            finding(40, 42, "最佳"),  # out of range: listed, not highlighted
        ],
    )
    page = render_report([(item, res)], summarize([res]), title="t")
    row = page[page.index('<tr class="rec') : page.index("</tr>", page.index('<tr class="rec'))]
    p = parse_marks(row)
    assert p.by_finding == {"1": "国家级", "2": "最佳"}
    assert row.count('class="finding"') == 4 and row.count("未能定位") == 2
    assert "效果最佳<b>" in p.text  # the copy's tag is text, not markup


def test_writer_keeps_the_riskiest_flagged_rows_and_counts_everything(tmp_path: Path) -> None:
    rng = random.Random(7)
    path = tmp_path / "report.html"
    records = []
    with HtmlReportWriter(str(path), limit=5) as w:
        for i in range(400):
            decision = rng.choice(["pass", "pass", "review", "block"])
            risk = round(rng.random(), 3) if decision != "pass" else 0.05
            res = result(f"r{i}", decision, risk, [finding(0, 2, "最好")] if decision != "pass" else [])
            if i % 50 == 0:
                res["error"] = "bad record"
            records.append(res)
            w.write({"id": f"r{i}", "texts": {"text": "最好的"}}, res)
            assert len(w._heap) <= 5  # bounded memory, whatever the scan size
    w.close()  # idempotent

    flagged = [r for r in records if is_flagged(r)]
    expected = sorted(flagged, key=lambda r: -r["risk"])[:5]
    page = path.read_text(encoding="utf-8")
    shown = [html.unescape(x.split('"')[0]) for x in page.split('data-id="')[1:]]
    assert shown == [r["id"] for r in expected]
    assert w.omitted == len(flagged) - 5
    assert f'data-omitted="{len(flagged) - 5}"' in page
    decisions = Counter(r["decision"] for r in records)
    for key, value in [("records", 400), ("block", decisions["block"]), ("errors", 8), ("flagged", len(flagged))]:
        assert f'id="sum-{key}" data-value="{value}"' in page
    with pytest.raises(ValueError):
        w.write({}, result("x", "block", 1.0))
    assert not list(tmp_path.glob("*.tmp"))


def test_writer_with_no_flagged_records_and_zero_limit(tmp_path: Path) -> None:
    with HtmlReportWriter(str(tmp_path / "a.html"), limit=0) as w:
        w.write({"id": "a", "texts": {"text": "纯棉"}}, result("a", "pass", 0.05))
        w.write({"id": "b", "texts": {"text": "最好"}}, result("b", "block", 0.9))
    page = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert 'class="rec' not in page and w.omitted == 1
    with pytest.raises(ValueError):
        HtmlReportWriter(str(tmp_path / "b.html"), limit=-1)


# ------------------------------------------------------------------------------------ the real page
@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Screen the sample lines with the packaged screener and write the report."""
    s = Screener()
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for rid, ct, pc, text in LINES:
        item = {"id": rid, "texts": {"text": text}, "merchant_id": None, "content_type": ct, "product_category": pc}
        if rid == "sv-008":
            item["merchant_id"] = HOSTILE_MERCHANT
        pairs.append((item, s.screen(text, content_type=ct, product_category=pc, id=rid, now=NOW).to_dict()))
    pairs.append(
        (
            {"id": "x-9", "texts": {"text": ""}, "merchant_id": None, "content_type": "listing", "product_category": "general"},
            s.error_result("x-9", "line 9: text is empty", now=NOW).to_dict(),
        )
    )
    fields = {"title": "国家级品质保温杯", "detail": "304不锈钢内胆，保温效果最佳，终身保修"}
    pairs.append(
        (
            {"id": "sku-multi", "texts": fields, "merchant_id": "m-88", "content_type": "listing", "product_category": "general"},
            s.screen_fields(fields, id="sku-multi", now=NOW).to_dict(),
        )
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    with HtmlReportWriter(str(path)) as w:
        for item, res in pairs:
            w.write(item, res)
    return {"path": path, "pairs": pairs, "results": [r for _, r in pairs]}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("browser tests need /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    # An explicit binary and driver keep Selenium Manager from trying to download a browser.
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,2000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    d.set_window_size(1400, 2000)
    try:
        yield d
    finally:
        d.quit()


@pytest.fixture
def page(driver: Any, scan: dict[str, Any]) -> Any:
    driver.get(scan["path"].as_uri())
    assert driver.execute_script("return document.documentElement.getAttribute('data-ready')") == "1"
    driver.get_log("browser")  # start each test with an empty console
    return driver


def visible_ids(d: Any) -> list[str]:
    return d.execute_script(
        "return Array.from(document.querySelectorAll('#records tr.rec')).filter(r => !r.hidden && r.offsetParent)"
        ".map(r => r.getAttribute('data-id'))"
    )


def choose(d: Any, select_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(d.find_element(By.ID, select_id)).select_by_value(value)


def count_text(d: Any) -> str:
    return d.execute_script("return document.getElementById('shown-count').textContent")


def flagged_ids(scan: dict[str, Any], keep: Any = lambda r: True) -> set[str]:
    return {r["id"] for r in scan["results"] if is_flagged(r) and keep(r)}


def test_page_loads_self_contained_without_js_errors(driver: Any, scan: dict[str, Any]) -> None:
    driver.get(scan["path"].as_uri())
    state = driver.execute_script(
        "return {ready: document.documentElement.getAttribute('data-ready'), charset: document.characterSet,"
        " lang: document.documentElement.lang, title: document.title, scripts: document.scripts.length,"
        " resources: performance.getEntriesByType('resource').length, pwned: window.__pwned === undefined ? 0 : 1}"
    )
    assert state == {"ready": "1", "charset": "UTF-8", "lang": "zh-CN", "title": "广告合规筛查报告", "scripts": 1, "resources": 0, "pwned": 0}
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []


def test_summary_figures_and_charts_match_the_results(page: Any, scan: dict[str, Any]) -> None:
    results = scan["results"]
    decisions = Counter(r["decision"] for r in results)
    expected = {
        "records": len(results),
        "pass": decisions["pass"],
        "review": decisions["review"],
        "block": decisions["block"],
        "errors": sum(1 for r in results if r["error"]),
        "flagged": len(flagged_ids(scan)),
    }
    shown = page.execute_script(
        "const o = {}; for (const k of arguments[0]) { o[k] = document.getElementById('sum-' + k).textContent } return o",
        list(expected),
    )
    assert {k: int(v.replace(",", "")) for k, v in shown.items()} == expected
    assert expected["records"] == 32 and expected["errors"] == 1 and 0 < expected["pass"] < 32

    bars = page.execute_script(
        "const o = {}; for (const g of document.querySelectorAll('svg.chart')) {"
        " o[g.dataset.chart] = Array.from(g.querySelectorAll('g.bar')).map(b => [b.dataset.key, +b.dataset.value]) }"
        " return o"
    )
    assert dict(bars["decisions"]) == {d: decisions[d] for d in ("pass", "review", "block")}
    categories = Counter(c for r in results for c in {f["category"] for f in r["findings"]})
    assert dict(bars["categories"]) == dict(categories)
    roles = Counter(r["route"]["role"] for r in results if r["route"])
    assert dict(bars["roles"]) == dict(roles)
    terms = Counter(f["term"] for r in results for f in r["findings"])
    assert len(bars["terms"]) == min(15, len(terms))
    assert all(terms[t] == n for t, n in bars["terms"])
    values = [n for _, n in bars["terms"]]
    assert values == sorted(values, reverse=True)
    assert max((n for t, n in terms.items() if t not in dict(bars["terms"])), default=0) <= values[-1]
    labels = page.execute_script("return document.getElementById('chart-categories').textContent")
    assert "绝对化用语" in labels and "absolute_claim" in labels
    versions = page.execute_script("return document.getElementById('versions').textContent")
    assert all(v in versions for v in results[0]["versions"].values())


def test_table_lists_only_flagged_records(page: Any, scan: dict[str, Any]) -> None:
    ids = visible_ids(page)
    assert set(ids) == flagged_ids(scan) and len(ids) == len(set(ids))
    passed = {r["id"] for r in scan["results"] if r["decision"] == "pass" and not r["error"]}
    assert passed and passed.isdisjoint(ids)
    assert count_text(page) == f"显示 {len(ids)} / {len(ids)} 条"
    error_row = page.execute_script("return document.querySelector('tr[data-id=\"x-9\"]').textContent")
    assert "line 9: text is empty" in error_row


def test_filters_by_decision_category_and_role(page: Any, scan: dict[str, Any]) -> None:
    total = len(flagged_ids(scan))
    block = flagged_ids(scan, lambda r: r["decision"] == "block")
    choose(page, "f-decision", "block")
    assert set(visible_ids(page)) == block and len(visible_ids(page)) == len(block)
    assert count_text(page) == f"显示 {len(block)} / {total} 条"
    choose(page, "f-decision", "review")
    assert set(visible_ids(page)) == flagged_ids(scan, lambda r: r["decision"] == "review")
    choose(page, "f-decision", "")

    for category in ("absolute_claim", "superstition", "guarantee_claim"):
        choose(page, "f-category", category)
        want = flagged_ids(scan, lambda r, c=category: any(f["category"] == c for f in r["findings"]))
        assert want and set(visible_ids(page)) == want
        assert count_text(page) == f"显示 {len(want)} / {total} 条"
    choose(page, "f-category", "")

    for role in ("content_review", "risk_control", "merchant_compliance"):
        choose(page, "f-role", role)
        want = flagged_ids(scan, lambda r, role=role: (r["route"] or {}).get("role") == role)
        assert want and set(visible_ids(page)) == want

    # Filters combine; an empty combination says so.
    seen_empty = seen_full = False
    for decision in ("block", "review"):
        for role in ("content_review", "risk_control", "merchant_compliance"):
            for category in ("absolute_claim", "superstition", "medical_claim"):
                want = flagged_ids(
                    scan,
                    lambda r, d=decision, ro=role, c=category: r["decision"] == d
                    and (r["route"] or {}).get("role") == ro
                    and any(f["category"] == c for f in r["findings"]),
                )
                if (want and seen_full) or (not want and seen_empty):
                    continue
                choose(page, "f-decision", decision)
                choose(page, "f-role", role)
                choose(page, "f-category", category)
                assert set(visible_ids(page)) == want
                assert count_text(page) == f"显示 {len(want)} / {total} 条"
                hidden = page.execute_script("return document.getElementById('no-match').hidden")
                assert hidden is bool(want)
                seen_full, seen_empty = seen_full or bool(want), seen_empty or not want
    assert seen_full and seen_empty
    page.execute_script("document.getElementById('f-reset').click()")
    assert len(visible_ids(page)) == total


def test_risk_header_sorts_both_ways(page: Any) -> None:
    from selenium.webdriver.common.by import By

    def risks() -> list[float]:
        return page.execute_script(
            "return Array.from(document.querySelectorAll('#records tr.rec')).map(r => +r.dataset.risk)"
        )

    initial = risks()
    assert initial == sorted(initial, reverse=True) and len(set(initial)) > 2
    header = page.find_element(By.ID, "sort-risk")
    header.click()
    assert risks() == sorted(initial)
    assert page.find_element(By.ID, "th-risk").get_attribute("aria-sort") == "ascending"
    header.click()
    assert risks() == sorted(initial, reverse=True)
    assert page.find_element(By.ID, "th-risk").get_attribute("aria-sort") == "descending"


def test_marks_show_exactly_the_findings_text(page: Any, scan: dict[str, Any]) -> None:
    marked = page.execute_script(
        "const o = {}; for (const tr of document.querySelectorAll('#records tr.rec')) { const m = {};"
        " for (const k of tr.querySelectorAll('mark')) for (const n of k.dataset.f.split(' '))"
        "   m[n] = (m[n] || '') + k.textContent;"
        " o[tr.dataset.id] = m } return o"
    )
    checked = 0
    for item, res in scan["pairs"]:
        if not is_flagged(res):
            continue
        want = {str(n): f["text"] for n, f in enumerate(res["findings"], 1)}
        assert marked[res["id"]] == want
        for f in res["findings"]:
            text = item["texts"][f.get("field") or next(iter(item["texts"]))]
            assert text[f["start"] : f["end"]] == f["text"]
            checked += 1
    assert checked > 30
    title = page.execute_script("return document.querySelector('tr[data-id=\"sku-001\"] mark').title")
    findings = next(r for r in scan["results"] if r["id"] == "sku-001")["findings"]
    assert CATEGORY_ZH[findings[0]["category"]] in title and findings[0]["basis"] in title and "建议" in title
    items = page.execute_script(
        "return Array.from(document.querySelectorAll('tr[data-id=\"sku-001\"] li.finding')).map(li => li.textContent)"
    )
    assert len(items) == len(findings)
    for f, text in zip(findings, items):
        # a lawful alternative, or why there is none
        alternative = f["suggestion"] or f.get("suggestion_reason") or "无现成替代词"
        assert f["basis"] in text and alternative in text and "法律依据" in text


def test_hostile_copy_is_shown_as_text_and_not_run(page: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    state = page.execute_script(
        "const tr = document.querySelector('tr[data-id=\"sv-008\"]');"
        " return {text: tr.querySelector('.text').textContent, sub: tr.querySelector('.c-id').textContent,"
        " scripts: document.scripts.length, imgs: document.images.length, pwned: window.__pwned || 0}"
    )
    assert state["text"].startswith(SCRIPT) and HOSTILE_MERCHANT in state["sub"]
    assert state["scripts"] == 1 and state["imgs"] == 0 and state["pwned"] == 0
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018  (accessing the alert is the check)


def test_full_page_screenshot(page: Any, tmp_path: Path) -> None:
    metrics = page.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = page.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    png = base64.b64decode(shot["data"])
    out = tmp_path / "report.png"
    out.write_bytes(png)
    shutil.copyfile(out, SCREENSHOT_COPY)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1300 and height >= 2000 and len(png) > 100_000


def test_model_risk_clauses_are_not_counted_as_terms() -> None:
    s = summarize([
        {"decision": "review", "findings": [{"category": "model_risk", "term": "", "text": "喝了三天血压就降下来了"}]},
        {"decision": "block", "findings": [{"category": "absolute_claim", "term": "最好", "text": "最好"}]},
    ])
    assert s["terms"] == [["最好", 1]]
    assert s["categories"]["model_risk"] == 1


# ------------------------------------------------------------------- line:column, time zone, KPIs
def _positions(page: str) -> dict[str, str]:
    """Finding number -> the line:column shown in its list item."""
    import re

    out = {}
    for m in re.finditer(r'<li class="finding" data-f="(\d+)"(.*?)</li>', page, flags=re.DOTALL):
        pos = re.search(r'<span class="pos"[^>]*>([^<]*)</span>', m.group(2))
        if pos:
            out[m.group(1)] = pos.group(1)
    return out


def test_findings_of_a_multi_line_script_show_their_line_and_column() -> None:
    script = "家人们看过来\r\n这款面霜\r\n用了就是全网最好用的"
    start = script.index("最好用")
    item = {"id": "live-1", "texts": {"text": script}, "content_type": "live_script"}
    res = result("live-1", "review", 0.7, [finding(start, start + 3, "最好用"), finding(0, 3, "家人们", severity="low")])
    page = render_report([(item, res)], summarize([res]), title="t")
    assert _positions(page) == {"1": "3:7", "2": "1:1"}
    assert 'data-line="3" data-column="7"' in page
    assert parse_marks(page[page.index('<tr class="rec'):]).by_finding["1"] == "最好用"  # start/end unchanged


def test_positions_are_per_field_and_single_line_texts_show_none() -> None:
    item = {"id": "sku-2", "texts": {"title": "修护面霜 全网最好用", "detail": "第一步洁面\n第二步涂抹\n坚持使用根治痘痘"}}
    at = item["texts"]["detail"].index("根治")
    res = result("sku-2", "block", 0.9, [finding(7, 10, "最好用", field="title"), finding(at, at + 2, "根治", field="detail")])
    page = render_report([(item, res)], summarize([res]), title="t")
    assert _positions(page) == {"2": "3:5"}  # the one-line title needs no position


def test_generation_time_is_in_the_zone_of_the_due_times() -> None:
    from zoneinfo import ZoneInfo

    due_in_tokyo = result("a", "review", 0.6)
    due_in_tokyo["route"]["due_at"] = "2026-11-22T10:00:00+09:00"
    s = summarize([result("p", "pass", 0.01), due_in_tokyo])
    assert s["generated_at"].endswith("+09:00")
    page = render_report([], s, title="t")
    assert "(UTC+09:00)" in page[page.index('id="generated"'):page.index("</time>")]
    # Nothing routed: the policy's zone (the packaged policy's is Asia/Shanghai); or the one given.
    assert summarize([result("p", "pass", 0.01)])["generated_at"].endswith("+08:00")
    assert summarize([due_in_tokyo], tz=ZoneInfo("Europe/London"))["generated_at"][-6:] in ("+00:00", "+01:00")


def test_the_writer_dates_its_report_in_the_due_zone(tmp_path: Path) -> None:
    path = tmp_path / "r.html"
    with HtmlReportWriter(str(path)) as w:
        w.write({"id": "a", "texts": {"text": "最好的面霜"}}, result("a", "review", 0.6, [finding(0, 2, "最好")]))
    page = path.read_text(encoding="utf-8")
    generated = page[page.index('<time id="generated" datetime="') + 31:]
    assert generated[:generated.index('"')].endswith("+08:00")


def _style(page: str) -> str:
    return page[page.index("<style>") + 7:page.index("</style>")]


def test_the_kpi_page_wears_the_reports_styles() -> None:
    import re

    stats = {
        "since": None, "decided": 12, "ai_precision": 0.75, "review_error_rate": 0.1, "repeat_violation_rate": 0.2,
        "open": 4, "overdue": 1, "backlog_by_age": {"<2h": 3, "2-12h": 1},
        "per_role": {"merchant_compliance": {"decided": 12, "avg_hours_to_decision": 3.5, "p90_hours_to_decision": 9.0,
                                             "within_sla": 0.9, "ai_precision": 0.75}},
        "false_positive_rate_by_term": {"第一": {"false_positives": 3, "decided": 5}},
    }
    page = render_kpis(stats)
    report = render_report([], summarize([]), title="t")
    assert _style(page) == _style(report)  # one stylesheet, shared
    css = _style(page)
    used = {c for attr in re.findall(r'class=["\']([^"\']*)["\']', page[page.index("<body>"):]) for c in attr.split()}
    unstyled = {c for c in used if not re.search(r"\." + re.escape(c) + r"(?![\w-])", css)}
    # Every class is styled by the shared stylesheet, or is one the report page itself uses.
    assert not unstyled - {c for attr in re.findall(r'class="([^"]*)"', report) for c in attr.split()}, unstyled
    assert '<header class="top">' in page and 'class="fig ' in page and 'class="card chart-card"' in page
    assert "90%" in page and "3.50" in page and "复核工作台" in page
    assert "+08:00" in page[page.index('id="generated"'):page.index("</time>")].replace("UTC+08:00", "+08:00")
