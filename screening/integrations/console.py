"""The reviewer console: the human half of "AI 初审 + 人工复审" in a browser, under ``/console``.

Server-rendered pages (Jinja2, autoescape on) with a little plain JavaScript; nothing is fetched
from the internet: the stylesheet is the HTML report's own (:mod:`screening.batch.report`, served
as ``/console/static/report.css``) plus a few console rules, and the charts are the report's
inline SVG bar charts.

Every decision about who may do what is the backend's: each action goes through
:class:`screening.review.desk.Desk`, which checks the person's roles and lead flag and writes the
audit log; the pages only leave out buttons a person could not use anyway.

Security, and why:

- **Sessions** live in the store (:class:`screening.review.users.Users`); the browser holds the
  session's random token in a cookie signed with HMAC-SHA256 under :meth:`Users.secret`, HttpOnly,
  SameSite=Strict, path ``/console``, and Secure when the page was requested over https. A
  tampered or unsigned cookie is no session.
- **CSRF**: every form carries the session's CSRF token and every POST is refused (403) without
  it, compared in constant time. The login form, before any session exists, carries a signed
  nonce that must match a short-lived cookie (double submit).
- **Login throttling** is the backend's (five failures in 15 minutes per name or address); the
  console answers 429 with ``Retry-After``.
- **Merchant text is untrusted**: Jinja2 escapes everything, the copy's highlighting is the
  report's escaping :func:`~screening.batch.report.highlight`, no data is put inside ``<script>``,
  and a Content-Security-Policy allows only the console's own script and stylesheets.
- **One database connection** is shared by the console's requests, serialised by a lock (SQLite
  writes are serial anyway; reads are milliseconds with the store's indexes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ..batch.report import _CSS as REPORT_CSS
from ..batch.report import _ROLE_COLOR, _bar_chart, highlight
from ..engine.policy import Policy
from ..errors import ScreeningError
from ..review.desk import Desk
from ..review.proposals import shortest_phrase
from ..review.queue import ReviewQueue
from ..review.store import SQLiteStore, StoreError
from ..review.users import ROLES, AuthError, PermissionDenied, Session, Throttled, Users
from ..types import CATEGORY_ZH, CONTENT_TYPE_ZH, DECISION_ZH, ROLE_ZH, SEVERITY_ZH

PREFIX = "/console"
COOKIE = "screening_console"
LOGIN_COOKIE = "screening_console_login"
PAGE_SIZE = 50
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "console"
STATIC = HERE / "static" / "console"
VERDICT_ZH = {"confirmed": "确认违规", "false_positive": "误报", "needs_change": "需修改"}
# The key that presses each verdict button on the task page.
SHORTCUTS = {"confirmed": "1", "false_positive": "2", "needs_change": "3",
             "escalate:risk_control": "e", "escalate:legal": "l"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class Console:
    """What the console's requests share: the store, the desk, the templates and a lock."""

    def __init__(self, review_db: str | Path, *, policy: Policy | None = None,
                 user_lexicon: str | Path | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.store = SQLiteStore(review_db)
        kw = {"clock": clock} if clock is not None else {}
        self.queue = ReviewQueue(self.store, policy, **kw)
        self.users = Users(self.store, **kw)
        self.desk = Desk(self.queue, self.users)
        self.user_lexicon = user_lexicon
        self.lock = threading.RLock()
        with self.lock:
            self.secret = self.users.secret()
        self.env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                               autoescape=select_autoescape(["html"], default=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(ROLE_ZH=ROLE_ZH, CONTENT_TYPE_ZH=CONTENT_TYPE_ZH, CATEGORY_ZH=CATEGORY_ZH,
                                SEVERITY_ZH=SEVERITY_ZH, DECISION_ZH=DECISION_ZH, VERDICT_ZH=VERDICT_ZH,
                                ROLES=ROLES, SHORTCUTS=SHORTCUTS, prefix=PREFIX,
                                static_version=_static_version())

    # ------------------------------------------------------------------ signing
    def sign(self, value: str, purpose: str = "session") -> str:
        mac = hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{value}.{mac}"

    def unsign(self, signed: str | None, purpose: str = "session") -> str | None:
        if not signed or "." not in signed:
            return None
        value, _, mac = signed.rpartition(".")
        good = hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
        return value if hmac.compare_digest(mac.encode(), good.encode()) else None

    def render(self, template: str, request: Request, session: Session | None, status: int = 200,
               headers: dict[str, str] | None = None, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(session=session, user=session.user if session else None,
                                                  csrf=session.csrf if session else "", request=request, **ctx)
        return HTMLResponse(html, status_code=status, headers=headers)


def _static_version() -> str:
    h = hashlib.sha256(REPORT_CSS.encode())
    for p in sorted(STATIC.glob("*")):
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _int(value: Any, default: int = 0, lo: int = 0, hi: int = 10**9) -> int:
    try:
        return min(max(int(value), lo), hi)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- view helpers
def _copy_html(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Per text field: its name and its HTML with the findings marked (the report's highlight)."""
    texts = {str(k): v if isinstance(v, str) else "" for k, v in (task.get("texts") or {}).items()}
    findings = (task.get("result") or {}).get("findings") or []
    names = list(texts)
    by_field: dict[str, list[tuple[int, dict[str, Any]]]] = {n: [] for n in names}
    for n, f in enumerate(findings, 1):
        field = f.get("field")
        name = field if field in texts else (names[0] if names and not field else None)
        if name is not None:
            by_field[name].append((n, f))
    return [{"name": n, "html": Markup(highlight(texts[n], by_field[n]))} for n in names]


def _phrases(task: dict[str, Any]) -> list[str]:
    """The allow phrase the backend would propose for each finding (shortest_phrase), in order."""
    texts = task.get("texts") or {}
    out: list[str] = []
    for f in (task.get("result") or {}).get("findings") or []:
        if not f.get("term_id") or f.get("category") == "model_risk":
            continue
        text = texts.get(f.get("field") or "") or next(iter(texts.values()), "")
        s, e = f.get("start"), f.get("end")
        if isinstance(text, str) and isinstance(s, int) and isinstance(e, int):
            p = shortest_phrase(text, s, e)
            if p and p not in out:
                out.append(p)
    return out


def _hours(x: Any) -> str:
    return f"{x:.2f}" if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else "—"


def _pct(x: Any) -> str:
    return f"{x:.0%}" if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) else "—"


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if d.get(k) is not None:
            return d[k]
    return None


def _kpi_view(k: dict[str, Any]) -> dict[str, Any]:
    """The KPI dict (Desk.kpis) as figures and report-style SVG charts."""
    per_role: dict[str, Any] = k.get("per_role") or {}
    days = k.get("decisions_per_day") or []
    day_bars = [(f"{d.get('day')}|{d.get('role')}", str(d.get("day")), ROLE_ZH.get(str(d.get("role")), str(d.get("role"))),
                 int(d.get("n") or 0), _ROLE_COLOR.get(str(d.get("role")), "#455a64")) for d in days]
    sla_bars = [(r, ROLE_ZH.get(r, r), r, round(100 * v["within_sla"]), _ROLE_COLOR.get(r, "#455a64"))
                for r, v in per_role.items() if isinstance(v.get("within_sla"), (int, float))]
    prec_bars = [(r, ROLE_ZH.get(r, r), r, round(100 * v["ai_precision"]), _ROLE_COLOR.get(r, "#455a64"))
                 for r, v in per_role.items() if isinstance(v.get("ai_precision"), (int, float))]
    time_bars = []
    for r, v in per_role.items():
        for q in ("p50", "p90"):
            h = _first(v, f"{q}_hours_to_decision", f"{q}_hours")
            if isinstance(h, (int, float)) and math.isfinite(h):
                # bars are integers: minutes
                time_bars.append((f"{r}-{q}", ROLE_ZH.get(r, r), q.upper(), round(h * 60), _ROLE_COLOR.get(r, "#455a64")))
    fp = k.get("false_positive_rate_by_term") or {}
    fp_bars = [(t, t, f"{v['false_positives']}/{v['decided']}", round(100 * v["rate"]), "#c62828")
               for t, v in list(fp.items())[:15]]
    charts = [
        ("per_day", "每日决定数（按角色）", "已决定任务", _bar_chart("per_day", day_bars, sum(b[3] for b in day_bars), "每日决定数")),
        ("sla", "SLA 内完成率（%）", "各角色", _bar_chart("sla", sla_bars, 100, "SLA 内完成率")),
        ("time", "决定用时 P50 / P90（分钟）", "自建任务起", _bar_chart("time", time_bars, 0, "决定用时")),
        ("precision", "AI 精确率（%）", "非误报 / 已决定", _bar_chart("precision", prec_bars, 100, "AI 精确率")),
        ("fp_terms", "各词误报率（%）", "误报 / 已决定", _bar_chart("fp_terms", fp_bars, 100, "误报率")),
    ]
    figures = [
        ("decided", "已决定 decided", k.get("decided", 0)),
        ("within", "SLA 内 within SLA", _pct(_first(k, "within_sla"))),
        ("p50", "P50 用时(h)", _hours(_first(k, "p50_hours", "p50_hours_to_decision"))),
        ("p90", "P90 用时(h)", _hours(_first(k, "p90_hours", "p90_hours_to_decision"))),
        ("precision", "AI 精确率", _pct(k.get("ai_precision"))),
        ("open", "待处理 open", k.get("open", 0)),
        ("overdue", "已超时 overdue", k.get("overdue", 0)),
    ]
    roles = [{"role": r, "decided": v.get("decided", 0),
              "p50": _hours(_first(v, "p50_hours_to_decision", "p50_hours")),
              "p90": _hours(_first(v, "p90_hours_to_decision", "p90_hours")),
              "within": _pct(v.get("within_sla")), "precision": _pct(v.get("ai_precision"))}
             for r, v in per_role.items()]
    return {"charts": [(n, h, hint, Markup(svg)) for n, h, hint, svg in charts], "figures": figures, "roles": roles}


def _revisions_view(revs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in revs or []:
        diff = []
        for piece in r.get("diff") or []:
            op, text = (piece[0], piece[1]) if isinstance(piece, (list, tuple)) else (piece.get("op"), piece.get("text"))
            op = str(op)
            cls = "ins" if op in ("insert", "+", "added", "ins") else "del" if op in ("delete", "-", "removed", "del") else "eq"
            diff.append({"cls": cls, "text": text})
        out.append({**r, "diff_view": diff})
    return out


# --------------------------------------------------------------------------- the router
def console_router(console: Console) -> APIRouter:
    """The console's pages and form actions, to include in the service's app."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    c = console

    def current(request: Request) -> Session | None:
        token = c.unsign(request.cookies.get(COOKIE))
        if token is None:
            return None
        with c.lock:
            return c.users.session(token)

    def page(template: str, request: Request, session: Session | None, status: int = 200, **ctx: Any) -> Response:
        return _security_headers(c.render(template, request, session, status, **ctx))

    def problem(request: Request, session: Session | None, status: int, message: str) -> Response:
        return page("error.html", request, session, status, status_code=status, message=message)

    async def form_of(request: Request, session: Session) -> dict[str, str] | None:
        """The POSTed form, or None when its CSRF token is not the session's."""
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        given = data.get("csrf", "")
        if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
            return None
        return data

    def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``handler(request, session, form)`` for a signed-in person with a valid CSRF token;
        the backend's refusals become 403 / 404 / 409 pages."""

        async def run(request: Request) -> Response:
            session = await run_in_threadpool(current, request)
            if session is None:
                return problem(request, None, 401, "请先登录。")
            form = await form_of(request, session)
            if form is None:
                return problem(request, session, 403, "表单已失效（CSRF 校验未通过），请返回刷新页面后重试。")

            def locked() -> Response:
                with c.lock:
                    return handler(request, session, form)

            try:
                # off the event loop: the store and the password hash are blocking work
                return await run_in_threadpool(locked)
            except PermissionDenied as e:
                return problem(request, session, 403, f"无权执行：{e}")
            except StoreError as e:
                status = 404 if str(e).startswith("no ") else 409
                return problem(request, session, status, str(e))
            except (ScreeningError, ValueError) as e:
                return problem(request, session, 400, str(e))

        run.__name__ = handler.__name__
        return run

    def viewing(handler: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``handler(request, session)`` for a signed-in person (else to the login page)."""

        def run(request: Request) -> Response:
            session = current(request)
            if session is None:
                return _redirect(f"{PREFIX}/login?next={quote(request.url.path)}")
            try:
                with c.lock:
                    return handler(request, session)
            except PermissionDenied as e:
                return problem(request, session, 403, f"无权查看：{e}")
            except StoreError as e:
                return problem(request, session, 404 if str(e).startswith("no ") else 409, str(e))

        run.__name__ = handler.__name__
        return run

    # ------------------------------------------------------------------ static files
    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name == "report.css":
            body = REPORT_CSS.encode()
        else:
            path = STATIC / name
            if "/" in name or name.startswith(".") or path.suffix not in _STATIC_TYPES or not path.is_file():
                return Response("not found", status_code=404, media_type="text/plain")
            body = path.read_bytes()
        return Response(body, media_type=_STATIC_TYPES[Path(name).suffix],
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    # ------------------------------------------------------------------ sign in and out
    def login_page(request: Request, status: int = 200, message: str | None = None,
                   headers: dict[str, str] | None = None, name: str = "") -> Response:
        nonce = secrets.token_urlsafe(24)
        nxt = request.query_params.get("next") or ""
        r = page("login.html", request, None, status, message=message, login_token=c.sign(nonce, "login"),
                 name=name, next=nxt if nxt.startswith(PREFIX + "/") else "")
        r.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=PREFIX, httponly=True, samesite="strict",
                     secure=_is_https(request))
        for k, v in (headers or {}).items():
            r.headers[k] = v
        return r

    @router.get("/login")
    def login_get(request: Request) -> Response:
        if current(request) is not None:
            return _redirect(f"{PREFIX}/queue")
        return login_page(request)

    @router.post("/login")
    async def login_post(request: Request) -> Response:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        nonce = c.unsign(data.get("csrf"), "login")
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        if nonce is None or not cookie or not hmac.compare_digest(nonce.encode(), cookie.encode()):
            return login_page(request, 403, "登录表单已失效（CSRF 校验未通过），请重试。")
        name, password = data.get("name", "").strip(), data.get("password", "")
        def sign_in() -> Session:
            with c.lock:
                user = c.users.authenticate(name, password, remote=_remote(request))
                return c.users.start_session(user)

        try:
            session = await run_in_threadpool(sign_in)  # scrypt takes tens of ms: not on the event loop
        except Throttled as e:
            wait = int(getattr(e, "retry_after", 60) or 60)
            return login_page(request, 429, f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试。",
                              headers={"Retry-After": str(wait)}, name=name)
        except AuthError:
            return login_page(request, 401, "用户名或密码错误。", name=name)
        nxt = data.get("next") or ""
        r = _redirect(nxt if nxt.startswith(PREFIX + "/") and "//" not in nxt else f"{PREFIX}/queue")
        r.set_cookie(COOKIE, c.sign(session.token), max_age=max(int(session.expires_at - time.time()), 60),
                     path=PREFIX, httponly=True, samesite="strict", secure=_is_https(request))
        r.delete_cookie(LOGIN_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=_is_https(request))
        return r

    def _logout(request: Request, session: Session, form: dict[str, str]) -> Response:
        c.users.end_session(session.token)
        r = _redirect(f"{PREFIX}/login")
        r.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=_is_https(request))
        return r

    router.post("/logout")(guarded(_logout))

    @router.get("/")
    def home(request: Request) -> Response:
        return _redirect(f"{PREFIX}/queue" if current(request) else f"{PREFIX}/login")

    # ------------------------------------------------------------------ my queue
    def _queue(request: Request, session: Session) -> Response:
        user = session.user
        role = request.query_params.get("role") or None
        pg = _int(request.query_params.get("page"), 1, 1)
        q = c.desk.my_queue(user, role, offset=(pg - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        total = int(q.get("total") or 0)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        msg = request.query_params.get("msg")
        return page("queue.html", request, session, q=q, role=q.get("role"), page=pg, pages=pages, total=total,
                    message=msg, page_url=lambda p: f"{PREFIX}/queue?" + urlencode({"role": q.get("role") or "", "page": p}))

    router.get("/queue")(viewing(_queue))

    def _claim(request: Request, session: Session, form: dict[str, str]) -> Response:
        role = form.get("role", "")
        task = c.desk.claim_next(session.user, role)
        if task is None:
            return _redirect(f"{PREFIX}/queue?" + urlencode({"role": role, "msg": "该角色暂无待领取的任务。"}))
        return _redirect(f"{PREFIX}/task/{int(task['id'])}")

    router.post("/claim")(guarded(_claim))

    # ------------------------------------------------------------------ the task
    def _task(request: Request, session: Session) -> Response:
        task_id = _int(request.path_params.get("task_id"), -1)
        task = c.desk.task(session.user, task_id)
        if task.get("content_type") is None or task.get("product_category") is None:
            rows = c.store.query("SELECT content_type, product_category FROM items WHERE id=?", (task["item_id"],))
            if rows:
                task.setdefault("content_type", rows[0]["content_type"])
                task.setdefault("product_category", rows[0]["product_category"])
                task["content_type"] = task["content_type"] or rows[0]["content_type"]
                task["product_category"] = task["product_category"] or rows[0]["product_category"]
        result = task.get("result") or {}
        phrases = _phrases(task)
        return page("task.html", request, session, task=task, result=result, copy=_copy_html(task),
                    findings=result.get("findings") or [], inferred=result.get("inferred_category"),
                    revisions=_revisions_view(task.get("revisions") or []), merchant=task.get("merchant"),
                    complaint=task.get("complaint"), phrases=phrases, message=request.query_params.get("msg"),
                    open=bool(task.get("may_act", task.get("status") in ("pending", "claimed"))))

    router.get("/task/{task_id}")(viewing(_task))

    def _act(request: Request, session: Session, form: dict[str, str]) -> Response:
        task_id = _int(request.path_params.get("task_id"), -1)
        action = form.get("action", "")
        note = (form.get("note") or "").strip() or None
        if action.startswith("escalate:"):
            to = action.split(":", 1)[1]
            c.desk.escalate(session.user, task_id, to, note=note)
            done = f"任务 {task_id} 已升级至{ROLE_ZH.get(to, to)}。"
        else:
            propose = form.get("propose_allow") == "1" and action == "false_positive"
            phrase = (form.get("allow_phrase") or "").strip() or None if propose else None
            c.desk.decide(session.user, task_id, action, note=note, propose_allow=propose, allow_phrase=phrase)
            done = f"任务 {task_id}：{VERDICT_ZH.get(action, action)}" + ("，已提交放行短语提议" if propose else "") + "。"
        return _redirect(f"{PREFIX}/queue?" + urlencode({"msg": done}))

    router.post("/task/{task_id}/act")(guarded(_act))

    # ------------------------------------------------------------------ complaints
    def _complaint_form(request: Request, session: Session) -> Response:
        return page("complaint.html", request, session, record_id=request.query_params.get("record_id", ""),
                    message=request.query_params.get("msg"))

    router.get("/complaints")(viewing(_complaint_form))

    def _complain(request: Request, session: Session, form: dict[str, str]) -> Response:
        record_id, text = (form.get("record_id") or "").strip(), (form.get("text") or "").strip()
        if not record_id or not text:
            raise ScreeningError("请填写记录 ID 与投诉内容。")
        tid = c.desk.complain(session.user, record_id, text, complainant=(form.get("complainant") or "").strip() or None)
        return _redirect(f"{PREFIX}/complaints?" + urlencode({"msg": f"已受理投诉，开立任务 {tid}（72 小时内处理）。"}))

    router.post("/complaints")(guarded(_complain))

    # ------------------------------------------------------------------ lead views
    def _kpis(request: Request, session: Session) -> Response:
        days = _int(request.query_params.get("days"), 0, 0, 3650)
        since = c.queue.clock() - timedelta(days=days) if days else None
        k = c.desk.kpis(session.user, since)
        return page("kpis.html", request, session, k=k, view=_kpi_view(k), days=days)

    router.get("/lead/kpis")(viewing(_kpis))

    def _merchants(request: Request, session: Session) -> Response:
        return page("merchants.html", request, session, merchants=c.desk.merchants(session.user))

    router.get("/lead/merchants")(viewing(_merchants))

    def _proposals(request: Request, session: Session) -> Response:
        status = request.query_params.get("status") or "proposed"
        if status not in ("proposed", "accepted", "rejected"):
            status = "proposed"
        return page("proposals.html", request, session, proposals=c.desk.proposals(session.user, status),
                    shown=status, message=request.query_params.get("msg"))

    router.get("/lead/proposals")(viewing(_proposals))

    def _settle(request: Request, session: Session, form: dict[str, str]) -> Response:
        pid = _int(request.path_params.get("proposal_id"), -1)
        accept = form.get("accept") == "1"
        p = c.desk.settle(session.user, pid, accept, user_lexicon=c.user_lexicon)
        word = "已采纳" if p.get("status") == "accepted" else "已驳回"
        return _redirect(f"{PREFIX}/lead/proposals?" + urlencode({"msg": f"提议 {pid} {word}。"}))

    router.post("/lead/proposals/{proposal_id}")(guarded(_settle))

    def _overdue(request: Request, session: Session) -> Response:
        pg = _int(request.query_params.get("page"), 1, 1)
        rows = c.desk.overdue(session.user, offset=(pg - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
        users = [u for u in c.desk.people(session.user) if u.active]
        return page("overdue.html", request, session, tasks=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=pg,
                    people=users, message=request.query_params.get("msg"))

    router.get("/lead/overdue")(viewing(_overdue))

    def _reassign(request: Request, session: Session, form: dict[str, str]) -> Response:
        task_id = _int(request.path_params.get("task_id"), -1)
        role = form.get("role") or None
        reviewer = form.get("reviewer") or None
        c.desk.reassign(session.user, task_id, role=role, reviewer=reviewer)
        return _redirect(f"{PREFIX}/lead/overdue?" + urlencode({"msg": f"任务 {task_id} 已重新分派。"}))

    router.post("/lead/reassign/{task_id}")(guarded(_reassign))

    def _export(request: Request, session: Session) -> Response:
        days = _int(request.query_params.get("days"), 0, 0, 3650)
        since = c.queue.clock() - timedelta(days=days) if days else None
        rows = list(c.desk.export(session.user, since))  # under the lock: the cursor is the shared connection's

        def lines() -> Iterator[bytes]:
            for r in rows:
                yield (json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8")

        return StreamingResponse(lines(), media_type="application/x-ndjson; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="review-decisions.jsonl"',
                                          "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    router.get("/lead/export.jsonl")(viewing(_export))

    def _users(request: Request, session: Session) -> Response:
        return page("users.html", request, session, people=c.desk.people(session.user),
                    message=request.query_params.get("msg"))

    router.get("/lead/users")(viewing(_users))

    def _add_user(request: Request, session: Session, form: dict[str, str]) -> Response:
        roles = [r for r in ROLES if form.get(f"role_{r}") == "1"]
        name = (form.get("name") or "").strip()
        c.desk.add_user(session.user, name, form.get("password") or "", roles, is_lead=form.get("lead") == "1")
        return _redirect(f"{PREFIX}/lead/users?" + urlencode({"msg": f"已添加用户 {name}。"}))

    router.post("/lead/users")(guarded(_add_user))

    return router
