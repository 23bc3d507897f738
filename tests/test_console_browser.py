"""The reviewer console in headless Chromium through Selenium: the whole flow of issue 18.

A lead adds two reviewers; both sign in; each presses "claim next" at the same moment and gets a
different task; one decides with the keyboard (a false positive, proposing an allow phrase), the
other escalates to legal; legal decides; a complaint opens a 72-hour task; the lead accepts the
allow-list proposal; the KPI page shows the decisions. Screenshots of the queue, task and KPI
pages are saved into docs/.

The service runs in uvicorn on a loopback port in a background thread; skipped (with the reason)
when Chromium, chromedriver, Selenium or the server extra are missing, as tests/test_report.py does.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")
pytest.importorskip("python_multipart")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from screening import Screener  # noqa: E402
from screening.integrations.service import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# The screenshots in docs/ are refreshed on request only (SCREENING_SCREENSHOTS=docs); a plain test
# run would otherwise leave the checkout modified with every run's pixels.
DOCS = (ROOT / "docs" if os.environ.get("SCREENING_SCREENSHOTS") == "docs"
        else Path(tempfile.gettempdir()) / "screening-shots")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PASSWORD = "correct-horse-battery"
SCRIPT = "<script>window.__pwned=1</script>"
# The project's own example copy (tests/test_report.py): short videos and posts go to 作品评审专员.
RECORDS = [
    ("post-008", "post", "general", SCRIPT + "史上最低价，全网最低", "m-008", 0),
    ("sv-026", "short_video", "general", "上海第一百货 羊绒大衣 冬季新款", "m-026", 0),
    ("sv-016", "short_video", "health_food", "老中医祖传秘方，降血压降血糖，无副作用", "m-016", 0),
    ("sv-028", "short_video", "general", "开运手串，转运招桃花，戴上就发财", "m-028", -3),  # overdue
    ("post-007", "post", "cosmetics", "用了三天祛斑，永不反弹，无效退款", "m-007", 0),
    ("live-014", "live_script", "cosmetics", "姐妹们看过来，这个精华消炎杀菌，三天去痘印", "m-014", 0),
    ("sku-001", "listing", "cosmetics", "全网第一的美白精华，7天美白，效果最佳", "m-001", 0),
    ("sku-013", "listing", "cosmetics", "这款面霜是最好的选择，专柜正品", "m-001", 0),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("console")
    (tmp / "user").mkdir()
    app = create_app(model=None, review_db=tmp / "review.db", user_lexicon=tmp / "user")
    c = app.state.console
    s = Screener(model=None)
    now = datetime.now(timezone.utc)
    for rid, ct, pc, text, merchant, hours in RECORDS:
        r = s.screen(text, content_type=ct, product_category=pc, id=rid, now=now + timedelta(hours=hours)).to_dict()
        assert r["decision"] != "pass", rid
        c.queue.intake({"id": rid, "texts": {"text": text}, "merchant_id": merchant, "content_type": ct,
                        "product_category": pc}, r)
    # the lead and legal come from `python cli.py users add`; the reviewers are added in the console
    c.users.add("组长李", PASSWORD, [], lead=True, actor="setup")
    c.users.add("法务王", PASSWORD, ["legal"], actor="setup")
    app.state.tmp = tmp
    with LiveServer(app) as server:
        yield server


def _driver(profile: Path) -> Any:
    webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    # An explicit binary and driver keep Selenium Manager from trying to download a browser.
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1360,1000", "--lang=zh-CN", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    d.set_window_size(1360, 1000)
    return d


@pytest.fixture(scope="module")
def browsers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("browser tests need /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium chromium-driver)")
    a = _driver(tmp_path_factory.mktemp("profile-a"))
    try:
        b = _driver(tmp_path_factory.mktemp("profile-b"))
    except Exception:
        a.quit()
        raise
    try:
        yield a, b
    finally:
        a.quit()
        b.quit()


def by_css(d: Any, sel: str) -> Any:
    from selenium.webdriver.common.by import By

    return d.find_element(By.CSS_SELECTOR, sel)


def all_css(d: Any, sel: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return d.find_elements(By.CSS_SELECTOR, sel)


def ready(d: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, 10).until(lambda x: x.execute_script(
        "return document.readyState === 'complete' && document.documentElement.getAttribute('data-ready') === '1'"))


def navigating(d: Any, act: Any) -> None:
    """Do ``act()`` (a click or a key that submits a form) and wait for the next page."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = by_css(d, "html")
    act()
    WebDriverWait(d, 10).until(ec.staleness_of(old))
    ready(d)


def login(d: Any, live: LiveServer, name: str) -> None:
    d.delete_all_cookies()
    d.get(live.url + "/console/login")
    by_css(d, "#name").send_keys(name)
    by_css(d, "#password").send_keys(PASSWORD)
    navigating(d, by_css(d, "#login").click)
    assert by_css(d, "#whoami").text == name


def press(d: Any, key: str) -> None:
    """Press a verdict shortcut on the task page (it submits the verdict form)."""
    from selenium.webdriver.common.action_chains import ActionChains

    navigating(d, lambda: ActionChains(d).send_keys(key).perform())


def message(d: Any) -> str:
    ready(d)
    return by_css(d, "#message").text


def shot(d: Any, name: str) -> None:
    DOCS.mkdir(exist_ok=True)
    height = int(d.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)"))
    # the whole page, not only the window: a device-metrics override as tall as the page
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1360, "height": max(700, height), "deviceScaleFactor": 1, "mobile": False})
    try:
        d.save_screenshot(str(DOCS / name))
    finally:
        d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def no_errors(d: Any) -> None:
    errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
    assert not errors, errors
    assert d.execute_script("return window.__pwned") is None


def test_the_whole_flow(live: LiveServer, browsers: tuple[Any, Any]) -> None:
    a, b = browsers
    console = live.app.state.console

    # -- a lead adds two reviewers in the console
    login(a, live, "组长李")
    for name in ("张三", "李四"):
        a.get(live.url + "/console/lead/users")
        by_css(a, "#u-name").send_keys(name)
        by_css(a, "#u-password").send_keys(PASSWORD)
        by_css(a, "#u-role-content_review").click()
        navigating(a, by_css(a, "#u-submit").click)
        assert name in message(a)
    assert {u.name: u.roles for u in console.users.list()}["李四"] == ("content_review",)

    # -- both sign in, and press "claim next" at the same moment
    login(a, live, "张三")
    login(b, live, "李四")
    for d in (a, b):
        d.get(live.url + "/console/queue?role=content_review")
        ready(d)
    rows = all_css(a, "#open tr.task")
    assert len(rows) == 5
    overdue = all_css(a, "#open tr.task.overdue")
    assert len(overdue) == 1 and "已超时" in overdue[0].find_element("css selector", ".countdown").text
    left = by_css(a, "#open tr.task:not(.overdue) .countdown").text
    assert left.startswith("剩余")
    time.sleep(1.2)
    assert by_css(a, "#open tr.task:not(.overdue) .countdown").text != left  # the countdown is live
    shot(a, "console-queue.png")
    no_errors(a)

    barrier = threading.Barrier(2)

    def claim(d: Any) -> str:
        button = by_css(d, "#claim-next")
        barrier.wait()
        navigating(d, button.click)
        return str(d.current_url)

    with ThreadPoolExecutor(2) as pool:
        url_a, url_b = pool.map(claim, (a, b))
    assert "/console/task/" in url_a and "/console/task/" in url_b
    task_a, task_b = int(url_a.rsplit("/", 1)[1]), int(url_b.rsplit("/", 1)[1])
    assert task_a != task_b
    assert {console.queue.show(t)["reviewer"] for t in (task_a, task_b)} == {"张三", "李四"}

    # -- 张三 decides with the keyboard: a false positive proposing the prefilled allow phrase
    # (shortest_phrase around the hit) when there is one, else confirmed
    a.get(live.url + f"/console/task/{task_a}")
    ready(a)
    assert all_css(a, "#copy-1 mark")  # findings highlighted at their offsets
    assert by_css(a, "#findings .basis").text
    shot(a, "console-task.png")
    phrase = by_css(a, "#allow-phrase").get_attribute("value")
    if phrase:
        by_css(a, "#propose-allow").click()
        press(a, "2")  # false positive
        verdict = "false_positive"
    else:
        press(a, "1")  # confirmed
        verdict = "confirmed"
    assert str(task_a) in message(a)
    assert console.queue.show(task_a)["decision_record"]["verdict"] == verdict
    no_errors(a)

    # -- 李四 escalates to legal with a note, by the keyboard too
    b.get(live.url + f"/console/task/{task_b}")
    ready(b)
    by_css(b, "#note").send_keys("涉及医疗功效，请法务判断")
    by_css(b, "body").click()
    press(b, "l")
    assert "法务" in message(b)
    t = console.queue.show(task_b)
    assert t["role"] == "legal" and t["status"] == "pending"

    # -- legal claims and decides
    login(b, live, "法务王")
    b.get(live.url + "/console/queue?role=legal")
    ready(b)
    navigating(b, by_css(b, "#claim-next").click)
    assert b.current_url.endswith(f"/console/task/{task_b}")
    press(b, "1")
    assert str(task_b) in message(b)
    assert console.queue.show(task_b)["decision_record"]["reviewer"] == "法务王"

    # -- a complaint opens a 72-hour task
    b.get(live.url + "/console/complaints")
    by_css(b, "#c-record").send_keys("sku-013")
    by_css(b, "#c-by").send_keys("消费者")
    by_css(b, "#c-text").send_keys("宣称最好的选择，无依据")
    navigating(b, by_css(b, "#c-submit").click)
    assert "72" in message(b)
    (complaint,) = console.store.query("SELECT * FROM tasks WHERE kind='complaint'")
    assert complaint["sla_hours"] == 72 and complaint["role"] == "merchant_compliance"
    assert abs((complaint["due_at"] - complaint["created_at"]) - 72 * 3600) < 1

    # -- the lead accepts the allow-list proposal (when 张三 made one) and sees the KPIs
    login(a, live, "组长李")
    if verdict == "false_positive":
        a.get(live.url + "/console/lead/proposals")
        ready(a)
        (row,) = all_css(a, "#proposals tr[data-proposal]")
        pid = row.get_attribute("data-proposal")
        navigating(a, by_css(a, f"#accept-{pid}").click)
        assert "已采纳" in message(a)
        assert console.queue.proposals("accepted")[0]["id"] == int(pid)
        allow = list((live.app.state.tmp / "user").glob("*"))
        assert allow and any(phrase in p.read_text(encoding="utf-8") for p in allow if p.is_file())
    a.get(live.url + "/console/lead/kpis")
    ready(a)
    assert by_css(a, "#kpi-decided").text == "2"
    bars = all_css(a, '#chart-per_day g.bar')
    assert sum(int(g.get_attribute("data-value")) for g in bars) == 2
    roles = {r.get_attribute("data-role") for r in all_css(a, "#roles tr[data-role]")}
    assert roles == {"content_review", "legal"}
    shot(a, "console-kpi.png")
    no_errors(a)
