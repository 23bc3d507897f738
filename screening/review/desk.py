"""The reviewer's desk: every console action, checked against the person on the server.

The web pages (``integrations/console.py``) call only this class with the person of the
session; nothing they send decides what that person may do. The rules:

- a reviewer acts on tasks of their roles only (sees the queue, claims, opens, decides,
  escalates), and opens besides the tasks they hold or decided;
- a lead acts on every role and alone accepts or rejects allow-list proposals, reassigns tasks,
  manages people, sees the lead views (overdue, KPIs, merchants) and exports training data;
- anyone active may enter a complaint.

Each call re-reads the person from the store (a disabled account or a lost role counts at
once, whatever the session's copy says) and raises :class:`PermissionDenied` otherwise; a
refusal is audited (``denied``), and every action is in the audit log under the person's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..engine.curate import add_allow
from ..engine.policy import ROLES
from .complaints import add_complaint, complaint_of
from .queue import ReviewQueue
from .store import StoreError
from .users import PermissionDenied, User, Users


class Desk:
    """Console actions with their permission checks (one instance per process)."""

    def __init__(self, queue: ReviewQueue, users: Users) -> None:
        self.queue = queue
        self.users = users
        self.store = queue.store

    # ------------------------------------------------------------------ checks
    def _deny(self, user: User, action: str, task_id: int | None = None, **detail: Any) -> PermissionDenied:
        with self.store.transaction() as conn:
            self.store.audit(conn, self.queue._now(), user.name, "denied", task_id, None, attempted=action, **detail)
        return PermissionDenied(f"{user.name} may not {action.replace('_', ' ')}"
                                + (f" (task {task_id})" if task_id is not None else ""))

    def _fresh(self, user: User) -> User:
        """The person as the store has them now; PermissionDenied if gone or disabled."""
        current = self.users.get(user.id)
        if current is None or not current.active or current.name != user.name:
            raise self._deny(user, "act (account disabled)")
        return current

    def _lead(self, user: User, action: str) -> User:
        u = self._fresh(user)
        if not u.lead:
            raise self._deny(u, action)
        return u

    @staticmethod
    def roles_of(user: User) -> tuple[str, ...]:
        """The roles a person acts for (a lead: every role)."""
        return tuple(ROLES) if user.lead else tuple(user.roles)

    def _role(self, user: User, role: str, action: str, task_id: int | None = None) -> None:
        if role not in ROLES:
            raise StoreError(f"role {role!r} is not one of {list(ROLES)}")
        if not user.may_act_for(role):
            raise self._deny(user, action, task_id, role=role)

    def _task_row(self, task_id: int) -> Any:
        rows = self.store.query("SELECT id, role, status, reviewer, item_id, record_id, kind FROM tasks WHERE id=?",
                                (int(task_id),))
        if not rows:
            raise StoreError(f"no task {task_id}")
        return rows[0]

    def _timed(self, t: dict[str, Any], now: float) -> dict[str, Any]:
        due = datetime.fromisoformat(t["due_at"]).timestamp() if t.get("due_at") else now
        t["seconds_left"] = int(due - now)
        t["kind"] = t.get("kind") or "screening"
        return t

    # ------------------------------------------------------------------ reviewers
    def my_queue(self, user: User, role: str | None = None, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """The open tasks of one of the person's roles (soonest due first, a page) and what they hold."""
        u = self._fresh(user)
        roles = list(self.roles_of(u))
        role = role or (roles[0] if roles else ROLES[0])
        self._role(u, role, "see_queue")
        limit = max(1, min(int(limit), 500))
        offset = max(0, int(offset))
        now = self.queue._now()
        open_ = [self._timed(t, now) for t in self.queue.list(role=role, offset=offset, limit=limit)]
        held = [self._timed(t, now) for t in self.queue.list(statuses=("claimed",), reviewer=u.name, limit=200)]
        return {"role": role, "roles": roles, "open": open_, "held": held, "total": self.queue.count(role=role),
                "offset": offset, "limit": limit, "lead": u.lead, "user": u.name}

    def claim_next(self, user: User, role: str) -> dict[str, Any] | None:
        """Atomically take the task of ``role`` due soonest (None when there is none)."""
        u = self._fresh(user)
        self._role(u, role, "claim")
        t = self.queue.claim(role, u.name)
        return None if t is None else self._timed(t, self.queue._now())

    def task(self, user: User, task_id: int) -> dict[str, Any]:
        """A task for its page: the queue's view plus revisions, the merchant and the complaint.

        A reviewer opens tasks of their roles, and those they hold or decided.
        """
        u = self._fresh(user)
        row = self._task_row(task_id)
        if not u.may_act_for(row["role"]) and row["reviewer"] != u.name:
            raise self._deny(u, "see_task", task_id, role=row["role"])
        t = self._timed(self.queue.show(task_id), self.queue._now())
        # Whether the verdict buttons work for this person now: their role, and not held by another.
        t["may_act"] = u.may_act_for(row["role"]) and (
            t["status"] == "pending" or (t["status"] == "claimed" and t["reviewer"] == u.name))
        t["revision_count"] = t["revisions"]  # the queue's count; "revisions" is the list (the interface)
        item = self.store.query("SELECT content_type, product_category FROM items WHERE id=?", (t["item_id"],))[0]
        t["content_type"], t["product_category"] = item["content_type"], item["product_category"]
        t["inferred_category"] = (t.get("result") or {}).get("inferred_category")  # when given as "general"
        t["revisions"] = self.queue.revisions(row["record_id"])
        t["merchant"] = self.queue.merchant_history(t["merchant_id"]) if t.get("merchant_id") else None
        t["complaint"] = complaint_of(self.queue, task_id)
        t["record_tasks"] = [
            {"id": r["id"], "kind": r["kind"], "role": r["role"], "status": r["status"], "reviewer": r["reviewer"],
             "verdict": r["verdict"]}
            for r in self.store.query(
                "SELECT t.id, t.kind, t.role, t.status, t.reviewer, d.verdict FROM tasks t"
                " LEFT JOIN decisions d ON d.task_id=t.id WHERE t.record_id=? AND t.id<>? ORDER BY t.id DESC LIMIT 50",
                (row["record_id"], int(task_id)))
        ]
        return t

    def decide(self, user: User, task_id: int, verdict: str, *, note: str | None = None,
               propose_allow: bool = False, allow_phrase: str | None = None) -> dict[str, Any]:
        """Record the person's verdict on a task of their roles."""
        u = self._fresh(user)
        row = self._task_row(task_id)
        self._role(u, row["role"], "decide", task_id)
        return self.queue.decide(int(task_id), verdict, u.name, note=note or None, propose_allow=propose_allow,
                                 allow_phrase=allow_phrase or None, roles=self.roles_of(u))

    def escalate(self, user: User, task_id: int, to: str, *, note: str | None = None) -> dict[str, Any]:
        """Send a task of the person's roles to risk control or legal."""
        u = self._fresh(user)
        row = self._task_row(task_id)
        self._role(u, row["role"], "escalate", task_id)
        return self.queue.escalate(int(task_id), to, u.name, note=note or None, roles=self.roles_of(u))

    def complain(self, user: User, record_id: str, text: str, *, complainant: str | None = None) -> int:
        """Enter a complaint about a screened record (anyone active); returns the task it opened."""
        u = self._fresh(user)
        return add_complaint(self.queue, record_id, text, actor=u.name, complainant=complainant, channel="console")

    # ------------------------------------------------------------------ leads
    def reassign(self, lead: User, task_id: int, *, role: str | None = None,
                 reviewer: str | None = None) -> dict[str, Any]:
        """Move an open task to another role and/or an active reviewer of that role (leads only)."""
        u = self._lead(lead, "reassign")
        row = self._task_row(task_id)
        role = role or None
        reviewer = (reviewer or "").strip() or None
        if role is not None and role not in ROLES:
            raise StoreError(f"role {role!r} is not one of {list(ROLES)}")
        if reviewer is not None:
            target = self.users.by_name(reviewer)
            if target is None or not target.active:
                raise StoreError(f"no active user {reviewer!r}")
            if not target.may_act_for(role or row["role"]):
                raise StoreError(f"{reviewer} does not review {role or row['role']}")
        return self.queue.reassign(int(task_id), u.name, role=role, reviewer=reviewer)

    def proposals(self, lead: User, status: str = "proposed") -> list[dict[str, Any]]:
        """Allow-list proposals (leads only)."""
        self._lead(lead, "see_proposals")
        return self.queue.proposals(status)

    def settle(self, lead: User, proposal_id: int, accept: bool, *,
               user_lexicon: str | Path | None) -> dict[str, Any]:
        """Accept (written to the user lexicon's allow-list) or reject a proposal (leads only).

        ``user_lexicon`` defaults to env SCREENING_USER_LEXICON; accepting needs one.
        """
        u = self._lead(lead, "settle_proposal")
        if not accept:
            return self.queue.settle_proposal(int(proposal_id), False, u.name)
        udir = user_lexicon or os.environ.get("SCREENING_USER_LEXICON")
        if not udir:
            raise StoreError("accepting a proposal needs a user lexicon directory (--user-lexicon)")
        return self.queue.settle_proposal(
            int(proposal_id), True, u.name,
            apply=lambda phrase, term, reason: add_allow(udir, phrase=phrase, term_id=term, reason=reason))

    def overdue(self, lead: User, *, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """Open tasks past their due time, most overdue first (leads only)."""
        self._lead(lead, "see_overdue")
        now = self.queue._now()
        return [self._timed(t, now) for t in self.queue.list(overdue=True, offset=max(0, int(offset)),
                                                             limit=max(1, min(int(limit), 500)))]

    def overdue_count(self, lead: User) -> int:
        """How many open tasks are overdue (leads only)."""
        self._lead(lead, "see_overdue")
        return self.queue.count(overdue=True)

    def kpis(self, lead: User, since: datetime | None = None) -> dict[str, Any]:
        """The queue's KPIs plus decisions per day and role, share within SLA, p50/p90 hours (leads only)."""
        self._lead(lead, "see_kpis")
        stats = self.queue.stats(since)
        stats["decisions_per_day"] = self.queue.decisions_per_day(since)
        lo = since.timestamp() if since is not None else 0.0
        rows = self.store.query(
            "SELECT (d.decided_at - t.created_at) / 3600.0 AS hours, d.decided_at <= t.due_at AS in_sla"
            " FROM decisions d JOIN tasks t ON t.id=d.task_id WHERE d.decided_at >= ? ORDER BY hours", (lo,))
        hours = [r["hours"] for r in rows]
        stats["within_sla"] = round(sum(r["in_sla"] for r in rows) / len(rows), 4) if rows else None
        stats["p50_hours_to_decision"] = round(_pct(hours, 0.5), 3) if hours else None
        stats["p90_hours_to_decision"] = round(_pct(hours, 0.9), 3) if hours else None
        for role, per in stats["per_role"].items():
            rh = [r["hours"] for r in self.store.query(
                "SELECT (d.decided_at - t.created_at) / 3600.0 AS hours FROM decisions d JOIN tasks t ON t.id=d.task_id"
                " WHERE d.decided_at >= ? AND t.role=? ORDER BY hours", (lo, role))]
            per["p50_hours_to_decision"] = round(_pct(rh, 0.5), 3) if rh else None
        return stats

    def merchants(self, lead: User, *, grade: str | None = None, offset: int = 0,
                  limit: int = 200) -> list[dict[str, Any]]:
        """Graded merchants, gravest first, with their violations in the grading window (leads only)."""
        self._lead(lead, "see_merchants")
        rows = self.queue.merchants(grade)[max(0, int(offset)): max(0, int(offset)) + max(1, int(limit))]
        since = self.queue._now() - self.queue.policy.grading_window_days * 86400
        counts = {r["merchant_id"]: r["n"] for r in self.store.query(
            "SELECT t.merchant_id, COUNT(*) AS n FROM decisions d JOIN tasks t ON t.id=d.task_id"
            " WHERE t.merchant_id IS NOT NULL AND d.verdict IN ('confirmed','needs_change') AND d.decided_at >= ?"
            " GROUP BY t.merchant_id", (since,))}
        for r in rows:
            r["violations"] = int(counts.get(r["merchant_id"], 0))
            r["window_days"] = self.queue.policy.grading_window_days
        return rows

    def export(self, lead: User, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Decided items as training data (leads only; checked and audited before the first row)."""
        u = self._lead(lead, "export")
        with self.store.transaction() as conn:
            self.store.audit(conn, self.queue._now(), u.name, "exported", None, None,
                             since=since.isoformat() if since else None)
        return self.queue.export(since)

    # ------------------------------------------------------------------ people (leads)
    def people(self, lead: User) -> list[User]:
        """Every person (leads only)."""
        self._lead(lead, "see_users")
        return self.users.list()

    def add_user(self, lead: User, name: str, password: str, roles: Sequence[str], *,
                 is_lead: bool = False) -> User:
        """Add a person (leads only)."""
        u = self._lead(lead, "add_user")
        return self.users.add(name, password, roles, lead=is_lead, actor=u.name)

    def disable_user(self, lead: User, name: str) -> None:
        """Disable a person and end their sessions (leads only)."""
        u = self._lead(lead, "disable_user")
        self.users.disable(name, actor=u.name)


def _pct(sorted_values: list[float], q: float) -> float:
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)
