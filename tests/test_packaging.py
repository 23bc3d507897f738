"""A built wheel carries the lexicons and loads them from the installed copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("screening-*.whl")
    return whl


def test_wheel_contains_lexicons_policy_and_tables(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "screening/lexicons/manifest.toml" in names
    assert "screening/lexicons/rules.toml" in names
    assert any(n.startswith("screening/lexicons/") and n.endswith(".jsonl") for n in names)
    assert {"screening/data/policy.toml", "screening/data/t2s.tsv", "screening/models/README.md"} <= names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_copy_loads_default_lexicons_and_screens(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import json, screening; from screening.lexicon import load_lexicon;"
        "lex = load_lexicon();"
        "r = screening.screen('国家级工艺，最好的面霜');"
        "print(json.dumps({'file': screening.__file__, 'lexdir': str(lex.path), 'terms': len(lex.active_terms),"
        " 'decision': r.decision}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "SCREENING_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    assert info["file"].startswith(str(target))
    assert info["lexdir"].startswith(str(target))
    assert info["terms"] >= 800
    assert info["decision"] == "block"
