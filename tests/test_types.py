"""The result types: frozen, comparable, and built with every field of the contract."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from screening.types import Route, ScreeningResult


def test_the_hand_written_init_takes_exactly_the_fields_with_their_defaults() -> None:
    params = list(inspect.signature(ScreeningResult.__init__).parameters.values())[1:]
    fields = dataclasses.fields(ScreeningResult)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        assert p.default == default, p.name


def test_a_result_is_frozen_compares_by_value_and_survives_pickling() -> None:
    route = Route("content_review", "2026-11-22T14:00:00+08:00", 2.0)
    r = ScreeningResult("v-1", "review", 0.62, "medium", (), route, {"lexicon": "2026.11.3"})
    assert (r.id, r.decision, r.risk, r.severity, r.route, r.error, r.suppressed) == \
        ("v-1", "review", 0.62, "medium", route, None, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.decision = "pass"  # type: ignore[misc]
    assert r == ScreeningResult("v-1", "review", 0.62, "medium", (), route, {"lexicon": "2026.11.3"})
    assert r != dataclasses.replace(r, decision="block")
    assert pickle.loads(pickle.dumps(r)) == r
