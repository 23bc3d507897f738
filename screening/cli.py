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
from .batch import dumps, scan_jsonl
from .errors import ScreeningError
from .lexicon import load_lexicon
from .pipeline import Screener
from .types import CATEGORY_ZH, CONTENT_TYPES, DECISIONS, PRODUCT_CATEGORIES, ScreeningResult

CONTEXT = {"help_option_names": ["-h", "--help"]}


class UsageFailure(click.ClickException):
    """A screening error reported on the command line; exits 2, never 1 (1 means findings)."""

    exit_code = 2


def _screener(lexicons: str | None, policy: str | None) -> Screener:
    try:
        return Screener.from_paths(lexicons, policy)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None


def lexicon_options(f: Any) -> Any:
    """``--lexicons`` and ``--policy`` for commands that screen."""
    f = click.option("--policy", type=click.Path(exists=True, dir_okay=False), help="Decision policy TOML.")(f)
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
    screener = _screener(lexicons, policy)
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
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-", show_default=True)
@click.option("--explain", is_flag=True, help="Add the suppressed hits to each result.")
@lexicon_options
def scan(input_: str, output: str, explain: bool, lexicons: str | None, policy: str | None) -> None:
    """Scan a JSONL file of records into one contract result per line, in order.

    \b
    Example:
        python cli.py scan examples/listings.jsonl -o results.jsonl
    """
    screener = _screener(lexicons, policy)
    try:
        src = sys.stdin.buffer if input_ == "-" else open(input_, "rb")  # noqa: SIM115
    except OSError as e:
        raise UsageFailure(f"cannot read {input_}: {e}") from None
    dst = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
    try:
        summary = scan_jsonl(screener, src, dst, explain=explain)
    finally:
        if src is not sys.stdin.buffer:
            src.close()
        if dst is not sys.stdout:
            dst.close()
    s = summary.to_dict()
    click.echo(
        f"{s['records']} records: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["decisions"].items()))
        + f"; errors {s['errors']}",
        err=True,
    )


@cli.group(context_settings=CONTEXT)
def lexicon() -> None:
    """Inspect and validate lexicons."""


@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def validate(directory: str | None) -> None:
    """Validate a lexicon directory; print every problem as file:line."""
    try:
        lex = load_lexicon(directory)
    except ScreeningError as e:
        problems = getattr(e, "problems", [str(e)])
        for p in problems:
            click.echo(p)
        raise UsageFailure(f"{len(problems)} problem(s)") from None
    click.echo(f"ok: {lex.name} {lex.version}, {len(lex.active_terms)} active terms, {len(lex.lawful)} lawful phrases")


@lexicon.command(context_settings=CONTEXT)
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def stats(directory: str | None) -> None:
    """Counts per category, severity and sector, with the version."""
    try:
        lex = load_lexicon(directory)
    except ScreeningError as e:
        raise UsageFailure(str(e)) from None
    click.echo(json.dumps(lex.stats(), ensure_ascii=False, indent=2))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="screening")


if __name__ == "__main__":  # pragma: no cover
    main()
