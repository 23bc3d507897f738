"""Command line: ``check`` one text, ``scan`` a file, inspect ``lexicon``s.

Exit codes: 0 the decision is below ``--fail-on``; 1 at or above it; 2 usage or input error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .about import __version__
from .curate import add_allow, add_term, lookup
from .errors import ScreeningError
from .lexicon import APPLIES_VALUES, ID_PREFIX, SEVERITY_VALUES, load_lexicon
from .pipeline import Screener
from .scan import FieldMap, default_workers, dumps, scan_file
from .types import CATEGORY_ZH, CONTENT_TYPES, DECISIONS, PRODUCT_CATEGORIES, ScreeningResult

CONTEXT = {"help_option_names": ["-h", "--help"]}


class UsageFailure(click.ClickException):
    """A screening error reported on the command line; exits 2, never 1 (1 means findings)."""

    exit_code = 2


def _screener(lexicons: str | None, policy: str | None, user_lexicon: str | None = None) -> Screener:
    try:
        return Screener.from_paths(lexicons, policy, user_lexicon=user_lexicon)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None


class _Factory:
    """Builds a Screener from paths inside a worker process (picklable, unlike a Screener)."""

    def __init__(self, lexicons: str | None, policy: str | None, user_lexicon: str | None) -> None:
        self.args = (lexicons, policy, user_lexicon)

    def __call__(self) -> Screener:
        lexicons, policy, user = self.args
        return Screener.from_paths(lexicons, policy, user_lexicon=user)


USER_LEXICON_HELP = "User lexicon directory (extra terms, allow-list) layered over the lexicons; env SCREENING_USER_LEXICON."


def lexicon_options(f: Any) -> Any:
    """``--lexicons``, ``--user-lexicon`` and ``--policy`` for commands that screen."""
    f = click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="Decision policy TOML.")(f)
    f = click.option("--user-lexicon", envvar="SCREENING_USER_LEXICON", type=click.Path(file_okay=False),
                     help=USER_LEXICON_HELP)(f)
    f = click.option("--lexicons", type=click.Path(exists=True, file_okay=False), help="Lexicon directory.")(f)
    return f


@click.group(context_settings=CONTEXT, epilog="Exit codes: 0 below --fail-on, 1 at or above it, 2 usage or input error.")
@click.version_option(__version__, prog_name="screening")
def cli() -> None:
    """Screen Chinese e-commerce copy for advertising-law risk."""


def _render_text(text: str, r: ScreeningResult, color: bool) -> str:
    out = []
    head = f"{r.decision.upper()}  severity={r.severity}  risk={r.risk:.2f}"
    if r.route:
        head += f"  → {r.route.role} due {r.route.due_at}"
    out.append(click.style(head, bold=True) if color else head)
    marked, pos = [], 0
    for f in sorted(r.findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        marked.append(text[pos : f.start])
        span = text[f.start : f.end]
        marked.append(click.style(span, fg="red", bold=True) if color else f"【{span}】")
        pos = f.end
    marked.append(text[pos:])
    out.append("".join(marked))
    for f in r.findings:
        line = (
            f"  [{f.start}:{f.end}] {f.text}  {CATEGORY_ZH[f.category]} {f.category}  {f.severity}  "
            f"{f.term_id}  {f.basis}"
        )
        if f.suggestion:
            line += f"  → 建议：{f.suggestion}"
        out.append(line)
        out.append(f"      {f.explanation}")
    out.append(f"  versions: {' · '.join(f'{k} {v}' for k, v in r.versions.items())}")
    return "\n".join(out)


@cli.command(context_settings=CONTEXT)
@click.argument("text", required=False)
@click.option("--file", "file_", type=click.File("r", encoding="utf-8-sig"), help="Read the text from a file.")
@click.option("--content-type", type=click.Choice(CONTENT_TYPES), default="listing", show_default=True)
@click.option("--product-category", type=click.Choice(PRODUCT_CATEGORIES), default="general", show_default=True)
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
) -> None:
    """Check one text before it is published.

    \b
    Example:
        python cli.py check "全网第一的面霜，最佳选择" --product-category cosmetics
        python cli.py check --file script.txt --content-type live_script
        echo "最好冷藏" | python cli.py check -
    """
    if file_ is not None:
        text = file_.read()
    elif text is None or text == "-":
        if sys.stdin is None or (text is None and sys.stdin.isatty()):
            raise click.UsageError("give TEXT, --file F, or - for standard input")
        text = sys.stdin.read()
    screener = _screener(lexicons, policy, user_lexicon)
    try:
        r = screener.screen(text, content_type=content_type, product_category=product_category)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    if fmt == "json":
        click.echo(dumps(r.to_dict(explain=explain)))
    else:
        click.echo(_render_text(text, r, color=sys.stdout.isatty()))
        if explain:
            for s in r.suppressed:
                click.echo(f"  suppressed [{s.start}:{s.end}] {s.text}  {s.term_id}  {s.rule}: {s.reason}")
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
@click.option("--content-type", type=click.Choice(CONTENT_TYPES), default="listing", show_default=True,
              help="Content type of records that do not carry one.")
@click.option("--product-category", type=click.Choice(PRODUCT_CATEGORIES), default="general", show_default=True,
              help="Product category of records that do not carry one.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan into the same output.")
@click.option("--explain", is_flag=True, help="Add the suppressed hits to each result.")
@click.option("--report-limit", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Flagged records listed in an HTML report (highest risk first).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--summary-json", type=click.Path(dir_okay=False), help="Also write the summary as JSON.")
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
    workers: int | None,
    resume: bool,
    explain: bool,
    report_limit: int,
    progress: bool | None,
    summary_json: str | None,
    lexicons: str | None,
    user_lexicon: str | None,
    policy: str | None,
) -> None:
    """Scan a catalogue export: one result per input record, in order, errors included.

    \b
    Examples:
        python cli.py scan examples/listings.jsonl -o results.jsonl
        python cli.py scan examples/listings.csv -o report.html
        python cli.py scan export.xlsx -o results.xlsx --id-field 商品ID --text-field 标题 --text-field 详情
        python cli.py scan big.jsonl -o out.jsonl --workers 4 --resume
    """
    screener = _screener(lexicons, policy, user_lexicon)
    fields = FieldMap(
        text_fields=tuple(text_fields),
        id_field=id_field,
        content_type_field=content_type_field,
        product_category_field=product_category_field,
        merchant_field=merchant_field,
        content_type=content_type,
        product_category=product_category,
    )
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
            factory=_Factory(lexicons, policy, user_lexicon),
            report_limit=report_limit,
        )
    except (ScreeningError, OSError, ImportError) as e:
        raise UsageFailure(str(e)) from None
    click.echo(summary.text(), err=True)
    if summary_json:
        Path(summary_json).write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")


@cli.group(context_settings=CONTEXT)
def lexicon() -> None:
    """Inspect, validate and extend lexicons."""


def _load(directory: str | None, user_lexicon: str | None) -> Any:
    try:
        return load_lexicon(directory, user_lexicon)
    except ScreeningError as e:
        for p in getattr(e, "problems", [str(e)]):
            click.echo(p)
        raise UsageFailure(f"{len(getattr(e, 'problems', [e]))} problem(s)") from None


user_lexicon_option = click.option("--user-lexicon", envvar="SCREENING_USER_LEXICON", type=click.Path(file_okay=False),
                                   help=USER_LEXICON_HELP)


@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@user_lexicon_option
def validate(directory: str | None, user_lexicon: str | None) -> None:
    """Validate a lexicon directory; print every problem as file:line."""
    lex = _load(directory, user_lexicon)
    click.echo(f"ok: {lex.name} {lex.version}, {len(lex.active_terms)} active terms, {len(lex.lawful)} lawful phrases")


@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
@user_lexicon_option
def stats(directory: str | None, user_lexicon: str | None) -> None:
    """Counts per category, severity and sector, with the version."""
    click.echo(json.dumps(_load(directory, user_lexicon).stats(), ensure_ascii=False, indent=2))


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
        for p in getattr(e, "problems", [str(e)]):
            click.echo(p)
        raise UsageFailure("not added") from None
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
        for p in getattr(e, "problems", [str(e)]):
            click.echo(p)
        raise UsageFailure("not added") from None
    click.echo(f"added {aid}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="screening")


if __name__ == "__main__":  # pragma: no cover
    main()
