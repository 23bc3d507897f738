"""The review store: screened items, review tasks, decisions, merchants and an audit log.

SQLite by default (one file, WAL, ``SCREENING_REVIEW_DB`` or an explicit path). Everything the
workflow needs goes through :class:`ReviewStore`'s small set of transactional methods, so a
server database can implement the same methods later. Every state change and its audit row are
written in one transaction: a crash in the middle leaves either both or neither. The audit log
is append-only: triggers refuse UPDATE and DELETE on it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ScreeningError

SCHEMA_VERSION = 2
DEFAULT_DB = "review.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    merchant_id TEXT,
    content_type TEXT NOT NULL,
    product_category TEXT NOT NULL,
    texts TEXT NOT NULL,              -- JSON {field: text}
    content_hash TEXT NOT NULL,
    result TEXT NOT NULL,             -- the contract result, JSON
    decision TEXT NOT NULL,
    severity TEXT NOT NULL,
    risk REAL NOT NULL,
    versions TEXT NOT NULL,
    previous_item_id INTEGER REFERENCES items(id),
    screened_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_record ON items(record_id);
CREATE INDEX IF NOT EXISTS items_merchant ON items(merchant_id);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    record_id TEXT NOT NULL,
    merchant_id TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'claimed', 'decided', 'expired')),
    reviewer TEXT,
    revisions INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    sla_hours REAL NOT NULL,
    claimed_at REAL,
    decided_at REAL,
    kind TEXT NOT NULL DEFAULT 'screening'   -- 'screening' | 'complaint' (schema 2)
);
CREATE INDEX IF NOT EXISTS tasks_queue ON tasks(status, role, due_at);
CREATE INDEX IF NOT EXISTS tasks_record ON tasks(record_id, status);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id),
    item_id INTEGER NOT NULL REFERENCES items(id),
    verdict TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'needs_change')),
    categories TEXT NOT NULL,         -- JSON list
    severity TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    note TEXT,
    decided_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants (
    merchant_id TEXT PRIMARY KEY,
    grade TEXT,
    action TEXT,
    score REAL NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id),
    term_id TEXT NOT NULL,
    phrase TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
    proposed_by TEXT NOT NULL,
    decided_by TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    task_id INTEGER,
    item_id INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_decided ON decisions(decided_at);
CREATE INDEX IF NOT EXISTS proposals_status ON proposals(status, id);
CREATE INDEX IF NOT EXISTS audit_task ON audit(task_id);
-- The console (schema 2): people, their sessions, failed logins (throttling) and complaints.
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL,           -- scrypt$n$r$p$salt$key (base64), see review/users.py
    roles TEXT NOT NULL,              -- JSON list
    lead INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,      -- sha256 of the cookie's token; the token itself is never stored
    csrf TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    remote TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures(name, at);
CREATE INDEX IF NOT EXISTS login_failures_remote ON login_failures(remote, at);
CREATE TABLE IF NOT EXISTS complaints (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id),
    record_id TEXT NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items(id),
    text TEXT NOT NULL,
    complainant TEXT,
    channel TEXT NOT NULL,
    linked_tasks TEXT NOT NULL,       -- JSON list of the record's earlier task ids
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS complaints_record ON complaints(record_id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

# Run after SCHEMA: columns added to tables of an older schema, then the indexes that use them.
# Indexes for the console at 100,000 tasks. A queue page reads the open tasks of a role soonest
# due first: the partial index over open tasks gives them in order, so a page of 50 reads 50 rows
# instead of sorting every open task (the queries write the statuses as literals for it).
# Likewise the overdue list; then what a reviewer holds and a merchant's tasks.
POST_MIGRATION = """
CREATE INDEX IF NOT EXISTS tasks_open ON tasks(role, due_at, id) WHERE status IN ('pending','claimed');
CREATE INDEX IF NOT EXISTS tasks_open_due ON tasks(due_at, id) WHERE status IN ('pending','claimed');
CREATE INDEX IF NOT EXISTS tasks_reviewer ON tasks(reviewer, status);
CREATE INDEX IF NOT EXISTS tasks_merchant ON tasks(merchant_id, status);
CREATE INDEX IF NOT EXISTS tasks_kind ON tasks(kind, status);
"""


class StoreError(ScreeningError, RuntimeError):
    """A review-store operation cannot be done (unknown task, wrong state, bad value)."""


def default_db_path() -> str:
    """``SCREENING_REVIEW_DB`` or ``review.db`` in the working directory."""
    return os.environ.get("SCREENING_REVIEW_DB") or DEFAULT_DB


class SQLiteStore:
    """The SQLite implementation of the store: one connection per instance (per process)."""

    def __init__(self, path: str | Path | None = None, *, timeout: float = 60.0) -> None:
        self.path = str(path or default_db_path())
        self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._migrate()

    def _migrate(self) -> None:
        # CREATE … IF NOT EXISTS throughout: safe to run from several processes at once.
        self.conn.executescript(SCHEMA)
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row["value"]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has schema {row['value']}, newer than this code ({SCHEMA_VERSION})")
        # Schema 1 → 2: tasks.kind. A database made before it keeps its rows (all 'screening').
        # ALTER TABLE is not IF NOT EXISTS: another process may have added the column first.
        columns = {r["name"] for r in self.conn.execute("PRAGMA table_info(tasks)")}
        if "kind" not in columns:
            try:
                self.conn.execute("ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'screening'")
            except sqlite3.OperationalError as e:
                if "duplicate column" not in str(e):
                    raise
        self.conn.executescript(POST_MIGRATION)
        self.conn.execute("UPDATE meta SET value=? WHERE key='schema' AND CAST(value AS INTEGER) < ?",
                          (str(SCHEMA_VERSION), SCHEMA_VERSION))

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (retries while busy)."""
        for attempt in range(200):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e):
                    raise
                time.sleep(0.01 * (1 + attempt % 10))
        else:  # pragma: no cover - only under pathological contention
            raise StoreError(f"{self.path} stayed locked")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def audit(self, conn: sqlite3.Connection, at: float, actor: str, action: str, task_id: int | None,
              item_id: int | None, **detail: Any) -> None:
        """Append one audit row (inside the caller's transaction)."""
        conn.execute(
            "INSERT INTO audit(at, actor, action, task_id, item_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, actor, action, task_id, item_id, json.dumps(detail, ensure_ascii=False)),
        )

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
