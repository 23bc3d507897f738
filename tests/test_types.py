"""The result types: frozen, comparable, and built with every field of the contract."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from screening.types import Finding, Route, ScreeningResult, Suppressed

TYPES = [Finding, Suppressed, Route, ScreeningResult]


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
def test_the_fast_init_takes_exactly_the_fields_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        assert p.default == default, p.name


def test_a_finding_built_by_keyword_or_position_holds_every_field() -> None:
    args = (3, 5, "最好", "最好", "abs-0001", "absolute_claim", "high", "广告法第九条第三项", "更好",
            "lexicon", 0.9, "绝对化用语")
    by_position = Finding(*args, "negation", "title")
    by_keyword = Finding(**{f.name: v for f, v in zip(dataclasses.fields(Finding), (*args, "negation", "title"))})
    assert by_position == by_keyword
    assert dataclasses.astuple(by_position) == (*args, "negation", "title")
    assert (Finding(*args).rule, Finding(*args).field) == (None, None)
    assert hash(Finding(*args)) == hash(Finding(*args))
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_position.severity = "low"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Finding(*args[:-1])  # type: ignore[call-arg]


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
