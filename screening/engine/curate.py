"""Curating lexicons without reading code: look a string up, add terms and allow-list entries.

Additions go to a user lexicon directory layered over the packaged lexicons (see
:func:`screening.engine.lexicon.load_lexicon`), never into the packaged files, and are validated
together with them before they are kept: a bad addition is rolled back and reported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import LexiconError
from .lexicon import ID_PREFIX, USER_ALLOW, USER_TERMS, Lexicon, load_lexicon
from .matcher import TermMatcher
from .normalize import normalize


def lookup(lexicon: Lexicon, query: str) -> dict[str, Any]:
    """What the lexicon knows about ``query``: entries by id or form, and every hit inside it."""
    norm = normalize(query).text
    exact = [t for t in lexicon.terms.values() if t.id == query or norm in {normalize(f).text for f in t.forms}]
    matcher = TermMatcher(lexicon)
    hits = []
    for h in matcher.find(norm):
        kinds = []
        kinds += [{"kind": "term", "id": tid, "term": lexicon.terms[tid].term} for tid in h.key.term_ids]
        kinds += [{"kind": "allow_context", "for": tid} for tid in h.key.allow_for]
        kinds += [{"kind": "lawful_phrase", "id": lid} for lid in h.key.lawful_ids]
        hits.append({"normalized": h.key.text, "start": h.start, "end": h.end, "entries": kinds})
    return {
        "query": query,
        "normalized": norm,
        "terms": [_term_dict(t) for t in exact],
        "hits": hits,
    }


def _term_dict(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "term": t.term,
        "variants": list(t.variants),
        "category": t.category,
        "severity": t.severity,
        "sector_severity": dict(t.sector_severity),
        "applies_to": sorted(t.applies_to),
        "basis": t.basis,
        "suggestion": t.suggestion,
        "allow_contexts": list(t.allow_contexts),
        "status": t.status,
        "source": t.source,
    }


def _next_id(path: Path, prefix: str) -> str:
    """The next free ``prefix-NNNN`` id in a user file (ids are never reused)."""
    pattern = re.compile(re.escape(prefix) + r"-(\d{4})$")
    highest = 0
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                m = pattern.match(str(json.loads(line).get("id", "")))
            except (json.JSONDecodeError, AttributeError):
                continue
            if m:
                highest = max(highest, int(m.group(1)))
    return f"{prefix}-{highest + 1:04d}"


def _append_validated(path: Path, row: dict[str, Any], lexicon_dir: str | Path | None, user_dir: Path) -> Lexicon:
    user_dir.mkdir(parents=True, exist_ok=True)
    before = path.read_bytes() if path.is_file() else None
    with path.open("a", encoding="utf-8") as f:
        if before and not before.endswith(b"\n"):
            f.write("\n")
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    try:
        return load_lexicon(lexicon_dir, user_dir)
    except LexiconError:
        if before is None:
            path.unlink()
        else:
            path.write_bytes(before)
        raise


def add_term(
    user_dir: str | Path,
    term: str,
    *,
    category: str,
    severity: str,
    basis: str,
    applies_to: list[str] | None = None,
    suggestion: str | None = None,
    variants: list[str] | None = None,
    allow_contexts: list[str] | None = None,
    explanation: str = "",
    provenance: str = "user",
    lexicon_dir: str | Path | None = None,
) -> str:
    """Add a term to the user lexicon; returns its id (``U-ABS-0001``).

    Raises:
        LexiconError: the term would make the lexicons invalid (nothing is written then).
    """
    if category not in ID_PREFIX:
        raise LexiconError([f"category {category!r} not one of {list(ID_PREFIX)}"])
    udir = Path(user_dir)
    path = udir / USER_TERMS
    tid = _next_id(path, f"U-{ID_PREFIX[category]}")
    row: dict[str, Any] = {
        "id": tid,
        "term": term,
        "category": category,
        "severity": severity,
        "applies_to": applies_to or ["all"],
        "basis": basis,
        "suggestion": suggestion,
        "provenance": provenance,
    }
    if variants:
        row["variants"] = variants
    if allow_contexts:
        row["allow_contexts"] = allow_contexts
    if explanation:
        row["explanation"] = explanation
    _append_validated(path, row, lexicon_dir, udir)
    return tid


def add_allow(
    user_dir: str | Path,
    *,
    reason: str,
    phrase: str | None = None,
    term_id: str | None = None,
    disable: bool = False,
    lexicon_dir: str | Path | None = None,
) -> str:
    """Add an allow-list entry (a lawful phrase, or a term switched off); returns its id.

    Raises:
        LexiconError: the entry is invalid (unknown term, empty phrase); nothing is written.
    """
    udir = Path(user_dir)
    path = udir / USER_ALLOW
    aid = _next_id(path, "U-ALW")
    row: dict[str, Any] = {"id": aid, "reason": reason}
    if phrase is not None:
        row["phrase"] = phrase
    if term_id is not None:
        row["term_id"] = term_id
    if disable:
        row["disable"] = True
    _append_validated(path, row, lexicon_dir, udir)
    return aid
