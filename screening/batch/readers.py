"""Read batch input records from JSONL, CSV, TSV, Excel (.xlsx) and Parquet files, streaming.

Shop back-ends export listings in all of these formats, and in the encodings Chinese systems
produce (UTF-8, UTF-8 with BOM, GB18030/GBK), so the scan layer needs one reader that yields
``(row number, record)`` pairs whatever the source. Everything streams with bounded memory: a
batch can hold millions of listings.

A row that cannot be read becomes a :class:`BadRecord` in its place instead of an exception, so
one broken row never loses the others and every input row is accounted for in the output. Only
file-level problems (unknown format, unreadable header, duplicate column names, a file that is not
the format its name says, a workbook beyond the size limits) raise, as :class:`InputFileError`,
and they raise from the call to :func:`read_records` itself, before a caller writes anything.

Work is bounded (issue 16): a record (a JSONL line, a CSV row, an xlsx or Parquet row) longer than
:data:`MAX_RECORD_CHARS` and a cell longer than :data:`MAX_CELL_CHARS` are bad records, and an
``.xlsx`` is checked before openpyxl opens it: the sizes its zip's central directory declares
(:data:`MAX_XLSX_BYTES`, :data:`MAX_XLSX_RATIO`) and, in one streaming pass, the length of every
text in its sheets and shared strings, so that a zip bomb fails in a second with a clear error; a
Parquet file's column chunks are held to the same limits from its footer.

``.xlsx`` needs ``openpyxl`` (``screening[excel]``) and ``.parquet`` needs ``pyarrow``
(``screening[parquet]``); both are imported only when such a file is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import ScreeningError

FORMATS = ("jsonl", "csv", "tsv", "xlsx", "parquet")
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json-lines": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
}
SNIFF_BYTES = 64 * 1024

# A record (all physical lines of one CSV row, a JSONL line in bytes, all text of an xlsx or Parquet
# row) longer than this is a bad record; a CSV row even when the process raised
# csv.field_size_limit(): it bounds what an unclosed quote can make us hold. In an xlsx, one text
# longer than this stops the whole file before openpyxl reads it (see _check_xlsx).
MAX_RECORD_CHARS = 4 * 1024 * 1024
# A cell of an xlsx or Parquet row longer than this (characters; bytes for a binary Parquet value)
# makes its row a bad record: the screener's own per-text limit (pipeline.MAX_TEXT_CHARS), so a
# longer cell could not be screened anyway. CSV/TSV fields are bounded by csv.field_size_limit()
# (131,072 characters unless the process raised it).
MAX_CELL_CHARS = 2_000_000
# An .xlsx whose parts declare more than this many bytes unpacked in all, or whose part of more than
# _RATIO_FLOOR bytes unpacks to more than MAX_XLSX_RATIO times its packed size (exports compress
# 5 to 20 times; a zip bomb hundreds of times), is refused before openpyxl opens it. The same
# limits hold for each column chunk of a Parquet file, from its footer, before pyarrow unpacks it.
MAX_XLSX_BYTES = 2 * 1024**3
MAX_XLSX_RATIO = 200
_RATIO_FLOOR = 16 * 1024 * 1024

# Undecodable bytes become lone surrogates U+DC00+byte. Unlike the stock "surrogateescape" this
# also escapes bytes below 0x80, which broken UTF-16 produces; valid text decoded by any codec never
# contains a lone surrogate, so finding one means the row had bad bytes.
_ESCAPE_ERRORS = "screening.batch.readers.escape"


def _escape_bytes(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return "".join(chr(0xDC00 + b) for b in err.object[err.start : err.end]), err.end


codecs.register_error(_ESCAPE_ERRORS, _escape_bytes)
_ESCAPED = re.compile("[\udc00-\udfff]")
_NON_ASCII = bytes(range(0x80, 0x100))


class InputFileError(ScreeningError, ValueError):
    """The input file as a whole cannot be read: its message names the file (and the row) and the
    problem, on one line. A ``ValueError`` too, as these problems always were."""


@dataclass(frozen=True)
class BadRecord:
    """A row that could not be read; ``message`` names the problem.

    The scan layer turns it into an error result, prefixed with ``line N:`` or ``row N:``.
    """

    message: str


def detect_format(path: str) -> str:
    """Return the input format for a file name, from its extension.

    Args:
        path: the file name; case of the extension does not matter.

    Returns:
        One of ``jsonl``, ``csv``, ``tsv``, ``xlsx``, ``parquet``.

    Raises:
        ValueError: the extension is not one of the supported ones.

    >>> detect_format("商品/listings.NDJSON")
    'jsonl'
    """
    lower = path.lower()
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    raise ValueError(f"cannot tell the input format of {path!r} from its extension; supported: {', '.join(EXTENSIONS)}")


def sniff_encoding(sample: bytes) -> str:
    """Guess the text encoding of a file from its first bytes.

    A BOM decides; otherwise text that decodes as UTF-8 is UTF-8 (a multibyte sequence cut by the
    end of the sample is allowed) and anything else is GB18030, which also decodes GBK and GB2312,
    the other encodings Chinese shop back-ends export. One exception: a sample that is UTF-8 but
    for some corrupt bytes (at most 1 in 4 of its non-ASCII bytes invalid; in Chinese GB18030 text
    about 2 in 3 are) is UTF-8, so that a corrupt line becomes one bad record instead of turning
    every other line into mojibake.

    Args:
        sample: the first bytes of the file (the readers use 64 KiB).

    Returns:
        A codec name: ``utf-8-sig``, ``utf-16``, ``utf-32``, ``utf-8`` or ``gb18030``.

    >>> sniff_encoding("全网最低价".encode("gb18030"))
    'gb18030'
    >>> sniff_encoding("全网最低价".encode("utf-8")[:-1])
    'utf-8'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        if not (e.reason == "unexpected end of data" and e.end == len(sample)):
            bad = len(_ESCAPED.findall(sample.decode("utf-8", "surrogateescape")))
            non_ascii = len(sample) - len(sample.translate(None, _NON_ASCII))
            return "utf-8" if bad * 4 <= non_ascii else "gb18030"
    return "utf-8"


def read_records(
    path: str, fmt: str | None = None, *, encoding: str | None = None
) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    """Stream the records of an input file as ``(row number, record)`` pairs, in file order.

    Row numbers are what a person looking at the file sees: the 1-based line number for JSONL;
    for CSV, TSV and xlsx the row number counting the header as row 1 (the first data row is 2,
    as a spreadsheet shows; a CSV record with a quoted multi-line field is one row); the 1-based
    row index for Parquet. Blank JSONL lines and fully empty CSV/xlsx rows yield nothing but are
    still counted.

    Records are dicts column name → value: JSON values for JSONL, strings for CSV/TSV, cell values
    for xlsx (numbers stay numbers; cells in columns without a header are left out), Python
    objects for Parquet. An empty xlsx cell or a Parquet null is ``""``, as an empty CSV field is,
    never ``None``. Header names are stripped of spaces and of a BOM.

    Text encodings (JSONL, CSV, TSV): with ``encoding=None`` the encoding is sniffed from the first
    64 KiB (see :func:`sniff_encoding`), so a file whose first 64 KiB are ASCII and which has GBK
    bytes later is read as UTF-8 and those later rows are bad. Bytes that do not decode make that
    one line or row a ``BadRecord``. ``encoding`` is ignored for xlsx and Parquet.

    CSV/TSV rows are checked, and a bad one is a ``BadRecord`` while reading goes on: a row with a
    different number of fields than the header (``expected K fields, got M``), a ``csv.Error``
    (parsing is ``strict``, so a stray quote is an error, not silently glued text). An unclosed
    quote makes the parser run over the following lines until a later quote breaks the syntax, the
    file ends or the field exceeds ``csv.field_size_limit()`` (or :data:`MAX_RECORD_CHARS` for the
    whole row); the row where it began is then one ``BadRecord`` and the lines it ran over are read
    again as rows, so no row is lost and only the broken one is reported. (A legitimately multi-line
    quoted field that is broken later is reported the same way, its continuation lines then
    usually being bad rows of their own: reported, never dropped.)

    Args:
        path: the file, or ``-`` for standard input (sniffing the encoding waits for 64 KiB or the
            end of input; xlsx and Parquet are first copied to a temporary file, as both must seek).
        fmt: ``jsonl``, ``csv``, ``tsv``, ``xlsx`` or ``parquet``; ``None`` takes it from the
            extension (``jsonl`` for stdin).
        encoding: text encoding for JSONL/CSV/TSV, used as given; ``None`` sniffs it.

    Limits: see :data:`MAX_RECORD_CHARS`, :data:`MAX_CELL_CHARS` (a longer record or cell is a
    ``BadRecord``) and, for xlsx and Parquet, :data:`MAX_XLSX_BYTES` and :data:`MAX_XLSX_RATIO`. Values come out
    as JSON values: a binary Parquet value is decoded as UTF-8 (a row with one that is not UTF-8 is a
    ``BadRecord`` naming the column), dates and times are ISO strings, decimals their digits.

    Returns:
        A generator. The file is opened and its file-level problems (format, header, limits) are
        raised by this call, before the first record; it is closed when the generator is exhausted
        or closed.

    Raises:
        InputFileError: the file is not the format given (an xlsx that is not a zip, a file that
            is not Parquet), an unreadable or duplicate header, an xlsx beyond the limits.
        ValueError: unknown format or encoding.
        FileNotFoundError: ``path`` does not exist.
        ImportError: xlsx or Parquet without the optional dependency.
    """
    if fmt is None:
        fmt = "jsonl" if path == "-" else detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown input format {fmt!r}; supported: {', '.join(FORMATS)}")
    _check_input(path, encoding)
    if fmt == "xlsx":
        _import_openpyxl("reading")
        return _primed(_read_xlsx(path))
    if fmt == "parquet":
        _import_pyarrow_parquet("reading")
        return _primed(_read_parquet(path))
    if fmt == "jsonl":
        return _read_jsonl(path, encoding)
    return _primed(_read_csv(path, "\t" if fmt == "tsv" else ",", encoding))


_READY: Any = object()


def _primed(gen: Iterator[Any]) -> Iterator[Any]:
    """Run a reader up to its first ``yield _READY`` (file opened, header and limits checked), so that
    file-level problems raise now; the generator then yields the records."""
    first = next(gen, None)
    if first is not _READY:  # pragma: no cover - every primed reader yields _READY first
        raise AssertionError("reader did not yield _READY first")
    return gen


def _check_input(path: str, encoding: str | None) -> None:
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
    if path != "-":
        os.stat(path)  # a missing file is reported now, not at the first record


# --------------------------------------------------------------------------- optional imports
def _import_openpyxl(action: str) -> Any:
    try:
        import openpyxl
    except ImportError:
        raise ImportError(f'{action} .xlsx needs openpyxl: pip install "screening[excel]"') from None
    return openpyxl


def _import_pyarrow_parquet(action: str) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f'{action} .parquet needs pyarrow: pip install "screening[parquet]"') from None
    return pq


# --------------------------------------------------------------------------- byte streams
class _Prefixed(io.RawIOBase):
    """A binary stream that first returns already-read bytes, then the rest of another stream.

    Lets the encoding be sniffed from standard input, which cannot seek back.
    """

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._prefix:
            n = min(len(buf), len(self._prefix))
            buf[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read1(len(buf)) if hasattr(self._rest, "read1") else self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)


class _Source:
    """The input as a binary stream plus its encoding; closes only what it opened."""

    def __init__(self, path: str, encoding: str | None) -> None:
        if path == "-":
            raw: IO[bytes] = sys.stdin.buffer
            self._owned: IO[bytes] | None = None
        else:
            raw = self._owned = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            sample = b""
            if encoding is None:
                sample = raw.read(SNIFF_BYTES)
                encoding = sniff_encoding(sample)
            # Always a wrapper of our own: closing the text layer on top must not close stdin.
            self.stream: IO[bytes] = io.BufferedReader(_Prefixed(sample, raw))
        except BaseException:
            self.close()
            raise
        self.encoding = encoding

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()


def _line_codec(encoding: str) -> str | None:
    """The codec to decode one line of bytes with, or ``None`` when lines cannot be split as bytes.

    Splitting on b"\\n" is safe when the encoding is ASCII-compatible (UTF-8, GB18030 and GBK never
    use ASCII bytes inside multibyte characters); UTF-16/32 must be decoded as a stream.
    """
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig":
        return "utf-8"  # the BOM is stripped from the first line
    probe = '\n{}[]",\t'
    try:
        return name if probe.encode(name) == probe.encode("ascii") else None
    except UnicodeError:
        return None


def _display(encoding: str) -> str:
    """The encoding as people write it in messages: ``UTF-8``, ``GB18030``."""
    name = codecs.lookup(encoding).name
    return "UTF-8" if name == "utf-8-sig" else name.upper()


# --------------------------------------------------------------------------- JSONL
# Bytes read at a time when JSONL is read as blocks of whole lines.
BLOCK_BYTES = 256 * 1024


@dataclass(frozen=True)
class LineDecoder:
    """Turns JSONL lines, as bytes, into records; small and picklable, so that a scan's workers can
    decode blocks of lines themselves while the main process only moves bytes.

    Only for encodings in which a line can be cut out of the bytes (see :func:`open_jsonl`).
    """

    codec: str
    shown: str

    def record(self, n: int, raw: bytes) -> dict[str, Any] | BadRecord | None:
        """Line ``n`` (its bytes, newline included) as a record; ``None`` for a blank line."""
        if not raw.strip():
            return None
        if len(raw) - raw.endswith(b"\n") - raw.endswith(b"\r\n") > MAX_RECORD_CHARS:
            return BadRecord(f"line longer than {MAX_RECORD_CHARS:,} bytes (readers.MAX_RECORD_CHARS)")
        try:
            line = raw.decode(self.codec)
        except UnicodeDecodeError as e:
            return BadRecord(f"not valid {self.shown} ({e.reason} at byte {e.start})")
        return parse_record(line.lstrip("\ufeff") if n == 1 else line)

    def records(self, first: int, block: bytes) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
        """The records of a block of lines whose first line is line ``first``, as ``(line number, record)``."""
        for n, raw in enumerate(io.BytesIO(block), first):  # lines end at b"\n" only, as in a file
            record = self.record(n, raw)
            if record is not None:
                yield n, record


class JsonlInput:
    """An open JSONL input whose encoding is known: read as records, or as blocks of whole lines.

    ``decoder`` is ``None`` when lines cannot be cut out of the bytes (UTF-16/32); then only
    :meth:`records` reads it. The caller closes it.
    """

    def __init__(self, path: str, encoding: str | None) -> None:
        self._src = _Source(path, encoding)
        self.encoding = self._src.encoding
        codec = _line_codec(self.encoding)
        self.decoder = None if codec is None else LineDecoder(codec, _display(self.encoding))

    def blocks(self, size: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
        """``(number of its first line, bytes)`` for consecutive runs of whole lines.

        A block ends with b"\\n" except perhaps the last one of the input; it holds what one read of
        up to ``size`` bytes returned, cut after its last newline (a line longer than that is read
        on until its end). The number of lines in a block is ``block.count(b"\\n")`` but for the
        last one, which may lack the newline. A line longer than :data:`MAX_RECORD_CHARS` bytes is
        not held whole: only its first ``MAX_RECORD_CHARS + 1`` bytes are kept, enough for
        :meth:`LineDecoder.record` to report it as too long.
        """
        if self.decoder is None:
            raise ValueError(f"{_display(self.encoding)} input cannot be read as blocks of lines")
        line = 1
        carry: list[bytes] = []
        carried = 0
        stream = self._src.stream
        while data := stream.read1(size):
            cut = data.rfind(b"\n") + 1
            if not cut:
                if carried <= MAX_RECORD_CHARS:  # past the limit the rest of the line is dropped
                    part = data[: MAX_RECORD_CHARS + 1 - carried]
                    carry.append(part)
                    carried += len(part)
                continue
            head = data if cut == len(data) else data[:cut]
            if carried > MAX_RECORD_CHARS:
                head = head[head.find(b"\n"):]  # the end of the too long line, its newline kept
            block = b"".join([*carry, head]) if carry else head
            carry = [data[cut:]] if cut < len(data) else []
            carried = len(data) - cut
            yield line, block
            line += block.count(b"\n")
        if carry:
            yield line, b"".join(carry)

    def records(self) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
        """``(line number, record)`` for each non-blank line."""
        if self.decoder is not None:
            for first, block in self.blocks():
                yield from self.decoder.records(first, block)
            return
        shown = _display(self.encoding)
        text = io.TextIOWrapper(self._src.stream, encoding=self.encoding, errors=_ESCAPE_ERRORS, newline="\n")
        for n, line in enumerate(iter(lambda: text.readline(MAX_RECORD_CHARS + 1), ""), 1):
            if len(line) > MAX_RECORD_CHARS and not line.endswith("\n"):
                while (rest := text.readline(MAX_RECORD_CHARS + 1)) and not rest.endswith("\n"):
                    pass  # the rest of a too long line, never held whole
                yield n, BadRecord(f"line longer than {MAX_RECORD_CHARS:,} characters (readers.MAX_RECORD_CHARS)")
                continue
            if not line.strip():
                continue
            if _ESCAPED.search(line):
                yield n, BadRecord(f"not valid {shown} (undecodable bytes)")
                continue
            yield n, parse_record(line.lstrip("\ufeff") if n == 1 else line)

    def close(self) -> None:
        """Close the file (standard input is left open)."""
        self._src.close()


def open_jsonl(path: str, encoding: str | None = None) -> JsonlInput:
    """Open a JSONL file (``-``: standard input) and sniff its encoding unless ``encoding`` is given.

    What :func:`read_records` reads JSONL with, for callers that want its blocks of lines: a scan
    sends them to its workers undecoded. Raises like :func:`read_records`.
    """
    _check_input(path, encoding)
    return JsonlInput(path, encoding)


def _read_jsonl(path: str, encoding: str | None) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    src = JsonlInput(path, encoding)
    try:
        yield from src.records()
    finally:
        src.close()


def parse_record(line: str) -> dict[str, Any] | BadRecord:
    """One JSONL line as a record, or a ``BadRecord`` saying what is wrong with it."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        return BadRecord(f"not valid JSON ({e.msg}, column {e.colno})")
    except RecursionError:
        return BadRecord("not valid JSON (nested too deeply)")
    except ValueError as e:  # a number too long to convert
        return BadRecord(f"not valid JSON ({e})")
    if not isinstance(value, dict):
        return BadRecord(f"expected a JSON object, got {'null' if value is None else type(value).__name__}")
    return value


# --------------------------------------------------------------------------- CSV / TSV
class _RecordTooLong(Exception):
    pass


class _Lines:
    """Physical lines for ``csv.reader``, remembering those of the current record.

    After an unclosed quote the lines it ran over are pushed back and read again as rows. This is
    an iterator class, not a generator, because it must yield again after the reader saw the end.
    """

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending: deque[str] = deque()
        self.record: list[str] = []
        self._chars = 0
        self.at_end = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pending.popleft() if self._pending else self._text.readline()
        if not line:
            self.at_end = True
            raise StopIteration
        self.record.append(line)
        self._chars += len(line)
        if self._chars > MAX_RECORD_CHARS:
            raise _RecordTooLong(f"row longer than {MAX_RECORD_CHARS} characters")
        return line

    def start_record(self) -> None:
        self.record = []
        self._chars = 0

    def read_again(self, lines: list[str]) -> None:
        self._pending.extendleft(reversed(lines))
        self.at_end = False


def _read_csv(path: str, delimiter: str, encoding: str | None) -> Iterator[tuple[int, dict[str, Any] | BadRecord]]:
    src = _Source(path, encoding)
    try:
        shown = _display(src.encoding)
        text = io.TextIOWrapper(src.stream, encoding=src.encoding, errors=_ESCAPE_ERRORS, newline="")
        lines = _Lines(text)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header: list[str] | None = None
        n = 0
        while True:
            lines.start_record()
            try:
                fields = next(reader)
            except StopIteration:
                if header is None:
                    yield _READY  # no header, no records
                return
            except (csv.Error, _RecordTooLong) as e:
                n += 1
                consumed = lines.record
                if len(consumed) > 1:
                    # Most likely an unclosed quote ran over the next lines: read them again.
                    lines.read_again(consumed[1:])
                    message = (
                        f"{e}, in a quoted field running over {len(consumed)} lines: probably an unclosed quote;"
                        " the lines after this row are read again as rows"
                    )
                else:
                    message = str(e)
                if header is None:
                    raise InputFileError(f"{_name(path)}: row {n}: cannot read the header: {message}") from None
                yield n, BadRecord(message)
                continue
            n += 1
            if not any(fields):
                continue
            if header is None:
                header = _header(path, n, fields, shown)
                yield _READY
                continue
            if any(_ESCAPED.search(f) for f in fields):
                yield n, BadRecord(f"undecodable bytes for encoding {shown}")
            elif len(fields) != len(header):
                yield n, BadRecord(f"expected {len(header)} fields, got {len(fields)}")
            else:
                yield n, {name: value for name, value in zip(header, fields) if name}
    finally:
        src.close()


def _name(path: str) -> str:
    """The input as messages name it."""
    return "standard input" if path == "-" else path


def _header(path: str, n: int, fields: list[str], encoding: str) -> list[str]:
    if any(_ESCAPED.search(f) for f in fields):
        raise InputFileError(f"{_name(path)}: row {n}: the header has undecodable bytes for encoding {encoding}")
    names = [f.lstrip("\ufeff").strip() for f in fields]
    _check_unique(path, n, names)
    return names


def _check_unique(path: str, n: int, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise InputFileError(f"{_name(path)}: row {n}: column {name!r} appears twice in the header")
        seen.add(name)


# --------------------------------------------------------------------------- xlsx / Parquet
def _seekable_path(path: str) -> tuple[Any, IO[bytes] | None]:
    """``path`` itself, or for stdin a temporary copy (zip and Parquet readers must seek)."""
    if path != "-":
        return path, None
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    shutil.copyfileobj(sys.stdin.buffer, tmp)
    tmp.seek(0)
    return tmp, tmp


class _BadCell(Exception):
    pass


def _plain(value: Any, column: str) -> Any:
    """A cell value as a JSON value (what the writers serialize): binary as UTF-8 text, dates and times
    as ISO strings, decimals as their digits; raises :class:`_BadCell` for binary that is not
    UTF-8 and for a cell longer than :data:`MAX_CELL_CHARS`."""
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise _BadCell(f"column {column!r}: {len(value):,} characters, more than the limit of "
                           f"{MAX_CELL_CHARS:,} (readers.MAX_CELL_CHARS)")
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if len(data) > MAX_CELL_CHARS:
            raise _BadCell(f"column {column!r}: binary value of {len(data):,} bytes, more than the limit of "
                           f"{MAX_CELL_CHARS:,} (readers.MAX_CELL_CHARS)")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _BadCell(f"column {column!r}: binary value is not UTF-8 text ({e.reason} at byte {e.start})") from None
    if isinstance(value, (list, tuple)):
        return [_plain(v, column) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, column) for k, v in value.items()}
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    return str(value)  # Decimal, timedelta and the like: their own notation


def _plain_row(cells: Iterator[tuple[str, Any]]) -> dict[str, Any] | BadRecord:
    """A row as a record of JSON values (an empty cell an empty string), or the first bad cell's
    ``BadRecord``; a row whose text is longer than :data:`MAX_RECORD_CHARS` in all is bad too."""
    record: dict[str, Any] = {}
    size = 0
    try:
        for name, value in cells:
            v = "" if value is None else _plain(value, name)
            size += len(v) if isinstance(v, str) else 0
            record[name] = v
    except _BadCell as e:
        return BadRecord(str(e))
    if size > MAX_RECORD_CHARS:
        return BadRecord(f"row of {size:,} characters, more than the limit of {MAX_RECORD_CHARS:,} "
                         "(readers.MAX_RECORD_CHARS)")
    return record


def _check_xlsx(target: Any, path: str) -> None:
    """Refuse, before openpyxl opens it, an .xlsx that is not a zip or would unpack beyond the limits.

    First the central directory: the unpacked sizes its parts declare (Python's zipfile never
    unpacks more than a part declares). Then one streaming pass over the sheets and the shared
    strings (which openpyxl holds whole), counting the characters of each text without keeping
    them: a text longer than :data:`MAX_RECORD_CHARS` stops the file, naming its part and row.
    """
    import zipfile

    try:
        zf = zipfile.ZipFile(target)
    except (zipfile.BadZipFile, EOFError):
        raise InputFileError(f"{_name(path)}: not an .xlsx workbook (not a zip archive)") from None
    try:
        parts = zf.infolist()
        total = sum(p.file_size for p in parts)
        if total > MAX_XLSX_BYTES:
            raise InputFileError(f"{_name(path)}: its parts unpack to {total:,} bytes, more than the limit of "
                                 f"{MAX_XLSX_BYTES:,} (readers.MAX_XLSX_BYTES); not read")
        for p in parts:
            ratio = p.file_size / max(1, p.compress_size)
            if p.file_size > _RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
                raise InputFileError(
                    f"{_name(path)}: {p.filename} unpacks to {p.file_size:,} bytes, {ratio:.0f} times its packed size "
                    f"(more than readers.MAX_XLSX_RATIO = {MAX_XLSX_RATIO}): a zip bomb, not read")
        for p in parts:
            # A part of at most MAX_RECORD_CHARS bytes cannot hold a longer text: not parsed twice.
            # Every large XML part, wherever the workbook's relationships put its sheets.
            if p.file_size > MAX_RECORD_CHARS and p.filename.lower().endswith((".xml", ".rels")):
                _check_xml_texts(zf, p, path)
    except zipfile.BadZipFile as e:
        raise InputFileError(f"{_name(path)}: damaged .xlsx workbook ({e})") from None
    finally:
        zf.close()


def _check_xml_texts(zf: Any, part: Any, path: str) -> None:
    """Stream one XML part, counting the characters of each text node; refuse a DTD (no workbook
    has one; entities could expand) and a text longer than :data:`MAX_RECORD_CHARS`."""
    import zlib
    from xml.parsers import expat

    parser = expat.ParserCreate()
    state = {"row": "?", "chars": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        # A text node holds no tag: counting from each start tag bounds every one of them.
        if tag == "row" or tag.endswith(":row"):
            state["row"] = attrs.get("r", "?")
        state["chars"] = 0

    def data(text: str) -> None:
        state["chars"] += len(text)
        if state["chars"] > MAX_RECORD_CHARS:
            where = f"row {state['row']}" if "worksheets/" in part.filename else "a shared string"
            raise InputFileError(f"{_name(path)}: {part.filename}: {where} has a text of more than "
                                 f"{MAX_RECORD_CHARS:,} characters (readers.MAX_RECORD_CHARS); not read")

    def doctype(*args: Any) -> None:
        raise InputFileError(f"{_name(path)}: {part.filename}: has a DTD, which no workbook has; not read")

    parser.StartElementHandler = start
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = doctype
    try:
        with zf.open(part) as f:
            while chunk := f.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise InputFileError(f"{_name(path)}: {part.filename}: not well-formed XML ({expat.errors.messages[e.code]}, "
                             f"line {e.lineno})") from None
    except (zlib.error, EOFError) as e:
        raise InputFileError(f"{_name(path)}: {part.filename}: damaged ({e})") from None


def _load_workbook(target: Any, path: str) -> Any:
    """The workbook, read-only, after :func:`_check_xlsx`; openpyxl's errors as one line."""
    openpyxl = _import_openpyxl("reading")
    _check_xlsx(target, path)
    if hasattr(target, "seek"):
        target.seek(0)
    try:
        wb = openpyxl.load_workbook(target, read_only=True, data_only=True)
        if not wb.worksheets:
            wb.close()
            raise InputFileError(f"{_name(path)}: the workbook has no worksheet")
        return wb
    except InputFileError:
        raise
    except Exception as e:  # noqa: BLE001 - InvalidFileException, KeyError for a missing part, XML errors ...
        raise InputFileError(f"{_name(path)}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from None


def _read_xlsx(path: str) -> Iterator[Any]:
    target, tmp = _seekable_path(path)
    try:
        wb = _load_workbook(target, path)
        try:
            ws = wb.worksheets[0]
            # Exporters often write a wrong <dimension>; trusting it would cut columns off.
            ws.reset_dimensions()
            rows = enumerate(ws.iter_rows(values_only=True), 1)
            header: list[str] | None = None
            for n, row in rows:
                if all(v is None or v == "" for v in row):
                    continue
                header = ["" if v is None else str(v).lstrip("\ufeff").strip() for v in row]
                _check_unique(path, n, header)
                break
            yield _READY
            if header is None:
                return
            for n, row in rows:
                if all(v is None or v == "" for v in row):
                    continue
                # Rows may stop at their last value; an empty cell is an empty string, as in CSV.
                cells = list(row) + [None] * (len(header) - len(row))
                yield n, _plain_row((name, value) for name, value in zip(header, cells) if name)
        finally:
            wb.close()
    finally:
        if tmp is not None:
            tmp.close()


def _parquet_file(target: Any, path: str, check: bool = True) -> Any:
    """The open Parquet file; with ``check``, refused when one of its column chunks declares more
    than :data:`MAX_XLSX_BYTES` bytes unpacked, or over 16 MiB at more than :data:`MAX_XLSX_RATIO`
    times its packed size (a compression bomb: pyarrow would unpack it whole)."""
    pq = _import_pyarrow_parquet("reading")
    import pyarrow as pa

    try:
        pf = pq.ParquetFile(target)
    except (pa.ArrowException, OSError) as e:
        raise InputFileError(f"{_name(path)}: not a Parquet file ({e})") from None
    if not check:
        return pf
    md = pf.metadata
    for g in range(md.num_row_groups):
        group = md.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            size, packed = chunk.total_uncompressed_size, max(1, chunk.total_compressed_size)
            if size > MAX_XLSX_BYTES or (size > _RATIO_FLOOR and size / packed > MAX_XLSX_RATIO):
                pf.close()
                raise InputFileError(
                    f"{_name(path)}: column {chunk.path_in_schema!r} of row group {g + 1} unpacks to {size:,} bytes, "
                    f"{size / packed:.0f} times its packed size (limits readers.MAX_XLSX_BYTES, "
                    "readers.MAX_XLSX_RATIO): a compression bomb, not read")
    return pf


def _read_parquet(path: str) -> Iterator[Any]:
    import pyarrow as pa

    target, tmp = _seekable_path(path)
    try:
        pf = _parquet_file(target, path)
        try:
            yield _READY
            n = 0
            batches = pf.iter_batches(batch_size=1000)
            while True:
                try:
                    batch = next(batches, None)
                except (pa.ArrowException, OSError) as e:
                    raise InputFileError(f"{_name(path)}: rows after {n}: damaged Parquet data ({e})") from None
                if batch is None:
                    return
                for record in batch.to_pylist():
                    n += 1
                    # A null is an empty cell: an empty string, as in CSV and xlsx.
                    yield n, _plain_row(iter(record.items()))
        finally:
            pf.close()
    finally:
        if tmp is not None:
            tmp.close()


# --------------------------------------------------------------------------- columns
# JSONL has no header: the columns are those of its first records.
PEEK_RECORDS = 20


def peek_columns(path: str, fmt: str | None = None, *, encoding: str | None = None,
                 records: int = PEEK_RECORDS) -> list[str] | None:
    """The column names of an input file, read without reading the rest of it.

    The header of a CSV/TSV/xlsx file and the schema of a Parquet file; for JSONL the keys of its
    first ``records`` readable records, in first-seen order. ``None`` when it cannot tell: standard
    input (which cannot be read twice), or a file with no header or no readable record.

    Raises:
        ValueError, OSError, ImportError: as :func:`read_records` would for the same file.
    """
    if path == "-":
        return None
    if fmt is None:
        fmt = detect_format(path)
    if fmt == "parquet":
        pf = _parquet_file(path, path, check=False)
        try:
            return list(pf.schema_arrow.names)
        finally:
            pf.close()
    if fmt == "xlsx":
        return _xlsx_header(path)
    if fmt in ("csv", "tsv"):
        return _csv_header(path, "\t" if fmt == "tsv" else ",", encoding)
    seen: dict[str, None] = {}
    read = 0
    reader = read_records(path, fmt, encoding=encoding)
    try:
        for _, record in reader:
            if isinstance(record, BadRecord):
                continue
            seen.update(dict.fromkeys(record))
            read += 1
            if read >= records:
                break
    finally:
        reader.close()
    return list(seen) if read else None


def _csv_header(path: str, delimiter: str, encoding: str | None) -> list[str] | None:
    _check_input(path, encoding)
    src = _Source(path, encoding)
    try:
        text = io.TextIOWrapper(src.stream, encoding=src.encoding, errors=_ESCAPE_ERRORS, newline="")
        for n, fields in enumerate(csv.reader(text, delimiter=delimiter), 1):
            if any(fields):
                return [name for name in _header(path, n, fields, _display(src.encoding)) if name]
        return None
    except csv.Error as e:
        raise InputFileError(f"{path}: cannot read the header: {e}") from None
    finally:
        src.close()


def _xlsx_header(path: str) -> list[str] | None:
    wb = _load_workbook(path, path)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        for row in ws.iter_rows(values_only=True):
            if not all(v is None or v == "" for v in row):
                return [name for v in row if (name := "" if v is None else str(v).lstrip("\ufeff").strip())]
        return None
    finally:
        wb.close()
