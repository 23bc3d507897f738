"""People of the reviewer console: accounts, roles, passwords, login throttling and sessions.

- **Passwords** are hashed with ``hashlib.scrypt`` (memory-hard, standard library: n=2**14, r=8,
  p=1, a 16-byte random salt), stored as a self-describing string
  ``scrypt$16384$8$1$<salt, base64>$<key, base64>`` and compared with ``hmac.compare_digest``.
  A wrong name costs the same scrypt work as a wrong password, and both say the same thing.
- **Throttling**: 5 failed logins in 15 minutes for a name, or from a remote address, refuse
  further attempts (:class:`Throttled`, with the seconds until the oldest of them ages out),
  before any password is checked. Every login is audited (login_ok / login_failed /
  login_throttled).
- **Sessions**: a random token (32 bytes, URL-safe) for the cookie; the store keeps only its
  SHA-256, with an expiry and a per-session CSRF token. Disabling a person or changing their
  password ends their sessions.

Nothing here reads the clock: ``clock`` is injected, so expiry and throttling are testable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..engine.policy import ROLES
from ..errors import ScreeningError
from .store import SQLiteStore, StoreError

__all__ = ["ROLES", "AuthError", "PermissionDenied", "Session", "Throttled", "User", "Users", "hash_password",
           "utc_now", "verify_password"]

SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES = 2**14, 8, 1, 16, 32
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_NAME = 64
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = 15 * 60  # seconds
SECRET_ENV = "SCREENING_CONSOLE_SECRET"


def utc_now() -> datetime:
    """The current time, UTC (the default clock)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class User:
    """A person of the console: their roles, whether they lead, whether the account is active."""

    id: int
    name: str
    roles: tuple[str, ...]
    lead: bool
    active: bool

    def may_act_for(self, role: str) -> bool:
        """Whether this person may act on tasks of ``role`` (a lead: every role)."""
        return self.active and (self.lead or role in self.roles)


@dataclass(frozen=True)
class Session:
    """A logged-in session: the cookie's token (only its hash is stored) and its CSRF token."""

    token: str
    csrf: str
    user: User
    expires_at: float


class AuthError(ScreeningError):
    """Wrong name or password, or a disabled account: one message for all."""


class Throttled(AuthError):
    """Too many failed logins for a name or from an address; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = int(retry_after)
        super().__init__(f"too many failed logins; try again in {self.retry_after} s")


class PermissionDenied(ScreeningError):
    """The person may not do this (another role's task, a lead's action)."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The stored form of a password: ``scrypt$n$r$p$salt$key`` (salt and key base64)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         dklen=KEY_BYTES, maxmem=64 * 1024 * 1024)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (constant-time comparison of the keys)."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, key = base64.b64decode(salt_b64, validate=True), base64.b64decode(key_b64, validate=True)
        n_, r_, p_ = int(n), int(r), int(p)
        if n_ > 2**20 or r_ > 32 or p_ > 16:  # a tampered row must not exhaust memory
            return False
        got = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n_, r=r_, p=p_,
                             dklen=len(key), maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, key)


# Spent on unknown names, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password("x" * MIN_PASSWORD, salt=b"\0" * SALT_BYTES)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise StoreError(f"a name has 1 to {MAX_NAME} characters")
    if any(unicodedata.category(c)[0] in "CZ" and c != " " for c in name):
        raise StoreError("a name has no control, format or line-separator characters")
    return name


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise StoreError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise StoreError(f"a password has at most {MAX_PASSWORD} characters")


def _check_roles(roles: Sequence[str], lead: bool) -> tuple[str, ...]:
    out: list[str] = []
    for r in roles:
        if r not in ROLES:
            raise StoreError(f"role {r!r} is not one of {list(ROLES)}")
        if r not in out:
            out.append(r)
    if not out and not lead:
        raise StoreError("a reviewer has at least one role (a lead may have none)")
    return tuple(out)


class Users:
    """The console's people and sessions, over the review store."""

    def __init__(self, store: SQLiteStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.clock = clock

    def _now(self) -> float:
        return self.clock().timestamp()

    @staticmethod
    def _user(r: Any) -> User:
        return User(int(r["id"]), r["name"], tuple(json.loads(r["roles"])), bool(r["lead"]), bool(r["active"]))

    # ------------------------------------------------------------------ accounts
    def add(self, name: str, password: str, roles: Sequence[str], *, lead: bool = False, actor: str) -> User:
        """Add a person (a password of at least 10 characters); StoreError if the name is taken."""
        name = _check_name(name)
        _check_password(password)
        roles_ = _check_roles(roles, lead)
        hashed = hash_password(password)
        now = self._now()
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone():
                raise StoreError(f"a user {name!r} exists")
            cur = conn.execute(
                "INSERT INTO users(name, password, roles, lead, active, created_at, updated_at) VALUES (?,?,?,?,1,?,?)",
                (name, hashed, json.dumps(list(roles_)), int(lead), now, now))
            self.store.audit(conn, now, actor, "user_added", None, None, user=name, roles=list(roles_), lead=lead)
        return User(int(cur.lastrowid), name, roles_, lead, True)

    def list(self) -> list[User]:
        """Every person, by name."""
        return [self._user(r) for r in self.store.query("SELECT * FROM users ORDER BY name")]

    def get(self, user_id: int) -> User | None:
        """The person with this id, or None."""
        rows = self.store.query("SELECT * FROM users WHERE id=?", (user_id,))
        return self._user(rows[0]) if rows else None

    def by_name(self, name: str) -> User | None:
        """The person with this name, or None."""
        rows = self.store.query("SELECT * FROM users WHERE name=?", ((name or "").strip(),))
        return self._user(rows[0]) if rows else None

    def disable(self, name: str, *, actor: str) -> None:
        """Disable an account and end its sessions; StoreError if there is no such person."""
        now = self._now()
        with self.store.transaction() as conn:
            r = conn.execute("SELECT id FROM users WHERE name=?", (name,)).fetchone()
            if r is None:
                raise StoreError(f"no user {name!r}")
            conn.execute("UPDATE users SET active=0, updated_at=? WHERE id=?", (now, r["id"]))
            n = conn.execute("DELETE FROM sessions WHERE user_id=?", (r["id"],)).rowcount
            self.store.audit(conn, now, actor, "user_disabled", None, None, user=name, sessions_ended=n)

    def enable(self, name: str, *, actor: str) -> None:
        """Enable a disabled account again."""
        now = self._now()
        with self.store.transaction() as conn:
            if conn.execute("UPDATE users SET active=1, updated_at=? WHERE name=?", (now, name)).rowcount == 0:
                raise StoreError(f"no user {name!r}")
            self.store.audit(conn, now, actor, "user_enabled", None, None, user=name)

    def set_roles(self, name: str, roles: Sequence[str], *, lead: bool, actor: str) -> User:
        """Change a person's roles and lead flag."""
        roles_ = _check_roles(roles, lead)
        now = self._now()
        with self.store.transaction() as conn:
            if conn.execute("UPDATE users SET roles=?, lead=?, updated_at=? WHERE name=?",
                            (json.dumps(list(roles_)), int(lead), now, name)).rowcount == 0:
                raise StoreError(f"no user {name!r}")
            self.store.audit(conn, now, actor, "user_roles", None, None, user=name, roles=list(roles_), lead=lead)
        user = self.by_name(name)
        assert user is not None
        return user

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        """Set a new password; the person's sessions end (they log in again)."""
        _check_password(password)
        hashed = hash_password(password)
        now = self._now()
        with self.store.transaction() as conn:
            r = conn.execute("SELECT id FROM users WHERE name=?", (name,)).fetchone()
            if r is None:
                raise StoreError(f"no user {name!r}")
            conn.execute("UPDATE users SET password=?, updated_at=? WHERE id=?", (hashed, now, r["id"]))
            conn.execute("DELETE FROM sessions WHERE user_id=?", (r["id"],))
            self.store.audit(conn, now, actor, "password_set", None, None, user=name)

    # ------------------------------------------------------------------ logins
    def _retry_after(self, conn: Any, name: str, remote: str | None, now: float) -> int | None:
        since = now - THROTTLE_WINDOW
        waits = []
        for col, value in (("name", name), ("remote", remote)):
            if value is None:
                continue
            rows = conn.execute(f"SELECT at FROM login_failures WHERE {col}=? AND at > ? ORDER BY at DESC LIMIT ?",
                                (value, since, THROTTLE_FAILURES)).fetchall()
            if len(rows) >= THROTTLE_FAILURES:
                # Free again when the oldest of the last five leaves the window.
                waits.append(rows[-1]["at"] + THROTTLE_WINDOW - now)
        return max(1, int(max(waits) + 0.999)) if waits else None

    def throttled(self, name: str, *, remote: str | None = None) -> int | None:
        """Seconds until ``name`` (or ``remote``) may try again, or None when not throttled."""
        return self._retry_after(self.store.conn, (name or "").strip(), remote, self._now())

    def authenticate(self, name: str, password: str, *, remote: str | None = None) -> User:
        """The active person with this name and password.

        Raises:
            Throttled: 5 failures in 15 minutes for the name or the remote address.
            AuthError: wrong name or password, or a disabled account (one message for all).
        """
        name = (name or "").strip()[: MAX_NAME + 1]
        now = self._now()
        wait = self.throttled(name, remote=remote)
        if wait is not None:
            with self.store.transaction() as conn:
                self.store.audit(conn, now, name or "-", "login_throttled", None, None, remote=remote,
                                 retry_after=wait)
            raise Throttled(wait)
        rows = self.store.query("SELECT * FROM users WHERE name=?", (name,))
        ok = verify_password(password or "", rows[0]["password"] if rows else _DUMMY_HASH)
        ok = ok and bool(rows) and bool(rows[0]["active"])
        with self.store.transaction() as conn:
            if ok:
                conn.execute("DELETE FROM login_failures WHERE name=?", (name,))
                self.store.audit(conn, now, name, "login_ok", None, None, remote=remote)
            else:
                conn.execute("INSERT INTO login_failures(name, remote, at) VALUES (?,?,?)", (name, remote, now))
                conn.execute("DELETE FROM login_failures WHERE at < ?", (now - 24 * 3600,))  # keep the table small
                self.store.audit(conn, now, name or "-", "login_failed", None, None, remote=remote)
        if not ok:
            raise AuthError("wrong name or password")
        return self._user(rows[0])

    # ------------------------------------------------------------------ sessions
    def start_session(self, user: User, *, hours: float = 8) -> Session:
        """A new session for an authenticated person, valid ``hours``."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._now()
        expires = now + hours * 3600
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO sessions(token_hash, csrf, user_id, created_at, expires_at) VALUES (?,?,?,?,?)",
                         (_token_hash(token), csrf, user.id, now, expires))
            self.store.audit(conn, now, user.name, "session_started", None, None, expires_at=expires)
        return Session(token, csrf, user, expires)

    def session(self, token: str) -> Session | None:
        """The live session of a cookie's token; None when unknown, expired or the person is disabled."""
        if not token or not isinstance(token, str) or len(token) > 256:
            return None
        rows = self.store.query(
            "SELECT s.csrf, s.expires_at, u.* FROM sessions s JOIN users u ON u.id=s.user_id WHERE s.token_hash=?",
            (_token_hash(token),))
        if not rows:
            return None
        r = rows[0]
        if r["expires_at"] <= self._now() or not r["active"]:
            return None
        return Session(token, r["csrf"], self._user(r), float(r["expires_at"]))

    def end_session(self, token: str) -> None:
        """Log out: forget the session (nothing if it is unknown)."""
        now = self._now()
        with self.store.transaction() as conn:
            row = conn.execute("DELETE FROM sessions WHERE token_hash=? RETURNING user_id",
                               (_token_hash(token or ""),)).fetchone()
            if row is not None:
                u = conn.execute("SELECT name FROM users WHERE id=?", (row["user_id"],)).fetchone()
                self.store.audit(conn, now, u["name"] if u else "-", "session_ended", None, None)

    def check_csrf(self, session: Session, token: str | None) -> bool:
        """Whether a form's CSRF token is the session's (constant-time)."""
        return bool(token) and hmac.compare_digest(str(token).encode(), session.csrf.encode())

    def secret(self) -> bytes:
        """The console's HMAC key: env SCREENING_CONSOLE_SECRET, else generated once and kept in the store."""
        env = os.environ.get(SECRET_ENV)
        if env:
            return env.encode("utf-8")
        with self.store.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('console_secret', ?)",
                         (secrets.token_urlsafe(48),))
            value = conn.execute("SELECT value FROM meta WHERE key='console_secret'").fetchone()["value"]
        return str(value).encode("utf-8")
