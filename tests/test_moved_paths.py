"""Paths that moved in the package layout keep working for one release, with a warning."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("old", "new"), [("screening.spark", "screening.integrations.spark"),
                                          ("screening.spacy_component", "screening.integrations.spacy_component")])
def test_an_old_module_path_imports_the_new_module_with_a_warning(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_python_m_the_old_spark_path_still_runs_the_job() -> None:
    r = subprocess.run([sys.executable, "-W", "default", "-m", "screening.spark", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage" in r.stdout.lower() and "screening.integrations.spark" in r.stderr
