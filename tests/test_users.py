"""People of the reviewer console: scrypt hashes, login throttling, sessions (issue 18)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from helpers import Clock

from screening.review import users as users_mod
from screening.review.store import SQLiteStore, StoreError
from screening.review.users import AuthError, Throttled, Users, hash_password, verify_password

PW = "茶香满屋-2026-secret"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(tmp_path: Path, clock: Clock) -> Users:
    return Users(SQLiteStore(tmp_path / "review.db"), clock=clock)


def audit(users: Users, action: str) -> list[dict]:
    return [dict(r) for r in users.store.query("SELECT * FROM audit WHERE action=? ORDER BY id", (action,))]


def test_the_hash_is_salted_self_describing_scrypt() -> None:
    h1, h2 = hash_password(PW), hash_password(PW)
    assert h1 != h2  # a fresh salt each time
    scheme, n, r, p, salt, key = h1.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    expected = hashlib.scrypt(PW.encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1, dklen=32)
    assert base64.b64decode(key) == expected
    assert verify_password(PW, h1) and verify_password(PW, h2)
    assert not verify_password(PW + "x", h1)
    # tampered or foreign rows never verify, and never cost unbounded memory
    assert not verify_password(PW, "plain$" + PW)
    assert not verify_password(PW, h1.replace("$16384$", "$1073741824$"))
    assert not verify_password(PW, "scrypt$16384$8$1$!!!$???")


def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = users_mod.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(users_mod.hmac, "compare_digest", spy)
    assert verify_password(PW, hash_password(PW))
    assert calls and all(isinstance(a, bytes) for a, _ in calls)


def test_the_store_holds_no_password_and_the_account_rules(users: Users) -> None:
    u = users.add("李四", PW, ["content_review", "content_review", "legal"], actor="组长")
    assert u.roles == ("content_review", "legal") and not u.lead and u.active
    row = users.store.query("SELECT * FROM users WHERE name='李四'")[0]
    assert PW not in row["password"] and row["password"].startswith("scrypt$16384$8$1$")
    assert users.by_name("李四") == u == users.get(u.id)
    assert audit(users, "user_added")[0]["actor"] == "组长"
    with pytest.raises(StoreError, match="exists"):
        users.add("李四", PW, ["legal"], actor="组长")
    with pytest.raises(StoreError, match="at least 10"):
        users.add("王五", "short", ["legal"], actor="组长")
    with pytest.raises(StoreError, match="role"):
        users.add("王五", PW, ["boss"], actor="组长")
    with pytest.raises(StoreError, match="at least one role"):
        users.add("王五", PW, [], actor="组长")
    with pytest.raises(StoreError, match="name"):
        users.add("王\n五", PW, ["legal"], actor="组长")
    lead = users.add("组长", PW, [], lead=True, actor="cli")
    assert lead.lead and lead.roles == ()
    assert [x.name for x in users.list()] == sorted(["李四", "组长"])


def test_one_message_for_wrong_password_unknown_name_and_disabled(users: Users) -> None:
    users.add("李四", PW, ["content_review"], actor="组长")
    users.add("赵六", PW, ["content_review"], actor="组长")
    users.disable("赵六", actor="组长")
    messages = set()
    for name, pw in (("李四", "wrong-password!"), ("无此人", PW), ("赵六", PW)):
        with pytest.raises(AuthError) as e:
            users.authenticate(name, pw, remote="10.0.0.1")
        assert not isinstance(e.value, Throttled)
        messages.add(str(e.value))
    assert messages == {"wrong name or password"}
    assert users.authenticate("李四", PW, remote="10.0.0.2").name == "李四"
    assert [a["actor"] for a in audit(users, "login_failed")] == ["李四", "无此人", "赵六"]
    ok = audit(users, "login_ok")
    assert ok[0]["actor"] == "李四" and json.loads(ok[0]["detail"])["remote"] == "10.0.0.2"


def test_five_failures_for_a_name_throttle_it_for_fifteen_minutes(users: Users, clock: Clock) -> None:
    users.add("李四", PW, ["content_review"], actor="组长")
    for i in range(5):
        with pytest.raises(AuthError):
            users.authenticate("李四", f"guess-number-{i}", remote=f"10.0.0.{i}")
        clock.advance(seconds=10)
    with pytest.raises(Throttled) as e:
        users.authenticate("李四", PW, remote="10.9.9.9")  # even the right password, from elsewhere
    assert e.value.retry_after == 15 * 60 - 50
    assert audit(users, "login_throttled")[0]["actor"] == "李四"
    assert users.throttled("李四") == 15 * 60 - 50
    assert users.throttled("别人") is None
    clock.advance(seconds=15 * 60 - 50)  # the first failure ages out of the window
    assert users.authenticate("李四", PW).name == "李四"
    assert users.throttled("李四") is None  # a success clears the name's failures


def test_five_failures_from_one_address_throttle_it(users: Users, clock: Clock) -> None:
    users.add("李四", PW, ["content_review"], actor="组长")
    for i in range(5):
        with pytest.raises(AuthError):
            users.authenticate(f"试探{i}", "whatever-pw", remote="203.0.113.7")
    with pytest.raises(Throttled) as e:
        users.authenticate("李四", PW, remote="203.0.113.7")
    assert e.value.retry_after == 15 * 60
    assert users.authenticate("李四", PW, remote="198.51.100.1").name == "李四"  # another address is fine
    clock.advance(minutes=15, seconds=1)
    assert users.authenticate("李四", PW, remote="203.0.113.7").name == "李四"


def test_sessions_are_stored_hashed_and_expire(users: Users, clock: Clock) -> None:
    u = users.add("李四", PW, ["content_review"], actor="组长")
    s = users.start_session(users.authenticate("李四", PW), hours=8)
    assert len(base64.urlsafe_b64decode(s.token + "=" * (-len(s.token) % 4))) >= 32
    assert s.csrf and s.csrf != s.token and s.user == u
    rows = users.store.query("SELECT * FROM sessions")
    assert len(rows) == 1 and rows[0]["token_hash"] == hashlib.sha256(s.token.encode()).hexdigest()
    assert s.token not in json.dumps([dict(r) for r in rows])
    got = users.session(s.token)
    assert got is not None and got.user == u and got.csrf == s.csrf
    assert users.check_csrf(got, s.csrf) and not users.check_csrf(got, "forged") and not users.check_csrf(got, None)
    assert users.session("not-a-token") is None and users.session("") is None
    clock.advance(hours=7, minutes=59)
    assert users.session(s.token) is not None
    clock.advance(minutes=1)
    assert users.session(s.token) is None  # expired


def test_logout_disable_and_a_new_password_end_sessions(users: Users) -> None:
    users.add("李四", PW, ["content_review"], actor="组长")
    u = users.authenticate("李四", PW)
    a, b = users.start_session(u), users.start_session(u)
    users.end_session(a.token)
    assert users.session(a.token) is None and users.session(b.token) is not None
    assert audit(users, "session_ended")[0]["actor"] == "李四"
    users.set_password("李四", "新密码-足够长-2026", actor="组长")
    assert users.session(b.token) is None
    with pytest.raises(AuthError):
        users.authenticate("李四", PW)
    c = users.start_session(users.authenticate("李四", "新密码-足够长-2026"))
    users.disable("李四", actor="组长")
    assert users.session(c.token) is None
    assert audit(users, "user_disabled")[0]["actor"] == "组长"
    # a session row left behind (say, from before the disable) still does not count
    users.store.conn.execute("INSERT INTO sessions(token_hash, csrf, user_id, created_at, expires_at)"
                             " VALUES (?, 'x', ?, 0, 9e12)", (hashlib.sha256(b"stale").hexdigest(), u.id))
    assert users.session("stale") is None
    users.enable("李四", actor="组长")
    assert users.session("stale") is not None
    with pytest.raises(StoreError):
        users.disable("无此人", actor="组长")


def test_the_console_secret(users: Users, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCREENING_CONSOLE_SECRET", raising=False)
    s1 = users.secret()
    assert len(s1) >= 32
    assert Users(SQLiteStore(tmp_path / "review.db")).secret() == s1  # kept in the store
    monkeypatch.setenv("SCREENING_CONSOLE_SECRET", "from-the-environment-0123456789")
    assert users.secret() == b"from-the-environment-0123456789"
