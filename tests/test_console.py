"""The reviewer console's pages and their security, through FastAPI's TestClient.

The backend's rules (roles, leads, throttling) are tested in tests/test_desk.py and friends; here
it is the web layer's part: signed HttpOnly SameSite cookies, a CSRF token on every POST, escaping
of merchant text, and that the pages pass every action to the backend (403 when it refuses).
Skipped without the ``server`` extra.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import T0, Clock

pytest.importorskip("fastapi")
pytest.importorskip("jinja2")
pytest.importorskip("python_multipart")
with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what the test extra installs
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from screening import Screener  # noqa: E402
from screening.integrations.service import create_app  # noqa: E402

NOW = T0  # 10:00 Asia/Shanghai
PASSWORD = "correct-horse-battery"
SCRIPT = "<script>alert(1)</script>"
HOSTILE_ID = '"><img src=x onerror=alert(2)>'
# The project's own example copy (tests/test_report.py), one record per content type.
RECORDS = [
    ("sv-001", "short_video", "general", "史上最低价，全网最低，限时秒杀最后一天", "m-001"),
    ("sv-002", "short_video", "cosmetics", "用了三天祛斑，永不反弹，无效退款", "m-002"),
    ("sku-003", "listing", "cosmetics", "这款面霜是最好的选择，专柜正品", "m-003"),
    ("post-004", "post", "general", SCRIPT + "史上最低价，全网最低", HOSTILE_ID),
    (HOSTILE_ID, "post", "general", "国家级专家推荐，根治失眠，一盒见效", "m-005"),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(model=None)


@pytest.fixture
def app(tmp_path: Path, screener: Screener) -> Any:
    clock = Clock()
    (tmp_path / "user").mkdir()
    app = create_app(model=None, review_db=tmp_path / "review.db", user_lexicon=tmp_path / "user",
                     console_clock=clock, api_key="k" * 20)
    c = app.state.console
    for rid, ct, pc, text, merchant in RECORDS:
        r = screener.screen(text, content_type=ct, product_category=pc, id=rid, now=NOW).to_dict()
        assert r["decision"] != "pass", (rid, r)
        c.queue.intake({"id": rid, "texts": {"text": text}, "merchant_id": merchant, "content_type": ct,
                        "product_category": pc}, r)
    c.users.add("组长", PASSWORD, [], lead=True, actor="test")
    c.users.add("alice", PASSWORD, ["content_review"], actor="test")
    c.users.add("bob", PASSWORD, ["merchant_compliance"], actor="test")
    app.state.clock = clock
    return app


def client(app: Any) -> TestClient:
    return TestClient(app, follow_redirects=False)


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]*)"', page)
    assert m, page[:500]
    return m.group(1)


def login(c: TestClient, name: str, password: str = PASSWORD) -> Any:
    token = csrf_of(c.get("/console/login").text)
    return c.post("/console/login", data={"csrf": token, "name": name, "password": password})


@pytest.fixture
def as_user(app: Any) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(name: str) -> tuple[TestClient, str]:
        c = client(app)
        clients.append(c)
        r = login(c, name)
        assert r.status_code == 303, r.text
        return c, csrf_of(c.get("/console/queue").text)

    yield make
    for c in clients:
        c.close()


def task_of(app: Any, record_id: str) -> int:
    return int(app.state.console.store.query("SELECT id FROM tasks WHERE record_id=?", (record_id,))[0]["id"])


# ------------------------------------------------------------------------------- sessions
def test_session_cookie_is_signed_httponly_samesite_strict(app: Any) -> None:
    c = client(app)
    r = login(c, "alice")
    assert r.status_code == 303 and r.headers["location"] == "/console/queue"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("screening_console="))
    attrs = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")}
    assert "httponly" in attrs and attrs["samesite"].lower().endswith("strict")
    assert attrs["path"].endswith("/console")
    assert "secure" not in attrs  # plain http here; over https the cookie is Secure
    token, _, mac = cookie.split(";")[0].split("=", 1)[1].rpartition(".")
    assert len(token) >= 43 and len(mac) == 64
    assert c.get("/console/queue").status_code == 200
    # a session token without its signature, or with another, is no session
    for forged in (token, token + "." + "0" * 64):
        other = client(app)
        other.cookies.set("screening_console", forged, path="/console")
        assert other.get("/console/queue").status_code == 303


def test_cookie_is_secure_over_https(app: Any) -> None:
    c = TestClient(app, base_url="https://console.example", follow_redirects=False)
    r = login(c, "alice")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("screening_console="))
    assert "secure" in cookie.lower()


def test_pages_need_a_session_and_logout_ends_it(app: Any, as_user: Any) -> None:
    anon = client(app)
    assert anon.get("/console/queue").headers["location"].startswith("/console/login")
    assert anon.post("/console/claim", data={"role": "content_review"}).status_code == 401
    c, csrf = as_user("alice")
    r = c.post("/console/logout", data={"csrf": csrf})
    assert r.status_code == 303
    assert c.get("/console/queue").status_code == 303


def test_wrong_password_is_throttled_with_429(app: Any) -> None:
    c = client(app)
    codes = [login(c, "alice", "wrong-password-x").status_code for _ in range(5)]
    assert codes == [401] * 5
    r = login(c, "alice")  # even the right password now waits
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "次数过多" in r.text
    assert "screening_console=" not in r.headers.get("set-cookie", "")


def test_login_form_needs_its_own_csrf_token(app: Any) -> None:
    c = client(app)
    c.get("/console/login")
    r = c.post("/console/login", data={"csrf": "forged.00", "name": "alice", "password": PASSWORD})
    assert r.status_code == 403
    other = client(app)  # a token from another browser's form does not match this browser's cookie
    token = csrf_of(c.get("/console/login").text)
    other.get("/console/login")
    assert other.post("/console/login", data={"csrf": token, "name": "alice", "password": PASSWORD}).status_code == 403


# ------------------------------------------------------------------------------- CSRF
@pytest.mark.parametrize("path,data", [
    ("/console/claim", {"role": "content_review"}),
    ("/console/task/{tid}/act", {"action": "confirmed"}),
    ("/console/complaints", {"record_id": "sv-001", "text": "虚假宣传"}),
    ("/console/logout", {}),
])
def test_a_post_without_the_sessions_csrf_token_is_refused(app: Any, as_user: Any, path: str,
                                                            data: dict[str, str]) -> None:
    c, csrf = as_user("alice")
    tid = task_of(app, "sv-001")
    url = path.format(tid=tid)
    before = app.state.console.store.query("SELECT COUNT(*) AS n FROM audit")[0]["n"]
    for bad in ({}, {"csrf": ""}, {"csrf": csrf[:-2] + "xx"}):
        r = c.post(url, data={**data, **bad})
        assert r.status_code == 403, (url, bad, r.status_code)
        assert "CSRF" in r.text
    after = app.state.console.store.query("SELECT COUNT(*) AS n FROM audit")[0]["n"]
    assert after == before  # nothing happened
    _, csrf_b = as_user("bob")  # another person's token is not this session's
    assert c.post(url, data={**data, "csrf": csrf_b}).status_code == 403
    assert c.get("/console/queue").status_code == 200  # still signed in


# ------------------------------------------------------------------------------- roles
def test_a_reviewer_cannot_claim_or_decide_another_roles_task(app: Any, as_user: Any) -> None:
    bob, csrf = as_user("bob")  # merchant_compliance only
    tid = task_of(app, "sv-001")  # a short video: content_review
    assert bob.post("/console/claim", data={"csrf": csrf, "role": "content_review"}).status_code == 403
    for action in ("confirmed", "false_positive", "needs_change", "escalate:legal"):
        r = bob.post(f"/console/task/{tid}/act", data={"csrf": csrf, "action": action})
        assert r.status_code == 403, action
    assert bob.get(f"/console/task/{tid}").status_code == 403
    assert bob.get("/console/queue?role=content_review").status_code == 403
    t = app.state.console.queue.show(tid)
    assert t["status"] == "pending" and t["role"] == "content_review"
    # their own role works
    r = bob.post("/console/claim", data={"csrf": csrf, "role": "merchant_compliance"})
    assert r.status_code == 303 and r.headers["location"] == f"/console/task/{task_of(app, 'sku-003')}"


def test_a_reviewer_cannot_see_lead_views_nor_settle_proposals(app: Any, as_user: Any) -> None:
    alice, csrf = as_user("alice")
    tid = task_of(app, "sv-001")
    r = alice.post("/console/claim", data={"csrf": csrf, "role": "content_review"})
    assert r.status_code == 303
    held = int(r.headers["location"].rsplit("/", 1)[1])
    page = alice.get(f"/console/task/{held}").text
    phrase = re.search(r'id="allow-phrase" value="([^"]*)"', page)
    assert phrase is not None
    r = alice.post(f"/console/task/{held}/act", data={"csrf": csrf, "action": "false_positive",
                                                      "propose_allow": "1", "allow_phrase": phrase.group(1)})
    assert r.status_code == 303, r.text
    (prop,) = app.state.console.queue.proposals()
    for url in ("/console/lead/kpis", "/console/lead/proposals", "/console/lead/merchants", "/console/lead/overdue",
                "/console/lead/users", "/console/lead/export.jsonl"):
        assert alice.get(url).status_code == 403, url
    assert alice.post(f"/console/lead/proposals/{prop['id']}", data={"csrf": csrf, "accept": "1"}).status_code == 403
    assert alice.post(f"/console/lead/reassign/{tid}", data={"csrf": csrf, "role": "legal"}).status_code == 403
    assert alice.post("/console/lead/users", data={"csrf": csrf, "name": "eve", "password": PASSWORD,
                                                   "role_legal": "1", "lead": "1"}).status_code == 403
    assert app.state.console.queue.proposals()[0]["status"] == "proposed"
    assert app.state.console.users.by_name("eve") is None
    # the lead may
    lead, lcsrf = as_user("组长")
    r = lead.post(f"/console/lead/proposals/{prop['id']}", data={"csrf": lcsrf, "accept": "1"})
    assert r.status_code == 303, r.text
    assert app.state.console.queue.proposals("accepted")[0]["id"] == prop["id"]
    assert lead.get("/console/lead/kpis").status_code == 200


# ------------------------------------------------------------------------------- escaping
def test_merchant_text_and_ids_are_shown_escaped(app: Any, as_user: Any) -> None:
    lead, _ = as_user("组长")
    pages = [lead.get("/console/queue?role=content_review").text]
    for rid in ("post-004", HOSTILE_ID):
        r = lead.get(f"/console/task/{task_of(app, rid)}")
        assert r.status_code == 200
        pages.append(r.text)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for page in pages:
        assert SCRIPT not in page and "<img" not in page
        assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")  # only as escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in pages[2] or "&quot;&gt;&lt;img" in pages[2]
    # no page carries an inline script
    assert all(re.search(r"<script(?![^>]*\bsrc=)", p) is None for p in pages)


def test_complaint_form_opens_a_72_hour_task(app: Any, as_user: Any) -> None:
    alice, csrf = as_user("alice")
    r = alice.post("/console/complaints", data={"csrf": csrf, "record_id": "sv-002", "text": "宣称永不反弹，实际无效",
                                                "complainant": "消费者"})
    assert r.status_code == 303, r.text
    t = app.state.console.store.query("SELECT * FROM tasks WHERE kind='complaint'")[0]
    assert t["sla_hours"] == 72 and t["record_id"] == "sv-002"
    r = alice.post("/console/complaints", data={"csrf": csrf, "record_id": "nope", "text": "x"})
    assert r.status_code == 404


def test_api_complaint_needs_the_api_key(app: Any) -> None:
    c = client(app)
    body = {"record_id": "sku-003", "text": "宣称最好，无依据", "complainant": "消费者"}
    assert c.post("/v1/complaints", json=body).status_code == 401
    r = c.post("/v1/complaints", json=body, headers={"X-API-Key": "k" * 20})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["role"] == "merchant_compliance"
    due = datetime.fromisoformat(out["due_at"])
    assert due - NOW == timedelta(hours=72)
    r = c.post("/v1/complaints", json={**body, "record_id": "nope"}, headers={"X-API-Key": "k" * 20})
    assert r.status_code == 404
    # the console is not behind the API key (it has its own sign-in)
    assert c.get("/console/login").status_code == 200


def test_lead_pages_render_and_export_is_jsonl(app: Any, as_user: Any) -> None:
    alice, csrf = as_user("alice")
    r = alice.post("/console/claim", data={"csrf": csrf, "role": "content_review"})
    tid = int(r.headers["location"].rsplit("/", 1)[1])
    assert alice.post(f"/console/task/{tid}/act", data={"csrf": csrf, "action": "confirmed", "note": "ok"}).status_code == 303
    lead, lcsrf = as_user("组长")
    k = lead.get("/console/lead/kpis").text
    assert 'id="chart-per_day"' in k and 'data-chart="per_day"' in k and 'id="kpi-decided">1<' in k
    rows = [json.loads(line) for line in lead.get("/console/lead/export.jsonl").text.splitlines()]
    assert len(rows) == 1 and rows[0]["label"] == "violation"
    for url in ("/console/lead/merchants", "/console/lead/proposals", "/console/lead/overdue", "/console/lead/users"):
        assert lead.get(url).status_code == 200
    r = lead.post("/console/lead/users", data={"csrf": lcsrf, "name": "carol", "password": PASSWORD,
                                               "role_legal": "1"})
    assert r.status_code == 303
    assert app.state.console.users.by_name("carol").roles == ("legal",)


def test_queue_pages_and_static_files(app: Any, as_user: Any) -> None:
    alice, _ = as_user("alice")
    page = alice.get("/console/queue").text
    due = re.findall(r'<tr class="task[^"]*" data-task="\d+".*?data-due="([^"]+)"', page, re.DOTALL)
    assert len(due) == 4 and due == sorted(due)  # the four content_review tasks, soonest due first
    assert 'id="claim-next"' in page and 'class="countdown"' in page
    css = alice.get("/console/static/report.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert alice.get("/console/static/console.js").headers["content-type"].startswith("text/javascript")
    assert alice.get("/console/static/..%2Fconsole.py").status_code == 404
    assert alice.get("/console/static/nope.css").status_code == 404


def test_serve_takes_the_review_db_from_db_or_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    import screening.integrations.service as service
    from screening.cli import cli

    seen: list[Any] = []
    monkeypatch.setattr(service, "serve", lambda *a, **kw: seen.append(kw.get("review_db")))
    runner = CliRunner()
    assert "--db" in runner.invoke(cli, ["serve", "--help"]).output
    monkeypatch.delenv("SCREENING_REVIEW_DB", raising=False)
    assert runner.invoke(cli, ["serve", "--no-model"]).exit_code == 0
    assert runner.invoke(cli, ["serve", "--no-model", "--db", str(tmp_path / "a.db")]).exit_code == 0
    monkeypatch.setenv("SCREENING_REVIEW_DB", str(tmp_path / "b.db"))
    assert runner.invoke(cli, ["serve", "--no-model"]).exit_code == 0
    assert seen == [None, str(tmp_path / "a.db"), str(tmp_path / "b.db")]


def test_pagination_and_a_deep_page(app: Any, as_user: Any, screener: Screener) -> None:
    c = app.state.console
    for i in range(60):
        text = "史上最低价，全网最低"
        r = screener.screen(text, content_type="short_video", id=f"sv-p{i:02d}", now=NOW).to_dict()
        c.queue.intake({"id": f"sv-p{i:02d}", "texts": {"text": text}, "merchant_id": None,
                        "content_type": "short_video", "product_category": "general"}, r)
    alice, _ = as_user("alice")
    first = alice.get("/console/queue?role=content_review").text
    assert first.count('<tr class="task') == 50 and 'id="next"' in first and "第 1 / 2 页" in first
    second = alice.get("/console/queue?role=content_review&page=2").text
    assert second.count('<tr class="task') == 14 and 'id="prev"' in second
    assert alice.get("/console/queue?role=content_review&page=x").status_code == 200
