"""Write screening results as JSONL, CSV, Excel (.xlsx) or Parquet, one row per input record.

The JSONL output is the contract itself (../shared/docs/contract.md): one result object per line,
nothing added, for tools. CSV and xlsx are for reviewers who open results in Excel; Parquet is for
data warehouses. Every writer streams (bounded memory) and keeps input order.

A writer gets, per record, ``item`` = ``{"id", "texts": {field: text}, "merchant_id",
"content_type", "product_category"}`` and ``result`` = the contract result dict (findings may carry
``field``, the text field they are in; their offsets are relative to that field's text).

CSV and the xlsx sheet ``results`` have the columns :data:`COLUMNS`:

- ``id``, ``decision``, ``risk``, ``severity``, ``error``: as in the result;
- ``role``, ``due_at``: from ``route`` (empty for ``pass``);
- ``n_findings``; ``categories``: the findings' categories, unique, in finding order, ``;``-joined;
- ``terms``: ``text→suggestion`` (or ``text`` without a suggestion) per finding, unique, ``;``-joined;
- ``text``: the copy; with several text fields one ``field: text`` line per field;
- ``findings_json``: the findings list as JSON; ``versions``: the versions as JSON;
- ``inferred_category``: the product category inferred from the text of a record given as
  ``general`` (empty when none was; the evidence offsets are in the JSONL output only);
- ``notes``: the messages of the result's ``notes`` (e.g. a category name the scan did not know
  and screened as ``general``), one per line; empty when there are none.

An empty or missing text field is an empty string in ``text``, never ``None``.

The xlsx workbook also has a sheet ``summary``, written at close: records, records with errors, and
records per decision, per finding category (records with at least one finding of it) and per
review role. Cells longer than Excel's 32,767 characters end in ``…(truncated)``.

Parquet schema (nullable columns, typed for SQL)::

    id        string
    decision  string
    risk      double
    severity  string
    route     struct<role: string, due_at: string, sla_hours: double>       (null for pass)
    findings  list<struct<start: int64, end: int64, text: string, term: string, term_id: string,
                          category: string, severity: string, basis: string, suggestion: string,
                          detector: string, confidence: double, explanation: string,
                          field: string, rule: string>>
    versions  map<string, string>
    error     string
    text      string    (the copy, joined as for CSV)
    inferred_category  string    (as for CSV; null when none was inferred)
    notes     list<struct<field: string, value: string, screened_as: string, category_names: string,
                          message: string>>    (the result's notes; empty when there are none)

Finding keys outside that struct (and a result's ``suppressed`` explain list) are not written to
Parquet. Text that cannot be encoded (lone surrogates from undecodable input) is written with
backslash escapes (``\\udc81``) in CSV, xlsx and Parquet, and as JSON ``\\u`` escapes in JSONL.

``.xlsx`` needs ``openpyxl`` (``screening[excel]``), ``.parquet`` needs ``pyarrow``
(``screening[parquet]``); both are imported only when such a writer is opened.

Never destroy what the writer did not create: every writer (and the HTML report) writes to a
temporary file beside the target and renames it over the target only when the output is complete
(:class:`AtomicFile`). An interrupted or failed write leaves the previous target as it was, and a
failed one removes its temporary file. Only a regular file is replaced: a symbolic link, a
directory or a device/FIFO (``/dev/stdout`` given as a path) at the target is refused
(:func:`check_target`); standard output is ``-``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import sys
import tempfile
import time
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..errors import ScreeningError
from ..types import CATEGORIES, CATEGORY_ZH, DECISION_ZH, DECISIONS, ROLE_ZH
from .readers import _import_openpyxl, _import_pyarrow_parquet
from .tally import Tally

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

OUTPUT_FORMATS = ("jsonl", "csv", "xlsx", "parquet")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json-lines": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
}
COLUMNS = (
    "id",
    "decision",
    "risk",
    "severity",
    "role",
    "due_at",
    "error",
    "n_findings",
    "categories",
    "terms",
    "text",
    "findings_json",
    "versions",
    "inferred_category",
    "notes",
)
EXCEL_MAX_CELL = 32_767
TRUNCATED = "…(truncated)"
FLUSH_EVERY = 1000
FLUSH_SECONDS = 1.0
PARQUET_BATCH = 1000
_XLSX_WIDTHS = {
    "id": 18,
    "risk": 8,
    "due_at": 26,
    "error": 30,
    "categories": 24,
    "terms": 30,
    "text": 60,
    "findings_json": 40,
}

_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters XML 1.0 (hence xlsx) cannot hold: C0 controls except tab/newline/CR, and surrogates.
_NOT_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class OutputError(ScreeningError, ValueError):
    """The output path cannot be written safely (a link, a device, the input itself)."""


def check_target(path: str | os.PathLike[str], what: str = "output") -> None:
    """Refuse an output path whose current file must not be replaced: a symbolic link (renaming
    over it would cut the link and leave whatever it points to as it was) or anything that is not
    a regular file (a directory, a device, a FIFO, a socket: ``/dev/stdout`` or ``/dev/null``
    given as a path). A missing file or a regular file is fine.

    Raises:
        OutputError: with what is there and what to do instead.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(f"cannot write the {what} {os.fspath(path)}: {e.strerror or e}") from None
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"the {what} {os.fspath(path)} is a symbolic link: it is not replaced; give the path of a regular "
            "file (for standard output use -o -)"
        )
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise OutputError(
            f"the {what} {os.fspath(path)} is {kind}, not a regular file: it is not replaced; "
            "write to standard output with -o -, or give the path of a regular file"
        )


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same existing file (the same device and inode: through another
    path, a symbolic link or a hard link as well)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _new_file_mode(path: str) -> int:
    """The permissions of the file being replaced, or the usual ones under the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class AtomicFile:
    """A temporary file beside ``path`` that replaces ``path`` on :meth:`commit`.

    The target is checked (:func:`check_target`) when the file is opened and again just before
    the rename. :meth:`discard` (or a failed commit) removes the temporary file; the target is then
    as it was. ``copy_from``: start the temporary file with the bytes of that file (appending to
    an existing output without touching it until the end).
    """

    def __init__(self, path: str | os.PathLike[str], *, what: str = "output", copy_from: str | None = None) -> None:
        self.path = os.fspath(path)
        self.what = what
        check_target(self.path, what)
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, self.tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(self.path)}.", suffix=".tmp")
        try:
            os.fchmod(fd, _new_file_mode(self.path))
            self.file: IO[bytes] = os.fdopen(fd, "w+b")
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise
        self.done = False
        if copy_from is not None:
            try:
                with open(copy_from, "rb") as src:
                    while chunk := src.read(1 << 20):
                        self.file.write(chunk)
            except FileNotFoundError:
                pass
            except BaseException:
                self.discard()
                raise

    def commit(self) -> None:
        """Write the file out and rename it over the target; on failure the target is untouched
        and the temporary file is removed."""
        if self.done:
            return
        try:
            if not self.file.closed:
                self.file.flush()
                os.fsync(self.file.fileno())
                self.file.close()
            check_target(self.path, self.what)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        self.done = True

    def discard(self) -> None:
        """Remove the temporary file; the target stays as it was."""
        self.done = True
        with contextlib.suppress(Exception):  # the close of a failed file may fail again
            self.file.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


class ResultWriter(Protocol):
    """Receives one ``(item, result)`` per input record, in input order."""

    def write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        """Write the result for one record."""

    def close(self) -> None:
        """Finish the output; calling it again does nothing."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def open_writer(path: str, fmt: str | None = None, *, append: bool = False) -> ResultWriter:
    """Open a result writer for a file or standard output.

    Args:
        path: the output file, or ``-`` for standard output.
        fmt: ``jsonl``, ``csv``, ``xlsx`` or ``parquet``; ``None`` takes it from the extension
            (``jsonl`` for ``-``).
        append: add to an existing file (resuming a scan): JSONL appends lines, CSV appends rows
            without a header when the file already has content. xlsx and Parquet cannot append.
            The existing file is copied into the temporary file and replaced only at ``close()``.

    Returns:
        The writer; use it as a context manager or call ``close()``.

    Raises:
        ValueError: unknown format, or ``append`` for xlsx/Parquet.
        OutputError: the path is a symbolic link or not a regular file (:func:`check_target`).
        ImportError: xlsx or Parquet without the optional dependency.
    """
    if fmt is None:
        fmt = "jsonl" if path == "-" else _format_of(path)
    if fmt not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; supported here: {', '.join(OUTPUT_FORMATS)}")
    if append and fmt in ("xlsx", "parquet"):
        raise ValueError(f"{fmt} output cannot be appended to; write a new file")
    if fmt == "jsonl":
        return JsonlWriter(path, append=append)
    if fmt == "csv":
        return CsvWriter(path, append=append)
    if fmt == "xlsx":
        return XlsxWriter(path)
    return ParquetResultWriter(path)


def _format_of(path: str) -> str:
    lower = path.lower()
    for ext, fmt in _EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    raise ValueError(
        f"cannot tell the output format of {path!r} from its extension; supported: {', '.join(_EXTENSIONS)}"
    )


# --------------------------------------------------------------------------- flat rows
def joined_text(texts: dict[str, Any]) -> str:
    """The record's copy as one string: the single text, or ``field: text`` lines for several.
    An empty cell (``None``) is an empty string, never the word ``None``.

    >>> joined_text({"title": "2026新款 加绒卫衣", "detail": "全网最低价"})
    'title: 2026新款 加绒卫衣\\ndetail: 全网最低价'
    >>> joined_text({"标题": "加绒卫衣", "详情": None})
    '标题: 加绒卫衣\\n详情: '
    """
    shown = {name: "" if text is None else text for name, text in texts.items()}
    if len(shown) == 1:
        return next(iter(shown.values()))
    return "\n".join(f"{name}: {text}" for name, text in shown.items())


def notes_text(result: dict[str, Any]) -> str | None:
    """The messages of a result's ``notes``, one per line; ``None`` when it has none.

    >>> notes_text({"notes": [{"message": "product_category '宠物用品' is not a known name"}]})
    "product_category '宠物用品' is not a known name"
    """
    notes = result.get("notes") or []
    shown = [str(n.get("message") or n) if isinstance(n, dict) else str(n) for n in notes]
    return "\n".join(shown) or None


def result_row(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Flatten one record's result into the :data:`COLUMNS` of the CSV and xlsx outputs.

    Args:
        item: the input record as the scan layer passes it (``id``, ``texts``, ...).
        result: the contract result dict.

    Returns:
        Column name → value (``None`` for empty cells; ``risk`` and ``n_findings`` stay numbers).
    """
    findings = result.get("findings") or []
    route = result.get("route") or {}
    terms = []
    for f in findings:
        text = f.get("text") or f.get("term") or ""
        terms.append(f"{text}→{f['suggestion']}" if f.get("suggestion") else text)
    rid = result.get("id")
    return {
        "id": rid if rid is not None else item.get("id"),
        "decision": result.get("decision"),
        "risk": result.get("risk"),
        "severity": result.get("severity"),
        "role": route.get("role"),
        "due_at": route.get("due_at"),
        "error": result.get("error"),
        "n_findings": len(findings),
        "categories": ";".join(dict.fromkeys(str(f.get("category")) for f in findings)),
        "terms": ";".join(dict.fromkeys(terms)),
        "text": joined_text(item.get("texts") or {}),
        "findings_json": json.dumps(findings, ensure_ascii=False),
        "versions": json.dumps(result.get("versions") or {}, ensure_ascii=False),
        "inferred_category": (result.get("inferred_category") or {}).get("category"),
        "notes": notes_text(result),
    }


# --------------------------------------------------------------------------- base
class _Writer:
    """Closed-state bookkeeping and the context manager protocol shared by the writers."""

    def __init__(self) -> None:
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # an interrupted or failed write: the previous output stays as it was
            self.abort()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        """Write the result for one record.

        Args:
            item: the input record (``id``, ``texts``, ``merchant_id``, ...).
            result: the contract result dict.

        Raises:
            ValueError: the writer is closed.
        """
        if self._closed:
            raise ValueError("write to a closed result writer")
        self._write(item, result)

    def close(self) -> None:
        """Finish the output and rename it over the target; calling it again does nothing.
        When finishing fails, the target is as it was and the temporary file is removed."""
        if self._closed:
            return
        self._closed = True
        try:
            self._finish()
        except BaseException:
            self._abort()
            raise

    def abort(self) -> None:
        """Give the output up: the temporary file is removed and the target stays as it was
        (standard output is only flushed); calling it again, or after ``close()``, does nothing."""
        if self._closed:
            return
        self._closed = True
        self._abort()

    def _write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        atomic: AtomicFile | None = getattr(self, "_atomic", None)
        if atomic is not None:
            atomic.discard()


class _Flusher:
    """Flush every so many records or seconds: followers (tail -f, resume) see recent results."""

    def __init__(self, stream: IO[Any]) -> None:
        self._stream = stream
        self._count = 0
        self._last = time.monotonic()

    def tick(self) -> None:
        self._count += 1
        now = time.monotonic()
        if self._count >= FLUSH_EVERY or now - self._last >= FLUSH_SECONDS:
            self._stream.flush()
            self._count = 0
            self._last = now


def _stdout_bytes() -> IO[bytes]:
    sys.stdout.flush()
    return sys.stdout.buffer


def _has_content(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


# --------------------------------------------------------------------------- JSONL
def json_line(result: dict[str, Any]) -> str:
    """The JSONL line (without newline) for one result: readable Chinese, always valid UTF-8.

    Lone surrogates (from undecodable input) cannot be encoded as UTF-8; such a line is written
    with ``\\u`` escapes instead, which is the same JSON value.

    >>> json_line({"text": "最好\\udc81"})
    '{"text": "\\\\u6700\\\\u597d\\\\udc81"}'
    """
    line = json.dumps(result, ensure_ascii=False)
    if _SURROGATE.search(line):
        line = json.dumps(result, ensure_ascii=True)
    return line


class JsonlWriter(_Writer):
    """The contract results, one JSON object per line, UTF-8."""

    def __init__(self, path: str, *, append: bool = False) -> None:
        super().__init__()
        self._atomic: AtomicFile | None = None
        if path == "-":
            self._stream: IO[bytes] = _stdout_bytes()
        else:
            # Appending copies the existing results into the temporary file first.
            self._atomic = AtomicFile(path, copy_from=path if append else None)
            self._stream = self._atomic.file
        self._flusher = _Flusher(self._stream)

    def _write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        self._stream.write(json_line(result).encode("utf-8") + b"\n")
        self._flusher.tick()

    def _finish(self) -> None:
        if self._atomic is not None:
            self._atomic.commit()
        else:
            self._stream.flush()


# --------------------------------------------------------------------------- CSV
# Columns that carry the merchant's own text: a cell there must never run as an Excel formula.
_PEOPLES_TEXT = frozenset({"id", "text", "terms"})


def csv_safe(value: Any) -> Any:
    """Neutralise a cell that Excel would run as a formula (=, +, -, @, tab, CR first) with a
    leading apostrophe, the usual defence against CSV injection; other values pass unchanged.

    >>> csv_safe("=1+1"), csv_safe("最好")
    ("'=1+1", '最好')
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class CsvWriter(_Writer):
    """One row per record with :data:`COLUMNS`; UTF-8 with a BOM so that Excel shows Chinese."""

    def __init__(self, path: str, *, append: bool = False) -> None:
        super().__init__()
        import csv

        fresh = not (append and path != "-" and _has_content(path))
        self._atomic: AtomicFile | None = None
        if path == "-":
            raw: IO[bytes] = _stdout_bytes()
        else:
            # Appending copies the existing rows into the temporary file first.
            self._atomic = AtomicFile(path, copy_from=path if append and not fresh else None)
            raw = self._atomic.file
        # backslashreplace: lone surrogates from undecodable input stay visible instead of failing.
        self._text = io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", newline="")
        self._csv = csv.writer(self._text)
        if fresh:
            self._text.write("\ufeff")
            self._csv.writerow(COLUMNS)
        self._flusher = _Flusher(self._text)

    def _write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        row = result_row(item, result)
        self._csv.writerow(["" if row[c] is None else csv_safe(row[c]) if c in _PEOPLES_TEXT else row[c]
                            for c in COLUMNS])
        self._flusher.tick()

    def _finish(self) -> None:
        self._text.flush()
        self._text.detach()  # leave the file (or stdout) open: committed below
        if self._atomic is not None:
            self._atomic.commit()

    def _abort(self) -> None:
        with contextlib.suppress(Exception):  # the flush of a failed output may fail again
            self._text.detach()
        super()._abort()


# --------------------------------------------------------------------------- xlsx
def excel_text(value: str) -> str:
    """A string as an xlsx cell can hold it: escaped control characters, at most 32,767 characters.

    Excel counts UTF-16 code units, so an emoji counts twice.

    >>> excel_text("最好\\x07")
    '最好\\\\x07'
    """
    if _NOT_IN_XLSX.search(value):
        value = _NOT_IN_XLSX.sub(_escape_char, value)
    if len(value) > EXCEL_MAX_CELL // 2:  # shorter strings cannot exceed the limit even in UTF-16
        units = value.encode("utf-16-le")
        if len(units) // 2 > EXCEL_MAX_CELL:
            keep = (EXCEL_MAX_CELL - len(TRUNCATED)) * 2
            value = units[:keep].decode("utf-16-le", "ignore") + TRUNCATED  # "ignore" drops a cut pair
    return value


def _escape_char(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


class XlsxWriter(_Writer):
    """An Excel workbook: sheet ``results`` (:data:`COLUMNS`) and, at close, sheet ``summary``.

    Uses openpyxl's write-only mode, which streams rows to temporary files: memory stays bounded.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        openpyxl = _import_openpyxl("writing")
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._path = path
        self._atomic = None if path == "-" else AtomicFile(path)
        self._cell = WriteOnlyCell
        self._wb = openpyxl.Workbook(write_only=True)
        self._ws = self._wb.create_sheet("results")
        self._ws.freeze_panes = "A2"
        for i, name in enumerate(COLUMNS, 1):
            if name in _XLSX_WIDTHS:
                self._ws.column_dimensions[get_column_letter(i)].width = _XLSX_WIDTHS[name]
        bold = Font(bold=True)
        header = []
        for name in COLUMNS:
            cell = WriteOnlyCell(self._ws, value=name)
            cell.font = bold
            header.append(cell)
        self._ws.append(header)
        self._bold = bold
        self._tally = Tally()

    def _value(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = excel_text(value)
        if value.startswith("="):
            # Copy that starts with "=" is text, not a formula to run in the reviewer's Excel.
            cell = self._cell(self._ws, value=value)
            cell.data_type = "s"
            return cell
        return value

    def _write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        row = result_row(item, result)
        self._ws.append([self._value(row[c]) for c in COLUMNS])
        self._tally.add(result)

    def _summary_rows(self) -> list[list[Any]]:
        t = self._tally
        rows: list[list[Any]] = [
            ["total", "records", "记录数", t.records],
            ["total", "errors", "出错记录", t.errors],
        ]
        for d in [*DECISIONS, *sorted(set(t.decisions) - set(DECISIONS))]:
            rows.append(["decision", d, DECISION_ZH.get(d, ""), t.decisions[d]])
        for c in [*CATEGORIES, *sorted(set(t.categories) - set(CATEGORIES))]:
            rows.append(["category", c, CATEGORY_ZH.get(c, ""), t.categories[c]])
        for r in [*(r for r in ROLE_ZH if r in t.roles), *sorted(set(t.roles) - set(ROLE_ZH))]:
            rows.append(["role", r, ROLE_ZH.get(r, ""), t.roles[r]])
        return rows

    def _finish(self) -> None:
        ws = self._wb.create_sheet("summary")
        header = []
        for name in ("group", "name", "label", "records"):
            cell = self._cell(ws, value=name)
            cell.font = self._bold
            header.append(cell)
        ws.append(header)
        for row in self._summary_rows():
            ws.append(row)
        target: Any = _stdout_bytes() if self._atomic is None else self._atomic.file
        self._wb.save(target)
        if self._atomic is None:
            target.flush()
        else:
            self._atomic.commit()


    def _abort(self) -> None:
        # The rows streamed to openpyxl's own temporary files: finish them and remove them.
        for ws in self._wb.worksheets:
            # An output that failed may fail again here; nothing of it is kept.
            with contextlib.suppress(Exception):
                ws.close()
            with contextlib.suppress(Exception):
                ws._writer.cleanup()
        super()._abort()


# --------------------------------------------------------------------------- Parquet
def parquet_schema() -> Any:
    """The ``pyarrow.Schema`` of the Parquet output (see the module docstring)."""
    import pyarrow as pa

    finding = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("term", pa.string()),
            ("term_id", pa.string()),
            ("category", pa.string()),
            ("severity", pa.string()),
            ("basis", pa.string()),
            ("suggestion", pa.string()),
            ("detector", pa.string()),
            ("confidence", pa.float64()),
            ("explanation", pa.string()),
            ("field", pa.string()),
            ("rule", pa.string()),
            ("suggestion_reason", pa.string()),
        ]
    )
    note = pa.struct([(k, pa.string()) for k in _NOTE_KEYS])
    return pa.schema(
        [
            ("id", pa.string()),
            ("decision", pa.string()),
            ("risk", pa.float64()),
            ("severity", pa.string()),
            ("route", pa.struct([("role", pa.string()), ("due_at", pa.string()), ("sla_hours", pa.float64())])),
            ("findings", pa.list_(finding)),
            ("versions", pa.map_(pa.string(), pa.string())),
            ("error", pa.string()),
            ("text", pa.string()),
            ("inferred_category", pa.string()),
            ("notes", pa.list_(note)),
        ]
    )


_NOTE_KEYS = ("field", "value", "screened_as", "category_names", "message")
_FINDING_INTS = ("start", "end")
_FINDING_FLOATS = ("confidence",)
_FINDING_STRINGS = (
    "text",
    "term",
    "term_id",
    "category",
    "severity",
    "basis",
    "suggestion",
    "detector",
    "explanation",
    "field",
    "rule",
    "suggestion_reason",
)


def _pq_str(value: Any) -> str | None:
    """A string Arrow accepts (valid UTF-8): lone surrogates become backslash escapes."""
    if value is None:
        return None
    s = value if isinstance(value, str) else str(value)
    if _SURROGATE.search(s):
        s = s.encode("utf-8", "backslashreplace").decode("utf-8")
    return s


def _pq_num(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def parquet_row(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """One record's result as a row of :func:`parquet_schema` (plain Python values, valid UTF-8).

    Shared by the Parquet writer and the Spark engine, so that both produce the same rows.

    >>> row = parquet_row({"texts": {"text": "最好"}}, {"id": "a", "findings": [{"start": 0, "end": 2}]})
    >>> row["id"], row["findings"][0]["end"], row["route"]
    ('a', 2, None)
    """
    route = result.get("route")
    return {
        "id": _pq_str(result.get("id") if result.get("id") is not None else item.get("id")),
        "decision": _pq_str(result.get("decision")),
        "risk": _pq_num(result.get("risk"), float),
        "severity": _pq_str(result.get("severity")),
        "route": None
        if not route
        else {
            "role": _pq_str(route.get("role")),
            "due_at": _pq_str(route.get("due_at")),
            "sla_hours": _pq_num(route.get("sla_hours"), float),
        },
        "findings": [
            {
                **{k: _pq_num(f.get(k), int) for k in _FINDING_INTS},
                **{k: _pq_num(f.get(k), float) for k in _FINDING_FLOATS},
                **{k: _pq_str(f.get(k)) for k in _FINDING_STRINGS},
            }
            for f in result.get("findings") or []
        ],
        "versions": [(_pq_str(k), _pq_str(v)) for k, v in (result.get("versions") or {}).items()],
        "error": _pq_str(result.get("error")),
        "text": _pq_str(joined_text(item.get("texts") or {})),
        "inferred_category": _pq_str((result.get("inferred_category") or {}).get("category")),
        "notes": [{k: _pq_str(n.get(k)) for k in _NOTE_KEYS} if isinstance(n, dict) else {"message": _pq_str(n)}
                  for n in result.get("notes") or []],
    }


class ParquetResultWriter(_Writer):
    """Typed Parquet rows (schema in the module docstring), written in batches of 1000."""

    def __init__(self, path: str) -> None:
        super().__init__()
        pq = _import_pyarrow_parquet("writing")
        import pyarrow as pa

        self._pa = pa
        self._schema = parquet_schema()
        self._path = path
        self._atomic = None if path == "-" else AtomicFile(path)
        where: Any = _stdout_bytes() if self._atomic is None else self._atomic.file
        try:
            self._writer = pq.ParquetWriter(where, self._schema)
        except BaseException:
            self._abort()
            raise
        self._rows: list[dict[str, Any]] = []

    def _write(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        self._rows.append(parquet_row(item, result))
        if len(self._rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_batch(self._pa.RecordBatch.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def _finish(self) -> None:
        try:
            self._flush()
        finally:
            self._writer.close()
        if self._atomic is not None:
            self._atomic.commit()

    def _abort(self) -> None:
        with contextlib.suppress(Exception):  # a failed output may fail to close too
            self._writer.close()
        super()._abort()
