"""The review workflow: intake, atomic claims, decisions, escalation, grading, KPIs, learning."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import T0, Clock

from conftest import TINY
from screening import Screener
from screening.engine.lexicon import load_lexicon
from screening.review.queue import ReviewQueue
from screening.review.store import SQLiteStore, StoreError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(tmp_path: Path, clock: Clock) -> ReviewQueue:
    return ReviewQueue(SQLiteStore(tmp_path / "review.db"), clock=clock)


def screened(tiny: Screener, rid: str, text: str, clock: Clock, **kw) -> tuple[dict, dict]:
    ct = kw.get("content_type", "listing")
    pc = kw.get("product_category", "general")
    result = tiny.screen(text, content_type=ct, product_category=pc, id=rid, now=clock()).to_dict()
    item = {"id": rid, "texts": {"text": text}, "merchant_id": kw.get("merchant"), "content_type": ct,
            "product_category": pc}
    return item, result


def test_intake_opens_tasks_for_review_and_block_only(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    assert queue.intake(*screened(tiny, "a", "纯棉短袖", clock)) is None  # pass
    tid = queue.intake(*screened(tiny, "b", "国家级工艺", clock, merchant="m1"))
    vid = queue.intake(*screened(tiny, "c", "最好的面霜", clock, content_type="short_video"))
    tasks = {t["id"]: t for t in queue.list()}
    assert set(tasks) == {tid, vid}
    assert tasks[tid]["role"] == "merchant_compliance" and tasks[tid]["due_at"] == "2026-11-22T10:00:00+08:00"
    assert tasks[vid]["role"] == "content_review" and tasks[vid]["due_at"] == "2026-11-21T12:00:00+08:00"


def test_an_edited_record_links_to_its_open_task(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    tid = queue.intake(*screened(tiny, "sku-1", "最好的面霜", clock))
    assert queue.intake(*screened(tiny, "sku-1", "最好的面霜", clock)) == tid  # same copy again: nothing new
    clock.advance(hours=1)
    assert queue.intake(*screened(tiny, "sku-1", "全网第一的面霜", clock)) == tid  # edited: same task
    t = queue.show(tid)
    assert t["revisions"] == 2 and t["texts"] == {"text": "全网第一的面霜"}
    assert len(queue.list()) == 1
    items = queue.store.query("SELECT id, previous_item_id FROM items WHERE record_id='sku-1' ORDER BY id")
    assert len(items) == 2 and items[1]["previous_item_id"] == items[0]["id"]


def test_claim_decide_and_errors(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    tid = queue.intake(*screened(tiny, "a", "最好的面霜", clock))
    assert queue.claim("content_review", "alice") is None  # nothing for that role
    t = queue.claim("merchant_compliance", "alice")
    assert t["id"] == tid and t["status"] == "claimed" and t["reviewer"] == "alice"
    assert queue.claim("merchant_compliance", "bob") is None  # never the same task twice
    with pytest.raises(StoreError, match="claimed by alice"):
        queue.decide(tid, "confirmed", "bob")
    with pytest.raises(StoreError, match="verdict 'maybe'"):
        queue.decide(tid, "maybe", "alice")
    d = queue.decide(tid, "confirmed", "alice", note="绝对化用语")
    assert d["status"] == "decided" and d["decision_record"]["verdict"] == "confirmed"
    with pytest.raises(StoreError, match="is decided"):
        queue.decide(tid, "false_positive", "alice")
    actions = [r["action"] for r in queue.store.query("SELECT action FROM audit WHERE task_id=? ORDER BY id", (tid,))]
    assert actions == ["created", "claimed", "decided"]


def test_escalation_moves_the_task_to_another_role(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    tid = queue.intake(*screened(tiny, "a", "最好的面霜", clock))
    queue.claim("merchant_compliance", "alice")
    t = queue.escalate(tid, "legal", "alice", note="涉及国家机关")
    assert (t["role"], t["status"], t["reviewer"]) == ("legal", "pending", None)
    assert queue.claim("legal", "lawyer")["id"] == tid
    with pytest.raises(StoreError, match="escalate to one of"):
        queue.escalate(tid, "ceo", "alice")


def test_overdue_tasks_are_visible_and_counted(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    video = queue.intake(*screened(tiny, "v", "最好的面霜", clock, content_type="short_video"))
    queue.intake(*screened(tiny, "l", "最好的面霜", clock))
    clock.advance(hours=3)  # past the short video's 2 h, not the listing's 24 h
    assert [t["id"] for t in queue.list(overdue=True)] == [video]
    assert queue.stats()["overdue"] == 1


def test_the_audit_log_is_append_only(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    queue.intake(*screened(tiny, "a", "最好的面霜", clock))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        queue.store.conn.execute("UPDATE audit SET actor='nobody'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        queue.store.conn.execute("DELETE FROM audit")


def test_merchant_grading_thresholds_and_window(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    def confirmed(rid: str, text: str) -> None:
        tid = queue.intake(*screened(tiny, rid, text, clock, merchant="m1"))
        queue.decide(tid, "confirmed", "alice")

    confirmed("r1", "最好的面霜")  # medium: 1
    assert [(m["grade"], m["action"]) for m in queue.merchants()] == [("轻度", "提醒整改")]
    confirmed("r2", "国家级工艺")  # high counts twice: 3
    assert queue.merchants()[0]["grade"] == "中度"
    confirmed("r3", "最好的选择")  # 4
    assert queue.merchants()[0]["grade"] == "中度"
    confirmed("r4", "全网第一")  # high: 6
    assert queue.merchants(grade="重度")[0]["action"] == "清退并公示"
    tid = queue.intake(*screened(tiny, "r5", "最好的面霜", clock, merchant="m2"))
    queue.decide(tid, "false_positive", "alice")
    assert [m["merchant_id"] for m in queue.merchants()] == ["m1"]  # false positives grade nobody
    clock.advance(days=100)  # everything leaves the 90-day window at the next decision
    confirmed("r6", "最好的面霜")
    assert (queue.merchants()[0]["grade"], queue.merchants()[0]["score"]) == ("轻度", 1.0)


def test_kpis_on_a_fixture_computed_by_hand(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    # Three listing tasks created at T0, decided after 1 h, 2 h and 30 h (the last past its 24 h SLA).
    ids = [queue.intake(*screened(tiny, f"r{i}", text, clock, merchant=m))
           for i, (text, m) in enumerate([("最好的面霜", "m1"), ("全网第一", "m1"), ("最好的选择", "m2")])]
    for tid, hours, verdict in zip(ids, (1, 2, 30), ("confirmed", "confirmed", "false_positive")):
        clock.now = T0 + timedelta(hours=hours)
        queue.decide(tid, verdict, "alice")
    clock.now = T0 + timedelta(hours=30)
    queue.intake(*screened(tiny, "open", "最好的面霜", clock))  # one open task, 5 h old at the end
    clock.advance(hours=5)
    s = queue.stats()
    role = s["per_role"]["merchant_compliance"]
    assert role["decided"] == 3
    assert role["avg_hours_to_decision"] == 11.0  # (1 + 2 + 30) / 3
    assert role["p90_hours_to_decision"] == pytest.approx(24.4)  # 2 + (30 - 2) * 0.8
    assert role["within_sla"] == round(2 / 3, 4)
    assert s["ai_precision"] == round(2 / 3, 4) and s["review_error_rate"] == round(1 / 3, 4)
    assert s["false_positive_rate_by_term"]["最好"] == {"decided": 2, "false_positives": 1, "rate": 0.5}
    assert s["repeat_violation_rate"] == 1.0  # m1 violated twice; m2 had only a false positive
    assert s["backlog_by_age"]["2-12h"] == 1 and s["open"] == 1


def test_export_and_allow_proposals_teach_the_lexicon(queue: ReviewQueue, tiny: Screener, clock: Clock,
                                                      tmp_path: Path) -> None:
    from screening.engine.curate import add_allow

    a = queue.intake(*screened(tiny, "a", "国家级工艺，最好的选择", clock))
    b = queue.intake(*screened(tiny, "b", "我们学校是第一中学，最好的老师", clock))
    queue.decide(a, "confirmed", "alice", categories=["absolute_claim"])
    queue.decide(b, "false_positive", "alice", propose_allow=True)
    rows = list(queue.export())
    assert [(r["label"], r["text"]) for r in rows] == [("violation", "国家级工艺，最好的选择"),
                                                      ("ok", "我们学校是第一中学，最好的老师")]
    assert {s["text"] for s in rows[0]["spans"]} == {"国家级", "最好"}
    proposals = queue.proposals()
    assert {(p["term_id"], p["phrase"]) for p in proposals} >= {("ABS-0001", "最好的老师")}
    user = tmp_path / "user-lexicon"
    pid = next(p["id"] for p in proposals if p["phrase"] == "最好的老师")
    queue.settle_proposal(pid, True, "lead",
                          apply=lambda phrase, term, reason: add_allow(user, phrase=phrase, term_id=term, reason=reason,
                                                                       lexicon_dir=TINY))
    s = Screener(load_lexicon(TINY, user), model=None)
    assert s.screen("最好的老师").findings == ()  # the accepted phrase is lawful now
    assert queue.proposals("accepted")[0]["decided_by"] == "lead"


def test_an_accepted_phrase_clears_the_store_name_in_every_title(tmp_path: Path, clock: Clock) -> None:
    from screening.engine.curate import add_allow
    from screening.engine.lexicon import default_lexicon_dir

    engine = Screener(model=None)
    queue = ReviewQueue(SQLiteStore(tmp_path / "review.db"), clock=clock)
    t = queue.intake(*screened(engine, "a", "上海第一百货 羊绒大衣 冬季新款", clock))
    queue.decide(t, "false_positive", "alice", propose_allow=True)
    [p] = queue.proposals()
    assert (p["term_id"], p["phrase"]) == ("ABS-0067", "上海第一百货")
    user = tmp_path / "user-lexicon"
    queue.settle_proposal(p["id"], True, "lead", apply=lambda phrase, term, reason: add_allow(
        user, phrase=phrase, term_id=term, reason=reason, lexicon_dir=default_lexicon_dir()))
    taught = Screener(load_lexicon(None, user), model=None)
    for title in ("上海第一百货 羊绒大衣 冬季新款", "上海第一百货 真丝围巾 送妈妈"):
        assert engine.screen(title).findings, title
        assert not taught.screen(title).findings, title
    # the phrase is the store's name: 第一 elsewhere is still a claim
    assert taught.screen("羊绒大衣 质量第一 全国第一").findings


def test_an_edited_allow_phrase_must_hold_a_finding(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    t = queue.intake(*screened(tiny, "b", "我们学校是第一中学，最好的老师", clock))
    with pytest.raises(StoreError, match="holds none"):
        queue.decide(t, "false_positive", "alice", allow_phrase="学校老师")
    assert queue.show(t)["status"] == "pending"  # the verdict went with the failed proposal
    queue.decide(t, "false_positive", "alice", allow_phrase="最好的老师们")
    assert [p["phrase"] for p in queue.proposals()] == ["最好的老师们"]


def test_a_claim_is_a_lease_that_lapses_back_to_the_queue(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    t = queue.intake(*screened(tiny, "a", "全网最好的面霜", clock))
    role = queue.show(t)["role"]
    assert queue.claim(role, "alice")["id"] == t
    clock.advance(minutes=29)
    assert queue.claim(role, "bob") is None  # alice's lease still holds
    clock.advance(minutes=2)
    assert queue.claim(role, "bob")["id"] == t  # 31 minutes: back in the queue
    with pytest.raises(StoreError, match="claimed by bob"):
        queue.decide(t, "confirmed", "alice")
    audit = [(r["action"], r["actor"]) for r in queue.store.query("SELECT * FROM audit WHERE task_id=? ORDER BY id", (t,))]
    assert ("claim_expired", "system") in audit
    assert audit.index(("claim_expired", "system")) < audit.index(("claimed", "bob"))


def test_a_lapsed_claim_shows_as_pending_and_can_still_be_decided(queue: ReviewQueue, tiny: Screener,
                                                                  clock: Clock) -> None:
    t = queue.intake(*screened(tiny, "a", "全网最好的面霜", clock))
    queue.claim(queue.show(t)["role"], "alice")
    clock.advance(hours=2)
    assert [x["status"] for x in queue.list()] == ["pending"]
    assert queue.decide(t, "confirmed", "alice")["status"] == "decided"


def _worker(db: str, n: int, name: str, out: str) -> None:
    q = ReviewQueue(SQLiteStore(db))
    done = []
    for _ in range(n):
        t = q.claim("merchant_compliance", name)
        if t is None:
            break
        q.decide(t["id"], "confirmed", name)
        done.append(t["id"])
    Path(out).write_text(json.dumps(done))


def test_concurrent_claims_never_double_assign_or_lose_a_decision(tmp_path: Path, tiny: Screener) -> None:
    db = str(tmp_path / "review.db")
    q = ReviewQueue(SQLiteStore(db))
    clock = Clock()
    pairs = [screened(tiny, f"sku-{i}", "最好的面霜" if i % 2 else "国家级工艺", clock, merchant=f"m{i % 50}")
             for i in range(1600)]
    assert q.intake_many(pairs) == 1600
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(db, 200, f"r{k}", str(tmp_path / f"out{k}.json"))) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0
    claimed = [tid for k in range(8) for tid in json.loads((tmp_path / f"out{k}.json").read_text())]
    assert len(claimed) == 1600 and len(set(claimed)) == 1600
    rows = q.store.query("SELECT COUNT(*) n, COUNT(DISTINCT task_id) d FROM decisions")[0]
    assert rows["n"] == rows["d"] == 1600
    assert q.store.query("SELECT COUNT(*) n FROM tasks WHERE status != 'decided'")[0]["n"] == 0
    audit = q.store.query("SELECT action, COUNT(*) n FROM audit GROUP BY action")
    counts = {r["action"]: r["n"] for r in audit}
    assert counts["created"] == counts["claimed"] == counts["decided"] == 1600


CRASH = """
import os, sys
from screening.review.store import SQLiteStore
from screening.review.queue import ReviewQueue
q = ReviewQueue(SQLiteStore(sys.argv[1]))
original = q.store.audit
def crash(conn, at, actor, action, *a, **kw):
    original(conn, at, actor, action, *a, **kw)
    if action == "decided":
        os._exit(3)  # the process dies inside the transaction, after the decision row was written
q.store.audit = crash
q.decide(int(sys.argv[2]), "confirmed", "alice")
"""


def test_a_crash_in_the_middle_of_a_decision_leaves_the_database_consistent(tmp_path: Path, tiny: Screener) -> None:
    db = str(tmp_path / "review.db")
    q = ReviewQueue(SQLiteStore(db))
    tid = q.intake(*screened(tiny, "a", "最好的面霜", Clock()))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", CRASH, db, str(tid)], env=env, capture_output=True)
    assert proc.returncode == 3
    fresh = ReviewQueue(SQLiteStore(db))
    assert fresh.show(tid)["status"] == "pending"
    assert fresh.store.query("SELECT COUNT(*) n FROM decisions")[0]["n"] == 0
    assert [r["action"] for r in fresh.store.query("SELECT action FROM audit")] == ["created"]
    assert fresh.decide(tid, "confirmed", "alice")["status"] == "decided"


def test_intake_is_idempotent_per_record_version(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    # A resumed scan may take again records the store already holds: the same texts with the same
    # result are the same version, not a new revision, a new item or a new task.
    v1 = screened(tiny, "sku-1", "最好的面霜", clock)
    clock.advance(hours=1)
    v2 = screened(tiny, "sku-1", "全网第一的面霜", clock)
    tid = queue.intake(*v1)
    assert queue.intake(*v2) == tid
    clock.advance(hours=1)
    assert queue.intake(*v1) == tid and queue.intake(*v2) == tid  # taken again
    assert queue.show(tid)["revisions"] == 2 and queue.show(tid)["texts"] == {"text": "全网第一的面霜"}
    assert len(queue.store.query("SELECT id FROM items WHERE record_id='sku-1'")) == 2
    # Decided, the version taken again opens nothing; a new screening of it (a later due time) does.
    queue.claim("merchant_compliance", "alice")
    queue.decide(tid, "needs_change", "alice")
    assert queue.intake(*v2) is None
    assert len(queue.list()) == 0
    again = screened(tiny, "sku-1", "全网第一的面霜", clock)
    assert queue.intake(*again) not in (None, tid)
    relinks = [r for r in queue.store.query("SELECT action FROM audit") if r["action"] == "relinked"]
    assert len(relinks) == 1


# ---------------------------------------------------------------- the console's queue additions (issue 18)


def test_list_pages_with_offset_and_count(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    ids = []
    for i in range(7):
        ids.append(queue.intake(*screened(tiny, f"壶-{i}", f"第{i}款茶壶是最好的", clock)))
        clock.advance(minutes=1)
    assert [t["id"] for t in queue.list(limit=3)] == ids[:3]
    assert [t["id"] for t in queue.list(limit=3, offset=3)] == ids[3:6]
    assert [t["id"] for t in queue.list(limit=3, offset=6)] == ids[6:]
    assert queue.count() == 7 and queue.count(role="legal") == 0
    queue.claim("merchant_compliance", "alice")
    assert [t["id"] for t in queue.list(statuses=("claimed",), reviewer="alice")] == ids[:1]
    assert queue.count(statuses=("claimed",), reviewer="bob") == 0
    assert all(t["kind"] == "screening" for t in queue.list())


def test_reassign_moves_an_open_task(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    tid = queue.intake(*screened(tiny, "壶-1", "紫砂壶国家级工艺", clock))
    queue.claim("merchant_compliance", "alice")
    t = queue.reassign(tid, "lead", reviewer="bob")
    assert t["status"] == "claimed" and t["reviewer"] == "bob" and t["role"] == "merchant_compliance"
    with pytest.raises(StoreError, match="claimed by bob"):
        queue.decide(tid, "confirmed", "alice")
    t = queue.reassign(tid, "lead", role="legal")
    assert t["status"] == "pending" and t["reviewer"] is None and t["role"] == "legal"
    with pytest.raises(StoreError, match="role"):
        queue.reassign(tid, "lead", role="boss")
    queue.decide(tid, "confirmed", "carol")
    with pytest.raises(StoreError, match="not open"):
        queue.reassign(tid, "lead", role="legal")
    with pytest.raises(StoreError, match="no task"):
        queue.reassign(999, "lead")
    assert [r["actor"] for r in queue.store.query("SELECT actor FROM audit WHERE action='reassigned'")] == ["lead", "lead"]


def test_revisions_carry_a_character_diff(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    queue.intake(*screened(tiny, "壶-2", "这把茶壶是最好的", clock))
    clock.advance(hours=1)
    queue.intake(*screened(tiny, "壶-2", "这把紫砂茶壶是最佳的", clock))
    clock.advance(hours=1)
    queue.intake(*screened(tiny, "壶-2", "这把紫砂茶壶品质优良", clock))
    revs = queue.revisions("壶-2")
    assert [r["texts"]["text"] for r in revs] == ["这把紫砂茶壶品质优良", "这把紫砂茶壶是最佳的", "这把茶壶是最好的"]
    assert revs[1]["diff"] == [("equal", "这把"), ("insert", "紫砂"), ("equal", "茶壶是最"), ("delete", "好"),
                               ("insert", "佳"), ("equal", "的")]
    assert "".join(t for op, t in revs[0]["diff"] if op != "delete") == "这把紫砂茶壶品质优良"
    assert "".join(t for op, t in revs[0]["diff"] if op != "insert") == "这把紫砂茶壶是最佳的"
    assert revs[2]["diff"] == [("equal", "这把茶壶是最好的")]
    assert revs[0]["screened_at"] == "2026-11-21T12:00:00+08:00"
    assert [r["item_id"] for r in queue.revisions("壶-2", limit=1)] == [revs[0]["item_id"]]
    assert queue.revisions("无此记录") == []


def test_merchant_history_and_decisions_per_day(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    a = queue.intake(*screened(tiny, "壶-3", "紫砂壶国家级工艺", clock, merchant="茶具店"))
    b = queue.intake(*screened(tiny, "壶-4", "这把茶壶是最好的", clock, merchant="茶具店"))
    queue.decide(a, "confirmed", "alice")
    clock.advance(hours=15)  # 2026-11-22 03:00 Shanghai: another local day
    queue.decide(b, "false_positive", "alice")
    h = queue.merchant_history("茶具店")
    assert (h["grade"], h["action"], h["violations"], h["open_tasks"]) == ("轻度", "提醒整改", 1, 0)
    assert [(r["task_id"], r["verdict"]) for r in h["recent"]] == [(b, "false_positive"), (a, "confirmed")]
    assert queue.merchant_history("无名店") == {"merchant_id": "无名店", "grade": None, "action": None, "score": 0.0,
                                               "violations": 0, "window_days": 90.0, "open_tasks": 0, "recent": []}
    assert queue.decisions_per_day() == [{"day": "2026-11-21", "role": "merchant_compliance", "n": 1},
                                         {"day": "2026-11-22", "role": "merchant_compliance", "n": 1}]
    assert queue.decisions_per_day(since=T0 + timedelta(hours=1)) == [
        {"day": "2026-11-22", "role": "merchant_compliance", "n": 1}]


def test_a_schema_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    from screening.review import store as store_mod

    old_line = ",\n    kind TEXT NOT NULL DEFAULT 'screening'   -- 'screening' | 'complaint' (schema 2)"
    assert old_line in store_mod.SCHEMA
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(store_mod.SCHEMA.split("-- The console (schema 2)")[0].replace(old_line, ""))
    conn.execute("INSERT INTO meta VALUES ('schema', '1')")
    conn.execute("INSERT INTO items(record_id, content_type, product_category, texts, content_hash, result, decision,"
                 " severity, risk, versions, screened_at) VALUES ('r', 'listing', 'general', '{}', 'h', '{}', 'review',"
                 " 'medium', 0.6, '{}', 0)")
    conn.execute("INSERT INTO tasks(item_id, record_id, role, status, created_at, due_at, sla_hours)"
                 " VALUES (1, 'r', 'merchant_compliance', 'pending', 0, 86400, 24)")
    conn.commit()
    assert "kind" not in {r[1] for r in conn.execute("PRAGMA table_info(tasks)")}
    conn.close()
    s = SQLiteStore(db)
    assert s.query("SELECT kind FROM tasks")[0]["kind"] == "screening"
    assert s.query("SELECT value FROM meta WHERE key='schema'")[0]["value"] == "2"
    tables = {r["name"] for r in s.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "sessions", "login_failures", "complaints"} <= tables
    s.close()
    SQLiteStore(db).close()  # opening again is a no-op


def test_the_console_s_queries_use_indexes(queue: ReviewQueue, tiny: Screener, clock: Clock) -> None:
    # At 100,000 tasks a page must not scan or sort the tasks table: the queries the console runs
    # (captured as SQLite runs them) read through an index, and a queue page in due order.
    queue.intake(*screened(tiny, "壶-5", "紫砂壶国家级工艺", clock, merchant="茶具店"))
    ran: list[str] = []
    queue.store.conn.set_trace_callback(ran.append)
    try:
        queue.list(role="merchant_compliance", limit=50, offset=50)
        queue.list(overdue=True, limit=50)
        queue.list(statuses=("claimed",), reviewer="alice")
        queue.count(role="merchant_compliance")
        queue.count(overdue=True)
        queue.revisions("壶-5")
        queue.merchant_history("茶具店")
        queue.decisions_per_day(T0)
    finally:
        queue.store.conn.set_trace_callback(None)
    selects = [q for q in ran if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 9
    for sql in selects:
        plan = " | ".join(r["detail"] for r in queue.store.query("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN t " not in plan and not plan.startswith("SCAN") and "SCAN tasks" not in plan, (sql, plan)
        assert "SCAN items" not in plan and "SCAN decisions" not in plan and "SCAN d " not in plan, (sql, plan)
        if "ORDER BY t.due_at" in sql and "('pending','claimed')" in sql:
            assert "TEMP B-TREE" not in plan, (sql, plan)  # read in due order, stopped after the page
