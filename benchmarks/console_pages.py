"""The reviewer console's pages with 100,000 tasks in the review store: p50/p95 of server time.

The store is filled by a bulk insert (executemany in one transaction) of items and tasks built
from the project's own example copy screened once, spread over the four roles, with due times
over two weeks and 10% of the tasks decided (so the KPI page has decisions to count). Then the
app (``create_app(review_db=...)``, lexicon-only screener) answers N requests per page through
FastAPI's in-process TestClient: the figures are the server's time to render a page (routing,
session check, queries, Jinja2), without network.

Run: python benchmarks/console_pages.py [--tasks 100000] [--requests 200]
Writes benchmarks/results/console_pages.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from corpus import save_result  # noqa: E402

from screening import Screener  # noqa: E402
from screening.integrations.service import create_app  # noqa: E402
from screening.review.queue import content_hash  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "benchmark-password"
ROLES = ("merchant_compliance", "content_review", "risk_control", "legal")
# The project's own example copy (tests/test_report.py).
COPY = [
    ("listing", "cosmetics", "全网第一的美白精华，7天美白，效果最佳"),
    ("ad", "health_food", "国家级专家推荐，根治失眠，一盒见效"),
    ("live_script", "alcohol", "家人们，这是特供酒同款原料，限时秒杀最后一天"),
    ("post", "cosmetics", "用了三天祛斑，永不反弹，无效退款"),
    ("short_video", "general", "史上最低价，全网最低"),
    ("listing", "drug", "药到病除，包治百病"),
    ("listing", "general", "风水摆件，招财旺运保平安"),
    ("listing", "cosmetics", "这款面霜是最好的选择，专柜正品"),
    ("short_video", "health_food", "老中医祖传秘方，降血压降血糖，无副作用"),
    ("ad", "finance", "保本保息，年化收益12%，稳赚不赔"),
    ("listing", "general", "销量第一名的充电宝，行业领先"),
    ("listing", "general", "顶级工艺，奢华享受，独一无二"),
]


def fill(conn: object, n: int, now: float, seed: int = 7) -> float:
    """Insert ``n`` items and tasks (10% decided); returns the seconds it took."""
    rng = random.Random(seed)
    s = Screener(model=None)
    screened = []
    for ct, pc, text in COPY:
        r = s.screen(text, content_type=ct, product_category=pc, id="x").to_dict()
        if r["decision"] != "pass":
            screened.append((ct, pc, text, r))
    started = time.perf_counter()
    items, tasks, decisions = [], [], []
    for i in range(1, n + 1):
        ct, pc, text, r = screened[i % len(screened)]
        rid = f"rec-{i:06d}"
        texts = {"text": text}
        merchant = f"m-{rng.randrange(2000):04d}"
        created = now - rng.uniform(0, 7 * 86400)
        due = created + rng.uniform(2, 72) * 3600
        role = ROLES[i % 4]
        decided = i % 10 == 0
        items.append((i, rid, merchant, ct, pc, json.dumps(texts, ensure_ascii=False), content_hash(texts),
                      json.dumps({**r, "id": rid}, ensure_ascii=False), r["decision"], r["severity"], r["risk"],
                      json.dumps(r["versions"]), created))
        tasks.append((i, i, rid, merchant, role, "decided" if decided else "pending", "bench" if decided else None,
                      created, due, 24.0, created + 3600 if decided else None))
        if decided:
            verdict = ("confirmed", "false_positive", "needs_change")[rng.randrange(3)]
            decisions.append((i, i, verdict, "[]", r["severity"], "bench", None, created + rng.uniform(0.1, 30) * 3600))
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO items(id, record_id, merchant_id, content_type, product_category, texts, content_hash,"
                     " result, decision, severity, risk, versions, screened_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", items)
    conn.executemany("INSERT INTO tasks(id, item_id, record_id, merchant_id, role, status, reviewer, created_at, due_at,"
                     " sla_hours, decided_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", tasks)
    conn.executemany("INSERT INTO decisions(task_id, item_id, verdict, categories, severity, reviewer, note, decided_at)"
                     " VALUES (?,?,?,?,?,?,?,?)", decisions)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    return time.perf_counter() - started


def timed(client: TestClient, urls: list[str]) -> dict[str, float]:
    ms = []
    for u in urls:
        t0 = time.perf_counter()
        r = client.get(u)
        ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{u}: {r.status_code} {r.text[:300]}")
    ms.sort()
    return {"requests": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))], 2),
            "max_ms": round(ms[-1], 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200, help="requests per page")
    args = ap.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "review.db"
        app = create_app(model=None, review_db=db)
        c = app.state.console
        fill_s = fill(c.store.conn, args.tasks, datetime.now(timezone.utc).timestamp())
        c.users.add("lead", PASSWORD, [], lead=True, actor="bench")
        c.users.add("reviewer", PASSWORD, ["content_review"], actor="bench")
        out: dict = {"tasks": args.tasks, "requests_per_page": args.requests, "fill_seconds": round(fill_s, 2),
                     "db_mb": round(db.stat().st_size / 2**20, 1), "pages": {}}
        with TestClient(app) as client:
            page = client.get("/console/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            client.post("/console/login", data={"csrf": token, "name": "lead", "password": PASSWORD})
            n = args.requests
            ids = [rng.randrange(1, args.tasks + 1) for _ in range(n)]
            deep = max(1, args.tasks // 4 // 50 // 2)  # a page in the middle of one role's open tasks
            pages = {
                "queue (page 1)": [f"/console/queue?role={ROLES[i % 4]}" for i in range(n)],
                f"queue (page {deep})": [f"/console/queue?role={ROLES[i % 4]}&page={deep}" for i in range(n)],
                "task": [f"/console/task/{i}" for i in ids],
                "overdue (lead)": ["/console/lead/overdue"] * max(10, n // 10),
                "kpis (lead)": ["/console/lead/kpis"] * max(5, n // 40),
            }
            for name, urls in pages.items():
                client.get(urls[0])  # warm
                out["pages"][name] = timed(client, urls)
    save_result("console_pages", out)
    print(f"{out['tasks']:,} tasks in the store (bulk insert {out['fill_seconds']} s, {out['db_mb']} MB)")
    print("| page | requests | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|")
    for name, r in out["pages"].items():
        print(f"| {name} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} |")


if __name__ == "__main__":
    main()
