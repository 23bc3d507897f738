"""HTTP service: the screening contract over FastAPI, for platforms that call it as a moderation step.

The service speaks exactly ../shared/docs/contract.md: an input record in, the contract result out
(``POST /v1/screen``), or many in one request (``POST /v1/screen/batch``, results in input order, a
bad record flagged in its own result instead of failing the batch). ``GET /healthz``,
``GET /v1/versions`` and ``POST /v1/admin/reload`` serve operations; ``/docs`` and ``/openapi.json``
describe it all.

Design, and why:

- **One screener, swapped atomically.** The app holds the current :class:`~screening.Screener` in
  one attribute (:class:`ScreenerSlot`). A request reads it once and keeps that reference to the
  end, so a reload never changes the lexicon under a request in flight; a reload builds the new
  screener completely before one reference assignment puts it in service, and a lock serialises
  reloads so two of them cannot interleave. A failed reload (a broken lexicon file) leaves the
  old screener serving.
- **Screening is CPU-bound**, so the screening endpoints are plain ``def`` functions: FastAPI runs
  them in its thread pool and the event loop stays free for other connections. One Screener is
  safe to share between threads.
- **Limits and errors are the service's job, not the screener's.** A pure ASGI middleware refuses
  bodies over ``max_body_bytes`` (the declared Content-Length and the bytes actually received)
  before anything parses them; another checks the API key before the body is read; a third turns
  any unexpected exception into a 500 that carries an error id and nothing of the exception, with
  the traceback logged under that id.
- **Responses are the contract JSON verbatim** (``ScreeningResult.to_dict()``): the pydantic
  response models document the contract in OpenAPI, but results are not re-serialised through
  them, so fields the contract adds later reach callers unchanged.

Install with the ``server`` extra (FastAPI, uvicorn). Run with :func:`serve`.
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import json
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Literal

try:
    import uvicorn
    from fastapi import FastAPI, Security
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from fastapi.security import APIKeyHeader, HTTPBearer
    from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
    from starlette.datastructures import Headers
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as e:  # the optional dependencies are missing: say how to get them
    raise ImportError(
        f"the HTTP service needs the `server` extra ({e.name} is missing): pip install 'screening[server]'"
    ) from e

from ..about import __version__
from ..errors import InputError, ScreeningError
from ..screener import DEFAULT_MODEL, Screener
from ..types import CATEGORIES, CONTENT_TYPES, PRODUCT_CATEGORIES
from ..types import ScreeningResult as _Result

logger = logging.getLogger(__name__)

API_KEY_ENV = "SCREENING_API_KEY"
#: Paths that answer without an API key: load balancers probe them.
OPEN_PATHS = frozenset({"/healthz"})
#: Path prefixes with their own authentication (the reviewer console's signed-in sessions).
OWN_AUTH_PREFIXES = ("/console/",)
#: How much of an oversize body is read and discarded before answering 413. Answering while the
#: client is still sending makes most clients fail on a reset connection instead of reading the
#: 413; beyond this the connection is closed instead.
DRAIN_LIMIT = 64 * 1024 * 1024
INTERNAL_ERROR = "internal server error; the error id identifies it in the server log"


# --------------------------------------------------------------------------- contract models
# The request models validate; the result models only document the contract in OpenAPI.
class InputRecord(BaseModel):
    """One input record of the contract."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"id": "sku-001", "text": "全网第一的面霜，7天美白", "content_type": "listing",
                 "product_category": "cosmetics", "merchant_id": "m-001"}
            ]
        },
    )

    id: str | None = Field(None, description="Record id; echoed in the result (required in a batch).")
    text: str = Field(..., description="The copy as the merchant wrote it; any length up to the service limit.")
    content_type: str | None = Field(
        "listing",
        description="listing, ad, live_script (直播脚本), short_video (短视频脚本) or post (图文种草); default listing.",
        json_schema_extra={"enum": [*CONTENT_TYPES, None]},
    )
    product_category: str | None = Field(
        "general",
        description="Product category; selects the sector rules. Default general.",
        json_schema_extra={"enum": [*PRODUCT_CATEGORIES, None]},
    )
    merchant_id: str | None = Field(None, description="Lets the review workflow count repeat violations.")


class Finding(BaseModel):
    """One flagged claim; ``text == record.text[start:end]``."""

    model_config = ConfigDict(extra="allow")

    start: int = Field(..., description="Half-open offset into the original text.")
    end: int
    text: str
    term: str
    term_id: str
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    severity: Literal["low", "medium", "high"]
    basis: str = Field(..., description="Legal basis, e.g. 广告法第九条第三项.")
    suggestion: str | None = Field(None, description="A lawful alternative, or null.")
    detector: Literal["lexicon", "pattern", "model"]
    confidence: float
    explanation: str
    rule: str | None = Field(None, description="Present when an exemption kept the finding at low severity.")
    field: str | None = Field(None, description="Present when several text fields were screened.")


class Route(BaseModel):
    """Who must review a result and by when."""

    role: Literal["merchant_compliance", "content_review", "risk_control", "legal"]
    due_at: str = Field(..., description="ISO 8601 deadline, Asia/Shanghai.")
    sla_hours: float


class ScreeningResult(BaseModel):
    """The contract result for one record, as OpenAPI shows it (in Python: ``screening.ScreeningResult``)."""

    model_config = ConfigDict(extra="allow")

    id: str | None
    decision: Literal["pass", "review", "block"]
    risk: float = Field(..., ge=0, le=1, description="Calibrated probability that the text holds a prohibited claim.")
    severity: Literal["none", "low", "medium", "high"]
    findings: list[Finding]
    route: Route | None = Field(..., description="null for pass.")
    versions: dict[str, str] = Field(..., description="screening, lexicon, rules, model, policy.")
    error: str | None = Field(..., description="What was wrong with the record (then decision is review), or null.")


_RECORDS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": InputRecord.model_json_schema(),
    "description": "Input records. Each is checked on its own: a bad one gets a result with error set.",
}
# Validated record by record in the endpoint, not here: one bad record must not fail the batch.
Records = Annotated[list[Any], WithJsonSchema(_RECORDS_SCHEMA)]


class BatchRequest(BaseModel):
    """Many records in one request."""

    records: Records


class BatchResponse(BaseModel):
    """One result per record, in input order."""

    results: list[ScreeningResult]


class ComplaintRequest(BaseModel):
    """A complaint (投诉) about a published record."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"record_id": "sku-001", "text": "宣称7天美白，实际无效", "complainant": "消费者"}]})

    record_id: str = Field(..., min_length=1, max_length=200, description="The screened record complained about.")
    text: str = Field(..., min_length=1, max_length=10_000, description="What the complaint says.")
    complainant: str | None = Field(None, max_length=200, description="Who complains (消费者, 监管, …).")
    actor: str = Field("api", min_length=1, max_length=100, description="The caller, for the audit log.")


class ComplaintResponse(BaseModel):
    """The review task the complaint opened (72-hour SLA)."""

    task_id: int
    record_id: str
    role: str
    due_at: str


class HealthResponse(BaseModel):
    """Liveness and what is in service."""

    status: Literal["ok"]
    versions: dict[str, str]


class ReloadResponse(BaseModel):
    """The outcome of a reload."""

    status: Literal["reloaded"]
    versions: dict[str, str]
    previous_versions: dict[str, str]
    seconds: float


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(..., description="Dotted path of the field, e.g. text or records.")
    message: str
    type: str


class ErrorBody(BaseModel):
    """Every error response (4xx, 5xx)."""

    detail: str
    errors: list[FieldProblem] | None = None
    error_id: str | None = Field(None, description="For 500: quote it to the operator; the server log has it.")


# --------------------------------------------------------------------------- the screener in service
class ScreenerSlot:
    """Holds the screener in service and replaces it on reload without stopping requests.

    Readers take ``slot.screener`` once per request. :meth:`reload` builds the new screener
    completely, then swaps it in with one reference assignment (atomic in Python), so requests in
    flight finish on the old one; a lock serialises concurrent reloads.
    """

    def __init__(self, build: Callable[[], Screener]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self.screener: Screener = build()
        self.loaded_at = time.time()

    def reload(self) -> tuple[dict[str, str], dict[str, str]]:
        """Rebuild the screener from the same paths and put it in service.

        Returns:
            The previous versions and the new ones.

        Raises:
            ScreeningError: the lexicon or policy files are invalid; the old screener stays.
        """
        with self._lock:
            new = self._build()
            old, self.screener = self.screener, new
            self.loaded_at = time.time()
        logger.info("reloaded the screener: %s -> %s", old.versions, new.versions)
        return dict(old.versions), dict(new.versions)


# --------------------------------------------------------------------------- responses
class _ContractJSON(JSONResponse):
    """UTF-8 JSON with Chinese unescaped; falls back to ASCII escapes for text that has lone
    surrogates (valid in JSON input, not encodable as UTF-8)."""

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _error(status: int, detail: str, *, errors: list[dict[str, str]] | None = None,
           error_id: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    if error_id is not None:
        body["error_id"] = error_id
    return _ContractJSON(body, status_code=status, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def _problems(errors: list[Any]) -> list[dict[str, str]]:
    out = []
    for e in errors:
        field, message = _loc(e.get("loc", ())), str(e.get("msg", "invalid"))
        if field == "body":
            given = e.get("input")
            if isinstance(given, (bytes, str)):
                # The body was not parsed as JSON: usually a missing Content-Type (curl -d sends a form).
                message = "the request body must be a JSON object sent with Content-Type: application/json"
            elif given is not None and not isinstance(given, Mapping):
                message = f"the request body must be a JSON object, got {_json_type(given)}"
            else:
                message = f"the request body must be a JSON object ({message})"
        out.append({"field": field, "message": message, "type": str(e.get("type", ""))})
    return out


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _describe(problems: list[dict[str, str]]) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in problems)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """400 for a body that is not JSON; 422 naming each invalid field otherwise."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    for e in errors:
        if e.get("type") == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "malformed")
            where = e["loc"][-1] if len(e.get("loc", ())) > 1 else "?"
            return _error(400, f"the request body is not valid JSON: {reason} (at character {where})")
    problems = _problems(errors)
    return _error(422, f"invalid request: {_describe(problems)}", errors=problems)


# --------------------------------------------------------------------------- ASGI middleware
async def _drain(receive: Receive, already: int) -> bool:
    """Read and drop the rest of a request body; False when it is too long to bother."""
    seen = already
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
        if seen > DRAIN_LIMIT:
            return False


class _BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by Content-Length and by actual size.

    The body is read here in full (it is at most ``limit`` bytes) and replayed to the app.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        try:
            declared_size = int(declared) if declared is not None else None
        except ValueError:
            declared_size = None
        if declared_size is not None and declared_size > self.limit:
            drained = declared_size <= DRAIN_LIMIT and await _drain(receive, 0)
            await self._too_large(scope, receive, send, drained)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                drained = not message.get("more_body", False) or await _drain(receive, size)
                await self._too_large(scope, receive, send, drained)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, drained: bool) -> None:
        headers = None if drained else {"Connection": "close"}
        response = _error(413, f"the request body is larger than the limit of {self.limit} bytes", headers=headers)
        await response(scope, receive, send)


class _ApiKey:
    """Require ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` outside ``OPEN_PATHS``."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode("utf-8")

    def _authorised(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        given = headers.get("x-api-key")
        auth = headers.get("authorization")
        if given is None and auth is not None:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() == "bearer":
                given = token.strip()
        # Constant time, so the key cannot be guessed byte by byte from response times.
        return given is not None and hmac.compare_digest(given.encode("utf-8"), self.key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or path in OPEN_PATHS or path == "/console"
                or path.startswith(OWN_AUTH_PREFIXES) or self._authorised(scope)):
            await self.app(scope, receive, send)
            return
        response = _error(
            401,
            "missing or wrong API key: send Authorization: Bearer <key> or X-API-Key: <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)


class _CatchAll:
    """Turn any unexpected exception into a 500 with an error id; the traceback goes to the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            logger.exception("unhandled error %s in %s %s", error_id, scope.get("method"), scope.get("path"))
            if started:  # too late for a 500: the server closes the connection
                raise
            await _error(500, INTERNAL_ERROR, error_id=error_id)(scope, receive, send)


# --------------------------------------------------------------------------- screening a record
def _screen(screener: Screener, record: InputRecord, max_text_chars: int) -> _Result:
    _check_length(record, max_text_chars)
    return screener.screen(
        record.text,
        content_type=record.content_type or "listing",
        product_category=record.product_category or "general",
        id=record.id,
    )


def _check_length(record: InputRecord, max_text_chars: int) -> None:
    if len(record.text) > max_text_chars:
        raise InputError(f"text is {len(record.text)} characters; the limit is {max_text_chars}")


def _screen_records(screener: Screener, raws: list[Any], max_text_chars: int) -> list[_Result]:
    """The records of a batch, in order; the valid ones screened together (``screen_batch``)."""
    out: list[_Result | None] = [None] * len(raws)
    jobs: list[tuple[str, str, str, str | None]] = []
    where: list[int] = []
    for i, raw in enumerate(raws):
        checked = _checked_batch_record(screener, raw, max_text_chars)
        if isinstance(checked, InputRecord):
            jobs.append((checked.text, checked.content_type or "listing", checked.product_category or "general",
                         checked.id))
            where.append(i)
        else:
            out[i] = checked
    try:
        results: list[Any] = screener.screen_batch(jobs)
    except Exception:  # one by one, so a bug costs only its own record
        logger.exception("batch screening failed; screening its records one by one")
        results = [_screen_batch_record(screener, raws[i], max_text_chars) for i in where]
    for i, (_, ct, pc, rid), r in zip(where, jobs, results):
        if isinstance(r, InputError) and str(r).startswith("internal error"):
            r = _internal_error(screener, rid, ct, pc, str(r))  # the details go to the log only
        out[i] = r if not isinstance(r, InputError) else screener.error_result(rid, str(r), ct, pc)
    return out  # type: ignore[return-value]


def _checked_batch_record(screener: Screener, raw: Any, max_text_chars: int) -> InputRecord | _Result:
    """One record of a batch, validated; a problem becomes the record's own error result."""
    rid: str | None = None
    content_type: Any = "listing"
    product_category: Any = "general"
    try:
        if not isinstance(raw, Mapping):
            raise InputError(f"record must be a JSON object, got {_json_type(raw)}")
        if raw.get("id") is not None:
            rid = str(raw["id"])
        content_type = raw.get("content_type") or "listing"
        product_category = raw.get("product_category") or "general"
        try:
            record = InputRecord.model_validate(raw)
        except ValidationError as e:
            raise InputError(_describe(_problems(e.errors()))) from None
        if not record.id:
            raise InputError("record has no id")
        _check_length(record, max_text_chars)
        return record
    except InputError as e:
        return screener.error_result(rid, str(e), content_type, product_category)
    except Exception:
        return _internal_error(screener, rid, content_type, product_category)


def _screen_batch_record(screener: Screener, raw: Any, max_text_chars: int) -> _Result:
    """One record of a batch, screened on its own; never raises."""
    record = _checked_batch_record(screener, raw, max_text_chars)
    if not isinstance(record, InputRecord):
        return record
    ct, pc = record.content_type or "listing", record.product_category or "general"
    try:
        return _screen(screener, record, max_text_chars)
    except InputError as e:
        return screener.error_result(record.id, str(e), ct, pc)
    except Exception:
        return _internal_error(screener, record.id, ct, pc)


def _internal_error(screener: Screener, rid: str | None, content_type: Any, product_category: Any,
                    detail: str | None = None) -> _Result:
    # A bug must not lose the other records: this one goes to a person, flagged, and the details
    # go to the log under an id the client can quote, never into the response.
    error_id = uuid.uuid4().hex[:12]
    if detail is None:
        logger.exception("unhandled error %s screening batch record %r", error_id, rid)
    else:
        logger.error("unhandled error %s screening batch record %r: %s", error_id, rid, detail)
    return screener.error_result(rid, f"internal error (error id {error_id})", content_type, product_category)


# --------------------------------------------------------------------------- the app
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON."},
    413: {"model": ErrorBody, "description": "The body (or batch) is larger than the service limit."},
    422: {"model": ErrorBody, "description": "A field is missing, of the wrong type or has an unknown value."},
    500: {"model": ErrorBody, "description": "Unexpected server error, with an error id."},
}


# A key shorter than this is guessable from outside; the service refuses to start with one.
MIN_API_KEY_LENGTH = 16
# Reloading rebuilds the lexicon automaton and loads the model (seconds of CPU): one per this
# many seconds, whoever asks.
RELOAD_INTERVAL_SECONDS = 10.0


def read_api_key_file(path: str | Path) -> str:
    """The key in ``path`` (its first line, stripped): a file keeps it out of ``ps`` and shell history.

    Raises:
        ValueError: the file cannot be read or holds no key.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read the API key file {path}: {e}") from None
    key = lines[0].strip() if lines else ""
    if not key:
        raise ValueError(f"the API key file {path} is empty")
    return key


def _resolve_api_key(api_key: str | None) -> str | None:
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not key:
        return None
    if len(key) < MIN_API_KEY_LENGTH:
        raise ValueError(f"the API key is {len(key)} characters; use at least {MIN_API_KEY_LENGTH} "
                         "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return key


def create_app(
    *,
    lexicons: str | Path | None = None,
    user_lexicon: str | Path | None = None,
    policy: str | Path | None = None,
    model: str | Path | None = DEFAULT_MODEL,
    api_key: str | None = None,
    max_batch: int = 1000,
    max_body_bytes: int = 5_000_000,
    max_text_chars: int = 200_000,
    max_concurrent: int | None = None,
    docs: bool = False,
    reload_interval: float = RELOAD_INTERVAL_SECONDS,
    review_db: str | Path | None = None,
    console_clock: Callable[[], Any] | None = None,
) -> FastAPI:
    """Build the HTTP app around a screener loaded from the given paths.

    Args:
        lexicons: Lexicon directory (default: the packaged lexicons).
        user_lexicon: User lexicon directory layered over the lexicons (default: the
            ``SCREENING_USER_LEXICON`` environment variable, if set).
        policy: Decision policy TOML (default: the packaged policy).
        model: Risk model directory, ``"default"`` for the packaged model, or ``None`` to screen
            with the lexicons and rules only.
        api_key: When set, every endpoint but ``/healthz`` needs ``Authorization: Bearer <key>``
            or ``X-API-Key: <key>``. Default: the ``SCREENING_API_KEY`` environment variable.
        max_batch: Most records in one ``/v1/screen/batch`` request.
        max_body_bytes: Largest request body accepted.
        max_text_chars: Longest ``text`` accepted in one record.
        max_concurrent: Most screening requests worked on at once (default: the CPU count);
            one more waits up to a second, then answers 503 with Retry-After, so a flood of
            large requests queues at the door instead of exhausting memory.
        docs: Serve the interactive ``/docs`` and ``/redoc`` pages. Off by default: their scripts
            come from a CDN, which an offline or locked-down deployment cannot reach (and
            should not be made to). ``/openapi.json`` is always served.
        reload_interval: Seconds between two ``/v1/admin/reload`` requests served; one sooner
            answers 429 with Retry-After (SIGHUP is the operator's and is not limited).
        review_db: The SQLite review store. When given, the reviewer console is served under
            ``/console`` (its own sign-in; not behind the API key) and ``POST /v1/complaints``
            opens complaint tasks in it (behind the API key like every ``/v1`` endpoint).
        console_clock: The console's clock (tests); default the wall clock.

    Returns:
        The FastAPI app; ``app.state.screening`` is its :class:`ScreenerSlot`, ``app.state.console``
        the console's :class:`~screening.integrations.console.Console` (or None).

    Raises:
        ScreeningError: the lexicon or policy files are invalid.
        ValueError: a limit is not positive.
    """
    max_concurrent = max_concurrent if max_concurrent is not None else (os.cpu_count() or 1)
    for name, value in (("max_batch", max_batch), ("max_body_bytes", max_body_bytes),
                        ("max_text_chars", max_text_chars), ("max_concurrent", max_concurrent)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    # The pipeline recognises the packaged model by identity; a "default" read from a command
    # line or a config file is an equal but different string.
    model_arg = DEFAULT_MODEL if model == DEFAULT_MODEL else model
    key = _resolve_api_key(api_key)

    def build() -> Screener:
        # Warmed before it serves: otherwise the first request with a hit inside a dictionary word
        # (第一次…) would wait for jieba's dictionary, and so would the first after each reload.
        return Screener.from_paths(lexicons, policy, user_lexicon=user_lexicon, model=model_arg).warm()

    slot = ScreenerSlot(build)
    app = FastAPI(
        title="screening",
        version=__version__,
        summary="Screen Chinese e-commerce copy for advertising-law (广告法) risk.",
        description=(
            "Each result says pass, review or block, with the flagged claims, their legal basis, a lawful "
            "alternative and who must review it by when (../shared/docs/contract.md). "
            + ("All endpoints but /healthz need `Authorization: Bearer <key>` or `X-API-Key: <key>`." if key else "")
        ),
        default_response_class=_ContractJSON,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    app.state.screening = slot
    busy = threading.BoundedSemaphore(max_concurrent)
    last_reload = [-float(reload_interval)]
    reload_lock = threading.Lock()

    def working(run: Callable[[], JSONResponse]) -> JSONResponse:
        if not busy.acquire(timeout=1.0):
            return _error(503, f"the service is screening {max_concurrent} requests already; retry shortly",
                          headers={"Retry-After": "1"})
        try:
            return run()
        finally:
            busy.release()
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    # Added innermost first: _CatchAll sees everything, the key is checked before the body is read.
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    if key:
        app.add_middleware(_ApiKey, key=key)
    app.add_middleware(_CatchAll)
    # The middleware enforces the key; these only document it in OpenAPI (and /docs' Authorize).
    secured = (
        [Security(HTTPBearer(auto_error=False)), Security(APIKeyHeader(name="X-API-Key", auto_error=False))]
        if key else []
    )
    unauthorised = {401: {"model": ErrorBody, "description": "Missing or wrong API key."}} if key else {}

    @app.post(
        "/v1/screen",
        response_model=ScreeningResult,
        responses={**_ERRORS, **unauthorised},
        dependencies=secured,
        tags=["screening"],
        summary="Screen one record",
    )
    def screen_one(record: InputRecord) -> JSONResponse:
        """Screen one record and return the contract result (HTTP 200 whatever the decision).

        An empty text, an unknown content_type or product_category, or a text over the service
        limit answers 422 with the reason.
        """
        screener = slot.screener  # this request's screener, whatever a reload does meanwhile

        def run() -> JSONResponse:
            try:
                result = _screen(screener, record, max_text_chars)
            except InputError as e:
                return _error(422, str(e))
            return _ContractJSON(result.to_dict())

        return working(run)

    @app.post(
        "/v1/screen/batch",
        response_model=BatchResponse,
        responses={**_ERRORS, **unauthorised},
        dependencies=secured,
        tags=["screening"],
        summary="Screen many records",
        description=(
            f"Up to {max_batch} records; one result per record, in input order. A record that cannot be "
            "screened (no id, empty or non-text text, unknown value) gets a result with `error` set and "
            "decision `review`; the others are screened as usual."
        ),
    )
    def screen_batch(batch: BatchRequest) -> JSONResponse:
        if len(batch.records) > max_batch:
            return _error(413, f"the batch has {len(batch.records)} records; the limit is {max_batch} per request")
        screener = slot.screener
        return working(lambda: _ContractJSON(
            {"results": [r.to_dict() for r in _screen_records(screener, list(batch.records), max_text_chars)]}))

    @app.get("/healthz", response_model=HealthResponse, tags=["operations"], summary="Liveness")
    async def healthz() -> JSONResponse:
        """Always open (no API key): the service is up and what it screens with."""
        return _ContractJSON({"status": "ok", "versions": dict(slot.screener.versions)})

    @app.get(
        "/v1/versions",
        response_model=dict[str, str],
        responses=unauthorised,
        dependencies=secured,
        tags=["operations"],
        summary="Versions in service",
    )
    async def versions() -> JSONResponse:
        """The versions every result carries: screening, lexicon, rules, model, policy."""
        return _ContractJSON(dict(slot.screener.versions))

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadResponse,
        responses={500: {"model": ErrorBody, "description": "The files are invalid; the old screener stays."},
                   **unauthorised},
        dependencies=secured,
        tags=["operations"],
        summary="Reload lexicons, model and policy",
    )
    def reload() -> JSONResponse:
        """Reload the lexicons, user lexicon, model and policy from the same paths, without a restart.

        Requests in flight finish on the old screener. If the files are invalid the old screener
        stays in service and the answer names the problems.
        """
        with reload_lock:
            wait = last_reload[0] + reload_interval - time.monotonic()
            if wait > 0:
                return _error(429, f"reloaded less than {reload_interval:g} s ago; retry in {wait:.0f} s",
                              headers={"Retry-After": str(max(1, round(wait)))})
            last_reload[0] = time.monotonic()
        started = time.perf_counter()
        try:
            previous, current = slot.reload()
        except ScreeningError as e:
            logger.error("reload failed, the previous screener stays in service: %s", e)
            return _error(500, f"reload failed; the previous screener stays in service: {e}")
        return _ContractJSON({"status": "reloaded", "versions": current, "previous_versions": previous,
                              "seconds": round(time.perf_counter() - started, 3)})

    app.state.console = None
    if review_db is not None:
        _mount_console(app, review_db, user_lexicon=user_lexicon, policy=policy, clock=console_clock,
                       secured=secured, unauthorised=unauthorised)
    return app


def _mount_console(app: FastAPI, review_db: str | Path, *, user_lexicon: str | Path | None,
                   policy: str | Path | None, clock: Callable[[], Any] | None, secured: list[Any],
                   unauthorised: dict[int | str, dict[str, Any]]) -> None:
    """The reviewer console under /console and POST /v1/complaints, on the review store."""
    try:
        from ..engine.policy import Policy
        from ..review.complaints import add_complaint
        from ..review.store import StoreError
        from .console import Console, console_router
    except ImportError as e:
        raise ImportError(f"the reviewer console needs jinja2 and python-multipart ({e.name} is missing): "
                          "pip install 'screening[server]'") from e
    console = Console(review_db, policy=Policy.load(policy) if policy else None,
                      user_lexicon=user_lexicon or os.environ.get("SCREENING_USER_LEXICON"), clock=clock)
    app.state.console = console
    app.include_router(console_router(console))

    @app.post(
        "/v1/complaints",
        response_model=ComplaintResponse,
        status_code=201,
        responses={404: {"model": ErrorBody, "description": "No screened record with that id."},
                   **_ERRORS, **unauthorised},
        dependencies=secured,
        tags=["review"],
        summary="File a complaint about a record",
    )
    def complaint(body: ComplaintRequest) -> JSONResponse:
        """Open a complaint task (72-hour SLA) for the record's latest screened version, routed by its
        content type and linked to its earlier tasks; the outcome is decided in the console."""
        try:
            with console.lock:
                task_id = add_complaint(console.queue, body.record_id, body.text, actor=body.actor,
                                        complainant=body.complainant, channel="api")
                task = console.queue.show(task_id)
        except StoreError as e:
            return _error(404 if str(e).startswith("no ") else 409, str(e))
        return _ContractJSON({"task_id": task_id, "record_id": body.record_id, "role": task["role"],
                              "due_at": task["due_at"]}, status_code=201)


# --------------------------------------------------------------------------- running it
def is_loopback(host: str) -> bool:
    """Whether ``host`` binds only the local machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _install_sighup(slot: ScreenerSlot) -> Any:
    """Reload on SIGHUP; returns the previous handler, or None where that is not possible."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return None

    def reload_in_background() -> None:
        try:
            slot.reload()
        except Exception:
            logger.exception("reload on SIGHUP failed; the previous screener stays in service")

    def on_sighup(signum: int, frame: FrameType | None) -> None:
        # The handler runs on the event loop's thread: build the new screener elsewhere.
        threading.Thread(target=reload_in_background, name="screening-reload", daemon=True).start()

    try:
        return signal.signal(signal.SIGHUP, on_sighup)
    except (ValueError, OSError):
        return None


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    allow_unauthenticated: bool = False,
    log_level: str = "info",
    **app_kwargs: Any,
) -> None:
    """Run the service with uvicorn until interrupted; SIGHUP reloads lexicons, model and policy.

    Args:
        host: Interface to bind. Anything but loopback needs an API key (``api_key`` or
            ``SCREENING_API_KEY``) unless ``allow_unauthenticated`` is true.
        port: TCP port.
        allow_unauthenticated: Bind a non-loopback host without an API key.
        log_level: uvicorn's and screening's log level (``debug``, ``info``, ``warning`` ...).
        **app_kwargs: Passed to :func:`create_app` (``lexicons``, ``user_lexicon``, ``policy``,
            ``model``, ``api_key``, ``max_batch``, ``max_body_bytes``, ``max_text_chars``).

    Raises:
        ValueError: a non-loopback host without an API key, or a bad limit.
        ScreeningError: the lexicon or policy files are invalid.
    """
    api_key = _resolve_api_key(app_kwargs.pop("api_key", None))
    if not is_loopback(host) and not api_key and not allow_unauthenticated:
        raise ValueError(
            f"refusing to serve on {host} without an API key: set {API_KEY_ENV} (or pass api_key), "
            "or allow unauthenticated access explicitly"
        )
    app = create_app(api_key=api_key, **app_kwargs)
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    # screening's own records (reloads, tracebacks under their error id) go where uvicorn's go.
    log_config["loggers"]["screening"] = {"handlers": ["default"], "level": log_level.upper(), "propagate": False}
    previous = _install_sighup(app.state.screening)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, log_config=log_config)
    finally:
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)
