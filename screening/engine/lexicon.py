"""Load and validate the versioned lexicons (terms, lawful phrases, rule cues).

Loading fails loudly and completely: every problem in every file is collected and raised at
once as ``file:line: message`` so that compliance staff can fix a file in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import LexiconError
from ..types import LEXICON_CATEGORIES, PRODUCT_CATEGORIES
from .normalize import normalize

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SEVERITY_VALUES = ("low", "medium", "high")
MEDICAL_SECTORS = frozenset({"drug", "device", "medical_service"})
SECTORS = frozenset(PRODUCT_CATEGORIES) - {"general"} | {"fsmp", "tobacco"}
APPLIES_VALUES = SECTORS | {"all", "non_medical"}
ID_PREFIX = {
    "absolute_claim": "ABS",
    "medical_claim": "MED",
    "efficacy_exaggeration": "EFF",
    "guarantee_claim": "GUA",
    "authority_claim": "AUT",
    "superstition": "SUP",
    "price_fraud": "PRI",
    "other": "OTH",
}
# "U-" marks a term from a user lexicon layered over the packaged one.
ID_RE = re.compile(r"^(?:U-)?[A-Z]{3}-\d{4}$")
# X in a term is a number: Arabic (with decimals) or Chinese numerals.
NUMBER_RE = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万]+)"
REQUIRED = ("id", "term", "category", "severity", "applies_to", "basis", "provenance")
KNOWN_FIELDS = set(REQUIRED) | {
    "variants",
    "sector_severity",
    "suggestion",
    "no_suggestion_reason",
    "allow_contexts",
    "explanation",
    "notes",
    "status",
    "added",
    "requires_context",
}


@dataclass(frozen=True)
class Term:
    """One lexicon entry."""

    id: str
    term: str
    category: str
    severity: str
    applies_to: frozenset[str]
    basis: str
    provenance: str
    source: str
    variants: tuple[str, ...] = ()
    sector_severity: tuple[tuple[str, str], ...] = ()
    suggestion: str | None = None
    # Why a medium/high term has no lawful alternative (``"suggestion": null``), e.g. a disease name
    # on non-medical goods: "删除：非医疗商品不得宣称疾病治疗，没有合法表述".
    no_suggestion_reason: str = ""
    allow_contexts: tuple[str, ...] = ()
    explanation: str = ""
    notes: str = ""
    status: str = "active"
    requires_context: str | None = None

    @property
    def is_pattern(self) -> bool:
        """Whether the term holds the number placeholder ``X``."""
        return "X" in self.term

    @property
    def forms(self) -> tuple[str, ...]:
        """The written forms: the term and its variants."""
        return (self.term, *self.variants)

    @property
    def needs_alternative(self) -> bool:
        """Whether the term must carry a suggestion or an explicit null with a reason: an active
        term of severity medium or high (in any sector)."""
        return self.status == "active" and self.max_severity in ("medium", "high")

    @property
    def lacks_alternative(self) -> bool:
        """A medium/high active term with neither a suggestion nor a ``no_suggestion_reason``."""
        return self.needs_alternative and not self.suggestion and not self.no_suggestion_reason

    def sector_specific(self) -> bool:
        """Whether the term applies only to named sectors."""
        return not (self.applies_to & {"all", "non_medical"})

    def applies(self, product_category: str) -> bool:
        """Whether the term applies to a product category (``general`` sees every sector)."""
        if "all" in self.applies_to or product_category in self.applies_to:
            return True
        if "non_medical" in self.applies_to and product_category not in MEDICAL_SECTORS:
            return True
        # An unknown category could be any sector: a sector rule that is grave somewhere applies
        # (capped by the caller); a word only restricted in a sector (试用, 食品级) does not.
        return product_category == "general" and self.max_severity == "high"

    @property
    def max_severity(self) -> str:
        """The gravest severity over all sectors."""
        sev = [self.severity, *(s for _, s in self.sector_severity)]
        return max(sev, key=SEVERITY_VALUES.index)

    def severity_for(self, product_category: str) -> str:
        """Severity of this term for a product category."""
        return dict(self.sector_severity).get(product_category, self.severity)


@dataclass(frozen=True)
class LawfulPhrase:
    """A phrase inside which no hit is a claim (a mandatory disclaimer, a permitted claim)."""

    id: str
    phrase: str
    applies_to: frozenset[str]
    reason: str
    basis: str
    source: str
    # Empty: every hit inside the phrase is lawful; else only hits of these terms (allow-list).
    term_ids: frozenset[str] = frozenset()

    def applies(self, product_category: str) -> bool:
        """Whether the phrase is lawful for a product category."""
        return "all" in self.applies_to or product_category in self.applies_to

    def covers(self, term_id: str) -> bool:
        """Whether hits of ``term_id`` inside the phrase are lawful."""
        return not self.term_ids or term_id in self.term_ids


@dataclass
class Lexicon:
    """The loaded lexicons: terms by id, lawful phrases, rule cues, and their version."""

    name: str
    version: str
    terms: dict[str, Term]
    lawful: list[LawfulPhrase]
    rules: dict[str, Any]
    digest: str
    path: Path | None = None
    # Problems that do not stop loading (``file:line: message``): a medium/high term with neither
    # a lawful alternative nor the reason it has none. Shown by ``lexicon stats``; the packaged
    # lexicons have none (tests/test_lexicon_default.py), a user's own lexicon may.
    warnings: list[str] = field(default_factory=list)
    # The product-category cues the manifest names (``categories_file``; screening.engine.categorize).
    categories: Any = None

    @property
    def active_terms(self) -> list[Term]:
        """Terms with status ``active``."""
        return [t for t in self.terms.values() if t.status == "active"]

    def stats(self) -> dict[str, Any]:
        """Counts per category, severity and sector, with the version."""
        by_cat: dict[str, int] = {}
        by_sev: dict[str, int] = {}
        by_sector: dict[str, int] = {}
        alternatives = {"medium_high": 0, "with_suggestion": 0, "null_with_reason": 0, "missing": 0}
        for t in self.active_terms:
            if t.needs_alternative:
                alternatives["medium_high"] += 1
                key = "with_suggestion" if t.suggestion else "null_with_reason" if t.no_suggestion_reason else "missing"
                alternatives[key] += 1
            by_cat[t.category] = by_cat.get(t.category, 0) + 1
            by_sev[t.severity] = by_sev.get(t.severity, 0) + 1
            for a in t.applies_to:
                by_sector[a] = by_sector.get(a, 0) + 1
        return {
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "active_terms": len(self.active_terms),
            "lawful_phrases": len(self.lawful),
            "by_category": dict(sorted(by_cat.items())),
            "by_severity": dict(sorted(by_sev.items())),
            "by_applies_to": dict(sorted(by_sector.items())),
            # Medium/high terms: with a lawful alternative, with an explicit null and its reason,
            # and with neither (the packaged lexicons: 0).
            "alternatives": alternatives,
        }


def default_lexicon_dir() -> Path:
    """The packaged lexicons: inside the installed package, or ``lexicons/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent  # the package, above this wing
    for candidate in (here / "lexicons", here.parent / "lexicons"):
        if (candidate / "manifest.toml").is_file():
            return candidate
    raise LexiconError([f"{here}: no packaged lexicons found (manifest.toml missing)"])


def compile_pattern(term: str) -> str:
    """Turn a pattern term with ``X`` into a regex over normalized text.

    >>> re.fullmatch(compile_pattern("X天见效"), "3天见效") is not None
    True
    """
    parts = [re.escape(normalize(p).text) for p in term.split("X")]
    return NUMBER_RE.join(parts)


def _overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    if "all" in a or "all" in b or a & b:
        return True
    if "non_medical" in a and (b - MEDICAL_SECTORS):
        return True
    return "non_medical" in b and bool(a - MEDICAL_SECTORS)


def _read_jsonl(path: Path, problems: list[str], label: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    label = label or path.name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{label}: cannot read: {e}")
        return rows
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{label}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: not valid JSON: {e.msg}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: expected a JSON object")
            continue
        rows.append((where, obj))
    return rows


def _str_list(where: str, obj: dict[str, Any], key: str, problems: list[str]) -> tuple[str, ...]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: {key} must be a list of non-empty strings")
        return ()
    return tuple(value)


def _applies(where: str, obj: dict[str, Any], problems: list[str]) -> frozenset[str]:
    value = obj.get("applies_to")
    if isinstance(value, str):
        value = [v for v in value.split(";") if v]
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: applies_to must be a non-empty list")
        return frozenset({"all"})
    bad = [v for v in value if v not in APPLIES_VALUES]
    if bad:
        problems.append(f"{where}: applies_to has unknown value(s) {bad}; allowed: {sorted(APPLIES_VALUES)}")
    return frozenset(v for v in value if v in APPLIES_VALUES) or frozenset({"all"})


def _parse_term(where: str, obj: dict[str, Any], problems: list[str]) -> Term | None:
    before = len(problems)
    missing = [k for k in REQUIRED if obj.get(k) in (None, "", [])]
    if missing:
        problems.append(f"{where}: missing required field(s) {missing}")
        return None
    unknown = sorted(set(obj) - KNOWN_FIELDS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {unknown}")
    tid, category, severity = obj["id"], obj["category"], obj["severity"]
    if not isinstance(tid, str) or not ID_RE.match(tid):
        problems.append(f"{where}: id {tid!r} must look like ABS-0001")
    elif category in ID_PREFIX and not tid.removeprefix("U-").startswith(ID_PREFIX[category] + "-"):
        problems.append(f"{where}: id {tid} does not match category {category} (prefix {ID_PREFIX[category]})")
    if category not in LEXICON_CATEGORIES:
        problems.append(f"{where}: category {category!r} not one of {list(LEXICON_CATEGORIES)}")
    if severity not in SEVERITY_VALUES:
        problems.append(f"{where}: severity {severity!r} not one of {list(SEVERITY_VALUES)}")
    status = obj.get("status", "active")
    if status not in ("active", "retired"):
        problems.append(f"{where}: status {status!r} must be active or retired")
    sector_sev = obj.get("sector_severity") or {}
    if not isinstance(sector_sev, dict):
        problems.append(f"{where}: sector_severity must be an object")
        sector_sev = {}
    for k, v in sector_sev.items():
        if k not in SECTORS or v not in SEVERITY_VALUES:
            problems.append(f"{where}: sector_severity {k}={v!r} is not a sector and a severity")
    suggestion = obj.get("suggestion")
    if suggestion is not None and not (isinstance(suggestion, str) and suggestion.strip()):
        problems.append(f"{where}: suggestion must be a non-empty string or null")
    reason = obj.get("no_suggestion_reason")
    if reason is not None:
        if not (isinstance(reason, str) and reason.strip()):
            problems.append(f"{where}: no_suggestion_reason must be a non-empty string")
        elif suggestion is not None:
            problems.append(f"{where}: no_suggestion_reason is only for \"suggestion\": null (the term has a suggestion)")
    for key in ("term", "basis", "provenance"):
        if not isinstance(obj[key], str):
            problems.append(f"{where}: {key} must be a string")
    term = Term(
        id=str(tid),
        term=str(obj["term"]),
        category=str(category),
        severity=str(severity),
        applies_to=_applies(where, obj, problems),
        basis=str(obj["basis"]),
        provenance=str(obj["provenance"]),
        source=where,
        variants=_str_list(where, obj, "variants", problems),
        sector_severity=tuple(sorted(sector_sev.items())),
        suggestion=suggestion if isinstance(suggestion, str) and suggestion.strip() else None,
        no_suggestion_reason=reason.strip() if isinstance(reason, str) else "",
        allow_contexts=_str_list(where, obj, "allow_contexts", problems),
        explanation=str(obj.get("explanation") or ""),
        notes=str(obj.get("notes") or ""),
        status=str(status),
        requires_context=obj.get("requires_context") or None,
    )
    for form in term.forms:
        if not normalize(form).text:
            problems.append(f"{where}: form {form!r} is empty after normalization")
        if "X" in form and not term.is_pattern:
            problems.append(f"{where}: variant {form!r} has X but the term is not a pattern")
    norm_forms = [normalize(f).text for f in term.forms if "X" not in f]
    for ctx in term.allow_contexts:
        nctx = normalize(ctx).text
        if term.is_pattern:
            if not any(re.search(compile_pattern(f), nctx) for f in term.forms):
                problems.append(f"{where}: allow context {ctx!r} does not contain the pattern {term.term!r}")
        elif not any(f and f in nctx for f in norm_forms):
            problems.append(f"{where}: allow context {ctx!r} does not contain the term {term.term!r} or a variant")
    return term if len(problems) == before else None


def _parse_lawful(where: str, obj: dict[str, Any], problems: list[str]) -> LawfulPhrase | None:
    before = len(problems)
    missing = [k for k in ("id", "phrase", "applies_to", "reason") if not obj.get(k)]
    if missing:
        problems.append(f"{where}: missing required field(s) {missing}")
        return None
    if not re.match(r"^LAW-\d{4}$", str(obj["id"])):
        problems.append(f"{where}: id {obj['id']!r} must look like LAW-0001")
    if not normalize(str(obj["phrase"])).text:
        problems.append(f"{where}: phrase is empty after normalization")
    phrase = LawfulPhrase(
        id=str(obj["id"]),
        phrase=str(obj["phrase"]),
        applies_to=_applies(where, obj, problems),
        reason=str(obj["reason"]),
        basis=str(obj.get("basis") or ""),
        source=where,
    )
    return phrase if len(problems) == before else None


def _check_forms(terms: list[Term], problems: list[str]) -> None:
    seen: dict[str, list[Term]] = {}
    for t in terms:
        if t.status != "active":
            continue
        own: set[str] = set()
        for form in t.forms:
            key = normalize(form).text
            if key in own:
                problems.append(f"{t.source}: form {form!r} repeats another form of {t.id}")
                continue
            own.add(key)
            for other in seen.get(key, []):
                if _overlap(t.applies_to, other.applies_to):
                    problems.append(
                        f"{t.source}: form {form!r} of {t.id} duplicates a form of {other.id} "
                        f"({other.source}) with overlapping applies_to"
                    )
            seen.setdefault(key, []).append(t)


USER_TERMS = "terms.jsonl"
USER_ALLOW = "allow.jsonl"


def _load_user(
    user_dir: Path, terms: list[Term], lawful: list[LawfulPhrase], problems: list[str], digest: Any
) -> str:
    """Layer a user lexicon over the packaged one: extra terms and an allow-list.

    ``terms.jsonl`` holds extra terms (ids ``U-ABS-0001``); ``allow.jsonl`` holds allow-list
    entries: ``{"id": "U-ALLOW-0001", "phrase": ..., "term_id": optional, "reason": ...}`` makes
    hits inside the phrase lawful (only hits of ``term_id`` when given), and
    ``{"id": ..., "term_id": ..., "disable": true, "reason": ...}`` switches a term off.
    Returns the user layer's version label.
    """
    if not user_dir.is_dir():
        problems.append(f"{user_dir}: user lexicon directory does not exist")
        return "missing"
    label = user_dir.name
    for name in (USER_TERMS, USER_ALLOW):
        p = user_dir / name
        if p.is_file():
            digest.update(b"user/" + name.encode() + b"\0" + p.read_bytes())
    terms_path = user_dir / USER_TERMS
    user_rows = _read_jsonl(terms_path, problems, f"{label}/{USER_TERMS}") if terms_path.is_file() else []
    for where, obj in user_rows:
        if not str(obj.get("id", "")).startswith("U-"):
            problems.append(f"{where}: user term ids start with U- (U-ABS-0001), got {obj.get('id')!r}")
        t = _parse_term(where, obj, problems)
        if t:
            terms.append(t)
    disabled: dict[str, str] = {}
    allow_path = user_dir / USER_ALLOW
    seen: set[str] = set()
    allow_rows = _read_jsonl(allow_path, problems, f"{label}/{USER_ALLOW}") if allow_path.is_file() else []
    for where, obj in allow_rows:
        aid, reason, term_id = obj.get("id"), obj.get("reason"), obj.get("term_id")
        if not aid or not reason:
            problems.append(f"{where}: allow entries need an id and a reason")
            continue
        if aid in seen:
            problems.append(f"{where}: duplicate allow id {aid}")
        seen.add(aid)
        if term_id is not None and not any(t.id == term_id for t in terms):
            problems.append(f"{where}: term_id {term_id!r} is not a term of the lexicon")
            continue
        if obj.get("disable"):
            if term_id is None:
                problems.append(f"{where}: disable needs a term_id")
            else:
                disabled[term_id] = where
            continue
        phrase = obj.get("phrase")
        if not isinstance(phrase, str) or not normalize(phrase).text:
            problems.append(f"{where}: allow entries need a non-empty phrase (or disable: true)")
            continue
        lawful.append(
            LawfulPhrase(
                id=str(aid),
                phrase=phrase,
                applies_to=_applies(where, {"applies_to": obj.get("applies_to") or ["all"]}, problems),
                reason=str(reason),
                basis="用户允许清单",
                source=where,
                term_ids=frozenset({term_id}) if term_id else frozenset(),
            )
        )
    for i, t in enumerate(terms):
        if t.id in disabled:
            terms[i] = replace(t, status="disabled")
    manifest = user_dir / "manifest.toml"
    if manifest.is_file():
        try:
            return str(tomllib.loads(manifest.read_text(encoding="utf-8")).get("version", "user"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            problems.append(f"{label}/manifest.toml: {e}")
    return "user"


# rules_file = "@packaged": a lexicon of one's own that reads the packaged context rules.
PACKAGED_RULES = "@packaged"
_SEALED_KEYS = ("term_files", "lawful_files", "rules_file", "categories_file")


def _inside(lexdir: Path, name: Any, key: str, problems: list[str]) -> Path | None:
    """The file a manifest names, if it is a plain file inside the lexicon directory: a manifest
    must not read ../../etc/passwd, nor follow a link out of its directory."""
    if not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts:
        problems.append(f"manifest.toml: {key} names {name!r}, which is not a file name inside {lexdir}")
        return None
    p = lexdir / name
    if not p.resolve().is_relative_to(lexdir.resolve()):
        problems.append(f"manifest.toml: {key} names {name}, which leads outside {lexdir}")
        return None
    if not p.is_file():
        problems.append(f"manifest.toml: {key} names {name}, which does not exist")
        return None
    return p


def _check_sealed(sealed: Any, name: str, raw: bytes, problems: list[str]) -> None:
    # A lexicon version names one content: an edited or emptied file under the same version
    # would screen differently while every result claims the old version.
    if not isinstance(sealed, dict):
        return
    entry = sealed.get(name)
    want = entry.get("sha256") if isinstance(entry, dict) else None
    if want is None:
        problems.append(f"manifest.toml: [files] has no checksum for {name}")
    elif hashlib.sha256(raw).hexdigest() != want:
        problems.append(f"{name}: SHA-256 does not match manifest.toml [files]: the file changed after the "
                        "lexicon was sealed; after a deliberate change give it a new version and run "
                        "`python cli.py lexicon seal DIR`")


def seal(path: str | Path) -> dict[str, dict[str, Any]]:
    """Write the ``[files]`` table of ``path``'s manifest: every file it names with its SHA-256
    and entry count (the table is the manifest's last section, rewritten whole).

    Raises:
        LexiconError: the manifest is unreadable or names a file that does not exist.
    """
    lexdir = Path(path)
    manifest_path = lexdir / "manifest.toml"
    try:
        text = manifest_path.read_text(encoding="utf-8")
        manifest = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LexiconError([f"{manifest_path}: cannot read manifest: {e}"]) from None
    problems: list[str] = []
    table: dict[str, dict[str, Any]] = {}
    for key in _SEALED_KEYS:
        names = manifest.get(key, [])
        for name in [names] if isinstance(names, str) else names:
            if name == PACKAGED_RULES:
                continue
            p = _inside(lexdir, name, key, problems)
            if p is None:
                continue
            raw = p.read_bytes()
            entry: dict[str, Any] = {"sha256": hashlib.sha256(raw).hexdigest()}
            if key in ("term_files", "lawful_files"):
                entry["entries"] = sum(1 for line in raw.decode("utf-8").splitlines() if line.strip())
            table[name] = entry
    if problems:
        raise LexiconError(problems)
    head = text.split(_FILES_HEADER)[0].split("\n[files]")[0].rstrip("\n")
    lines = [head, "", _FILES_HEADER, "[files]"]
    for name, entry in table.items():
        fields = ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items())
        lines.append(f"{json.dumps(name, ensure_ascii=False)} = {{ {fields} }}")
    manifest_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


_FILES_HEADER = "# Written by `python cli.py lexicon seal DIR`: what this version's files hold."


def load_lexicon(path: str | Path | None = None, user_dir: str | Path | None = None) -> Lexicon:
    """Load and validate the lexicon directory at ``path`` (default: the packaged one).

    Args:
        path: a lexicon directory with ``manifest.toml``.
        user_dir: an optional user lexicon (extra terms, allow-list) layered over it.

    Raises:
        LexiconError: listing every problem found, as ``file:line: message``.
    """
    lexdir = Path(path) if path is not None else default_lexicon_dir()
    problems: list[str] = []
    manifest_path = lexdir / "manifest.toml"
    try:
        manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise LexiconError([f"{manifest_path}: cannot read manifest: {e}"]) from None
    for key in ("name", "version", "term_files"):
        if key not in manifest:
            problems.append(f"manifest.toml: missing {key}")
    digest = hashlib.sha256()
    digest.update(manifest_path.read_bytes())
    sealed = manifest.get("files")
    packaged = lexdir.resolve() == default_lexicon_dir().resolve()
    if packaged and not isinstance(sealed, dict):
        problems.append("manifest.toml: the packaged lexicon has no [files] checksums; refusing to load it")
    counts: dict[str, int] = {}

    def files(key: str) -> list[Path]:
        out = []
        for name in manifest.get(key, []):
            p = _inside(lexdir, name, key, problems)
            if p is None:
                continue
            raw = p.read_bytes()
            _check_sealed(sealed, name, raw, problems)
            digest.update(name.encode() + b"\0" + raw)
            out.append(p)
        return out

    terms: list[Term] = []
    for p in files("term_files"):
        rows = _read_jsonl(p, problems)
        counts[p.name] = len(rows)
        for where, obj in rows:
            t = _parse_term(where, obj, problems)
            if t:
                terms.append(t)
    lawful: list[LawfulPhrase] = []
    for p in files("lawful_files"):
        rows = _read_jsonl(p, problems)
        counts[p.name] = len(rows)
        for where, obj in rows:
            lp = _parse_lawful(where, obj, problems)
            if lp:
                lawful.append(lp)
    if isinstance(sealed, dict):
        for name, n in counts.items():
            want = sealed.get(name, {}).get("entries") if isinstance(sealed.get(name), dict) else None
            if want is not None and want != n:
                problems.append(f"{name}: {n} entries, manifest.toml [files] says {want}")
    rules: dict[str, Any] = {}
    rules_name = manifest.get("rules_file")
    if rules_name:
        # "@packaged": a custom lexicon that keeps the packaged context rules
        rp = (default_lexicon_dir() / "rules.toml" if rules_name == PACKAGED_RULES
              else _inside(lexdir, rules_name, "rules_file", problems))
        if rp is not None:
            try:
                raw = rp.read_bytes()
                if rules_name != PACKAGED_RULES:
                    _check_sealed(sealed, rules_name, raw, problems)
                rules = tomllib.loads(raw.decode("utf-8"))
                digest.update(raw)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                problems.append(f"{rules_name}: cannot read rules: {e}")

    categories = None
    categories_name = manifest.get("categories_file")
    cp = _inside(lexdir, categories_name, "categories_file", problems) if categories_name else None
    if cp is not None:
        from .categorize import CategoryCues

        _check_sealed(sealed, categories_name, cp.read_bytes(), problems)
        try:
            categories = CategoryCues.load(cp)
        except LexiconError as e:
            problems.extend(e.problems)

    user_version = None
    if user_dir is not None:
        user_version = _load_user(Path(user_dir), terms, lawful, problems, digest)
    cue_lists = rules.get("requires_context", {})
    for t in terms:
        if t.requires_context is not None and t.requires_context not in cue_lists:
            problems.append(
                f"{t.source}: requires_context {t.requires_context!r} is not a list in "
                f"{rules_name or 'rules.toml'} [requires_context] ({sorted(cue_lists)})"
            )
    by_id: dict[str, Term] = {}
    for t in terms:
        if t.id in by_id:
            problems.append(f"{t.source}: duplicate id {t.id} (first at {by_id[t.id].source})")
        else:
            by_id[t.id] = t
    seen_law: dict[str, str] = {}
    for lp in lawful:
        if lp.id in seen_law:
            problems.append(f"{lp.source}: duplicate id {lp.id} (first at {seen_law[lp.id]})")
        seen_law[lp.id] = lp.source
    _check_forms(terms, problems)
    if problems:
        raise LexiconError(problems)
    warnings = [
        f"{t.source}: {t.max_severity} term {t.id} {t.term} has no suggestion; give a lawful alternative "
        f"or \"suggestion\": null with a no_suggestion_reason"
        for t in terms if t.lacks_alternative
    ]
    hexdigest = digest.hexdigest()[:16]
    version = str(manifest["version"])
    if user_version is not None:
        version = f"{version}+{user_version}.{hexdigest[:8]}"
    return Lexicon(
        name=str(manifest["name"]),
        version=version,
        terms=by_id,
        lawful=lawful,
        rules=rules,
        digest=hexdigest,
        path=lexdir,
        categories=categories,
        warnings=warnings,
    )
