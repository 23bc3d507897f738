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
    assert {"screening/data/policy.toml", "screening/data/t2s.tsv", "screening/data/category_names.toml",
            "screening/models/README.md",
            "screening/models/risk_clf.npz", "screening/models/risk_clf.card.json"} <= names
    # the reviewer console's templates and static files (served from the installed copy)
    console = ROOT / "screening" / "integrations"
    shipped = {p.relative_to(ROOT).as_posix() for d in ("templates/console", "static/console")
               for p in (console / d).iterdir() if p.is_file()}
    assert {"screening/integrations/templates/console/base.html", "screening/integrations/templates/console/task.html",
            "screening/integrations/static/console/console.js", "screening/integrations/static/console/console.css"} <= shipped
    assert shipped <= names, shipped - names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_copy_loads_default_lexicons_and_screens(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import json, screening; from screening.engine.lexicon import load_lexicon;"
        "lex = load_lexicon();"
        "r = screening.screen('国家级工艺，最好的面霜');"
        "from screening.batch.vocabulary import load_vocabulary; v = load_vocabulary();"
        "print(json.dumps({'file': screening.__file__, 'lexdir': str(lex.path), 'terms': len(lex.active_terms),"
        " 'decision': r.decision, 'model': r.versions['model'], 'names': v.code('product_category', '保健品')}))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "SCREENING_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    assert info["file"].startswith(str(target))
    assert info["lexdir"].startswith(str(target))
    assert info["terms"] >= 800
    assert info["decision"] == "block"
    assert info["model"].startswith("risk_clf@")  # the packaged model loads from the installed copy
    assert info["names"] == "health_food"  # the category names ship in the wheel


def test_console_script_from_a_fresh_virtual_environment(wheel: Path, tmp_path: Path) -> None:
    """The wheel installs into a new venv and its `screening check` gates with exit codes.

    The dependencies are made visible to the new venv from this one (a .pth file) so the test
    needs no network; the package itself comes only from the wheel.
    """
    import site
    import sysconfig
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]
    Path(purelib, "deps.pth").write_text(deps + "\n" + "\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    script = env_dir / "bin" / "screening"  # written by pip from [project.scripts]
    env = {**os.environ, "SCREENING_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    where = subprocess.run([str(py), "-c", "import screening; print(screening.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(purelib)
    ok = subprocess.run([str(script), "check", "纯棉短袖T恤"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([str(script), "check", "全网第一的面霜", "--format", "json"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["decision"] == "block"
