"""Command line: ``check`` one text, ``scan`` a file, inspect ``lexicon``s.

Exit codes: 0 the decision is below ``--fail-on``; 1 at or above it; 2 usage, input or output
error (a broken input file, a full disk: one line on stderr, never a traceback); 130 interrupted
(Ctrl-C). Merchant text printed for a person has its control and escape sequences shown as
escapes (screening/terminal.py); JSON output decodes to exactly the same values.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import click

from .about import __version__
from .batch.scan import FieldMap, default_workers, dumps, scan_file
from .engine.curate import add_allow, add_term, lookup
from .engine.lexicon import APPLIES_VALUES, ID_PREFIX, SEVERITY_VALUES, load_lexicon
from .errors import ScreeningError
from .screener import DEFAULT_MODEL, Screener
from .terminal import json_visible, visible
from .types import CATEGORY_ZH, CONTENT_TYPES, DECISIONS, PRODUCT_CATEGORIES

CONTEXT = {"help_option_names": ["-h", "--help"]}


class UsageFailure(click.ClickException):
    """A screening error reported on the command line; exits 2, never 1 (1 means findings).

    The message may quote the input (a column name, a file name): shown through :func:`visible`.
    """

    exit_code = 2

    def format_message(self) -> str:
        return visible(self.message)


def _quiet_stdout() -> None:
    """After standard output failed (a full disk, a closed pipe): point it at /dev/null, so that
    the interpreter's last flush does not fail again with a traceback-like message."""
    if sys.stdout is not sys.__stdout__ or sys.stdout is None:
        return  # a test's captured output, or no stdout at all
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


@contextmanager
def _writing(name: str) -> Iterator[None]:
    """Turn an error writing ``name`` (``-``: standard output) into one line and exit 2."""
    try:
        yield
    except OSError as e:
        if name == "-":
            _quiet_stdout()
        shown = "standard output" if name == "-" else name
        raise UsageFailure(f"cannot write to {shown}: {e.strerror or e}") from None


def _echo(text: str = "", err: bool = False) -> None:
    """``click.echo``, an error writing standard output being one line and exit 2."""
    with _writing("-" if not err else "standard error"):
        click.echo(text, err=err)


def _fail(e: Exception, summary: str) -> UsageFailure:
    """Print every problem of a screening error (a lexicon lists each file:line), then exit 2."""
    for line in getattr(e, "problems", [str(e)]):
        click.echo(visible(line))
    return UsageFailure(summary)


def _model_arg(model: str | None, no_model: bool) -> str | None:
    return None if no_model else (model or DEFAULT_MODEL)


def _screener(
    lexicons: str | None,
    policy: str | None,
    user_lexicon: str | None = None,
    model: str | None = DEFAULT_MODEL,
) -> Screener:
    try:
        return Screener.from_paths(lexicons, policy, user_lexicon=user_lexicon, model=model)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None


class _Factory:
    """Builds a Screener from paths inside a worker process (picklable, unlike a Screener)."""

    def __init__(self, lexicons: str | None, policy: str | None, user_lexicon: str | None, model: str | None) -> None:
        self.args = (lexicons, policy, user_lexicon, model)

    def __call__(self) -> Screener:
        lexicons, policy, user, model = self.args
        return Screener.from_paths(lexicons, policy, user_lexicon=user, model=model)


USER_LEXICON_HELP = "User lexicon directory (extra terms, allow-list) layered over the lexicons; env SCREENING_USER_LEXICON."
user_lexicon_option = click.option("--user-lexicon", envvar="SCREENING_USER_LEXICON", type=click.Path(file_okay=False),
                                   help=USER_LEXICON_HELP)


def lexicon_options(f: Any) -> Any:
    """``--lexicons``, ``--user-lexicon``, ``--policy``, ``--model`` for commands that screen."""
    f = click.option("--no-model", is_flag=True, help="Screen with the lexicons and rules only.")(f)
    f = click.option("--model", type=click.Path(exists=True, file_okay=False),
                     help="Risk model directory (default: the packaged model).")(f)
    f = click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="Decision policy TOML.")(f)
    f = click.option("--user-lexicon", envvar="SCREENING_USER_LEXICON", type=click.Path(file_okay=False),
                     help=USER_LEXICON_HELP)(f)
    f = click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")(f)
    return f


class _Named(click.ParamType):
    """A content type or product category given as its code or as a name for it in the bundled
    category names (化妆品 → cosmetics, 直播 → live_script; screening/batch/vocabulary.py)."""

    def __init__(self, field_name: str, codes: tuple[str, ...]) -> None:
        self.name = field_name
        self.codes = codes

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(self.codes) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from .batch.vocabulary import bundled_vocabulary

        code = bundled_vocabulary().code(self.name, value)
        if code is None:
            self.fail(f"{value!r} is not a known {self.name}: use one of {', '.join(self.codes)} "
                      f"or a Chinese name for one (e.g. 化妆品, 直播)", param, ctx)
        return code


# The errors a command reports in one line (exit 2) rather than as a traceback: writing output
# (a full disk, a closed pipe), reading input. SCREENING_TRACEBACK=1 shows the traceback of an
# unexpected error instead, for a bug report.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class _Commands(click.Group):
    """The command group: no command ends in a traceback. An ``OSError`` is one line naming the
    file (or standard output) and exits 2; Ctrl-C exits 130 as ``scan`` does; any other unexpected
    error is one line and exits 2, never 1, which ``check`` uses for "violation found"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(130)
        except OSError as e:
            if e.filename:
                raise UsageFailure(f"{e.filename}: {e.strerror or e}") from None
            if e.errno in _OUTPUT_ERRNOS:
                _quiet_stdout()
                raise UsageFailure(f"cannot write the output: {e.strerror or e}") from None
            raise UsageFailure(str(e)) from None
        except Exception as e:
            if os.environ.get("SCREENING_TRACEBACK"):
                raise
            raise UsageFailure(f"internal error: {type(e).__name__}: {visible(str(e))} "
                               "(SCREENING_TRACEBACK=1 shows where)") from None


@click.group(cls=_Commands, context_settings=CONTEXT,
             epilog="Exit codes: 0 below --fail-on, 1 at or above it, 2 usage, input or output error, "
                    "130 interrupted.")
@click.version_option(__version__, prog_name="screening")
def cli() -> None:
    """Screen Chinese e-commerce copy for advertising-law risk."""


class ScreeningResultView:
    """The attributes `_render_text` reads, over a contract result dict (for stored results)."""

    def __init__(self, result: dict[str, Any], findings: list[dict[str, Any]]) -> None:
        from types import SimpleNamespace

        self.decision, self.severity, self.risk = result["decision"], result["severity"], result["risk"]
        self.route = SimpleNamespace(**result["route"]) if result.get("route") else None
        self.findings = [SimpleNamespace(**{"suggestion": None, **f}) for f in findings]
        self.versions = result.get("versions", {})


# A multi-line text longer than this is shown by the lines holding findings only (a 90-minute
# live script printed whole would bury them).
_FULL_TEXT_LINES = 20
# A line longer than this is clipped to the finding and this many characters either side.
_LINE_WIDTH, _LINE_CONTEXT = 100, 30


def _mark_spans(text: str, spans: list[tuple[int, int]], color: bool, lo: int = 0, hi: int | None = None) -> str:
    """``text[lo:hi]`` with the spans (offsets into ``text``) marked: red on a terminal, else 【】."""
    hi = len(text) if hi is None else hi
    marked, pos = [], lo
    for start, end in sorted(spans):
        start, end = max(start, lo), min(end, hi)
        if start < pos or start >= end:
            continue
        marked.append(visible(text[pos:start]))
        span = visible(text[start:end])
        marked.append(click.style(span, fg="red", bold=True) if color else f"【{span}】")
        pos = end
    marked.append(visible(text[pos:hi]))
    return "".join(marked)


def _finding_lines(ix: Any, start: int, end: int, color: bool) -> list[str]:
    """The original line(s) of a finding, numbered, the finding marked (at most three lines)."""
    first, last = ix.line_of(start), ix.line_of(max(start, end - 1))
    width = len(str(ix.lines))
    out = []
    for n in range(first, min(last, first + 2) + 1):
        a, b = ix.line_span(n)
        s, e = max(a, start), min(b, end)
        lo, hi = a, b
        if b - a > _LINE_WIDTH:
            lo, hi = max(a, min(s, b) - _LINE_CONTEXT), min(b, max(e, s) + _LINE_CONTEXT)
        body = _mark_spans(ix.text, [(s, e)], color, lo, hi)
        out.append(f"      {n:>{width}} | {'…' if lo > a else ''}{body}{'…' if hi < b else ''}")
    if last > first + 2:
        out.append(f"      {'':>{width}} | …")
    return out


def _render_text(text: str, r: Any, color: bool) -> str:
    """A result for a person: the decision, the text with its findings marked, then each finding.

    Merchant text (and every string of the result) is printed through :func:`visible`: control
    and escape sequences are shown as escapes, never sent to the terminal. A multi-line text (a live script) gives each finding's ``line:column`` (1-based, characters,
    CRLF one break) and the line itself with the finding marked; longer than ``_FULL_TEXT_LINES``
    lines, the text is not printed whole.
    """
    from .lines import LineIndex, has_line_break

    out = []
    head = f"{r.decision.upper()}  severity={r.severity}  risk={r.risk:.2f}"
    if r.route:
        head += visible(f"  → {r.route.role} due {r.route.due_at}")
    out.append(click.style(head, bold=True) if color else head)
    ix = LineIndex(text) if has_line_break(text) else None
    if ix is None or ix.lines <= _FULL_TEXT_LINES:
        out.append(_mark_spans(text, [(f.start, f.end) for f in r.findings], color))
    else:
        out.append(f"（共 {ix.lines} 行，只列出有问题的行）")
    for f in r.findings:
        placed = ix is not None and isinstance(f.start, int) and isinstance(f.end, int) \
            and 0 <= f.start <= f.end <= len(text)
        where = "{}:{} ".format(*ix.locate(f.start)) if placed else ""
        line = (
            f"  {where}[{f.start}:{f.end}] {f.text}  {CATEGORY_ZH.get(f.category, '')} {f.category}  {f.severity}  "
            f"{f.term_id}  {f.basis}"
        )
        if f.suggestion:
            line += f"  → 建议：{f.suggestion}"
        elif getattr(f, "suggestion_reason", None):
            line += f"  → {f.suggestion_reason}"
        out.append(visible(line))
        if placed:
            out.extend(_finding_lines(ix, f.start, f.end, color))
        out.append(visible(f"      {f.explanation}"))
    out.append(visible(f"  versions: {' · '.join(f'{k} {v}' for k, v in r.versions.items())}"))
    return "\n".join(out)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_text_file(path: str) -> str:
    """A UTF-8 (or UTF-8 with BOM) file's text with its line breaks as written: CRLF is not turned
    into LF, so a finding's ``start``/``end`` are offsets into the file's own text."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return fh.read()
    except UnicodeDecodeError as e:
        raise UsageFailure(f"{path}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise UsageFailure(f"{path}: {e.strerror}") from None


def _read_stdin() -> str:
    """Standard input's text with its line breaks as sent (see :func:`_read_text_file`)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    data = buffer.read()
    try:
        text = data.decode(sys.stdin.encoding or "utf-8")
    except UnicodeDecodeError as e:
        raise UsageFailure(f"standard input: not valid {sys.stdin.encoding} ({e.reason} at byte {e.start})") from None
    return text.removeprefix("\ufeff")


def _no_text_help() -> str:
    """What ``check`` says when it was given no text: the three ways to give it."""
    cmd = click.get_current_context().command_path
    return (
        "no text to check. Give it in one of three ways:\n"
        f'  as an argument (quoted):  {cmd} "全网第一的面霜"\n'
        f"  from a UTF-8 file:        {cmd} --file script.txt\n"
        f"  piped on standard input:  cat script.txt | {cmd} -"
    )


@cli.command(context_settings=CONTEXT)
@click.argument("text", required=False)
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Read the text from a UTF-8 file (its line breaks kept, so offsets are into the file's text).")
@click.option("--content-type", type=_Named("content_type", CONTENT_TYPES), default="listing", show_default=True)
@click.option("--product-category", type=_Named("product_category", PRODUCT_CATEGORIES), default="general",
              show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["review", "block"]), default="review", show_default=True)
@click.option("--explain", is_flag=True, help="Also show suppressed hits and why.")
@lexicon_options
def check(
    text: str | None,
    file_: Any,
    content_type: str,
    product_category: str,
    fmt: str,
    fail_on: str,
    explain: bool,
    lexicons: str | None,
    user_lexicon: str | None,
    policy: str | None,
    model: str | None,
    no_model: bool,
) -> None:
    """Check one text before it is published.

    \b
    Example:
        python cli.py check "全网第一的面霜，最佳选择" --product-category cosmetics
        python cli.py check --file script.txt --content-type live_script
        echo "最好冷藏" | python cli.py check -
    """
    if file_ is not None and file_ != "-":
        text = _read_text_file(file_)
    elif file_ == "-" or text is None or text == "-":
        if sys.stdin is None or (text is None and file_ is None and _stdin_is_terminal()):
            raise click.UsageError(_no_text_help())
        implicit = text is None and file_ is None
        text = _read_stdin()
        if implicit and not text:
            # Nothing given and nothing piped: say how to give the text, not just "empty".
            raise click.UsageError(_no_text_help())
    screener = _screener(lexicons, policy, user_lexicon, _model_arg(model, no_model))
    try:
        r = screener.screen(text, content_type=content_type, product_category=product_category)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    if fmt == "json":
        # line/column of each finding (1-based, characters, CRLF one break) next to start/end.
        _echo(json_visible(dumps(r.to_dict(explain=explain, texts=text))))
    else:
        _echo(_render_text(text, r, color=sys.stdout.isatty()))
        if explain:
            from .lines import LineIndex, has_line_break

            ix = LineIndex(text) if has_line_break(text) else None
            for s in r.suppressed:
                where = "{}:{} ".format(*ix.locate(s.start)) if ix is not None else ""
                _echo(visible(f"  suppressed {where}[{s.start}:{s.end}] {s.text}  {s.term_id}  {s.rule}: {s.reason}"))
    with _writing("-"):
        sys.stdout.flush()  # a full disk is an error (2) before the decision's exit code
    if DECISIONS.index(r.decision) >= DECISIONS.index(fail_on):
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@click.argument("input_", metavar="INPUT", type=click.Path(allow_dash=True))
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-", show_default=True,
              help="Output file: .jsonl, .csv, .xlsx, .parquet or .html (a report); - for JSONL on stdout.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx", "parquet", "html"]),
              help="Output format (default: from the output's extension).")
@click.option("--input-format", type=click.Choice(["jsonl", "csv", "tsv", "xlsx", "parquet"]),
              help="Input format (default: from the extension; stdin: jsonl).")
@click.option("--encoding", help="Input encoding (default: detect UTF-8, UTF-8 with BOM or GB18030).")
@click.option("--text-field", "text_fields", multiple=True, default=("text",), show_default=True,
              help="Column(s) to screen; repeat for several (标题 + 详情), findings name their field.")
@click.option("--id-field", default="id", show_default=True)
@click.option("--content-type-field", default="content_type", show_default=True)
@click.option("--product-category-field", default="product_category", show_default=True)
@click.option("--merchant-field", default="merchant_id", show_default=True)
@click.option("--content-type", type=_Named("content_type", CONTENT_TYPES), default="listing", show_default=True,
              help="Content type of records that do not carry one, or carry a name not in the category names.")
@click.option("--product-category", type=_Named("product_category", PRODUCT_CATEGORIES), default="general",
              show_default=True, help="Product category of records that do not carry one.")
@click.option("--category-map", type=click.Path(exists=True, dir_okay=False),
              help="TOML file of more category/content type names (format of screening/data/category_names.toml); "
                   "its names add to the bundled ones and win over them.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan into the same output.")
@click.option("--explain", is_flag=True, help="Add the suppressed hits to each result.")
@click.option("--report-limit", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Flagged records listed in an HTML report (highest risk first).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--summary-json", type=click.Path(dir_okay=False), help="Also write the summary as JSON.")
@click.option("--queue", "queue_db", type=click.Path(dir_okay=False),
              help="Also put every review/block result into this review database (SQLite).")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="local: worker processes on this machine; spark: Apache Spark (Parquet in and out, "
                   "needs screening[spark] and Java 17).")
@click.option("--master", help="Spark master for --engine spark (default: local[*]).")
@lexicon_options
def scan(
    input_: str,
    output: str,
    fmt: str | None,
    input_format: str | None,
    encoding: str | None,
    text_fields: tuple[str, ...],
    id_field: str,
    content_type_field: str,
    product_category_field: str,
    merchant_field: str,
    content_type: str,
    product_category: str,
    category_map: str | None,
    workers: int | None,
    resume: bool,
    explain: bool,
    report_limit: int,
    progress: bool | None,
    summary_json: str | None,
    queue_db: str | None,
    engine: str,
    master: str | None,
    lexicons: str | None,
    user_lexicon: str | None,
    policy: str | None,
    model: str | None,
    no_model: bool,
) -> None:
    """Scan a catalogue export: one result per input record, in order, errors included.

    \b
    Examples:
        python cli.py scan examples/listings.jsonl -o results.jsonl
        python cli.py scan examples/listings.csv -o report.html
        python cli.py scan export.xlsx -o results.xlsx --id-field 商品ID --text-field 标题 --text-field 详情
        python cli.py scan big.jsonl -o out.jsonl --workers 4 --resume
        python cli.py scan catalogue.parquet -o results.parquet --engine spark --master "local[*]"

    \b
    Category and content type columns may hold names (化妆品, 保健品, Cosmetics, 直播 …): they are
    mapped to the contract's codes; a name not known screens as general (or the --content-type
    default), says so in the result's notes and is counted in the summary.
    """
    if engine == "spark":
        _check_spark_options(input_, output, fmt, input_format, workers, resume, queue_db)
    elif master is not None:
        raise click.UsageError("--master needs --engine spark")
    # Before anything is read or written: never the input, a link or a device as the output.
    from .batch.scan import check_output_path

    try:
        check_output_path(input_, output)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    fields = FieldMap(
        text_fields=tuple(text_fields),
        id_field=id_field,
        content_type_field=content_type_field,
        product_category_field=product_category_field,
        merchant_field=merchant_field,
        content_type=content_type,
        product_category=product_category,
        names=_category_names(category_map),
    )
    # Before the screener loads: a wrong mapping is one message now, not an error per record later.
    _check_scan_columns(input_, input_format, fields, encoding)
    model_arg = _model_arg(model, no_model)
    screener = _screener(lexicons, policy, user_lexicon, model_arg)
    if engine == "spark":
        try:
            from .integrations.spark import scan_parquet

            summary = scan_parquet(input_, output, fields=fields, master=master, lexicons=lexicons,
                                   user_lexicon=user_lexicon, policy=policy, model=model_arg, screener=screener,
                                   progress=sys.stderr.isatty() if progress is None else progress)
        except (ScreeningError, OSError, ImportError) as e:
            raise UsageFailure(str(e)) from None
        summary.category_names = fields.vocabulary.version
        click.echo(summary.text(), err=True)
        click.echo(f"wrote {summary.records:,} results to {output}", err=True)
        if summary_json:
            Path(summary_json).write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2),
                                          encoding="utf-8")
        return
    intake = None
    if queue_db:
        from .review.queue import ReviewQueue
        from .review.store import SQLiteStore

        # Taken in the order of the output, after it, with how far it got: a resume opens
        # exactly the tasks an uninterrupted scan opens (screening.review.queue.ScanIntake).
        intake = ReviewQueue(SQLiteStore(queue_db), screener.policy).scan_intake(output, resume=resume)
    try:
        summary = scan_file(
            screener,
            input_,
            output,
            input_format=input_format,
            output_fmt=fmt,
            encoding=encoding,
            fields=fields,
            workers=workers or default_workers(),
            resume=resume,
            explain=explain,
            progress=progress,
            factory=_Factory(lexicons, policy, user_lexicon, model_arg),
            report_limit=report_limit,
            queue=intake,
        )
    except KeyboardInterrupt:
        # The results written so far are kept (and taken by the queue): say how to go on.
        _interrupted(output)
    except (ScreeningError, OSError, ImportError) as e:
        raise UsageFailure(str(e)) from None
    click.echo(summary.text(), err=True)
    click.echo(f"wrote {summary.records:,} results to {'standard output' if output == '-' else output}", err=True)
    if intake is not None:
        click.echo(f"review tasks opened: {intake.opened:,} in {queue_db} (queue list --db {queue_db})", err=True)
    if summary_json:
        Path(summary_json).write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")


def _category_names(category_map: str | None) -> Any:
    """The category names for ``scan``: the bundled ones, extended by ``--category-map``."""
    from .batch.vocabulary import load_vocabulary

    try:
        return load_vocabulary(category_map)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None


def _check_scan_columns(input_: str, input_format: str | None, fields: FieldMap, encoding: str | None) -> None:
    """Exit 2 when the input lacks the id or a text column: the columns it has and a command to try."""
    from .batch.readers import detect_format
    from .batch.scan import MissingColumns, check_columns

    if input_ != "-" and not Path(input_).exists():
        return  # reported by the scan itself, as before (after the engine's own checks)
    try:
        check_columns(input_, input_format or ("jsonl" if input_ == "-" else detect_format(input_)), fields, encoding)
    except MissingColumns as e:
        message = str(e)
        if e.suggested:
            fixed = ["--id-field", "--text-field", "--content-type-field", "--product-category-field"]
            message = message.rsplit("\nTry: ", 1)[0] + "\nTry:\n  " + _scan_command(
                drop={o.lstrip("-").replace("-", "_") for o in fixed} | {"text_fields"},
                add=[w for pair in e.suggested for w in pair])
        raise UsageFailure(message) from None
    except (ScreeningError, ValueError, OSError, ImportError) as e:
        raise UsageFailure(str(e)) from None


def _scan_command(drop: set[str] = frozenset(), add: list[str] = ()) -> str:  # type: ignore[assignment]
    """The running command as the user gave it (options left at their defaults or taken from the
    environment left out), without the options named in ``drop`` and with the words ``add``:
    a line to copy."""
    import re
    import shlex

    from click.core import ParameterSource

    ctx = click.get_current_context()
    words = [ctx.command_path]
    for param in ctx.command.params:
        name = param.name or ""
        value = ctx.params.get(name)
        if isinstance(param, click.Argument):
            words.append(str(value))
            continue
        if name in drop or ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, ParameterSource.ENVIRONMENT):
            continue
        opt = max(param.opts, key=len)  # the long form reads best in a line to copy
        if isinstance(param, click.Option) and param.is_flag:
            if value:
                words.append(opt)
            elif param.secondary_opts:
                words.append(max(param.secondary_opts, key=len))
        elif isinstance(param, click.Option) and param.multiple:
            for v in value or ():
                words += [opt, str(v)]
        elif value is not None:
            words += [opt, str(value)]
    words += add
    # Quoted only where a shell needs it: Chinese column names stay readable.
    plain = re.compile(r"[^\s'\"\\$`!*?&;|<>(){}\[\]#~]+")
    return " ".join([words[0], *(w if plain.fullmatch(w) else shlex.quote(w) for w in words[1:])])


def _interrupted(output: str) -> None:
    """Ctrl-C: no traceback; how to continue where the scan stopped; exit 130 (killed by SIGINT)."""
    if output == "-":
        click.echo("\ninterrupted: the results went to standard output and cannot be resumed; "
                   "scan again with -o FILE to be able to resume", err=True)
    else:
        ctx = click.get_current_context()
        again = _scan_command(add=[] if ctx.params.get("resume") else ["--resume"])
        click.echo(f"\ninterrupted: the results so far are kept with {output}; to continue where it stopped:\n"
                   f"  {again}", err=True)
    sys.exit(130)


def _check_spark_options(input_: str, output: str, fmt: str | None, input_format: str | None, workers: int | None,
                         resume: bool, queue_db: str | None) -> None:
    """--engine spark reads and writes Parquet files and has no resume or review queue."""
    if (input_format or ("jsonl" if input_ == "-" else Path(input_).suffix.lower().lstrip("."))) != "parquet":
        raise click.UsageError("--engine spark reads Parquet: INPUT must be a .parquet file "
                               "(or --input-format parquet)")
    if (fmt or ("jsonl" if output == "-" else Path(output).suffix.lower().lstrip("."))) != "parquet":
        raise click.UsageError("--engine spark writes Parquet: give -o OUTPUT.parquet")
    for given, option in ((workers is not None, "--workers (use --master local[N])"), (resume, "--resume"),
                          (queue_db is not None, "--queue")):
        if given:
            raise click.UsageError(f"--engine spark does not take {option}")


@cli.command(name="train", context_settings=CONTEXT)
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False),
              help="Labeled JSONL (text, label violation/ok/unclear, content_type, product_category) the "
                   "cross-validated figures are about; repeatable.")
@click.option("--extra", "extra", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="More labeled JSONL (the project's own writing): in every fold's training set, never scored; "
                   "repeatable.")
@click.option("--extra-weight", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Sample weight of the --extra rows (default: screening.evaluation.train.EXTRA_WEIGHT).")
@click.option("--out", type=click.Path(file_okay=False), default="models", show_default=True,
              help="Directory for risk_clf.npz and risk_clf.card.json.")
@click.option("--version", "version", default=None, help="Model version (default: today's date).")
@click.option("--description", default="", help="What the training data is, for the model card.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
@click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")
def train_cmd(data: tuple[str, ...], extra: tuple[str, ...], extra_weight: float | None, out: str,
              version: str | None, description: str, folds: int, lexicons: str | None) -> None:
    """Train the residual-risk classifier and write it with its model card.

    The card's figures are cross-validated over the whole pipeline with grouped folds of the
    --data rows; nothing is measured on rows the model was fitted to.

    \b
    Example (the shipped model; tests/corpus/ is for measuring and is never trained on):
        python cli.py train --data ../shared/data/labeled.jsonl --extra models/training/extra.jsonl \\
            --extra models/training/voice.jsonl --out models --version YYYY.MM.N
    """
    from datetime import date

    from .evaluation.train import EXTRA_WEIGHT, train

    try:
        base = Screener.from_paths(lexicons, model=None)
        card = train(list(data), out, version=version or date.today().strftime("%Y.%m.%d"), extra_paths=list(extra),
                     extra_weight=EXTRA_WEIGHT if extra_weight is None else extra_weight,
                     description=description, folds=folds, screener=base, progress=_train_progress())
    except (ScreeningError, ValueError, ImportError) as e:
        raise UsageFailure(str(e)) from None
    except OSError as e:  # reading the data names its file; writing the model (a full disk) may not
        raise UsageFailure(f"{e.filename or out}: {e.strerror or e}") from None
    m = card["cross_validated"]["metrics"]
    _echo(f"wrote {out}/risk_clf.npz ({card['n_examples']} examples, {card['n_violation']} violations)")
    _echo(f"{folds}-fold grouped cross-validated on --data, whole pipeline: " + " ".join(
        f"{k}={v}" for k, v in m.items() if k in ("recall", "fpr", "precision", "block_prec", "auc", "span_recall")))


def _train_progress() -> Any:
    """A progress callback for training: each step on stderr, with the time since the start."""
    import time

    t0 = time.monotonic()

    def report(message: str) -> None:
        click.echo(f"[{time.monotonic() - t0:6.1f}s] {message}", err=True)

    return report


def _extra_training(given: tuple[str, ...]) -> tuple[float, list[str]]:
    """The extra training files and their weight: those given, else the shipped model's own
    (its card's role=extra files), where they exist from here, so that ``eval --cv`` repeats
    the recipe of the model it ships."""
    from .evaluation.train import EXTRA_WEIGHT
    from .model.classifier import CARD_FILE, default_model_dir

    if given:
        return EXTRA_WEIGHT, list(given)
    try:
        card = json.loads((default_model_dir() / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return EXTRA_WEIGHT, []
    files = [d for d in card.get("training_data", []) if d.get("role") == "extra"]
    weight = float(files[0].get("weight", EXTRA_WEIGHT)) if files else EXTRA_WEIGHT
    return weight, [d["path"] for d in files if Path(d["path"]).is_file()]


@cli.command(name="eval", context_settings=CONTEXT)
@click.argument("labeled", type=click.Path(exists=True, dir_okay=False))
@click.option("--cv", "cv", type=click.IntRange(min=2), default=None,
              help="Cross-validate: train the model on K-1 folds of LABELED and screen the held-out fold.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--predictions", type=click.Path(dir_okay=False), help="Also write the results as JSONL.")
@click.option("--errors", is_flag=True,
              help="Also list the false positives and misses grouped by term, rule, detector, decision path and field.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the error analysis to a file: .html (a report with the texts), .json or .jsonl; "
                   "implies --errors.")
@click.option("--extra", "extra", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="With --cv: more labeled JSONL in every fold's training set, never scored (default: the "
                   "shipped model's role=extra training files that exist here).")
@click.option("--derive-policy", type=click.Path(dir_okay=False),
              help="With --cv: write a policy file whose thresholds are derived from the cross-validated "
                   "predictions (the most recall within --max-fpr; blocks right at least --block-precision).")
@click.option("--max-fpr", type=click.FloatRange(0, 1), default=0.045, show_default=True,
              help="False-positive rate the review threshold may reach (0.045 leaves a margin for the 0.05 goal).")
@click.option("--block-precision", type=click.FloatRange(0, 1), default=0.98, show_default=True,
              help="Precision blocks must reach on the predictions (0.98 leaves a margin for the 0.97 goal).")
@lexicon_options
def eval_cmd(labeled: str, cv: int | None, as_json: bool, predictions: str | None, errors: bool, output: str | None,
             extra: tuple[str, ...], derive_policy: str | None, max_fpr: float, block_precision: float,
             lexicons: str | None, user_lexicon: str | None, policy: str | None, model: str | None,
             no_model: bool) -> None:
    """Recall, false-positive rate, precision, AUC and span recall on labeled JSONL.

    The definitions are those of ../shared/eval/score.py, plus a table per category.

    \b
    Examples:
        python cli.py eval ../shared/data/labeled.jsonl
        python cli.py eval ../shared/data/labeled.jsonl --cv 5
        python cli.py eval ../shared/data/labeled.jsonl --no-model
        python cli.py eval ../shared/data/labeled.jsonl --errors -o errors.html
        python cli.py eval ../shared/data/labeled.jsonl --cv 5 --derive-policy policy.toml
    """
    from .evaluation.evaluate import format_report, score
    from .evaluation.train import cross_validated_results, load_examples

    errors = errors or bool(output)
    out_kind = Path(output).suffix.lower() if output else None
    if out_kind not in (None, ".html", ".htm", ".json", ".jsonl"):
        raise click.BadParameter(f"{output}: give a .html, .json or .jsonl file", param_hint="-o/--output")
    if derive_policy and not cv:
        raise click.BadParameter("thresholds are derived from cross-validated predictions: give --cv K",
                                 param_hint="--derive-policy")
    try:
        examples, _ = load_examples([labeled])
        if cv:
            base = _screener(lexicons, policy, user_lexicon, None)
            weight, extra_paths = _extra_training(extra)
            extra_rows, _ = load_examples(extra_paths, weight=weight)
            click.echo(f"{cv}-fold grouped cross-validation; extra training rows: {len(extra_rows)} from "
                       f"{', '.join(map(str, extra_paths)) or 'none'} (weight {weight})", err=True)
            results = cross_validated_results(base, examples, extra=extra_rows, folds=cv)
            if errors:
                # The suppressed hits come from the lexicon pass, which no model changes:
                # the lexicon-only screener's are those of each fold's screener.
                by_id = {e.id: e for e in examples}
                for r in results:
                    e = by_id[r["id"]]
                    r["suppressed"] = [x.to_dict() for x in base.screen(
                        e.text, content_type=e.content_type, product_category=e.product_category).suppressed]
            decider = base
        else:
            decider = _screener(lexicons, policy, user_lexicon, _model_arg(model, no_model))
            results = [decider.screen(e.text, content_type=e.content_type, product_category=e.product_category,
                                      id=e.id).to_dict(explain=errors) for e in examples]
    except (ValueError, ImportError) as e:
        raise UsageFailure(str(e)) from None
    gold = [{**e.row, "id": e.id, "label": "violation" if e.y else "ok"} for e in examples]
    m = score(gold, results)
    if derive_policy:
        from .evaluation.thresholds import derive, held_out, write_policy
        from .evaluation.train import groups

        try:
            d = derive(gold, results, block_categories=base.policy.block_categories, max_fpr=max_fpr,
                       block_precision=block_precision)
            h = held_out(gold, results, groups(examples).tolist(), block_categories=base.policy.block_categories,
                         folds=cv, max_fpr=max_fpr, block_precision=block_precision)
        except ValueError as e:
            raise UsageFailure(str(e)) from None
        source = policy or resources.files("screening").joinpath("data/policy.toml")
        write_policy(str(source), derive_policy, d, data=labeled, held=h, method=f"{cv}-fold grouped "
                     f"cross-validation, whole pipeline; max_fpr {max_fpr}, block_precision {block_precision}")
        click.echo(f"wrote {derive_policy}: review_risk={d.review_risk} finding_review_risk={d.finding_review_risk} "
                   f"high_review_risk={d.high_review_risk} block_risk={d.block_risk} → recall={d.recall:.3f} "
                   f"fpr={d.fpr:.3f} block_precision={d.block_precision:.3f} ({d.blocks} blocks)", err=True)
        click.echo("with the thresholds cross-validated too (each fold decided by thresholds from the others): "
                   + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in h.items()), err=True)
    if predictions:
        with _writing(predictions), open(predictions, "w", encoding="utf-8") as f:
            for r in results:
                f.write(dumps(r) + "\n")
    analysis = None
    if errors:
        from .evaluation.error_analysis import analyse, format_text, render_html, to_jsonl

        analysis = analyse(gold, results, finding_review_risk=decider.policy.finding_review_risk,
                           high_review_risk=decider.policy.high_review_risk)
        if output:
            if out_kind == ".jsonl":
                text = to_jsonl(analysis)
            elif out_kind == ".json":
                text = json.dumps({"metrics": m, "error_analysis": analysis.to_dict()}, ensure_ascii=False, indent=2)
            else:
                text = render_html(analysis, title=f"误报与漏报分析 · {Path(labeled).name}", metrics=m)
            with _writing(output):
                Path(output).write_text(text, encoding="utf-8")
    if as_json:
        out = {**m, "error_analysis": analysis.to_dict()} if analysis else m
        _echo_json(out)
    else:
        # The error analysis quotes the labeled texts: shown, never obeyed, by a terminal.
        _echo(visible(format_report(m)))
        if analysis:
            _echo("")
            _echo(visible(format_text(analysis)))
    if output:
        click.echo(f"wrote {output}", err=True)


@cli.command(name="robustness", context_settings=CONTEXT)
@click.argument("labeled", type=click.Path(exists=True, dir_okay=False))
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the rewrites (deterministic).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the variants as JSONL.")
@click.option("--carriers-from-labeled", is_flag=True,
              help="Embed claims in LABELED's ok rows of the same content type instead of the packaged carriers.")
@click.option("--cv", "cv", type=click.IntRange(min=2), default=None,
              help="Screen each row and its rewrites with a model trained without the row's group (K grouped "
                   "folds of LABELED, plus the shipped model's extra training files), not the shipped model.")
@lexicon_options
def robustness_cmd(labeled: str, seed: int, as_json: bool, output: str | None, carriers_from_labeled: bool,
                   cv: int | None, lexicons: str | None, user_lexicon: str | None, policy: str | None,
                   model: str | None, no_model: bool) -> None:
    """Recall on evasion rewrites of LABELED's violations, per kind of rewrite.

    Spaces, symbols, emoji and line breaks inside the banned word, full width, traditional
    characters, pinyin or an initial for one character, homophones, digits; and the claim embedded
    in lawful copy. A rewrite that cannot apply to a row is counted as not applicable.

    \b
    Examples:
        python cli.py robustness ../shared/data/labeled.jsonl
        python cli.py robustness ../shared/data/labeled.jsonl --no-model --json -o variants.jsonl
        python cli.py robustness ../shared/data/labeled.jsonl --cv 5
    """
    from .evaluation.robustness import dump_variants, evaluate, format_report

    rows = []
    with open(labeled, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise UsageFailure(f"{labeled}:{n}: not valid JSON: {e.msg}") from None
    pool = None
    if carriers_from_labeled:
        pool = {}
        for r in rows:
            if r.get("label") == "ok" and r.get("text"):
                pool.setdefault(r.get("content_type") or "listing", []).append(r["text"])
    screener_for = None
    if cv:
        from .evaluation.train import fold_screeners, load_examples

        try:
            s = _screener(lexicons, policy, user_lexicon, None)
            examples, _ = load_examples([labeled])
            weight, extra_paths = _extra_training(())
            extra_rows, _ = load_examples(extra_paths, weight=weight)
            folds = fold_screeners(s, examples, extra=extra_rows, folds=cv)
        except (ValueError, ImportError) as e:
            raise UsageFailure(str(e)) from None
        fold_of = {examples[i].id: fold for fold, idx in folds for i in idx}
        screener_for = fold_of.__getitem__
    else:
        s = _screener(lexicons, policy, user_lexicon, _model_arg(model, no_model))
    report, found, results = evaluate(s, rows, seed=seed, carrier_texts=pool, screener_for=screener_for)
    if output:
        dump_variants(output, found, results)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))


db_option = click.option("--db", envvar="SCREENING_REVIEW_DB", default="review.db", show_default=True,
                         type=click.Path(dir_okay=False), help="Review database (env SCREENING_REVIEW_DB).")


def _queue(db: str) -> Any:
    from .review.queue import ReviewQueue
    from .review.store import SQLiteStore

    return ReviewQueue(SQLiteStore(db))


def _echo_json(obj: Any) -> None:
    """JSON on standard output; characters a terminal would obey are ``\\uXXXX`` escapes (the
    same values once decoded)."""
    _echo(json_visible(json.dumps(obj, ensure_ascii=False, indent=2, default=str)))


@cli.group(context_settings=CONTEXT)
def queue() -> None:
    """The human review queue: list, claim, show, decide, escalate, stats, export.

    \b
    Workflow:
        python cli.py scan listings.jsonl -o out.jsonl --queue review.db
        python cli.py queue list --role merchant_compliance --overdue
        python cli.py queue claim --role merchant_compliance --reviewer 张三
        python cli.py queue show 12
        python cli.py queue decide 12 --verdict confirmed --reviewer 张三 --note 绝对化用语
        python cli.py queue escalate 13 --to legal --reviewer 张三
        python cli.py queue stats --format html -o kpi.html
        python cli.py queue export --since 2026-11-01 -o decided.jsonl
    """


@queue.command(name="list", context_settings=CONTEXT)
@click.option("--role", type=click.Choice(["merchant_compliance", "content_review", "risk_control", "legal"]))
@click.option("--overdue", is_flag=True, help="Only tasks past their due time.")
@click.option("--merchant", help="Only this merchant's tasks.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
def queue_list(role: str | None, overdue: bool, merchant: str | None, limit: int, as_json: bool, db: str) -> None:
    """Open tasks, soonest due first; overdue ones are marked."""
    tasks = _queue(db).list(role=role, overdue=overdue, merchant=merchant, limit=limit)
    if as_json:
        _echo_json(tasks)
        return
    for t in tasks:
        mark = "OVERDUE " if t["overdue"] else ""
        _echo(visible(f"{t['id']:>6}  {mark}{t['status']:8s} {t['role']:20s} due {t['due_at']}  {t['decision']:6s} "
                      f"risk={t['risk']:.2f}  record={t['record_id']}  merchant={t['merchant_id'] or '-'}  "
                      f"reviewer={t['reviewer'] or '-'}"))
    click.echo(f"{len(tasks)} task(s)", err=True)


@queue.command(name="claim", context_settings=CONTEXT)
@click.option("--role", required=True, type=click.Choice(["merchant_compliance", "content_review", "risk_control", "legal"]))
@click.option("--reviewer", required=True)
@db_option
def queue_claim(role: str, reviewer: str, db: str) -> None:
    """Take the task due soonest for a role (atomic: never the same task twice)."""
    task = _queue(db).claim(role, reviewer)
    if task is None:
        click.echo(f"no pending task for {role}", err=True)
        sys.exit(1)
    _show_task(task)


def _show_task(t: dict[str, Any]) -> None:
    """A task for its reviewer; the merchant's text (and ids, notes) shown through :func:`visible`."""
    _echo(visible(f"task {t['id']}  {t['status']}  {t['role']}  due {t['due_at']}{'  OVERDUE' if t['overdue'] else ''}"
                  f"  revisions {t['revisions']}  record {t['record_id']}  merchant {t['merchant_id'] or '-'}"))
    result = t["result"]
    for field, text in t["texts"].items():
        findings = [f for f in result["findings"] if f.get("field") in (None, field)]
        view = ScreeningResultView(result, findings)
        if len(t["texts"]) > 1:
            _echo(visible(f"[{field}]"))
        _echo(_render_text(text if isinstance(text, str) else "", view, color=sys.stdout.isatty()))
    if t.get("decision_record"):
        d = t["decision_record"]
        _echo(visible(f"decided: {d['verdict']} by {d['reviewer']}" + (f" ({d['note']})" if d["note"] else "")))


@queue.command(name="show", context_settings=CONTEXT)
@click.argument("task_id", type=int)
@db_option
def queue_show(task_id: int, db: str) -> None:
    """The task's text with its findings highlighted."""
    try:
        _show_task(_queue(db).show(task_id))
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None


@queue.command(name="decide", context_settings=CONTEXT)
@click.argument("task_id", type=int)
@click.option("--verdict", required=True, type=click.Choice(["confirmed", "false_positive", "needs_change", "escalate"]))
@click.option("--reviewer", required=True)
@click.option("--note")
@click.option("--category", "categories", multiple=True, help="Confirmed categories (default: the findings').")
@click.option("--to", "to", type=click.Choice(["risk_control", "legal"]), default="risk_control", show_default=True,
              help="With --verdict escalate: the role to send it to.")
@click.option("--propose-allow", is_flag=True,
              help="With false_positive: propose the shortest phrase around each false hit for the allow-list.")
@click.option("--allow-phrase", help="With false_positive: propose this phrase instead (it must hold a finding).")
@db_option
def queue_decide(task_id: int, verdict: str, reviewer: str, note: str | None, categories: tuple[str, ...], to: str,
                 propose_allow: bool, allow_phrase: str | None, db: str) -> None:
    """Record a verdict: confirmed, false_positive, needs_change (or escalate)."""
    q = _queue(db)
    try:
        if verdict == "escalate":
            t = q.escalate(task_id, to, reviewer, note=note)
        else:
            t = q.decide(task_id, verdict, reviewer, note=note, categories=list(categories) or None,
                         propose_allow=propose_allow, allow_phrase=allow_phrase)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    click.echo(f"task {task_id}: {t['status']} ({verdict})")


@queue.command(name="escalate", context_settings=CONTEXT)
@click.argument("task_id", type=int)
@click.option("--to", "to", required=True, type=click.Choice(["risk_control", "legal"]))
@click.option("--reviewer", required=True)
@click.option("--note")
@db_option
def queue_escalate(task_id: int, to: str, reviewer: str, note: str | None, db: str) -> None:
    """Send a task to risk control (合规风控专员) or legal (法务)."""
    try:
        t = _queue(db).escalate(task_id, to, reviewer, note=note)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    click.echo(f"task {task_id}: pending for {t['role']}")


def _since(value: str | None) -> Any:
    if not value:
        return None
    from datetime import datetime, timezone

    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (2026-11-01 or 2026-11-01T08:00+08:00)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@queue.command(name="stats", context_settings=CONTEXT)
@click.option("--since", help="ISO date or time.")
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file (default: stdout).")
@db_option
def queue_stats(since: str | None, fmt: str, output: str | None, db: str) -> None:
    """KPIs: time to decision, share within SLA, AI precision, false positives by term, backlog."""
    q = _queue(db)
    stats = q.stats(_since(since))
    if fmt == "html":
        from .batch.report import render_kpis

        text = render_kpis(stats, tz=q.policy.tz)
    else:
        text = json.dumps(stats, ensure_ascii=False, indent=2)
    if output:
        with _writing(output):
            Path(output).write_text(text, encoding="utf-8")
    else:
        _echo(text if fmt == "html" else json_visible(text))


@queue.command(name="export", context_settings=CONTEXT)
@click.option("--since", help="ISO date or time.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True)
@db_option
def queue_export(since: str | None, output: str, db: str) -> None:
    """Decided items as labeled JSONL in the training format (for `train --data`)."""
    rows = _queue(db).export(_since(since))
    n = 0
    with _writing(output):
        out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for row in rows:
                # Standard output may be a terminal: what it would obey is escaped (same JSON values).
                line = dumps(row)
                out.write((json_visible(line) if out is sys.stdout else line) + "\n")
                n += 1
            out.flush()
        finally:
            if out is not sys.stdout:
                out.close()
    click.echo(f"{n} decided item(s)", err=True)


@queue.command(name="proposals", context_settings=CONTEXT)
@click.option("--status", type=click.Choice(["proposed", "accepted", "rejected"]), default="proposed", show_default=True)
@db_option
def queue_proposals(status: str, db: str) -> None:
    """Allow-list phrases proposed by false-positive verdicts (times in the policy's time zone)."""
    q = _queue(db)
    _echo_json([_local_times(p, q.policy.tz) for p in q.proposals(status)])


def _local_times(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    """A stored row with its ``*_at`` times (epoch seconds) as ISO dates in ``tz``, like due times."""
    from datetime import datetime

    out = dict(row)
    for key, value in row.items():
        if key.endswith("_at") and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = datetime.fromtimestamp(value, tz).isoformat(timespec="seconds")
    return out


@queue.command(name="accept", context_settings=CONTEXT)
@click.argument("proposal_id", type=int)
@click.option("--reviewer", required=True)
@click.option("--reject", is_flag=True, help="Reject the proposal instead.")
@user_lexicon_option
@db_option
def queue_accept(proposal_id: int, reviewer: str, reject: bool, user_lexicon: str | None, db: str) -> None:
    """Accept a proposal into the user lexicon's allow-list (only a person does this)."""
    try:
        if reject:
            p = _queue(db).settle_proposal(proposal_id, False, reviewer)
        else:
            udir = _user_dir(user_lexicon)
            p = _queue(db).settle_proposal(
                proposal_id, True, reviewer,
                apply=lambda phrase, term, reason: add_allow(udir, phrase=phrase, term_id=term, reason=reason))
    except ScreeningError as e:
        raise _fail(e, "not settled") from None
    click.echo(f"proposal {proposal_id}: {p['status']}")


@cli.command(name="serve", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--api-key-file", type=click.Path(dir_okay=False),
              help="Require the bearer key in this file (first line; at least 16 characters).")
@click.option("--api-key", envvar="SCREENING_API_KEY",
              help="Require this bearer key; prefer the env SCREENING_API_KEY or --api-key-file (a command "
                   "line is visible to every user in ps).")
@click.option("--allow-unauthenticated", is_flag=True, help="Bind a non-loopback host without an API key.")
@click.option("--max-batch", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--max-concurrent", type=click.IntRange(min=1), default=None,
              help="Screening requests worked on at once; more get 503 (default: CPU count).")
@click.option("--docs", is_flag=True,
              help="Serve the interactive /docs page (its scripts load from a CDN in the browser).")
@click.option("--log-level", default="info", show_default=True)
@click.option("--db", "review_db", envvar="SCREENING_REVIEW_DB", default=None, type=click.Path(dir_okay=False),
              help="Review database: serve the reviewer console at /console and POST /v1/complaints on it "
                   "(env SCREENING_REVIEW_DB; add people with `users add`).")
@lexicon_options
def serve_cmd(host: str, port: int, api_key_file: str | None, api_key: str | None, allow_unauthenticated: bool,
              max_batch: int, max_concurrent: int | None, docs: bool, log_level: str, review_db: str | None,
              lexicons: str | None, user_lexicon: str | None, policy: str | None, model: str | None,
              no_model: bool) -> None:
    """Serve POST /v1/screen and /v1/screen/batch over HTTP (OpenAPI docs at /docs).

    \b
    Example:
        python cli.py serve --port 8000
        python cli.py serve --db review.db      # and the reviewer console at http://127.0.0.1:8000/console/
        curl -s localhost:8000/v1/screen -d '{"id": "1", "text": "全网第一的面霜"}' -H 'content-type: application/json'
        kill -HUP <pid>      # reload lexicons, model and policy; in-flight requests finish on the old ones
    """
    try:
        from .integrations.service import serve as run_service
    except ImportError as e:
        raise UsageFailure(f'{e}: pip install "screening[server]"') from None
    from click.core import ParameterSource

    if api_key and click.get_current_context().get_parameter_source("api_key") == ParameterSource.COMMANDLINE:
        click.echo("warning: --api-key on the command line is visible in ps; use SCREENING_API_KEY or "
                   "--api-key-file", err=True)
    try:
        if api_key_file:
            from .integrations.service import read_api_key_file

            api_key = read_api_key_file(api_key_file)
        run_service(host, port, lexicons=lexicons, user_lexicon=user_lexicon, policy=policy,
                    model=_model_arg(model, no_model), api_key=api_key,
                    allow_unauthenticated=allow_unauthenticated, max_batch=max_batch, log_level=log_level,
                    max_concurrent=max_concurrent, docs=docs, review_db=review_db)
    except (ValueError, ScreeningError) as e:
        raise UsageFailure(str(e)) from None


@cli.command(name="merchants", context_settings=CONTEXT)
@click.option("--grade", type=click.Choice(["轻度", "中度", "重度"]))
@click.option("--json", "as_json", is_flag=True)
@db_option
def merchants_cmd(grade: str | None, as_json: bool, db: str) -> None:
    """Merchants graded from confirmed violations (轻度 提醒整改 / 中度 下架整改 / 重度 清退并公示)."""
    rows = _queue(db).merchants(grade)
    if as_json:
        _echo_json(rows)
        return
    for m in rows:
        _echo(visible(f"{m['merchant_id']:20s} {m['grade']}  {m['action']}  score={m['score']:g}  "
                      f"updated {m['updated_at']}"))


def _users(db: str) -> Any:
    from .review.store import SQLiteStore
    from .review.users import Users

    return Users(SQLiteStore(db))


def _cli_actor() -> str:
    """Who acts from the command line: whoever can write the database file (``cli:<login>``)."""
    import getpass

    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _read_password(password_file: str | None, confirm: bool = True) -> str:
    """A password from ``--password-file`` (its first line; ``-`` is standard input), a hidden
    prompt on a terminal, else the first line of standard input. Never a command-line argument."""
    if password_file:
        try:
            if password_file == "-":
                line = sys.stdin.readline()
            else:
                with open(password_file, encoding="utf-8") as f:
                    line = f.readline()
        except OSError as e:
            raise UsageFailure(f"cannot read {password_file}: {e.strerror or e}") from None
        return line.rstrip("\r\n")
    if _stdin_is_terminal():
        return click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\r\n")


ROLE_CHOICE = click.Choice(["merchant_compliance", "content_review", "risk_control", "legal"])
password_file_option = click.option(
    "--password-file", type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the password from this file's first line ('-': standard input); default: a hidden prompt.")


@cli.group(context_settings=CONTEXT)
def users() -> None:
    """People of the reviewer console (serve --db): add, list, disable, enable, passwd.

    \b
    Examples:
        python cli.py users add 组长 --lead --db review.db
        python cli.py users add 张三 --role content_review --role merchant_compliance --db review.db
        python cli.py users list --db review.db
        python cli.py users passwd 张三 --password-file pw.txt --db review.db
        python cli.py users disable 张三 --db review.db

    Passwords (at least 10 characters) are asked for, or read from --password-file; never given
    as an argument (a command line is visible to every user in ps).
    """


@users.command(name="add", context_settings=CONTEXT)
@click.argument("name")
@click.option("--role", "roles", multiple=True, type=ROLE_CHOICE, help="Repeatable; a lead may have none.")
@click.option("--lead", is_flag=True, help="A team lead: every role, proposals, reassigning, KPIs, export, people.")
@password_file_option
@db_option
def users_add(name: str, roles: tuple[str, ...], lead: bool, password_file: str | None, db: str) -> None:
    """Add a person with their roles."""
    password = _read_password(password_file)
    try:
        u = _users(db).add(name, password, list(roles), lead=lead, actor=_cli_actor())
    except ScreeningError as e:
        raise _fail(e, "not added") from None
    _echo(visible(f"added {u.name}: {', '.join(u.roles) or '-'}{'  (lead)' if u.lead else ''}"))


@users.command(name="list", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True)
@db_option
def users_list(as_json: bool, db: str) -> None:
    """Every person, their roles, lead or not, active or disabled."""
    people = _users(db).list()
    if as_json:
        _echo_json([{"id": u.id, "name": u.name, "roles": list(u.roles), "lead": u.lead, "active": u.active}
                    for u in people])
        return
    for u in people:
        _echo(visible(f"{u.name:16s} {','.join(u.roles) or '-':45s} {'lead' if u.lead else '    '}  "
                      f"{'active' if u.active else 'disabled'}"))
    click.echo(f"{len(people)} user(s)", err=True)


@users.command(name="disable", context_settings=CONTEXT)
@click.argument("name")
@db_option
def users_disable(name: str, db: str) -> None:
    """Disable a person; their sessions end at once."""
    try:
        _users(db).disable(name, actor=_cli_actor())
    except ScreeningError as e:
        raise _fail(e, "not disabled") from None
    _echo(visible(f"disabled {name}"))


@users.command(name="enable", context_settings=CONTEXT)
@click.argument("name")
@db_option
def users_enable(name: str, db: str) -> None:
    """Enable a disabled person again."""
    try:
        _users(db).enable(name, actor=_cli_actor())
    except ScreeningError as e:
        raise _fail(e, "not enabled") from None
    _echo(visible(f"enabled {name}"))


@users.command(name="passwd", context_settings=CONTEXT)
@click.argument("name")
@password_file_option
@db_option
def users_passwd(name: str, password_file: str | None, db: str) -> None:
    """Set a person's password; their sessions end."""
    password = _read_password(password_file)
    try:
        _users(db).set_password(name, password, actor=_cli_actor())
    except ScreeningError as e:
        raise _fail(e, "not changed") from None
    _echo(visible(f"password set for {name}"))


@cli.group(context_settings=CONTEXT)
def complaints() -> None:
    """Complaints (投诉) about screened records: each opens a review task due in 72 h.

    \b
    Examples:
        python cli.py complaints add sku-1 --text "宣传疗效无依据" --by 消费者 --actor 张三 --db review.db
        python cli.py complaints list --db review.db
    """


@complaints.command(name="add", context_settings=CONTEXT)
@click.argument("record_id")
@click.option("--text", required=True, help="What the complaint says.")
@click.option("--by", "complainant", help="Who complains (消费者, 监管部门, …).")
@click.option("--actor", required=True, help="Who enters it (in the audit log).")
@db_option
def complaints_add(record_id: str, text: str, complainant: str | None, actor: str, db: str) -> None:
    """Open a complaint task for a screened record (routed by its content type)."""
    from .review.complaints import add_complaint

    q = _queue(db)
    try:
        tid = add_complaint(q, record_id, text, actor=actor, complainant=complainant, channel="cli")
        t = q.show(tid)
    except ScreeningError as e:
        raise _fail(e, "no complaint opened") from None
    _echo(visible(f"complaint task {tid} for record {record_id}: {t['role']}, due {t['due_at']}"))


@complaints.command(name="list", context_settings=CONTEXT)
@click.option("--record", "record_id", help="Only this record's complaints.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@db_option
def complaints_list(record_id: str | None, limit: int, db: str) -> None:
    """Complaints, newest first, with their task's role and status (JSON)."""
    from .review.complaints import complaints as list_complaints

    _echo_json(list_complaints(_queue(db), record_id, limit=limit))


@cli.group(context_settings=CONTEXT)
def lexicon() -> None:
    """Inspect, validate and extend lexicons."""


def _load(directory: str | None, user_lexicon: str | None) -> Any:
    try:
        return load_lexicon(directory, user_lexicon)
    except ScreeningError as e:
        raise _fail(e, f"{len(getattr(e, 'problems', [e]))} problem(s)") from None




@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@user_lexicon_option
def validate(directory: str | None, user_lexicon: str | None) -> None:
    """Validate a lexicon directory; print every problem as file:line."""
    lex = _load(directory, user_lexicon)
    for w in lex.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"ok: {lex.name} {lex.version}, {len(lex.active_terms)} active terms, {len(lex.lawful)} lawful phrases")


@lexicon.command(name="seal", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def seal_cmd(directory: str) -> None:
    """Record each file's SHA-256 and entry count in DIRECTORY's manifest ([files]).

    A lexicon whose files no longer match its manifest is refused, so a version always names
    one content: after a deliberate change, raise ``version`` in manifest.toml and seal again.
    """
    from .engine.lexicon import seal

    try:
        table = seal(directory)
        lex = load_lexicon(directory)
    except ScreeningError as e:
        raise _fail(e, "not sealed") from None
    click.echo(f"sealed {len(table)} files of {lex.name} {lex.version}")


@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@user_lexicon_option
def stats(directory: str | None, user_lexicon: str | None) -> None:
    """Counts per category, severity and sector, with the version.

    ``alternatives`` counts the medium/high terms with a lawful alternative (``with_suggestion``),
    with an explicit ``"suggestion": null`` and its reason (``null_with_reason``), and with
    neither (``missing``, listed as file:line under ``warnings``; the packaged lexicons have 0).
    """
    lex = _load(directory, user_lexicon)
    out = lex.stats()
    if lex.warnings:
        out["warnings"] = list(lex.warnings)
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@lexicon.command(name="lookup", context_settings=CONTEXT)
@click.argument("term")
@click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")
@user_lexicon_option
def lookup_cmd(term: str, lexicons: str | None, user_lexicon: str | None) -> None:
    """Show the entries a string is, and every term, allow context and lawful phrase inside it.

    \b
    Example:
        python cli.py lexicon lookup 全网第一
        python cli.py lexicon lookup ABS-0004
    """
    click.echo(json.dumps(lookup(_load(lexicons, user_lexicon), term), ensure_ascii=False, indent=2))


def _user_dir(user_lexicon: str | None) -> str:
    if not user_lexicon:
        raise click.UsageError("give --user-lexicon DIR (or set SCREENING_USER_LEXICON): additions never edit the packaged lexicons")
    return user_lexicon


@lexicon.command(name="add", context_settings=CONTEXT)
@click.argument("term")
@click.option("--category", required=True, type=click.Choice(list(ID_PREFIX)))
@click.option("--severity", required=True, type=click.Choice(SEVERITY_VALUES))
@click.option("--basis", required=True, help="Legal basis, e.g. 广告法第九条第三项.")
@click.option("--applies-to", multiple=True, type=click.Choice(sorted(APPLIES_VALUES)), help="Repeatable; default all.")
@click.option("--suggestion", help="A lawful alternative.")
@click.option("--variant", "variants", multiple=True, help="Another written form; repeatable.")
@click.option("--allow-context", "allow_contexts", multiple=True, help="A lawful longer phrase; repeatable.")
@click.option("--explanation", default="", help="One line for the reviewer.")
@click.option("--provenance", default="user", show_default=True)
@click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")
@user_lexicon_option
def add_cmd(term: str, category: str, severity: str, basis: str, applies_to: tuple[str, ...], suggestion: str | None,
            variants: tuple[str, ...], allow_contexts: tuple[str, ...], explanation: str, provenance: str,
            lexicons: str | None, user_lexicon: str | None) -> None:
    """Add a term to the user lexicon (validated with the rest before it is kept).

    \b
    Example:
        python cli.py lexicon add 宇宙第一 --category absolute_claim --severity high \\
            --basis 广告法第九条第三项 --suggestion 口碑好 --user-lexicon my-lexicon/
    """
    try:
        tid = add_term(_user_dir(user_lexicon), term, category=category, severity=severity, basis=basis,
                       applies_to=list(applies_to) or None, suggestion=suggestion, variants=list(variants),
                       allow_contexts=list(allow_contexts), explanation=explanation, provenance=provenance,
                       lexicon_dir=lexicons)
    except ScreeningError as e:
        raise _fail(e, "not added") from None
    click.echo(f"added {tid}")


@lexicon.command(name="allow", context_settings=CONTEXT)
@click.argument("phrase", required=False)
@click.option("--reason", required=True, help="Why this is lawful (kept for the audit).")
@click.option("--term-id", help="Only hits of this term are lawful in the phrase; with --disable, the term to switch off.")
@click.option("--disable", is_flag=True, help="Switch the term --term-id off entirely.")
@click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")
@user_lexicon_option
def allow_cmd(phrase: str | None, reason: str, term_id: str | None, disable: bool, lexicons: str | None,
              user_lexicon: str | None) -> None:
    """Add an allow-list entry to the user lexicon: a lawful phrase, or a term switched off.

    \b
    Examples:
        python cli.py lexicon allow 第一中学 --reason 校名 --user-lexicon my-lexicon/
        python cli.py lexicon allow --disable --term-id ABS-0269 --reason 本平台不限制 --user-lexicon my-lexicon/
    """
    if not disable and not phrase:
        raise click.UsageError("give PHRASE, or --disable --term-id ID")
    try:
        aid = add_allow(_user_dir(user_lexicon), reason=reason, phrase=phrase, term_id=term_id, disable=disable,
                        lexicon_dir=lexicons)
    except ScreeningError as e:
        raise _fail(e, "not added") from None
    click.echo(f"added {aid}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="screening")


if __name__ == "__main__":  # pragma: no cover
    main()
