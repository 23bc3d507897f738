"""Catalogue scans: read records, screen them in parallel, write one result per record in order.

A plain function library; the CLI's ``scan`` command is a thin layer over :func:`scan_file`.

- Memory is bounded: records stream from the reader in chunks (a JSONL input goes to the workers
  as blocks of lines, bounded in bytes), at most a few per worker are in flight, and results are
  written as soon as the chunk before them is done.
- Order is the input order, whatever the workers' speed.
- One output per input record, always: unreadable rows, missing ids and empty or non-text
  fields become results with ``error`` set and decision ``review``.
- ``resume`` continues an interrupted scan: results already written are kept (their ids are
  checked against the input), a half-written last line is cut off, and screening goes on from
  the next record. Formats that cannot be appended (xlsx, parquet, html, csv) are written from a
  JSONL checkpoint beside the output when the scan completes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from . import heap
from .errors import InputError, ScreeningError
from .pipeline import Screener
from .readers import BLOCK_BYTES, BadRecord, LineDecoder, detect_format, open_jsonl, read_records
from .tally import Tally
from .types import ScreeningResult

# Records per unit of work: large enough that the batch path's array passes outweigh their set-up,
# small enough that a worker's chunk is a fraction of a second.
CHUNK = 1024


class ScanError(ScreeningError, ValueError):
    """The scan cannot start or continue (bad options, output that does not match the input)."""


@dataclass(frozen=True)
class FieldMap:
    """Which input columns hold the id, the texts and the other contract fields."""

    text_fields: tuple[str, ...] = ("text",)
    id_field: str = "id"
    content_type_field: str = "content_type"
    product_category_field: str = "product_category"
    merchant_field: str = "merchant_id"
    content_type: str = "listing"
    product_category: str = "general"

    def item(self, n: int, raw: dict[str, Any] | BadRecord, where: str) -> dict[str, Any]:
        """The record as the screener and the writers see it; ``error`` when it is unusable."""
        loc = f"{where} {n}"
        if isinstance(raw, BadRecord):
            return _item(loc, None, {f: None for f in self.text_fields}, None, self, f"{loc}: {raw.message}")
        rid = _as_id(raw.get(self.id_field))
        texts = {f: raw.get(f) for f in self.text_fields}
        ct = raw.get(self.content_type_field) or self.content_type
        pc = raw.get(self.product_category_field) or self.product_category
        merchant = _as_id(raw.get(self.merchant_field))
        error = None
        if rid is None:
            error = f"{loc}: record has no {self.id_field}"
        elif all(f not in raw for f in self.text_fields):
            error = f"{loc}: record has no field {', '.join(self.text_fields)}"
        return _item(loc, rid, texts, merchant, self, error, ct, pc)


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


class Summary(Tally):
    """Counts for the end-of-scan summary, and how many came from an interrupted scan."""

    def __init__(self, resumed: int = 0) -> None:
        super().__init__()
        self.resumed = resumed

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "records": self.records,
            "resumed": self.resumed,
            "errors": self.errors,
            "decisions": dict(self.decisions),
            "categories": dict(self.categories.most_common()),
            "roles": dict(self.roles.most_common()),
        }

    def text(self) -> str:
        """A few lines for a person."""
        d = self.to_dict()

        def line(name: str, counts: dict[str, int]) -> str:
            return f"  {name}: " + (", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none")

        head = f"{d['records']:,} records" + (f" ({d['resumed']:,} from the interrupted scan)" if d["resumed"] else "")
        return "\n".join(
            [
                head,
                line("decisions", d["decisions"]),
                line("categories", d["categories"]),
                line("roles", d["roles"]),
                f"  records with errors: {d['errors']:,}",
            ]
        )


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
            out[i] = r.to_dict(explain)
        elif r is None:
            out[i] = screen_item(screener, it, explain)
        else:
            out[i] = screener.error_result(it["id"], f"{it['where']}: {r}", it["content_type"],
                                           it["product_category"]).to_dict(explain)
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
    the number of records: what the same lines read one by one (:func:`~screening.readers.read_records`,
    :meth:`FieldMap.item`, :func:`screen_chunk`, ``finish``) would give, in one piece.
    """
    items = [fields.item(n, record, "line") for n, record in decoder.records(first, block)]
    tally = Tally()
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
    (:meth:`~screening.readers.JsonlInput.blocks`) with ``workers`` processes, in input order.

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


def _complete_lines(path: Path) -> list[bytes]:
    """The complete lines of a JSONL file; a half-written last line is cut off the file."""
    data = path.read_bytes()
    cut = data.rfind(b"\n") + 1
    if cut != len(data):
        with path.open("r+b") as f:
            f.truncate(cut)
    return data[:cut].splitlines()


def _open_result_writer(path: str, fmt: str, *, report_limit: int, title: str) -> Any:
    if fmt == "html":
        from .report import HtmlReportWriter

        return HtmlReportWriter(path, limit=report_limit, title=title)
    from .writers import open_writer

    return open_writer(path, fmt)


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
) -> Summary:
    """Scan ``input_path`` into ``output_path``; see the module docstring.

    ``block_size``: bytes per unit of work when a JSONL input goes to the workers as blocks of
    lines (a fresh scan with several workers and no ``on_result``).

    Raises:
        ScanError: unknown formats, or an existing output that does not match the input.
    """
    try:
        in_fmt = input_format or ("jsonl" if input_path == "-" else detect_format(input_path))
    except ValueError as e:
        raise ScanError(str(e)) from None
    out_fmt = output_format(output_path, output_fmt)
    where = "line" if in_fmt == "jsonl" else "row"
    if output_path == "-" and (resume or out_fmt != "jsonl"):
        raise ScanError("--resume and formats other than jsonl need an output file (-o FILE)")
    # JSONL is written directly; the other formats are built from a JSONL checkpoint at the end.
    direct = out_fmt == "jsonl"
    checkpoint = None if direct or output_path == "-" else Path(f"{output_path}.partial.jsonl")
    log = Path(output_path) if direct and output_path != "-" else checkpoint

    # The results of an interrupted scan: their ids, checked against the input, and their counts.
    done_ids: list[str | None] = []
    done_keys: list[tuple[Any, ...]] = []
    if log is not None and log.exists():
        if resume:
            for raw in _complete_lines(log):
                rec = json.loads(raw)
                result = (rec.get("result") or rec) if checkpoint else rec
                done_ids.append(result.get("id"))
                done_keys.append(Summary.key(result))
        else:
            log.unlink()

    summary = Summary()
    # The estimate reads the whole input once more: only for a progress line someone sees.
    shown = sys.stderr.isatty() if progress is None else progress
    bar = Progress(estimate_total(input_path, in_fmt) if shown else None, enabled=shown)
    # A fresh JSONL scan goes to the workers as blocks of lines, which they decode, screen and
    # serialize: every byte of input and output passes through this process, so the less it does
    # per record the better the workers scale. Otherwise the records are read and mapped here
    # (those of an interrupted scan are checked here, the review queue's intake takes each record
    # here, and UTF-16/32 lines cannot be cut out of the bytes).
    source = None
    if in_fmt == "jsonl" and workers > 1 and on_result is None and not done_ids:
        source = open_jsonl(input_path, encoding)
    decoder = source.decoder if source is not None else None
    records = read_records(input_path, in_fmt, encoding=encoding) if source is None else source.records()

    def fresh_items() -> Iterator[dict[str, Any]]:
        for i, (n, raw) in enumerate(records):
            it = fields.item(n, raw, where)
            if i >= len(done_ids):
                yield it
                continue
            if it["id"] != done_ids[i]:  # already screened: only its id is checked
                raise ScanError(
                    f"cannot resume: result {i + 1} in {log} has id {done_ids[i]!r} but the input's "
                    f"{it['where']} has id {it['id']!r}; scan again without --resume"
                )
            summary.resumed += 1
            summary.add_key(done_keys[i])
            bar.update()

    sink: TextIO | None = None
    # Frozen, the screener and whatever else this process holds stay out of the collector's
    # passes for the whole scan, in this process and in the workers forked from it (heap.py).
    try:
        with heap.frozen():
            sink = log.open("a", encoding="utf-8", newline="\n") if log is not None else sys.stdout
            finish = checkpoint_line if checkpoint is not None else output_line
            if source is not None and decoder is not None:
                # The workers' output is UTF-8 already: it goes to the file under the text layer
                # (nothing is written through that), or through it to standard output.
                out = sink
                write = out.buffer.write if out is not sys.stdout else lambda data: out.write(data.decode("utf-8"))
                for data, tally, n in screen_blocks(screener, source.blocks(block_size), decoder=decoder, fields=fields,
                                                    workers=workers, explain=explain, factory=factory, finish=finish):
                    write(data)
                    summary.merge(tally)
                    bar.update(n)
            else:
                # The workers finish each result themselves, unless the caller wants it whole (the
                # review queue's intake); then this process does.
                screened = screen_items(screener, fresh_items(), workers=workers, explain=explain, factory=factory,
                                        finish=finish if on_result is None else None)
                for it, got in screened:
                    line, key = got if on_result is None else finish(it, got)
                    sink.write(line + "\n")
                    summary.add_key(key)
                    if on_result is not None:
                        on_result(it, got)
                    bar.update()
            if len(done_ids) > summary.resumed:
                raise ScanError(
                    f"cannot resume: {log} holds {len(done_ids)} results but the input has only {summary.resumed} records"
                )
    finally:
        bar.close()
        if source is not None:
            source.close()
        if sink is sys.stdout:
            sink.flush()
        elif sink is not None:
            sink.close()

    # Formats other than JSONL are built from the checkpoint, now that every result is in it.
    if checkpoint is not None:
        writer = _open_result_writer(output_path, out_fmt, report_limit=report_limit,
                                     title=f"广告合规筛查报告 · {Path(input_path).name}")
        with checkpoint.open("r", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                writer.write(rec["item"], rec["result"])
        writer.close()
        checkpoint.unlink()
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
