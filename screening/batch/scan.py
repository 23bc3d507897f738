"""Catalogue scans: read records, screen them in parallel, write one result per record in order.

A plain function library; the CLI's ``scan`` command is a thin layer over :func:`scan_file`.

- Memory is bounded: records stream from the reader in chunks (a JSONL input goes to the workers
  as blocks of lines, bounded in bytes), at most a few per worker are in flight, and results are
  written as soon as the chunk before them is done.
- Order is the input order, whatever the workers' speed.
- One output per input record, always: unreadable rows, missing ids and empty or non-text
  fields become results with ``error`` set and decision ``review``.
- Columns up front: before anything is screened, the id and text columns must exist
  (:func:`check_columns`); a wrong mapping is one error naming the columns the file has, not an
  error result per record.
- Category and content type values may be the names exports use (化妆品, 直播): they are mapped
  to the contract's codes (screening/batch/vocabulary.py). A name not known is screened as ``general``
  (the screener then infers the category from the text) or the default content type, never left
  unscreened; the result's ``notes`` and the summary say so.
- Never destroy what the scan did not create: an output that is the input (the same file by
  any path), a symbolic link or not a regular file (``/dev/stdout`` as a path: use ``-o -``) is
  refused before anything is read (:func:`check_output_path`). Results go to a checkpoint beside
  the output (``OUT.partial.jsonl``) that replaces the output only when the scan is complete (a
  rename for JSONL; the other formats are written from it to a temporary file renamed over the
  output): an interrupted or failed scan leaves the previous output as it was.
- ``resume`` continues an interrupted scan from its checkpoint: results already written are kept
  (their ids are checked against the input), a half-written last line is cut off, and screening
  goes on from the next record. A JSONL output without a checkpoint (written in place by an
  earlier version) is resumed by copying its complete lines into a new checkpoint; the output
  itself is not written to.
- With a review queue (``queue``), a resumed scan opens exactly the tasks an uninterrupted scan
  opens: the output is flushed before each batch of intake is committed, the store records how
  many of the scan's records it took in the same transaction, and the resume takes the records
  the output holds beyond that point (intake is idempotent per record version besides).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import signal
import sys
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from .. import heap
from ..errors import InputError, ScreeningError
from ..screener import Screener
from ..terminal import visible
from ..types import ScreeningResult
from .readers import BLOCK_BYTES, BadRecord, LineDecoder, detect_format, open_jsonl, peek_columns, read_records
from .tally import Tally
from .vocabulary import Vocabulary, bundled_vocabulary

# Records per unit of work: large enough that the batch path's array passes outweigh their set-up,
# small enough that a worker's chunk is a fraction of a second.
CHUNK = 1024


class ScanError(ScreeningError, ValueError):
    """The scan cannot start or continue (bad options, output that does not match the input)."""


@dataclass(frozen=True)
class FieldMap:
    """Which input columns hold the id, the texts and the other contract fields.

    ``names`` maps the category and content type names exports write (化妆品, 直播) to the
    contract's codes; ``None`` is the bundled vocabulary (screening/batch/vocabulary.py).
    """

    text_fields: tuple[str, ...] = ("text",)
    id_field: str = "id"
    content_type_field: str = "content_type"
    product_category_field: str = "product_category"
    merchant_field: str = "merchant_id"
    content_type: str = "listing"
    product_category: str = "general"
    names: Vocabulary | None = None

    @property
    def vocabulary(self) -> Vocabulary:
        """The names in use."""
        return self.names if self.names is not None else bundled_vocabulary()

    def item(self, n: int, raw: dict[str, Any] | BadRecord, where: str) -> dict[str, Any]:
        """The record as the screener and the writers see it; ``error`` when it is unusable."""
        loc = f"{where} {n}"
        if isinstance(raw, BadRecord):
            return _item(loc, None, {f: None for f in self.text_fields}, None, self, f"{loc}: {raw.message}")
        rid = _as_id(raw.get(self.id_field))
        texts = {f: raw.get(f) for f in self.text_fields}
        unknown: list[tuple[str, str, str, str]] = []
        ct = self._code("content_type", self.content_type_field, raw, self.content_type, unknown)
        pc = self._code("product_category", self.product_category_field, raw, self.product_category, unknown)
        merchant = _as_id(raw.get(self.merchant_field))
        error = None
        if rid is None:
            error = f"{loc}: record has no {self.id_field}"
        elif all(f not in raw for f in self.text_fields):
            error = f"{loc}: record has no field {', '.join(self.text_fields)}"
        it = _item(loc, rid, texts, merchant, self, error, ct, pc)
        if unknown:
            it["unknown"] = unknown
        return it

    def _code(self, field_name: str, column: str, raw: dict[str, Any], default: str,
              unknown: list[tuple[str, str, str, str]]) -> str:
        """The contract code for the record's value of ``field_name``: its default when the record
        has none; for a name the vocabulary does not know, ``general`` (categories) or the default
        (content types), remembered in ``unknown`` so that the result and the summary say so."""
        value = raw.get(column)
        shown = "" if value is None else str(value).strip()
        if not shown:
            return default
        code = self.vocabulary.code(field_name, value)
        if code is not None:
            return code
        # Never unscreened: general lets the screener infer the category from the text.
        used = "general" if field_name == "product_category" else default
        unknown.append((field_name, column, shown, used))
        return used
def _item(
    loc: str,
    rid: str | None,
    texts: dict[str, Any],
    merchant: str | None,
    fm: FieldMap,
    error: str | None,
    ct: Any = None,
    pc: Any = None,
) -> dict[str, Any]:
    return {
        "where": loc,
        "id": rid,
        "texts": texts,
        "merchant_id": merchant,
        "content_type": ct or fm.content_type,
        "product_category": pc or fm.product_category,
        "error": error,
        "names": fm.vocabulary.version,
    }


def _as_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store numeric ids as floats
    text = str(value).strip()
    return text or None


def screen_item(screener: Screener, item: dict[str, Any], explain: bool = False) -> dict[str, Any]:
    """Screen one mapped record into a contract result dict; never raises."""
    return _noted(item, _screen_item(screener, item, explain))


def _screen_item(screener: Screener, item: dict[str, Any], explain: bool) -> dict[str, Any]:
    ct, pc, rid = item["content_type"], item["product_category"], item["id"]
    if item["error"]:
        return screener.error_result(rid, item["error"], ct, pc).to_dict(explain)
    texts = item["texts"]
    try:
        if len(texts) == 1:
            (text,) = texts.values()
            result = screener.screen(text if text is not None else "", content_type=ct, product_category=pc, id=rid)
        else:
            result = screener.screen_fields(texts, content_type=ct, product_category=pc, id=rid)
    except InputError as e:
        return screener.error_result(rid, f"{item['where']}: {e}", ct, pc).to_dict(explain)
    except Exception as e:  # a bug must not lose the record: report it and go on
        return screener.error_result(rid, f"{item['where']}: internal error: {type(e).__name__}: {e}", ct, pc).to_dict(
            explain
        )
    return result.to_dict(explain)


def _noted(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The result with a note per category or content type name the scan did not know (contract
    fields may be added, so ``notes`` appears only when there is something to say).

    The version of the names goes in the note, not in ``versions``: those are the screener's, the
    same for every door (``Screener.versions``), and most records need no note."""
    unknown = item.get("unknown")
    if unknown:
        inferred = (result.get("inferred_category") or {}).get("category")
        result["notes"] = [_unknown_note(*u, inferred, item.get("names")) for u in unknown]
    return result


def _unknown_note(field_name: str, column: str, value: str, used: str, inferred: str | None,
                  names: str | None) -> dict[str, Any]:
    message = f"{field_name} {value!r} (column {column}) is not a known name: screened as {used}"
    if field_name == "product_category" and inferred:
        message += f", with the category inferred from the text: {inferred}"
    return {"field": field_name, "value": value, "screened_as": used, "category_names": names,
            "message": message + "; name it with --category-map FILE"}


class Summary(Tally):
    """Counts for the end-of-scan summary, how many came from an interrupted scan, and which
    category or content type names were unknown (records screened as general or the default)."""

    def __init__(self, resumed: int = 0, category_names: str | None = None) -> None:
        super().__init__()
        self.resumed = resumed
        self.unknown: Counter[tuple[str, str]] = Counter()  # (field, name) → records
        self.category_names = category_names  # the version of the names the scan mapped with

    @staticmethod
    def key(result: Mapping[str, Any]) -> tuple[Any, ...]:  # type: ignore[override]
        """:meth:`Tally.key` and the unknown names the result's notes report."""
        notes = result.get("notes") or ()
        unknown = tuple((str(n["field"]), str(n["value"])) for n in notes
                        if isinstance(n, Mapping) and n.get("field") and n.get("value") is not None)
        return (*Tally.key(result), unknown)

    def add_key(self, key: tuple[Any, ...]) -> None:  # type: ignore[override]
        """Count one result from its :meth:`key` (a plain :meth:`Tally.key` counts no names)."""
        super().add_key(key[:4])  # type: ignore[arg-type]
        if len(key) > 4:
            self.unknown.update(key[4])

    def merge(self, other: Tally) -> None:
        """Add another tally's counts (a worker's, for a block of records)."""
        super().merge(other)
        if isinstance(other, Summary):
            self.unknown.update(other.unknown)

    def unknown_names(self) -> dict[str, dict[str, int]]:
        """Field → unknown name → records, most frequent first."""
        out: dict[str, dict[str, int]] = {}
        for (field_name, name), n in self.unknown.most_common():
            out.setdefault(field_name, {})[name] = n
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "records": self.records,
            "resumed": self.resumed,
            "errors": self.errors,
            "decisions": dict(self.decisions),
            "categories": dict(self.categories.most_common()),
            "roles": dict(self.roles.most_common()),
            "unknown_names": self.unknown_names(),
            "category_names": self.category_names,
        }

    def text(self) -> str:
        """A few lines for a person."""
        d = self.to_dict()

        def line(name: str, counts: dict[str, int]) -> str:
            return f"  {name}: " + (", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none")

        head = f"{d['records']:,} records" + (f" ({d['resumed']:,} from the interrupted scan)" if d["resumed"] else "")
        lines = [
            head,
            line("decisions", d["decisions"]),
            line("categories", d["categories"]),
            line("roles", d["roles"]),
            f"  records with errors: {d['errors']:,}",
        ]
        used = {"product_category": "general", "content_type": "the default content type"}
        names = f"category names {self.category_names}; " if self.category_names else ""
        for field_name, counts in d["unknown_names"].items():
            # (the names are the merchant's data: escapes must not reach the terminal)
            shown = {visible(k): v for k, v in counts.items()}
            lines.append(line(f"unknown {field_name} names (screened as {used.get(field_name, 'the default')}; "
                              f"{names}name them with --category-map)", shown))
        return "\n".join(lines)


class Progress:
    """A one-line progress display on a terminal: count, rate, ETA. Silent when piped."""

    def __init__(self, total: int | None, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, n: int = 1) -> None:
        """Count ``n`` more records; redraw at most five times a second."""
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.2:
            self.last = now
            self.stream.write("\r" + self.line(now) + "\x1b[K")
            self.stream.flush()

    def line(self, now: float) -> str:
        """The progress line."""
        rate = self.done / max(now - self.start, 1e-9)
        out = f"{self.done:,}"
        if self.total:
            pct = min(100.0, 100.0 * self.done / self.total)
            eta = max(0.0, (self.total - self.done) / rate) if rate else 0.0
            out += f"/{self.total:,} ({pct:.0f}%)"
            out += f" · {rate:,.0f} rec/s · ETA {int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
        else:
            out += f" · {rate:,.0f} rec/s"
        return out

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            self.stream.write("\r" + self.line(time.monotonic()) + "\x1b[K\n")
            self.stream.flush()


def estimate_total(path: str, fmt: str) -> int | None:
    """A quick estimate of the number of records, for the ETA (None when unknown)."""
    if path == "-":
        return None
    try:
        if fmt in ("jsonl", "csv", "tsv"):
            lines = 0
            last = b"\n"
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
            lines += last != b"\n"
            return max(0, lines - (fmt != "jsonl"))
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            try:
                return max(0, (wb.worksheets[0].max_row or 1) - 1)
            finally:
                wb.close()
    except Exception:  # an estimate only: a bad file is reported by the reader
        return None
    return None


# ---------------------------------------------------------------------- parallel screening
# What a worker holds: the screener and the settings of the scan (module level, so that spawn can
# pickle the functions in it by name).
_worker: dict[str, Any] = {}

# What a worker sends back for each record instead of its result.
Finish = Callable[[dict[str, Any], dict[str, Any]], Any]


def _init_worker(factory: Callable[[], Screener] | None, settings: dict[str, Any]) -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it (it stops the pool and
    # says how to resume); a worker dying of it would only print a traceback per process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # With fork the parent's screener is already here (copy-on-write); with spawn it is built
    # from files once per worker, never pickled.
    if "screener" not in _worker and factory is not None:
        _worker["screener"] = factory()
    _worker.update(settings)


@contextmanager
def _pool(screener: Screener, workers: int, factory: Callable[[], Screener] | None, **settings: Any) -> Iterator[Any]:
    """A pool of ``workers`` processes, each holding the screener and ``settings`` in ``_worker``."""
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    if ctx.get_start_method() == "fork":
        # Loaded once here, the lazily loaded parts (jieba's dictionary above all) are shared
        # copy-on-write instead of loaded by every worker on its first hit.
        _worker["screener"] = screener.warm()
    elif factory is None:
        raise ScanError("parallel scanning on this platform needs a screener factory")
    try:
        # Forked frozen, the workers' collections never walk (and so never copy) the pages they
        # share with this process (heap.py).
        with heap.frozen(), ctx.Pool(workers, initializer=_init_worker, initargs=(factory, settings)) as pool:
            yield pool
    finally:
        _worker.clear()


def _in_order(pool: Any, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]], workers: int
              ) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """``(args, fn(*args))`` for each task, run in the pool, in task order; at most ``3 × workers``
    tasks are in flight, so memory does not grow with the input."""
    pending: deque[tuple[tuple[Any, ...], Any]] = deque()
    for args in tasks:
        pending.append((args, pool.apply_async(fn, args)))
        while len(pending) >= 3 * workers:
            done, fut = pending.popleft()
            yield done, fut.get()
    while pending:
        done, fut = pending.popleft()
        yield done, fut.get()


def _run_chunk(
    screener: Screener, items: list[dict[str, Any]], explain: bool, finish: Finish | None
) -> list[Any]:
    results = screen_chunk(screener, items, explain)
    return results if finish is None else [finish(it, r) for it, r in zip(items, results)]


def _screen_chunk(items: list[dict[str, Any]]) -> list[Any]:
    return _run_chunk(_worker["screener"], items, _worker["explain"], _worker["finish"])


def output_line(item: dict[str, Any], result: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The result's JSONL line and its tally key: the parent only writes and counts."""
    return dumps(result), Summary.key(result)


def checkpoint_line(item: dict[str, Any], result: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The checkpoint's JSONL line (record and result) and the result's tally key."""
    return dumps({"item": _public(item), "result": result}), Summary.key(result)


def screen_chunk(screener: Screener, items: list[dict[str, Any]], explain: bool = False) -> list[dict[str, Any]]:
    """:func:`screen_item` for each item, the single-text ones screened as one batch
    (``Screener.screen_batch``: the same results, most of the per-record cost shared)."""
    out: list[dict[str, Any] | None] = [None] * len(items)
    jobs, where = [], []
    for i, it in enumerate(items):
        if it["error"] is None and len(it["texts"]) == 1:
            (text,) = it["texts"].values()
            jobs.append((text if text is not None else "", it["content_type"], it["product_category"], it["id"]))
            where.append(i)
        else:
            out[i] = screen_item(screener, it, explain)
    try:
        results: list[Any] = screener.screen_batch(jobs)
    except Exception:  # a bug must not lose the chunk: screen its records one by one
        results = [None] * len(jobs)
    for i, r in zip(where, results):
        it = items[i]
        if isinstance(r, ScreeningResult):
            out[i] = _noted(it, r.to_dict(explain))
        elif r is None:
            out[i] = screen_item(screener, it, explain)
        else:
            out[i] = _noted(it, screener.error_result(it["id"], f"{it['where']}: {r}", it["content_type"],
                                                      it["product_category"]).to_dict(explain))
    return out  # type: ignore[return-value]


def _chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for it in items:
        chunk.append(it)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def screen_items(
    screener: Screener,
    items: Iterable[dict[str, Any]],
    *,
    workers: int = 1,
    explain: bool = False,
    factory: Callable[[], Screener] | None = None,
    chunk_size: int = CHUNK,
    finish: Finish | None = None,
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Screen mapped records with ``workers`` processes; yields ``(item, result)`` in input order.

    At most ``3 × workers`` chunks are in flight, so memory does not grow with the input. With
    ``finish`` (e.g. :func:`output_line`) the worker turns each result into what the caller
    needs and sends that instead: serializing in the workers keeps the parent, which every
    record passes through, from being the bottleneck.
    """
    if workers <= 1:
        for chunk in _chunks(items, chunk_size):
            yield from zip(chunk, _run_chunk(screener, chunk, explain, finish))
        return
    with _pool(screener, workers, factory, explain=explain, finish=finish) as pool:
        for (chunk,), got in _in_order(pool, _screen_chunk, ((c,) for c in _chunks(items, chunk_size)), workers):
            yield from zip(chunk, got)


def screen_block(
    screener: Screener,
    first: int,
    block: bytes,
    *,
    decoder: LineDecoder,
    fields: FieldMap = FieldMap(),
    explain: bool = False,
    finish: Finish = output_line,
) -> tuple[bytes, Tally, int]:
    """Read, map, screen and finish a block of JSONL lines whose first line is line ``first``.

    Returns the ``finish`` lines of its records (UTF-8, each ending in a newline), their counts and
    the number of records: what the same lines read one by one (:func:`~screening.batch.readers.read_records`,
    :meth:`FieldMap.item`, :func:`screen_chunk`, ``finish``) would give, in one piece.
    """
    items = [fields.item(n, record, "line") for n, record in decoder.records(first, block)]
    tally = Summary()  # counts the unknown names too
    lines = []
    for line, key in _run_chunk(screener, items, explain, finish):
        lines.append(line)
        tally.add_key(key)
    lines.append("")
    return "\n".join(lines).encode("utf-8"), tally, len(items)


def _screen_block(first: int, block: bytes) -> tuple[bytes, Tally, int]:
    w = _worker
    return screen_block(w["screener"], first, block, decoder=w["decoder"], fields=w["fields"], explain=w["explain"],
                        finish=w["finish"])


def screen_blocks(
    screener: Screener,
    blocks: Iterable[tuple[int, bytes]],
    *,
    decoder: LineDecoder,
    fields: FieldMap = FieldMap(),
    workers: int = 1,
    explain: bool = False,
    factory: Callable[[], Screener] | None = None,
    finish: Finish = output_line,
) -> Iterator[tuple[bytes, Tally, int]]:
    """:func:`screen_block` for each ``(first line, block)`` of a JSONL input
    (:meth:`~screening.batch.readers.JsonlInput.blocks`) with ``workers`` processes, in input order.

    The caller only moves bytes: the workers decode, parse, screen and serialize, and send back
    one piece of output and one tally per block. At most ``3 × workers`` blocks are in flight.
    """
    if workers <= 1:
        for first, block in blocks:
            yield screen_block(screener, first, block, decoder=decoder, fields=fields, explain=explain, finish=finish)
        return
    with _pool(screener, workers, factory, explain=explain, finish=finish, decoder=decoder, fields=fields) as pool:
        for _, got in _in_order(pool, _screen_block, blocks, workers):
            yield got


# ---------------------------------------------------------------------- columns
# Common names of the columns, in order of preference, for the suggestion when the mapped ones are
# missing. Compared case- and width-insensitively, first whole, then as part of a longer header: a
# Chinese name inside it (商品标题 holds 标题), an English one as a word of it (sku_id holds sku).
# Generic names come last so that a more telling column wins.
ID_GUESSES = ("sku", "sku_id", "skuid", "item_id", "product_id", "商品ID", "商品编号", "商品编码", "货号", "spu",
              "编号", "id")
TEXT_GUESSES = ("text", "title", "标题", "商品名称", "商品名", "product_name", "item_name", "文案", "copy", "内容",
                "content")
DETAIL_GUESSES = ("detail", "details", "详情", "描述", "description", "desc", "正文")
CATEGORY_GUESSES = ("product_category", "category", "类目", "品类", "商品类目", "分类", "类别")
CONTENT_TYPE_GUESSES = ("content_type", "内容类型", "文案类型")


class MissingColumns(ScanError):
    """The input lacks a column the scan is told to read; ``found`` are the columns it has and
    ``suggested`` the ``(option, column)`` pairs that probably map it."""

    def __init__(self, path: str, missing: list[tuple[str, str]], found: list[str],
                 suggested: list[tuple[str, str]]) -> None:
        self.path, self.missing, self.found, self.suggested = path, missing, found, suggested
        lacks = " and ".join(f"no column {column!r} ({option})" for option, column in missing)
        lines = [f"{path} has {lacks}.", f"Its columns: {', '.join(found) or '(none)'}"]
        if suggested:
            lines.append("Try: " + " ".join(f"{option} {column}" for option, column in suggested))
        super().__init__("\n".join(lines))


def _column_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _guess(columns: list[str], candidates: tuple[str, ...], taken: set[str]) -> str | None:
    """The column that is the first candidate (or, failing that, holds it), among those not taken."""
    free = [c for c in columns if c not in taken]
    keys = {c: _column_key(c) for c in free}
    for whole in (True, False):
        for cand in candidates:
            k = _column_key(cand)
            for c in free:
                if keys[c] == k or (not whole and (k in re.split(r"[^0-9a-z]+", keys[c]) if k.isascii()
                                                   else k in keys[c])):
                    return c
    return None


def suggest_fields(columns: list[str], fields: FieldMap) -> list[tuple[str, str]]:
    """The ``(option, column)`` pairs of a mapping for ``columns``: the id, one text field (two when
    a detail column is found too), and the product category and content type when their columns
    are not the default ones. A column ``fields`` maps is kept where it exists; the others are
    guessed from common names.

    >>> suggest_fields(["商品ID", "商品标题", "类目"], FieldMap())
    [('--id-field', '商品ID'), ('--text-field', '商品标题'), ('--product-category-field', '类目')]
    """
    present = set(columns)
    taken = {fields.merchant_field} & present

    def pick(mapped: str, guesses: tuple[str, ...]) -> str | None:
        column = mapped if mapped in present else _guess(columns, guesses, taken)
        if column is not None:
            taken.add(column)
        return column

    # Guessed in this order so that 内容类型 goes to the content type before 内容 could take it as text.
    rid = pick(fields.id_field, ID_GUESSES)
    category = pick(fields.product_category_field, CATEGORY_GUESSES)
    content_type = pick(fields.content_type_field, CONTENT_TYPE_GUESSES)
    texts = [t for t in fields.text_fields if t in present]
    taken.update(texts)
    if not texts:
        texts = [c for g in (TEXT_GUESSES, DETAIL_GUESSES) if (c := pick("", g)) is not None]
    default = FieldMap()
    out = [("--id-field", rid)] if rid is not None else []
    out += [("--text-field", t) for t in texts]
    if category is not None and category != default.product_category_field:
        out.append(("--product-category-field", category))
    if content_type is not None and content_type != default.content_type_field:
        out.append(("--content-type-field", content_type))
    return out


def check_columns(input_path: str, in_fmt: str, fields: FieldMap, encoding: str | None = None) -> None:
    """Check, before screening, that the input has the columns ``fields`` reads.

    The id column and every text column must be in the header (CSV/TSV/xlsx/Parquet) or in the
    first records (JSONL, :data:`~screening.batch.readers.PEEK_RECORDS`); so must a content type,
    product category or merchant column mapped to a non-default name. Without this a wrong
    mapping gives one error result per record and no hint of what the file holds. Standard input
    and files with no readable header or record are not checked.

    Raises:
        MissingColumns: with the columns found and a suggested mapping.
        ScanError: the header cannot be read.
        OSError: the input cannot be opened.
    """
    try:
        found = peek_columns(input_path, in_fmt, encoding=encoding)
    except ValueError as e:  # an unreadable header; a missing file is reported as the reader reports it
        raise ScanError(f"cannot read the columns of {input_path}: {e}") from None
    if found is None:
        return
    present = set(found)
    default = FieldMap()
    needed = [("--id-field", fields.id_field), *(("--text-field", t) for t in fields.text_fields)]
    for option, column, usual in (("--content-type-field", fields.content_type_field, default.content_type_field),
                                  ("--product-category-field", fields.product_category_field,
                                   default.product_category_field),
                                  ("--merchant-field", fields.merchant_field, default.merchant_field)):
        if column != usual:
            needed.append((option, column))
    missing = [(option, column) for option, column in needed if column not in present]
    if missing:
        raise MissingColumns(input_path, missing, found, suggest_fields(found, fields))


# ---------------------------------------------------------------------- files
def output_format(path: str, fmt: str | None) -> str:
    """The output format from ``--format`` or the extension (stdout: jsonl)."""
    if fmt:
        return fmt
    if path == "-":
        return "jsonl"
    ext = Path(path).suffix.lower()
    formats = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
               ".html": "html", ".htm": "html"}
    if ext not in formats:
        raise ScanError(f"cannot tell the output format of {path}: use .jsonl, .csv, .xlsx, .parquet or .html")
    return formats[ext]


def checkpoint_path(output_path: str) -> Path:
    """The file a scan into ``output_path`` writes its results to as it goes (beside the output):
    renamed over the output at the end (JSONL) or turned into it (the other formats), and read
    back by ``--resume`` after an interruption."""
    return Path(f"{output_path}.partial.jsonl")


def check_output_path(input_path: str, output_path: str) -> None:
    """Refuse, before anything is read or written, an output that would destroy a file the scan
    did not create: the input itself (the same path, another path to it, a link to it: the same
    device and inode), a symbolic link, or something that is not a regular file (a device such as
    ``/dev/stdout`` given as a path, a FIFO, a directory; standard output is ``-o -``). The same
    holds for the checkpoint beside the output (:func:`checkpoint_path`).

    Raises:
        ScanError: with what is wrong and what to do instead.
    """
    if output_path == "-":
        return
    from .writers import OutputError, check_target, same_file

    for path, what in ((output_path, "output"), (str(checkpoint_path(output_path)), "checkpoint")):
        try:
            check_target(path, what)
        except OutputError as e:
            raise ScanError(str(e)) from None
        if input_path != "-" and same_file(input_path, path):
            raise ScanError(f"the {what} {path} is the input {input_path} (the same file): the scan would replace "
                            "what it reads; write the results to another file")


def _complete_lines(path: Path, cut: bool = True) -> list[bytes]:
    """The complete lines of a JSONL file; a half-written last line is cut off the file (``cut``:
    only for the scan's own checkpoint)."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if cut and end != len(data):
        with path.open("r+b") as f:
            f.truncate(end)
    return data[:end].splitlines()


def _checkpoint_result(rec: Any, direct: bool) -> dict[str, Any]:
    """The result in a checkpoint line: the line itself (JSONL output), or its ``result`` (the
    other formats, whose lines hold the record and its result)."""
    if not isinstance(rec, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - reported as a damaged line
    paired = "item" in rec and "result" in rec
    if direct:
        if paired:
            raise ValueError("a record and its result: the checkpoint of another output format")
        return rec
    if not paired or not isinstance(rec["result"], dict):
        raise ValueError("not a record and its result")
    return rec["result"]


def _open_checkpoint(path: Path, start: list[bytes] | None) -> TextIO:
    """Open the checkpoint: appended to when resuming, else new (``start``: the lines to begin a
    new one with). Never through a link (checked first, and O_NOFOLLOW)."""
    from .writers import OutputError, check_target

    try:
        check_target(path, "checkpoint")
    except OutputError as e:
        raise ScanError(str(e)) from None
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_APPEND if start is None else os.O_TRUNC
    f = open(os.open(path, flags, 0o666), "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by the scan
    if start:
        f.buffer.write(b"".join(line + b"\n" for line in start))
    return f


def _open_result_writer(path: str, fmt: str, *, report_limit: int, title: str) -> Any:
    if fmt == "html":
        from .report import HtmlReportWriter

        return HtmlReportWriter(path, limit=report_limit, title=title)
    from .writers import open_writer

    return open_writer(path, fmt)


class QueueIntake(Protocol):
    """Where a scan with a review queue sends its results (screening.review.queue.ScanIntake)."""

    full: bool

    def taken(self) -> int | None:
        """How many of the scan's first records the store already holds (None: not known)."""

    def add(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        """Take one record's result (buffered; ``full`` says when to :meth:`flush`)."""

    def flush(self) -> None:
        """Store the buffered results, and how far the scan got, in one transaction."""


def scan_file(
    screener: Screener,
    input_path: str,
    output_path: str = "-",
    *,
    input_format: str | None = None,
    output_fmt: str | None = None,
    encoding: str | None = None,
    fields: FieldMap = FieldMap(),
    workers: int = 1,
    resume: bool = False,
    explain: bool = False,
    progress: bool | None = None,
    factory: Callable[[], Screener] | None = None,
    report_limit: int = 5000,
    on_result: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
    block_size: int = BLOCK_BYTES,
    queue: QueueIntake | None = None,
) -> Summary:
    """Scan ``input_path`` into ``output_path``; see the module docstring.

    ``block_size``: bytes per unit of work when a JSONL input goes to the workers as blocks of
    lines (a fresh scan with several workers and no ``on_result``).

    ``queue``: the review queue's intake (screening.review.queue.ScanIntake). Every record written to
    the output is taken, in order, after the output holds it; a resumed scan takes the records
    the output holds and the store does not yet (and none twice), so that it opens exactly the
    tasks an uninterrupted scan opens.

    The results go to the checkpoint beside the output (:func:`checkpoint_path`), which becomes
    the output only when the scan is complete: an interrupted or failed scan leaves the previous
    output as it was. The checkpoint is kept for ``--resume`` when results were written to it.

    Raises:
        MissingColumns: the input lacks the id or a text column (:func:`check_columns`), checked
            before anything is screened or written.
        ScanError: unknown formats, an output that is the input, a link or not a regular file
            (:func:`check_output_path`), or an existing output that does not match the input.
    """
    try:
        in_fmt = input_format or ("jsonl" if input_path == "-" else detect_format(input_path))
    except ValueError as e:
        raise ScanError(str(e)) from None
    out_fmt = output_format(output_path, output_fmt)
    where = "line" if in_fmt == "jsonl" else "row"
    if output_path == "-" and (resume or out_fmt != "jsonl"):
        raise ScanError("--resume and formats other than jsonl need an output file (-o FILE)")
    check_output_path(input_path, output_path)
    check_columns(input_path, in_fmt, fields, encoding)
    # JSONL checkpoints hold the output's lines (renamed over it at the end); the other formats'
    # hold each record and its result, to build the output from at the end.
    direct = out_fmt == "jsonl"
    log = None if output_path == "-" else checkpoint_path(output_path)

    # The results of an interrupted scan: their ids, checked against the input, and their counts.
    done_ids: list[str | None] = []
    done_keys: list[tuple[Any, ...]] = []
    start: list[bytes] | None = []  # None: the checkpoint is appended to
    if log is not None and resume:
        if log.exists():
            lines, source, start = _complete_lines(log), log, None
        elif direct and Path(output_path).exists():
            # An output written in place (by an earlier version, or a complete one): its complete
            # lines start the checkpoint; the output itself is replaced only at the end.
            lines = _complete_lines(Path(output_path), cut=False)
            source, start = Path(output_path), lines
        else:
            lines, source = [], log
    else:
        lines, source = [], log
    # The queue takes, on resume, the records the output holds from where the store stopped.
    taken = 0 if queue is None else min(queue.taken() or 0, len(lines)) if resume else 0
    owed: list[bytes] = []  # the lines of the results in the output not yet in the store, from `taken` on
    for k, raw in enumerate(lines):
        try:
            result = _checkpoint_result(json.loads(raw), direct)
        except ValueError as e:
            raise ScanError(f"cannot resume: line {k + 1} of {source} is not a result ({e}); the file is damaged: "
                            "scan again without --resume") from None
        done_ids.append(result.get("id"))
        done_keys.append(Summary.key(result))
        if queue is not None and k >= taken:
            owed.append(raw)
    # Records beyond what the output holds that the store took already (the output lost its
    # last writes): screened and written again, not taken again.
    skip_until = 0
    if queue is not None and resume:
        skip_until = max(len(lines), queue.taken() or 0)
    lines = []

    summary = Summary(category_names=fields.vocabulary.version)
    # The estimate reads the whole input once more: only for a progress line someone sees.
    shown = sys.stderr.isatty() if progress is None else progress
    bar = Progress(estimate_total(input_path, in_fmt) if shown else None, enabled=shown)
    # A fresh JSONL scan goes to the workers as blocks of lines, which they decode, screen and
    # serialize: every byte of input and output passes through this process, so the less it does
    # per record the better the workers scale. Otherwise the records are read and mapped here
    # (those of an interrupted scan are checked here, the review queue's intake takes each record
    # here, and UTF-16/32 lines cannot be cut out of the bytes).
    source_blocks = None
    if in_fmt == "jsonl" and workers > 1 and on_result is None and queue is None and not done_ids:
        source_blocks = open_jsonl(input_path, encoding)
    decoder = source_blocks.decoder if source_blocks is not None else None
    records = read_records(input_path, in_fmt, encoding=encoding) if source_blocks is None else source_blocks.records()
    sink: TextIO | None = None

    def take(it: dict[str, Any], result: dict[str, Any]) -> None:
        # The output holds the record before the store does: a kill between the two leaves the
        # store behind the output, and the resume takes what it lacks.
        assert queue is not None
        queue.add(it, result)
        if queue.full:
            if sink is not None:
                sink.flush()
            queue.flush()

    def fresh_items() -> Iterator[dict[str, Any]]:
        for i, (n, raw) in enumerate(records):
            it = fields.item(n, raw, where)
            if i >= len(done_ids):
                yield it
                continue
            if it["id"] != done_ids[i]:  # already screened: only its id is checked
                raise ScanError(
                    f"cannot resume: result {i + 1} in {source} has id {done_ids[i]!r} but the input's "
                    f"{it['where']} has id {it['id']!r}; scan again without --resume"
                )
            if queue is not None and i >= taken:
                take(it, _checkpoint_result(json.loads(owed[i - taken]), direct))
            summary.resumed += 1
            summary.add_key(done_keys[i])
            bar.update()

    index = len(done_ids)
    wrote = bool(done_ids)
    ok = False
    # Frozen, the screener and whatever else this process holds stay out of the collector's
    # passes for the whole scan, in this process and in the workers forked from it (heap.py).
    try:
        with heap.frozen():
            sink = _open_checkpoint(log, start) if log is not None else sys.stdout
            finish = output_line if direct else checkpoint_line
            if source_blocks is not None and decoder is not None:
                # The workers' output is UTF-8 already: it goes to the file under the text layer
                # (nothing is written through that), or through it to standard output.
                out = sink
                write = out.buffer.write if out is not sys.stdout else lambda data: out.write(data.decode("utf-8"))
                for data, tally, n in screen_blocks(screener, source_blocks.blocks(block_size), decoder=decoder,
                                                    fields=fields, workers=workers, explain=explain, factory=factory,
                                                    finish=finish):
                    write(data)
                    wrote = True
                    summary.merge(tally)
                    bar.update(n)
            else:
                # The workers finish each result themselves, unless the caller wants it whole (the
                # review queue's intake); then this process does.
                whole = on_result is not None or queue is not None
                screened = screen_items(screener, fresh_items(), workers=workers, explain=explain, factory=factory,
                                        finish=None if whole else finish)
                for it, got in screened:
                    line, key = got if not whole else finish(it, got)
                    sink.write(line + "\n")
                    wrote = True
                    summary.add_key(key)
                    if on_result is not None:
                        on_result(it, got)
                    if queue is not None and index >= skip_until:
                        take(it, got)
                    index += 1
                    bar.update()
            if len(done_ids) > summary.resumed:
                raise ScanError(
                    f"cannot resume: {source} holds {len(done_ids)} results but the input has only "
                    f"{summary.resumed} records"
                )
        ok = True
    finally:
        bar.close()
        if source_blocks is not None:
            source_blocks.close()
        try:
            if sink is not None:
                sink.flush()
                if queue is not None:
                    queue.flush()  # what the output holds, also when the scan stops early
                if sink is not sys.stdout:
                    os.fsync(sink.fileno())
        finally:
            if sink is not None and sink is not sys.stdout:
                sink.close()
                if not ok and not wrote and start == [] and log is not None:
                    log.unlink(missing_ok=True)  # nothing to resume: no stray checkpoint

    if log is None:
        return summary
    if direct:
        # The complete output replaces the previous one in one step.
        from .writers import OutputError, check_target

        try:
            check_target(output_path)
        except OutputError as e:
            raise ScanError(str(e)) from None
        from .writers import _new_file_mode

        os.chmod(log, _new_file_mode(output_path))  # the permissions of the output it replaces
        os.replace(log, output_path)
        return summary
    # Formats other than JSONL are built from the checkpoint, now that every result is in it; the
    # writer renames its file over the output only when it is complete.
    writer = _open_result_writer(output_path, out_fmt, report_limit=report_limit,
                                 title=f"广告合规筛查报告 · {Path(input_path).name}")
    with writer, log.open("r", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            writer.write(rec["item"], rec["result"])
    log.unlink()
    return summary


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("id", "texts", "merchant_id", "content_type", "product_category")}


def dumps(obj: Any) -> str:
    """JSON for one output line; lone surrogates from the input are escaped, not lost."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj, ensure_ascii=True)
    return line


def default_workers() -> int:
    """The number of usable cores."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
