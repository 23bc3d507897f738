"""Golden cases for the engine (packaged lexicons and rules, no model), as data: compliance staff add lines, not Python.

Each line of ``tests/cases/*.jsonl``: ``text``, ``content_type``, ``product_category``, the
expected ``decision`` and findings ``[text, start, end, category]`` with offsets into the
original text, and ``why``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import assert_offsets

CASES = [
    pytest.param(case, id=case["why"])
    for path in sorted((Path(__file__).parent / "cases").glob("*.jsonl"))
    for case in map(json.loads, path.read_text(encoding="utf-8").splitlines())
]


@pytest.mark.parametrize("case", CASES)
def test_case(engine, case: dict) -> None:
    r = engine.screen(case["text"], content_type=case["content_type"], product_category=case["product_category"])
    assert [[f.text, f.start, f.end, f.category] for f in r.findings] == case["expect"]
    assert r.decision == case["decision"]
    assert_offsets(case["text"], r)
