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
    rest = ("negation", "title", "删除：没有合法表述")
    by_position = Finding(*args, *rest)
    by_keyword = Finding(**{f.name: v for f, v in zip(dataclasses.fields(Finding), (*args, *rest))})
    assert by_position == by_keyword
    assert dataclasses.astuple(by_position) == (*args, *rest)
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


def _claim(start: int, text: str, field: str | None = None) -> Finding:
    return Finding(start, start + len(text), text, text, "ABS-0053", "absolute_claim", "medium",
                   "广告法第九条第三项", "好用", "lexicon", 0.9, "绝对化用语", field=field)


def test_without_the_text_a_result_is_exactly_the_contract_and_has_no_positions() -> None:
    r = ScreeningResult("live-1", "review", 0.6, "medium", (_claim(19, "最好用"),), None, {})
    f = r.to_dict()["findings"][0]
    assert list(f) == ["start", "end", "text", "term", "term_id", "category", "severity", "basis", "suggestion",
                       "detector", "confidence", "explanation"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_given_the_text_each_finding_gets_its_line_and_column_next_to_its_offsets(newline: str) -> None:
    script = newline.join(["家人们看过来", "这款面霜", "用了就是全网最好用的"])
    start = script.index("最好用")
    r = ScreeningResult("live-1", "review", 0.6, "medium", (_claim(start, "最好用"), _claim(0, "家人们")), None, {})
    first, second = r.to_dict(texts=script)["findings"]
    # start/end stay offsets into the caller's text; CRLF is one line break.
    assert (first["start"], first["end"]) == (start, start + 3) and script[first["start"]:first["end"]] == "最好用"
    assert list(first)[:4] == ["start", "end", "line", "column"]
    assert (first["line"], first["column"]) == (3, 7)
    assert (second["line"], second["column"]) == (1, 1)


def test_positions_are_within_the_findings_own_field() -> None:
    texts = {"title": "修护面霜 全网最好用", "detail": "第一步洁面\n第二步涂抹\n坚持使用根治痘痘"}
    findings = (_claim(7, "最好用", field="title"), _claim(texts["detail"].index("根治"), "根治", field="detail"),
                _claim(0, "最好", field="sku_name"))  # a field the record does not have
    r = ScreeningResult("sku-9", "review", 0.6, "medium", findings, None, {})
    title, detail, unknown = r.to_dict(texts=texts)["findings"]
    assert (title["line"], title["column"]) == (1, 8)
    assert (detail["line"], detail["column"]) == (3, 5)
    assert "line" not in unknown and "column" not in unknown


def test_an_offset_outside_the_text_gets_no_position_and_suppressed_hits_get_theirs() -> None:
    s = Suppressed(7, 9, "最好", "最好", "ABS-0004", "advice", "建议用语")
    r = ScreeningResult(None, "review", 0.6, "medium", (_claim(40, "最好用"),), None, {}, suppressed=(s,))
    d = r.to_dict(explain=True, texts="开封后请冷藏\n最好三天内吃完")
    assert "line" not in d["findings"][0]
    assert (d["suppressed"][0]["line"], d["suppressed"][0]["column"]) == (2, 1)
