"""The HTTP service, through real HTTP: uvicorn on a loopback port, httpx as the client.

Skipped without the ``server`` extra. Servers run in a background thread of this process (so a
test can reach the app's screener) and are built once per module; lexicon-only (``model=None``)
except where the packaged model is the point.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")


from screening.integrations.service import API_KEY_ENV, ScreeningResult, create_app, serve  # noqa: E402
from screening.screener import MODEL_NONE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_KEYS = {"id", "decision", "risk", "severity", "findings", "route", "versions", "error"}
FINDING_KEYS = {"start", "end", "text", "term", "term_id", "category", "severity", "basis", "suggestion",
                "detector", "confidence", "explanation"}
VERSION_KEYS = {"screening", "lexicon", "rules", "model", "policy"}
VIOLATION = "全网第一的面霜，7天美白"
LAWFUL = "纯棉短袖T恤"
USER_TERM = {"id": "U-ABS-0001", "term": "太阳系第一", "category": "absolute_claim", "severity": "high",
             "applies_to": ["all"], "basis": "广告法第九条第三项", "provenance": "test"}
SECRET = "secret-internal-detail-4711"


def assert_contract(result: dict[str, Any], text: str | None = None) -> None:
    """A contract result: its fields, vocabularies and offsets into ``text``."""
    assert CONTRACT_KEYS <= result.keys(), result
    ScreeningResult.model_validate(result)
    assert result["decision"] in ("pass", "review", "block")
    assert 0.0 <= result["risk"] <= 1.0
    assert (result["route"] is None) == (result["decision"] == "pass")
    assert VERSION_KEYS <= result["versions"].keys()
    for f in result["findings"]:
        assert FINDING_KEYS <= f.keys(), f
        if text is not None:
            assert text[f["start"] : f["end"]] == f["text"], f


@pytest.fixture(scope="module")
def clean_env() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.delenv(API_KEY_ENV, raising=False)
    mp.delenv("SCREENING_USER_LEXICON", raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def live(clean_env: None) -> Iterator[LiveServer]:
    app = create_app(model=None, max_batch=50, max_body_bytes=200_000, max_text_chars=20_000)
    with LiveServer(app) as server:
        yield server


def write_terms(user_dir: Path, *terms: dict[str, Any]) -> None:
    """Replace the user lexicon's terms.jsonl in one step (a reload never reads half a file)."""
    tmp = user_dir / "terms.jsonl.tmp"
    tmp.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in terms), encoding="utf-8")
    os.replace(tmp, user_dir / "terms.jsonl")


@pytest.fixture(scope="module")
def reloadable(clean_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    user_dir = tmp_path_factory.mktemp("user-lexicon")
    write_terms(user_dir)
    # (reload as often as the tests need: the rate limit has its own test)
    with LiveServer(create_app(model=None, user_lexicon=user_dir, reload_interval=0)) as server:
        yield server, user_dir


# --------------------------------------------------------------------------- screening one record
def test_a_violation_is_flagged_with_offsets_into_the_text(live: LiveServer) -> None:
    r = live.client.post("/v1/screen", json={"id": "sku-1", "text": VIOLATION, "product_category": "cosmetics"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    d = r.json()
    assert_contract(d, VIOLATION)
    assert d["id"] == "sku-1" and d["decision"] in ("block", "review") and d["error"] is None
    assert {f["text"] for f in d["findings"]} >= {"全网第一"}
    assert d["versions"]["model"] == MODEL_NONE
    # Exactly the library's contract JSON (the deadline depends on the clock).
    direct = live.slot.screener.screen(VIOLATION, product_category="cosmetics", id="sku-1").to_dict()
    assert {**d, "route": None} == {**direct, "route": None}
    assert d["route"]["role"] == direct["route"]["role"]


def test_lawful_copy_passes(live: LiveServer) -> None:
    d = live.client.post("/v1/screen", json={"text": LAWFUL}).json()
    assert_contract(d, LAWFUL)
    assert d == {**d, "id": None, "decision": "pass", "findings": [], "route": None, "error": None}


def test_text_that_utf8_cannot_carry_still_gets_a_result(live: LiveServer) -> None:
    r = live.client.post("/v1/screen", content=b'{"text": "\\u56fd\\u5bb6\\u7ea7\\udc80\\u5de5\\u827a"}',
                         headers={"content-type": "application/json"})
    assert r.status_code == 200
    assert_contract(r.json(), "国家级\udc80工艺")


# --------------------------------------------------------------------------- batches
def test_batch_keeps_order_and_flags_bad_records_on_their_own(live: LiveServer) -> None:
    records: list[Any] = [
        {"id": "a", "text": VIOLATION, "product_category": "cosmetics"},
        {"id": "b", "text": ""},
        {"id": "c", "text": LAWFUL},
        {"id": "d", "text": 42},
        "not an object",
        {"text": "没有id的记录"},
        {"id": "g", "text": "最好的面霜", "product_category": "spaceships"},
        {"id": "h", "text": "国家级工艺", "content_type": "live_script", "merchant_id": "m-1"},
    ]
    r = live.client.post("/v1/screen/batch", json={"records": records})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["a", "b", "c", "d", None, None, "g", "h"]
    for rec, res in zip(records, results):
        assert_contract(res, rec.get("text") if isinstance(rec, dict) and isinstance(rec.get("text"), str) else None)
    errors = {i: res["error"] for i, res in enumerate(results) if res["error"]}
    assert set(errors) == {1, 3, 4, 5, 6}
    assert "text is empty" in errors[1]
    assert "text" in errors[3] and "string" in errors[3]
    assert "object" in errors[4]
    assert "id" in errors[5]
    assert "product_category" in errors[6] and "spaceships" in errors[6]
    assert all(results[i]["decision"] == "review" for i in errors)
    assert results[0]["decision"] in ("block", "review") and results[2]["decision"] == "pass"
    assert results[7]["route"]["role"] in ("content_review", "risk_control", "legal")


def test_an_oversize_batch_is_refused_naming_the_limit(live: LiveServer) -> None:
    r = live.client.post("/v1/screen/batch", json={"records": [{"id": str(i), "text": LAWFUL} for i in range(51)]})
    assert r.status_code in (413, 422)
    assert "51" in r.json()["detail"] and "50" in r.json()["detail"]
    assert live.client.post("/v1/screen/batch", json={"records": []}).json() == {"results": []}


# --------------------------------------------------------------------------- request errors
@pytest.mark.parametrize("body", [b'{"text": ', b"{'text': 'x'}", b'{"text": "\xff\xfe"}'])
def test_malformed_json_is_a_client_error_with_a_message(live: LiveServer, body: bytes) -> None:
    r = live.client.post("/v1/screen", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
    assert r.json()["detail"]


def test_bad_json_says_where(live: LiveServer) -> None:
    r = live.client.post("/v1/screen", content=b'{"text": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/screen", {"text": 5}, "text"),
        ("/v1/screen", {"id": "x"}, "text"),
        ("/v1/screen", {"text": "最好", "product_category": ["cosmetics"]}, "product_category"),
        ("/v1/screen", {"text": "最好", "id": {"a": 1}}, "id"),
        ("/v1/screen", ["最好"], "JSON object"),
        ("/v1/screen/batch", {"records": {"id": "a"}}, "records"),
        ("/v1/screen/batch", {"rows": []}, "records"),
    ],
)
def test_wrong_field_types_are_422_naming_the_field(live: LiveServer, path: str, body: Any, field: str) -> None:
    r = live.client.post(path, json=body)
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_a_body_without_a_json_content_type_is_explained(live: LiveServer) -> None:
    r = live.client.post("/v1/screen", content=b'{"text": "x"}', headers={"content-type": "text/plain"})
    assert r.status_code == 422 and "Content-Type: application/json" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "最好", "product_category": "spaceships"}, "product_category 'spaceships' is not one of"),
        ({"text": "最好", "content_type": "billboard"}, "content_type 'billboard' is not one of"),
        ({"text": ""}, "text is empty"),
        ({"text": " \n\t"}, "text is empty"),
        ({"text": "好" * 20_001}, "limit is 20000"),
    ],
)
def test_unscreenable_values_are_422_with_the_screeners_message(live: LiveServer, body: dict, message: str) -> None:
    r = live.client.post("/v1/screen", json=body)
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_an_oversize_body_is_413_by_length_and_by_actual_size(live: LiveServer) -> None:
    big = json.dumps({"text": "x" * 250_000}).encode()
    r = live.client.post("/v1/screen", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "200000 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the bytes received tell
        for i in range(0, len(big), 16_384):
            yield big[i : i + 16_384]

    r = live.client.post("/v1/screen/batch", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    # The connection is still usable afterwards.
    assert live.client.post("/v1/screen", json={"text": LAWFUL}).status_code == 200


def test_an_unexpected_error_is_500_with_an_id_and_nothing_internal(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(live.slot.screener.adjudicator, "adjudicate", boom)  # the engine itself fails, whichever door
    with caplog.at_level(logging.ERROR, logger="screening.integrations.service"):
        r = live.client.post("/v1/screen", json={"text": VIOLATION})
        batch = live.client.post("/v1/screen/batch", json={"records": [{"id": "a", "text": VIOLATION}]})
    assert r.status_code == 500
    body = r.json()
    assert body["error_id"] and body["detail"]
    assert SECRET not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    logged = [rec for rec in caplog.records if body["error_id"] in rec.getMessage()]
    assert logged and logged[0].exc_info is not None
    # In a batch the record is flagged for review instead; the batch goes on.
    assert batch.status_code == 200
    (res,) = batch.json()["results"]
    assert res["decision"] == "review" and "internal error" in res["error"] and SECRET not in batch.text


# --------------------------------------------------------------------------- operations
def test_healthz_and_versions(live: LiveServer) -> None:
    h = live.client.get("/healthz").json()
    assert h["status"] == "ok" and VERSION_KEYS <= h["versions"].keys()
    assert live.client.get("/v1/versions").json() == h["versions"]
    assert h["versions"]["model"] == MODEL_NONE


def test_openapi_describes_the_contract(live: LiveServer) -> None:
    spec = live.client.get("/openapi.json").json()
    assert {"/v1/screen", "/v1/screen/batch", "/healthz", "/v1/versions", "/v1/admin/reload"} <= spec["paths"].keys()
    schemas = spec["components"]["schemas"]
    assert {"InputRecord", "ScreeningResult", "Finding", "Route", "ErrorBody"} <= schemas.keys()
    assert CONTRACT_KEYS <= schemas["ScreeningResult"]["properties"].keys()
    assert "cosmetics" in json.dumps(schemas["InputRecord"])


def test_the_cdn_backed_docs_page_is_off_unless_asked_for(live: LiveServer, clean_env: None) -> None:
    assert live.client.get("/docs").status_code == 404  # an offline deployment fetches nothing
    with LiveServer(create_app(model=None, docs=True)) as server:
        assert server.client.get("/docs").status_code == 200


def test_reload_is_rate_limited(clean_env: None) -> None:
    with LiveServer(create_app(model=None, reload_interval=60)) as server:
        assert server.client.post("/v1/admin/reload").status_code == 200
        again = server.client.post("/v1/admin/reload")
        assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
        assert "retry" in again.json()["detail"]


@pytest.mark.parametrize("key", ["short", "fifteen-chars!!"])
def test_a_short_api_key_is_refused(clean_env: None, key: str) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        create_app(model=None, api_key=key)


def test_the_api_key_can_come_from_a_file(tmp_path: Path) -> None:
    from screening.integrations.service import read_api_key_file

    (tmp_path / "key").write_text("k" * 32 + "\n", encoding="utf-8")
    assert read_api_key_file(tmp_path / "key") == "k" * 32
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        read_api_key_file(tmp_path / "empty")


def test_heavy_requests_beyond_the_limit_wait_then_get_503(clean_env: None) -> None:
    app = create_app(model=None, max_concurrent=1)
    slot = app.state.screening
    gate = threading.Event()
    real = slot.screener.screen

    def slow(*a: Any, **kw: Any) -> Any:
        gate.wait(5)
        return real(*a, **kw)

    with LiveServer(app) as server:
        slot.screener.screen = slow  # (the instance attribute shadows the method for this test)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                first = pool.submit(server.client.post, "/v1/screen", json={"text": LAWFUL})
                time.sleep(0.3)
                second = server.client.post("/v1/screen", json={"text": LAWFUL})
                gate.set()
                assert first.result().status_code == 200
            assert second.status_code == 503 and second.headers["retry-after"] == "1"
        finally:
            del slot.screener.screen


def test_an_api_key_is_required_when_configured(clean_env: None) -> None:
    app = create_app(model=None, api_key="s3cret-key-0123456789")
    with LiveServer(app) as server:
        c = server.client
        assert c.get("/healthz").status_code == 200
        for method, path in [("POST", "/v1/screen"), ("GET", "/v1/versions"), ("POST", "/v1/admin/reload"),
                             ("GET", "/openapi.json")]:
            r = c.request(method, path, json={"text": LAWFUL})
            assert r.status_code == 401 and "API key" in r.json()["detail"], path
        assert c.post("/v1/screen", json={"text": LAWFUL}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/v1/screen", json={"text": LAWFUL}, headers={"Authorization": "Bearer s3cret-key-0123456789"})
        assert ok.status_code == 200 and ok.json()["decision"] == "pass"
        assert c.get("/v1/versions", headers={"X-API-Key": "s3cret-key-0123456789"}).status_code == 200
        spec = c.get("/openapi.json", headers={"X-API-Key": "s3cret-key-0123456789"}).json()
        assert spec["components"]["securitySchemes"]


def test_the_packaged_model_scores_risk(clean_env: None) -> None:
    with LiveServer(create_app()) as server:
        d = server.client.post("/v1/screen", json={"text": VIOLATION, "product_category": "cosmetics"}).json()
        assert_contract(d, VIOLATION)
        assert d["versions"]["model"] != MODEL_NONE and not d["versions"]["model"].startswith("unavailable")
        assert d["decision"] == "block" and d["risk"] > 0.5
        lawful = server.client.post("/v1/screen", json={"text": LAWFUL}).json()
        assert lawful["decision"] == "pass" and lawful["risk"] < d["risk"]


# --------------------------------------------------------------------------- reload
def test_reload_puts_a_changed_user_lexicon_in_service(reloadable: tuple[LiveServer, Path]) -> None:
    server, user_dir = reloadable
    c = server.client
    text = "太阳系第一的口碑"
    write_terms(user_dir)
    before = c.post("/v1/admin/reload").json()["versions"]
    assert not [f for f in c.post("/v1/screen", json={"text": text}).json()["findings"] if f["term_id"] == "U-ABS-0001"]

    write_terms(user_dir, USER_TERM)
    r = c.post("/v1/admin/reload")
    assert r.status_code == 200
    d = r.json()
    assert d["status"] == "reloaded" and d["previous_versions"] == before
    assert d["versions"]["lexicon"] != before["lexicon"]
    assert c.get("/v1/versions").json() == d["versions"]
    res = c.post("/v1/screen", json={"text": text}).json()
    assert res["versions"] == d["versions"]
    assert [(f["text"], f["term_id"]) for f in res["findings"]] == [("太阳系第一", "U-ABS-0001")]

    write_terms(user_dir, USER_TERM, {**USER_TERM, "id": "U-ABS-0002", "term": "银河第一"})
    again = c.post("/v1/admin/reload").json()["versions"]
    assert len({before["lexicon"], d["versions"]["lexicon"], again["lexicon"]}) == 3


def test_the_screener_in_service_is_warmed_before_it_serves_and_after_each_reload(
    reloadable: tuple[LiveServer, Path],
) -> None:
    # Warm: the word index is built, so no request waits for jieba's dictionary.
    server, _ = reloadable
    assert server.slot.screener.adjudicator._word_index_cache is not None
    server.client.post("/v1/admin/reload")
    assert server.slot.screener.adjudicator._word_index_cache is not None


def test_a_failed_reload_keeps_the_old_screener(reloadable: tuple[LiveServer, Path]) -> None:
    server, user_dir = reloadable
    c = server.client
    write_terms(user_dir, USER_TERM)
    good = c.post("/v1/admin/reload").json()["versions"]
    (user_dir / "terms.jsonl").write_text('{"id": "U-ABS-0009", "term": \n', encoding="utf-8")
    try:
        r = c.post("/v1/admin/reload")
        assert r.status_code == 500
        assert "terms.jsonl" in r.json()["detail"] and "previous screener stays" in r.json()["detail"]
        assert c.get("/v1/versions").json() == good
        assert c.post("/v1/screen", json={"text": "太阳系第一"}).json()["findings"][0]["term_id"] == "U-ABS-0001"
    finally:
        write_terms(user_dir)
        assert c.post("/v1/admin/reload").status_code == 200


def test_reload_under_concurrent_requests_loses_nothing(reloadable: tuple[LiveServer, Path]) -> None:
    server, user_dir = reloadable
    c = server.client
    with_term, without = (USER_TERM,), ()
    write_terms(user_dir, *with_term)
    v_with = c.post("/v1/admin/reload").json()["versions"]["lexicon"]
    write_terms(user_dir, *without)
    v_without = c.post("/v1/admin/reload").json()["versions"]["lexicon"]
    assert v_with != v_without
    texts = [VIOLATION, LAWFUL, "太阳系第一的口碑，最好冷藏", "第一次用，效果最佳"]
    reloads: list[int] = []

    def screen(i: int) -> tuple[str, int, dict[str, Any]]:
        text = texts[i % len(texts)]
        r = c.post("/v1/screen", json={"id": str(i), "text": text, "product_category": "cosmetics"})
        return text, r.status_code, r.json()

    def reload(k: int) -> None:
        write_terms(user_dir, *(with_term if k % 2 == 0 else without))
        r = c.post("/v1/admin/reload")
        assert r.status_code == 200, r.text
        reloads.append(k)

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = []
        for i in range(300):
            if i % 50 == 25:  # a reload every 50 requests, running alongside them
                futures.append(pool.submit(reload, i // 50))
            futures.append(pool.submit(screen, i))
        outcomes = [f.result() for f in futures]
    assert len(reloads) == 6
    results = [o for o in outcomes if o is not None]
    assert len(results) == 300
    seen = set()
    for text, status, d in results:
        assert status == 200, d
        assert_contract(d, text)
        lexicon = d["versions"]["lexicon"]
        assert lexicon in (v_with, v_without)
        seen.add(lexicon)
        if text.startswith("太阳系第一"):  # each request saw one whole lexicon, never a mix
            assert any(f["term_id"] == "U-ABS-0001" for f in d["findings"]) == (lexicon == v_with)
    assert seen == {v_with, v_without}


def test_concurrent_reloads_are_serialised(reloadable: tuple[LiveServer, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = reloadable
    slot = server.slot
    build = slot._build
    active, most = 0, 0
    lock = threading.Lock()

    def counting_build() -> Any:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            time.sleep(0.05)
            return build()
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(slot, "_build", counting_build)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: server.client.post("/v1/admin/reload").status_code, range(4)))
    assert statuses == [200] * 4 and most == 1


# --------------------------------------------------------------------------- serve()
def test_serve_refuses_a_public_host_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    with pytest.raises(ValueError, match="API key"):
        serve(host="0.0.0.0", model=None)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_serve_reloads_on_sighup(tmp_path: Path, clean_env: None) -> None:
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    write_terms(user_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"from screening.integrations.service import serve; serve(port={port}, model=None, user_lexicon={str(user_dir)!r}, log_level='warning')"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            deadline = time.monotonic() + 30
            while True:
                try:
                    before = c.get("/v1/versions").json()
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, "the service did not start"
                    time.sleep(0.05)
            write_terms(user_dir, USER_TERM)
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 15
            while (after := c.get("/v1/versions").json()) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert after["lexicon"] != before["lexicon"]
            assert c.post("/v1/screen", json={"text": "太阳系第一"}).json()["findings"][0]["term_id"] == "U-ABS-0001"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it (exit status -15).
    assert proc.returncode in (0, -signal.SIGTERM), err.decode(errors="replace")
    assert b"Traceback" not in err, err.decode(errors="replace")
