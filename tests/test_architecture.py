"""The package's layout is its architecture: every import points down the pipeline's wings.

The wings, lowest first (docs/architecture.md): the shared base (types, errors, about, cache,
heap, lines), the engine, the model, the screener, then batch, review and evaluation, and the
integrations on top; cli.py may use them all. A module may import its own wing and the wings
this table allows, never one above it: the engine knows nothing of the model, the model nothing
of catalogue files, the review workflow nothing of the screener.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "screening"
BASE = {"about", "errors", "types", "cache", "heap", "lines", "terminal"}
WINGS = ("engine", "model", "batch", "review", "evaluation", "integrations")
# What each wing may import besides itself and the base.
ALLOWED = {
    "base": set(),
    "engine": set(),
    "model": {"engine"},
    "screener": {"engine", "model"},
    "batch": {"engine", "model", "screener"},
    "review": {"engine"},
    "evaluation": {"engine", "model", "screener", "batch"},
    "integrations": {"engine", "model", "screener", "batch", "review"},
    "cli": {"engine", "model", "screener", "batch", "review", "evaluation", "integrations"},
}


def wing_of(module: str, strict: bool = True) -> str:
    """``screening.engine.rules`` → engine; ``screening.types`` → base. Not strict (an import's
    target), a name the package itself exports (from screening import Screener) is the front
    door, which only the top may use."""
    parts = module.split(".")
    assert parts[0] == "screening", module
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "cli"  # the package's front door re-exports, like the command line
    if parts[1] in WINGS:
        return parts[1]
    if parts[1] in BASE or parts[1] == "data":  # (data: the package's tables, no code)
        return "base"
    if parts[1] == "screener":
        return "screener"
    if parts[1] in ("cli", "spark", "spacy_component"):  # (the old paths are shims onto integrations)
        return "cli" if parts[1] == "cli" else "integrations"
    if not strict:
        return "cli"
    raise AssertionError(f"{module} belongs to no wing: put it in one (docs/architecture.md)")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """The screening modules ``path`` imports (at any depth: lazy imports count), with lines."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "screening"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "screening":
                continue
            if node.module is None or target.count(".") == 0:  # from . import heap / from screening import x
                out += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, target))
    return out


def violations(path: Path, source: str | None = None) -> list[str]:
    me = wing_of(module_name(path))
    bad = []
    for line, target in imports(path, source):
        them = wing_of(target, strict=False)
        if them not in ("base", me) and them not in ALLOWED[me]:
            bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {me} imports {target} ({them})")
    return bad


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_wing() -> None:
    for p in MODULES:
        wing_of(module_name(p))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_wings(path: Path) -> None:
    assert violations(path) == []


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("engine/rules.py", "from ..model.features import units"),  # the engine reading the model
        ("model/features.py", "from ..batch.readers import read_records"),  # the model reading files
        ("review/queue.py", "from ..screener import Screener"),  # the workflow screening by itself
        ("engine/normalize.py", "    from screening.integrations import service"),  # lazily, absolute
        ("batch/tally.py", "from screening import Screener"),  # through the front door
    ],
)
def test_a_wrong_import_is_caught(module: str, line: str) -> None:
    path = PACKAGE / module
    source = path.read_text(encoding="utf-8")
    if line.startswith(" "):
        source += f"\n\ndef _lazy():\n{line}\n"
    else:
        source = f"{line}\n{source}"
    assert violations(path, source), line


def test_the_base_imports_nothing_above_it() -> None:
    for name in BASE:
        path = PACKAGE / f"{name}.py"
        assert all(wing_of(t, strict=False) == "base" for _, t in imports(path)), name
