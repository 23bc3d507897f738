"""Batch scanning of JSONL files: one result per input line, in order, errors included.

A plain function library (no CLI here) so notebooks and jobs can import it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any

from .pipeline import Screener
from .types import ScreeningResult


@dataclass
class Summary:
    """Counts for the end-of-scan summary."""

    records: int = 0
    errors: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)

    def add(self, r: ScreeningResult) -> None:
        """Count one result."""
        self.records += 1
        self.errors += r.error is not None
        self.decisions[r.decision] += 1
        for cat in {f.category for f in r.findings}:
            self.categories[cat] += 1
        if r.route:
            self.roles[r.route.role] += 1

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "records": self.records,
            "errors": self.errors,
            "decisions": dict(self.decisions),
            "categories": dict(self.categories),
            "roles": dict(self.roles),
        }


def read_jsonl(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """Yield ``(line number, record)`` per non-blank line; a bad line yields a placeholder.

    Bytes are decoded per line so that one undecodable line loses nothing else.
    """
    for n, raw in enumerate(stream, 1):
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield n, _BadLine(f"not valid UTF-8 ({e.reason} at byte {e.start})")
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            yield n, _BadLine(f"not valid JSON ({e.msg}, column {e.colno})")


@dataclass(frozen=True)
class _BadLine:
    message: str


def scan_records(screener: Screener, records: Iterable[tuple[int, Any]]) -> Iterator[ScreeningResult]:
    """Screen ``(line number, record)`` pairs in order; errors name the line."""
    for n, rec in records:
        if isinstance(rec, _BadLine):
            yield screener.error_result(None, f"line {n}: {rec.message}")
            continue
        result = screener.screen_record(rec, require_id=True)
        if result.error:
            result = replace(result, error=f"line {n}: {result.error}")
        yield result


def dumps(obj: Any) -> str:
    """JSON for one output line; lone surrogates from the input are escaped, not lost."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj, ensure_ascii=True)
    return line


def scan_jsonl(
    screener: Screener, src: IO[bytes], dst: IO[str], *, explain: bool = False
) -> Summary:
    """Scan a JSONL stream into a JSONL stream of contract results."""
    summary = Summary()
    for result in scan_records(screener, read_jsonl(src)):
        summary.add(result)
        dst.write(dumps(result.to_dict(explain=explain)) + "\n")
    return summary
