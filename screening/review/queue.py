"""The review workflow: AI first pass in, people decide, decisions teach the model.

- **Intake**: every ``review``/``block`` result becomes a task for its routed role, due by the
  policy's SLA. Re-screening the same record after the merchant edits it links the new version
  to the open task (``revisions`` counts them) instead of opening a duplicate; passing records
  with no open task are not stored.
- **Reviewers** claim tasks atomically (two reviewers never get the same task), decide
  (``confirmed``, ``false_positive``, ``needs_change``) or escalate (to risk control or legal).
- **Merchants** are graded from confirmed violations in a rolling window (policy settings).
- **KPIs**: time to decision, share within SLA, AI precision, false positives by term, repeat
  violations, backlog by age.
- **Learning**: decided items export as labeled JSONL in the training format; a false positive
  can propose an allow-list phrase, written to the user lexicon only when a person accepts it.

Nothing here reads the clock: ``clock`` is injected, so deadlines and KPIs are testable.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from ..engine.policy import ROLES, Policy
from .proposals import shortest_phrase
from .store import SQLiteStore, StoreError

VERDICTS = ("confirmed", "false_positive", "needs_change")
ESCALATE_TO = ("risk_control", "legal")
OPEN = ("pending", "claimed")
STATUSES = ("pending", "claimed", "decided", "expired")
BACKLOG_BUCKETS = ((2, "<2h"), (12, "2-12h"), (24, "12-24h"), (72, "24-72h"), (math.inf, ">72h"))


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(ts: float | None, tz: Any) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def content_hash(texts: dict[str, Any]) -> str:
    """A stable hash of a record's texts (to tell an edit from a re-scan of the same copy)."""
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()


class ScanIntake:
    """The intake of one scan's results, in input order, resumable exactly.

    Results are buffered and stored in batches (``full`` says when the scan should call
    :meth:`flush`, after flushing its output). Each batch and the number of the scan's records
    taken so far are committed in one transaction, under the output's path in the store's
    ``meta`` table: after a kill, :meth:`taken` says exactly where the store stopped, and the
    resumed scan takes the records its output holds beyond it. A fresh scan starts the count at 0.
    Intake is idempotent besides (:meth:`ReviewQueue.intake`), so a count that is lost (another
    database, an output moved) costs time, not tasks.
    """

    def __init__(self, queue: ReviewQueue, output: str, *, resume: bool, batch: int = 500,
                 actor: str = "screener") -> None:
        self.queue = queue
        self.key = "scan:" + (output if output == "-" else os.path.realpath(output))
        self.batch = batch
        self.actor = actor
        self.opened = 0  # records under review in a task, among those taken by this run
        self._buf: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._taken: int | None = None
        if resume:
            row = queue.store.query("SELECT value FROM meta WHERE key=?", (self.key,))
            if row:
                self._taken = int(json.loads(row[0]["value"])["records"])
        else:
            with queue.store.transaction() as conn:
                self._save(conn, 0)
        self._count = self._taken or 0

    def _save(self, conn: Any, records: int) -> None:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                     (self.key, json.dumps({"records": records})))

    def taken(self) -> int | None:
        """How many of the scan's first records the store took before this run (None: not known)."""
        return self._taken

    @property
    def full(self) -> bool:
        """Whether a batch is waiting to be stored."""
        return len(self._buf) >= self.batch

    def add(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        """Take the next record of the scan (stored at the next :meth:`flush`)."""
        self._buf.append((item, result))

    def flush(self) -> None:
        """Store the buffered records and the count of the scan's records taken, in one transaction."""
        if not self._buf:
            return
        q = self.queue
        with q.store.transaction() as conn:
            now = q._now()
            for it, res in self._buf:
                self.opened += q._intake(conn, it, res, self.actor, now) is not None
            self._save(conn, self._count + len(self._buf))
        self._count += len(self._buf)
        self._buf.clear()


class ReviewQueue:
    """The workflow over a store; one instance per process."""

    def __init__(self, store: SQLiteStore, policy: Policy | None = None, *,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.store = store
        self.policy = policy or Policy.load()
        self.clock = clock

    def _now(self) -> float:
        return self.clock().timestamp()

    # ------------------------------------------------------------------ intake
    def intake(self, item: dict[str, Any], result: dict[str, Any], *, actor: str = "screener") -> int | None:
        """Store a screened record; returns the task id it is under review in, if any."""
        with self.store.transaction() as conn:
            return self._intake(conn, item, result, actor, self._now())

    def intake_many(self, pairs: Iterable[tuple[dict[str, Any], dict[str, Any]]], *, batch: int = 500,
                    actor: str = "screener") -> int:
        """Store many screened records in batched transactions; returns how many tasks are open for them."""
        opened = 0
        buf: list[tuple[dict[str, Any], dict[str, Any]]] = []

        def flush() -> None:
            nonlocal opened
            with self.store.transaction() as conn:
                now = self._now()
                for it, res in buf:
                    opened += self._intake(conn, it, res, actor, now) is not None
            buf.clear()

        for pair in pairs:
            buf.append(pair)
            if len(buf) >= batch:
                flush()
        if buf:
            flush()
        return opened

    def _intake(self, conn: Any, item: dict[str, Any], result: dict[str, Any], actor: str, now: float) -> int | None:
        record_id = item.get("id") or result.get("id")
        if not record_id:
            return None  # a record without an id cannot be followed across edits
        texts = item.get("texts") or {"text": item.get("text", "")}
        open_task = conn.execute(
            "SELECT id, item_id FROM tasks WHERE record_id=? AND status IN ('pending','claimed') ORDER BY id DESC LIMIT 1",
            (record_id,),
        ).fetchone()
        if open_task is None and result["decision"] == "pass":
            return None  # nothing for a person: a passing record is not stored
        digest = content_hash(texts)
        stored = json.dumps(result, ensure_ascii=False)
        # Idempotent per record version: the same texts with the same result (the same screening,
        # due time included) taken again, as a resumed scan does, is not a new version.
        if conn.execute("SELECT 1 FROM items WHERE record_id=? AND content_hash=? AND result=? LIMIT 1",
                        (record_id, digest, stored)).fetchone() is not None:
            return int(open_task["id"]) if open_task is not None else None
        latest = conn.execute(
            "SELECT id, content_hash FROM items WHERE record_id=? ORDER BY id DESC LIMIT 1", (record_id,)
        ).fetchone()
        if latest is not None and latest["content_hash"] == digest and (open_task is not None or result["decision"] == "pass"):
            return open_task["id"] if open_task is not None else None  # the same copy screened again
        cur = conn.execute(
            "INSERT INTO items(record_id, merchant_id, content_type, product_category, texts, content_hash, result,"
            " decision, severity, risk, versions, previous_item_id, screened_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record_id, item.get("merchant_id"), item.get("content_type", "listing"),
             item.get("product_category", "general"), json.dumps(texts, ensure_ascii=False), digest,
             stored, result["decision"], result["severity"], float(result["risk"]),
             json.dumps(result.get("versions", {}), ensure_ascii=False),
             latest["id"] if latest is not None else None, now),
        )
        item_id = cur.lastrowid
        if open_task is not None:
            conn.execute("UPDATE tasks SET item_id=?, revisions=revisions+1 WHERE id=?", (item_id, open_task["id"]))
            self.store.audit(conn, now, actor, "relinked", open_task["id"], item_id,
                             previous_item=open_task["item_id"], decision=result["decision"])
            return int(open_task["id"])
        if result["decision"] == "pass" or not result.get("route"):
            return None
        route = result["route"]
        due = datetime.fromisoformat(route["due_at"]).timestamp()
        cur = conn.execute(
            "INSERT INTO tasks(item_id, record_id, merchant_id, role, status, created_at, due_at, sla_hours)"
            " VALUES (?,?,?,?, 'pending', ?,?,?)",
            (item_id, record_id, item.get("merchant_id"), route["role"], now, due, float(route["sla_hours"])),
        )
        self.store.audit(conn, now, actor, "created", cur.lastrowid, item_id, role=route["role"],
                         decision=result["decision"])
        return int(cur.lastrowid)

    # ------------------------------------------------------------------ scans
    def scan_intake(self, output: str, *, resume: bool, batch: int = 500, actor: str = "screener") -> ScanIntake:
        """The intake of one catalogue scan into ``output`` (see :class:`ScanIntake`)."""
        return ScanIntake(self, output, resume=resume, batch=batch, actor=actor)

    # ------------------------------------------------------------------ reviewers
    def _where(self, role: str | None, overdue: bool, merchant: str | None, statuses: tuple[str, ...],
               reviewer: str | None, now: float) -> tuple[str, list[Any]]:
        # The statuses are written into the SQL (from a fixed list, never the caller's text) so that
        # SQLite can use the partial indexes over open tasks (store.POST_MIGRATION).
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown or not statuses:
            raise StoreError(f"statuses must be some of {list(STATUSES)}, not {unknown or list(statuses)}")
        sql = f" WHERE t.status IN ({','.join(repr(s) for s in statuses)})"
        params: list[Any] = []
        if role:
            sql += " AND t.role=?"
            params.append(role)
        if merchant:
            sql += " AND t.merchant_id=?"
            params.append(merchant)
        if reviewer:
            sql += " AND t.reviewer=?"
            params.append(reviewer)
        if overdue:
            sql += " AND t.due_at < ?"
            params.append(now)
        return sql, params

    def list(self, *, role: str | None = None, overdue: bool = False, merchant: str | None = None,
             statuses: tuple[str, ...] = OPEN, limit: int = 200, offset: int = 0,
             reviewer: str | None = None) -> list[dict[str, Any]]:
        """Open tasks (by default), soonest due first, with ``overdue`` set; a page of ``limit`` from ``offset``."""
        self.release_expired()
        now = self._now()
        where, params = self._where(role, overdue, merchant, statuses, reviewer, now)
        hint = ""
        if set(statuses) == set(OPEN) and not merchant and not reviewer:
            # Read the open tasks in due order from the partial index and stop after the page
            # (SQLite's planner, without statistics, would rather sort every open task).
            hint = " INDEXED BY tasks_open" if role else " INDEXED BY tasks_open_due"
        sql = (f"SELECT t.*, i.decision, i.severity, i.risk FROM tasks t{hint} JOIN items i ON i.id=t.item_id"
               + where + " ORDER BY t.due_at, t.id LIMIT ? OFFSET ?")
        params += [int(limit), max(0, int(offset))]
        return [self._task_dict(r, now) for r in self.store.query(sql, tuple(params))]

    def count(self, *, role: str | None = None, overdue: bool = False, merchant: str | None = None,
              statuses: tuple[str, ...] = OPEN, reviewer: str | None = None) -> int:
        """How many tasks :meth:`list` would give without a limit (for pagination)."""
        where, params = self._where(role, overdue, merchant, statuses, reviewer, self._now())
        return int(self.store.query("SELECT COUNT(*) AS n FROM tasks t" + where, tuple(params))[0]["n"])

    def _task_dict(self, r: Any, now: float) -> dict[str, Any]:
        tz = self.policy.tz
        d = {k: r[k] for k in r.keys()}
        d["overdue"] = d["status"] in OPEN and d["due_at"] < now
        for k in ("created_at", "due_at", "claimed_at", "decided_at"):
            d[k] = _iso(d.get(k), tz)
        return d

    def _release_expired(self, conn: Any, now: float) -> None:
        # A claim is a lease: a reviewer who closes the browser or leaves for the day must not
        # hold a task (and its deadline) forever. The lease lapses back to pending, audited.
        lease = self.policy.claim_lease_minutes * 60
        for row in conn.execute(
            "UPDATE tasks SET status='pending', reviewer=NULL, claimed_at=NULL"
            " WHERE status='claimed' AND claimed_at < ? RETURNING id, item_id, reviewer", (now - lease,),
        ).fetchall():
            self.store.audit(conn, now, "system", "claim_expired", row["id"], row["item_id"], reviewer=row["reviewer"],
                             lease_minutes=self.policy.claim_lease_minutes)

    def release_expired(self) -> None:
        """Return every claim older than the policy's lease to the queue."""
        with self.store.transaction() as conn:
            self._release_expired(conn, self._now())

    def claim(self, role: str, reviewer: str) -> dict[str, Any] | None:
        """Atomically take the pending task of ``role`` due soonest; None when there is none.

        The claim is a lease of ``review.claim_lease_minutes`` (policy): after it the task is
        pending again for anyone, and the first reviewer can still decide it while nobody else
        has claimed it.
        """
        now = self._now()
        with self.store.transaction() as conn:
            self._release_expired(conn, now)
            row = conn.execute(
                "UPDATE tasks SET status='claimed', reviewer=?, claimed_at=? WHERE id=("
                " SELECT id FROM tasks WHERE status='pending' AND role=? ORDER BY due_at, id LIMIT 1) RETURNING id",
                (reviewer, now, role),
            ).fetchone()
            if row is None:
                return None
            self.store.audit(conn, now, reviewer, "claimed", row["id"], None, role=role)
        return self.show(int(row["id"]))

    def show(self, task_id: int) -> dict[str, Any]:
        """The task, its item (texts and result) and its decision if any."""
        rows = self.store.query(
            "SELECT t.*, i.texts, i.result, i.decision, i.severity, i.risk FROM tasks t JOIN items i ON i.id=t.item_id"
            " WHERE t.id=?", (task_id,))
        if not rows:
            raise StoreError(f"no task {task_id}")
        d = self._task_dict(rows[0], self._now())
        d["texts"] = json.loads(d["texts"])
        d["result"] = json.loads(d["result"])
        dec = self.store.query("SELECT * FROM decisions WHERE task_id=?", (task_id,))
        d["decision_record"] = dict(dec[0]) if dec else None
        return d

    def decide(self, task_id: int, verdict: str, reviewer: str, *, note: str | None = None,
               categories: list[str] | None = None, propose_allow: bool = False,
               allow_phrase: str | None = None, roles: Iterable[str] | None = None) -> dict[str, Any]:
        """Record a reviewer's verdict on a task (claimed by that reviewer, or still pending).

        A false positive with ``propose_allow`` proposes, for each false hit, the shortest phrase
        around it (:func:`proposals.shortest_phrase`); ``allow_phrase`` is the reviewer's own
        wording instead (it must hold a finding's text), for the findings it holds.

        Raises:
            StoreError: unknown task or verdict, already decided, claimed by someone else, an
                allow phrase holding no finding, or (with ``roles``) a task of another role by now.
        """
        if allow_phrase is not None:
            allow_phrase = allow_phrase.strip()
            if verdict != "false_positive" or not allow_phrase:
                raise StoreError("an allow phrase goes with a false_positive verdict and is not empty")
            propose_allow = True
        if verdict == "escalate":
            raise StoreError("use escalate() to escalate a task")
        if verdict not in VERDICTS:
            raise StoreError(f"verdict {verdict!r} is not one of {list(VERDICTS)} or escalate")
        now = self._now()
        with self.store.transaction() as conn:
            self._release_expired(conn, now)
            t = conn.execute("SELECT t.*, i.result, i.texts, i.severity FROM tasks t JOIN items i ON i.id=t.item_id"
                             " WHERE t.id=?", (task_id,)).fetchone()
            if t is None:
                raise StoreError(f"no task {task_id}")
            if t["status"] not in OPEN:
                raise StoreError(f"task {task_id} is {t['status']}, not open for a decision")
            if t["status"] == "claimed" and t["reviewer"] != reviewer:
                raise StoreError(f"task {task_id} is claimed by {t['reviewer']}")
            _check_role(t, roles)
            result = json.loads(t["result"])
            cats = categories if categories is not None else sorted({f["category"] for f in result["findings"]})
            conn.execute(
                "INSERT INTO decisions(task_id, item_id, verdict, categories, severity, reviewer, note, decided_at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (task_id, t["item_id"], verdict, json.dumps(cats, ensure_ascii=False), t["severity"], reviewer, note, now),
            )
            conn.execute("UPDATE tasks SET status='decided', reviewer=?, decided_at=? WHERE id=?", (reviewer, now, task_id))
            self.store.audit(conn, now, reviewer, "decided", task_id, t["item_id"], verdict=verdict, categories=cats,
                             note=note)
            if verdict != "false_positive" and t["merchant_id"]:
                self._grade(conn, t["merchant_id"], now, reviewer)
            if verdict == "false_positive" and propose_allow:
                self._propose(conn, task_id, json.loads(t["texts"]), result, reviewer, now, allow_phrase)
        return self.show(task_id)

    def escalate(self, task_id: int, to: str, reviewer: str, *, note: str | None = None,
                 roles: Iterable[str] | None = None) -> dict[str, Any]:
        """Send an open task to risk control or legal; it is pending again for that role.

        With ``roles``, only a task of one of these roles (checked in the same transaction).
        """
        if to not in ESCALATE_TO:
            raise StoreError(f"escalate to one of {list(ESCALATE_TO)}, not {to!r}")
        now = self._now()
        with self.store.transaction() as conn:
            t = conn.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
            if t is None:
                raise StoreError(f"no task {task_id}")
            if t["status"] not in OPEN:
                raise StoreError(f"task {task_id} is {t['status']}, not open")
            _check_role(t, roles)
            conn.execute("UPDATE tasks SET role=?, status='pending', reviewer=NULL, claimed_at=NULL WHERE id=?",
                         (to, task_id))
            self.store.audit(conn, now, reviewer, "escalated", task_id, t["item_id"], from_role=t["role"], to=to,
                             note=note)
        return self.show(task_id)

    def reassign(self, task_id: int, actor: str, *, role: str | None = None,
                 reviewer: str | None = None) -> dict[str, Any]:
        """Move an open task to another role and/or reviewer (a lead's action; audited).

        A new ``role`` makes it pending for that role; a ``reviewer`` makes it claimed by that
        person from now (a fresh lease); with neither, the task is released to its role's queue.
        """
        if role is not None and role not in ROLES:
            raise StoreError(f"role {role!r} is not one of {list(ROLES)}")
        now = self._now()
        with self.store.transaction() as conn:
            self._release_expired(conn, now)
            t = conn.execute("SELECT * FROM tasks WHERE id=?", (task_id,)).fetchone()
            if t is None:
                raise StoreError(f"no task {task_id}")
            if t["status"] not in OPEN:
                raise StoreError(f"task {task_id} is {t['status']}, not open")
            new_role = role or t["role"]
            if reviewer:
                conn.execute("UPDATE tasks SET role=?, status='claimed', reviewer=?, claimed_at=? WHERE id=?",
                             (new_role, reviewer, now, task_id))
            else:
                conn.execute("UPDATE tasks SET role=?, status='pending', reviewer=NULL, claimed_at=NULL WHERE id=?",
                             (new_role, task_id))
            self.store.audit(conn, now, actor, "reassigned", task_id, t["item_id"], from_role=t["role"],
                             to_role=new_role, from_reviewer=t["reviewer"], to_reviewer=reviewer)
        return self.show(task_id)

    def revisions(self, record_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The stored versions of a record, newest first, each with a character diff against the
        version before it: ``diff`` is ``[(op, text), …]`` with op ``equal``/``insert``/``delete``
        (difflib opcodes; a replacement is a delete then an insert). The oldest version shown
        is diffed against the one before it when there is one, else all ``equal``."""
        rows = self.store.query(
            "SELECT id, texts, decision, severity, risk, screened_at FROM items WHERE record_id=?"
            " ORDER BY id DESC LIMIT ?", (record_id, int(limit) + 1))
        out = []
        for i, r in enumerate(rows[: int(limit)]):
            texts = json.loads(r["texts"])
            before = _joined(json.loads(rows[i + 1]["texts"])) if i + 1 < len(rows) else None
            out.append({"item_id": r["id"], "texts": texts, "decision": r["decision"], "severity": r["severity"],
                        "risk": r["risk"], "screened_at": _iso(r["screened_at"], self.policy.tz),
                        "diff": char_diff(before, _joined(texts))})
        return out

    def merchant_history(self, merchant_id: str, *, limit: int = 20) -> dict[str, Any]:
        """A merchant's grade and action, violations in the grading window, and recent decisions."""
        now = self._now()
        since = now - self.policy.grading_window_days * 86400
        m = self.store.query("SELECT * FROM merchants WHERE merchant_id=?", (merchant_id,))
        violations = self.store.query(
            "SELECT COUNT(*) AS n FROM decisions d JOIN tasks t ON t.id=d.task_id WHERE t.merchant_id=?"
            " AND d.verdict IN ('confirmed','needs_change') AND d.decided_at >= ?", (merchant_id, since))[0]["n"]
        recent = [
            {"task_id": r["task_id"], "record_id": r["record_id"], "verdict": r["verdict"], "severity": r["severity"],
             "categories": json.loads(r["categories"]), "kind": r["kind"],
             "decided_at": _iso(r["decided_at"], self.policy.tz)}
            for r in self.store.query(
                "SELECT d.*, t.record_id, t.kind FROM decisions d JOIN tasks t ON t.id=d.task_id WHERE t.merchant_id=?"
                " ORDER BY d.decided_at DESC, d.id DESC LIMIT ?", (merchant_id, int(limit)))
        ]
        open_tasks = self.store.query(
            "SELECT COUNT(*) AS n FROM tasks WHERE merchant_id=? AND status IN ('pending','claimed')",
            (merchant_id,))[0]["n"]
        return {"merchant_id": merchant_id, "grade": m[0]["grade"] if m else None,
                "action": m[0]["action"] if m else None, "score": m[0]["score"] if m else 0.0,
                "violations": int(violations), "window_days": self.policy.grading_window_days,
                "open_tasks": int(open_tasks), "recent": recent}

    def decisions_per_day(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Decisions per local day (policy time zone) and role: ``[{"day", "role", "n"}]``, oldest first."""
        lo = since.timestamp() if since is not None else 0.0
        counts: Counter[tuple[str, str]] = Counter()
        tz = self.policy.tz
        for r in self.store.query(
                "SELECT CAST(d.decided_at / 3600 AS INTEGER) AS hour, t.role, COUNT(*) AS n FROM decisions d"
                " JOIN tasks t ON t.id=d.task_id WHERE d.decided_at >= ? GROUP BY hour, t.role", (lo,)):
            # Grouped by UTC hour in SQL, by local day here: right in every time zone, small in Python.
            day = datetime.fromtimestamp(r["hour"] * 3600, tz).date().isoformat()
            counts[(day, r["role"])] += r["n"]
        return [{"day": d, "role": role, "n": n} for (d, role), n in sorted(counts.items())]

    # ------------------------------------------------------------------ merchants
    def _grade(self, conn: Any, merchant_id: str, now: float, actor: str) -> None:
        since = now - self.policy.grading_window_days * 86400
        rows = conn.execute(
            "SELECT d.severity FROM decisions d JOIN tasks t ON t.id=d.task_id WHERE t.merchant_id=?"
            " AND d.verdict IN ('confirmed','needs_change') AND d.decided_at >= ?", (merchant_id, since)).fetchall()
        score = sum(self.policy.grading_high_weight if r["severity"] == "high" else 1.0 for r in rows)
        grade, action = self.policy.grade(score)
        old = conn.execute("SELECT grade FROM merchants WHERE merchant_id=?", (merchant_id,)).fetchone()
        conn.execute(
            "INSERT INTO merchants(merchant_id, grade, action, score, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(merchant_id) DO UPDATE SET grade=excluded.grade, action=excluded.action,"
            " score=excluded.score, updated_at=excluded.updated_at",
            (merchant_id, grade, action, score, now),
        )
        if (old["grade"] if old else None) != grade:
            self.store.audit(conn, now, actor, "graded", None, None, merchant=merchant_id, grade=grade, measure=action,
                             score=score)

    def merchants(self, grade: str | None = None) -> list[dict[str, Any]]:
        """Merchants with their grade and action, gravest first."""
        sql = "SELECT * FROM merchants WHERE grade IS NOT NULL"
        params: tuple[Any, ...] = ()
        if grade:
            sql += " AND grade=?"
            params = (grade,)
        rows = [dict(r) for r in self.store.query(sql + " ORDER BY score DESC, merchant_id", params)]
        for r in rows:
            r["updated_at"] = _iso(r["updated_at"], self.policy.tz)
        return rows

    # ------------------------------------------------------------------ learning
    def _propose(self, conn: Any, task_id: int, texts: dict[str, str], result: dict[str, Any], actor: str,
                 now: float, edited: str | None = None) -> None:
        proposed = 0
        for f in result["findings"]:
            if not f.get("term_id") or f.get("category") == "model_risk":
                continue
            if edited is not None:
                phrase = edited if f.get("text") and f["text"] in edited else None
            else:
                text = texts.get(f.get("field") or "", None) or next(iter(texts.values()), "")
                phrase = shortest_phrase(text, f["start"], f["end"])
            if phrase is None:
                continue
            cur = conn.execute(
                "INSERT INTO proposals(task_id, term_id, phrase, status, proposed_by, created_at)"
                " VALUES (?,?,?, 'proposed', ?, ?)", (task_id, f["term_id"], phrase, actor, now))
            self.store.audit(conn, now, actor, "proposed_allow", task_id, None, proposal=cur.lastrowid,
                             term_id=f["term_id"], phrase=phrase)
            proposed += 1
        if edited is not None and not proposed:
            # (raised inside the transaction: the verdict is not recorded either)
            raise StoreError(f"the allow phrase {edited!r} holds none of the task's findings")

    def proposals(self, status: str = "proposed") -> list[dict[str, Any]]:
        """Allow-list proposals from false-positive verdicts."""
        return [dict(r) for r in self.store.query("SELECT * FROM proposals WHERE status=? ORDER BY id", (status,))]

    def settle_proposal(self, proposal_id: int, accept: bool, reviewer: str,
                        apply: Callable[[str, str, str], str] | None = None) -> dict[str, Any]:
        """Accept (calling ``apply(phrase, term_id, reason)`` to write the allow-list) or reject."""
        now = self._now()
        with self.store.transaction() as conn:
            p = conn.execute("SELECT * FROM proposals WHERE id=?", (proposal_id,)).fetchone()
            if p is None or p["status"] != "proposed":
                raise StoreError(f"no open proposal {proposal_id}")
            entry = None
            if accept and apply is not None:
                entry = apply(p["phrase"], p["term_id"], f"复核误报（任务 {p['task_id']}，{reviewer} 确认）")
            status = "accepted" if accept else "rejected"
            conn.execute("UPDATE proposals SET status=?, decided_by=? WHERE id=?", (status, reviewer, proposal_id))
            self.store.audit(conn, now, reviewer, f"proposal_{status}", p["task_id"], None, proposal=proposal_id,
                             allow_entry=entry)
        return dict(self.store.query("SELECT * FROM proposals WHERE id=?", (proposal_id,))[0])

    def export(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Decided items as labeled JSONL rows in the training format (the latest decision per record)."""
        params: tuple[Any, ...] = ()
        sql = ("SELECT d.*, i.record_id, i.texts, i.content_type, i.product_category, i.result FROM decisions d"
               " JOIN items i ON i.id=d.item_id")
        if since is not None:
            sql += " WHERE d.decided_at >= ?"
            params = (since.timestamp(),)
        for r in self.store.query(sql + " ORDER BY d.decided_at, d.id", params):
            texts = json.loads(r["texts"])
            result = json.loads(r["result"])
            cats = set(json.loads(r["categories"]))
            violation = r["verdict"] != "false_positive"
            text = "\n".join(t for t in texts.values() if isinstance(t, str))
            spans = []
            if violation:
                for f in result["findings"]:
                    if f["category"] in cats and f.get("text"):
                        spans.append({"text": f["text"], "category": f["category"]})
            yield {
                "id": f"review-{r['task_id']}-{r['record_id']}",
                "text": text,
                "content_type": r["content_type"],
                "product_category": r["product_category"],
                "label": "violation" if violation else "ok",
                "spans": spans,
                "note": f"{r['verdict']} by {r['reviewer']}" + (f": {r['note']}" if r["note"] else ""),
            }

    # ------------------------------------------------------------------ KPIs
    def stats(self, since: datetime | None = None) -> dict[str, Any]:
        """Review KPIs, per role and overall (see the module docstring)."""
        now = self._now()
        lo = since.timestamp() if since is not None else 0.0
        decided = self.store.query(
            "SELECT t.role, t.created_at, t.due_at, d.decided_at, d.verdict, t.merchant_id"
            " FROM decisions d JOIN tasks t ON t.id=d.task_id WHERE d.decided_at >= ?",
            (lo,))
        per_role: dict[str, dict[str, Any]] = {}
        by_role: dict[str, list[Any]] = defaultdict(list)
        for r in decided:
            by_role[r["role"]].append(r)
        for role, rows in sorted(by_role.items()):
            hours = sorted((r["decided_at"] - r["created_at"]) / 3600 for r in rows)
            in_sla = sum(1 for r in rows if r["decided_at"] <= r["due_at"])
            confirmed = sum(1 for r in rows if r["verdict"] != "false_positive")
            per_role[role] = {
                "decided": len(rows),
                "avg_hours_to_decision": round(sum(hours) / len(hours), 3),
                "p90_hours_to_decision": round(_percentile(hours, 0.9), 3),
                "within_sla": round(in_sla / len(rows), 4),
                "ai_precision": round(confirmed / len(rows), 4),
            }
        # The terms of each decided item, read by SQLite's JSON functions: parsing every result in
        # Python cost half a second at 100,000 tasks, on every view of the KPI page.
        fp_terms: Counter[str] = Counter()
        all_terms: Counter[str] = Counter()
        for r in self.store.query(
            "SELECT term, SUM(fp) AS fp, COUNT(*) AS n FROM ("
            " SELECT DISTINCT d.id, json_extract(f.value, '$.term') AS term, d.verdict = 'false_positive' AS fp"
            " FROM decisions d JOIN items i ON i.id=d.item_id, json_each(i.result, '$.findings') f"
            " WHERE d.decided_at >= ? AND json_extract(f.value, '$.term') IS NOT NULL) GROUP BY term", (lo,)):
            all_terms[r["term"]] = r["n"]
            fp_terms[r["term"]] = r["fp"]
        violators: Counter[str] = Counter(r["merchant_id"] for r in decided
                                          if r["merchant_id"] and r["verdict"] != "false_positive")
        backlog = Counter()
        # Bucketed by the database, not row by row here.
        edges = [limit for limit, _ in BACKLOG_BUCKETS if limit != math.inf]
        bucket = "CASE " + " ".join(f"WHEN created_at > ? THEN {k}" for k in range(len(edges))) + f" ELSE {len(edges)} END"
        for r in self.store.query(
            f"SELECT {bucket} AS b, COUNT(*) AS n FROM tasks WHERE status IN ('pending','claimed') GROUP BY b",
            tuple(now - h * 3600 for h in edges)):
            backlog[BACKLOG_BUCKETS[r["b"]][1]] += r["n"]
        overdue = self.store.query("SELECT COUNT(*) AS n FROM tasks WHERE status IN ('pending','claimed') AND due_at < ?",
                                   (now,))[0]["n"]
        confirmed_all = sum(1 for r in decided if r["verdict"] != "false_positive")
        return {
            "since": since.isoformat() if since else None,
            "decided": len(decided),
            "ai_precision": round(confirmed_all / len(decided), 4) if decided else None,
            "review_error_rate": round(1 - confirmed_all / len(decided), 4) if decided else None,
            "per_role": per_role,
            "false_positive_rate_by_term": {
                t: {"decided": all_terms[t], "false_positives": fp_terms[t], "rate": round(fp_terms[t] / all_terms[t], 4)}
                for t, _ in sorted(all_terms.items(), key=lambda kv: (-fp_terms[kv[0]] / kv[1], -kv[1], kv[0]))
            },
            "repeat_violation_rate": (round(sum(1 for n in violators.values() if n >= 2) / len(violators), 4)
                                      if violators else None),
            "merchants_with_violations": len(violators),
            "backlog_by_age": {name: backlog.get(name, 0) for _, name in BACKLOG_BUCKETS},
            "open": sum(backlog.values()),
            "overdue": overdue,
        }


def _check_role(t: Any, roles: Iterable[str] | None) -> None:
    if roles is not None and t["role"] not in set(roles):
        raise StoreError(f"task {t['id']} is for {t['role']} now")


def _joined(texts: dict[str, Any]) -> str:
    """A version's texts as one string (fields in order, one per line) for the revision diff."""
    return "\n".join(v for v in texts.values() if isinstance(v, str))


def char_diff(before: str | None, after: str) -> list[tuple[str, str]]:
    """A character diff of two versions: ``[(op, text), …]``, op ``equal``/``insert``/``delete``."""
    if before is None:
        return [("equal", after)] if after else []
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", after[j1:j2]))
        else:
            if i2 > i1:
                out.append(("delete", before[i1:i2]))
            if j2 > j1:
                out.append(("insert", after[j1:j2]))
    return out


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
