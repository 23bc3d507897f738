"""Complaints (投诉) about published records: each opens a review task with the complaint SLA.

A complaint names a record the store has screened. It opens a task of kind ``complaint`` on the
record's latest screened version, for the role the policy routes the record's content type to
(high findings in a regulated sector go to risk control, as for screening), due in
``sla_hours.complaint`` (72 h). The complaint keeps the record's earlier tasks, so the reviewer
sees what was decided before; its outcome is recorded with :meth:`ReviewQueue.decide` like any
verdict (or escalated). Everything is audited under the person who entered it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .queue import ReviewQueue
from .store import StoreError

CHANNELS = ("console", "api", "cli")  # the usual ones; any short ASCII name is taken
MAX_TEXT = 5000
DEFAULT_SLA_HOURS = 72.0


def add_complaint(queue: ReviewQueue, record_id: str, text: str, *, actor: str,
                  complainant: str | None = None, channel: str = "console") -> int:
    """Open a complaint task for a screened record; returns the task id.

    Raises:
        StoreError: no screened record ``record_id``, an empty or over-long text, an unknown channel.
    """
    text = (text or "").strip()
    if not text:
        raise StoreError("a complaint has a text")
    if len(text) > MAX_TEXT:
        raise StoreError(f"a complaint has at most {MAX_TEXT} characters")
    if not (isinstance(channel, str) and 0 < len(channel) <= 32 and channel.replace("_", "").isascii()
            and channel.replace("_", "").isalnum()):
        raise StoreError(f"channel {channel!r} is not a short name such as {', '.join(CHANNELS)}")
    complainant = (complainant or "").strip() or None
    policy = queue.policy
    hours = float(policy.sla_hours.get("complaint", DEFAULT_SLA_HOURS))
    now_dt = queue.clock()
    now = now_dt.timestamp()
    with queue.store.transaction() as conn:
        item = conn.execute("SELECT * FROM items WHERE record_id=? ORDER BY id DESC LIMIT 1", (record_id,)).fetchone()
        if item is None:
            raise StoreError(f"no screened record {record_id!r}")
        role = policy.route(item["severity"], content_type=item["content_type"],
                            product_category=item["product_category"], now=now_dt).role
        earlier = [int(r["id"]) for r in conn.execute("SELECT id FROM tasks WHERE record_id=? ORDER BY id",
                                                       (record_id,))]
        due = now + hours * 3600
        cur = conn.execute(
            "INSERT INTO tasks(item_id, record_id, merchant_id, role, status, created_at, due_at, sla_hours, kind)"
            " VALUES (?,?,?,?, 'pending', ?,?,?, 'complaint')",
            (item["id"], record_id, item["merchant_id"], role, now, due, hours))
        task_id = int(cur.lastrowid)
        conn.execute(
            "INSERT INTO complaints(task_id, record_id, item_id, text, complainant, channel, linked_tasks, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (task_id, record_id, item["id"], text, complainant, channel, json.dumps(earlier), now))
        queue.store.audit(conn, now, actor, "complaint_opened", task_id, item["id"], role=role, channel=channel,
                          complainant=complainant, linked_tasks=earlier, sla_hours=hours)
    return task_id


def complaint_of(queue: ReviewQueue, task_id: int) -> dict[str, Any] | None:
    """The complaint a task was opened for (times in the policy's time zone), or None."""
    rows = queue.store.query("SELECT * FROM complaints WHERE task_id=?", (task_id,))
    if not rows:
        return None
    d = dict(rows[0])
    d["linked_tasks"] = json.loads(d["linked_tasks"])
    d["created_at"] = datetime.fromtimestamp(d["created_at"], queue.policy.tz).isoformat(timespec="seconds")
    return d


def complaints(queue: ReviewQueue, record_id: str | None = None, *, offset: int = 0,
               limit: int = 50) -> list[dict[str, Any]]:
    """Complaints, newest first (of one record if given), with their task's status and role."""
    sql = "SELECT c.*, t.status, t.role, t.due_at FROM complaints c JOIN tasks t ON t.id=c.task_id"
    params: list[Any] = []
    if record_id is not None:
        sql += " WHERE c.record_id=?"
        params.append(record_id)
    sql += " ORDER BY c.id DESC LIMIT ? OFFSET ?"
    params += [int(limit), int(offset)]
    out = []
    tz = queue.policy.tz
    for r in queue.store.query(sql, tuple(params)):
        d = dict(r)
        d["linked_tasks"] = json.loads(d["linked_tasks"])
        for k in ("created_at", "due_at"):
            d[k] = datetime.fromtimestamp(d[k], tz).isoformat(timespec="seconds")
        out.append(d)
    return out
