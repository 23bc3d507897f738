"""The evasion generator (screening.evaluation.robustness): each rewrite kind, determinism, what counts as
not applicable, and the report's counting."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening.cli import cli
from screening.engine.normalize import normalize
from screening.evaluation.robustness import (
    EVASIONS,
    KINDS,
    Targets,
    Variant,
    carriers,
    embed,
    evaluate,
    format_report,
    rewrite,
    tally,
    variants,
)

CREAM = {"id": "c1", "text": "全网第一的面霜", "spans": [{"text": "全网第一", "category": "absolute_claim"}],
         "content_type": "listing", "product_category": "cosmetics", "label": "violation"}
FOOT = {"id": "f1", "text": "三天根治脚气，不再复发", "spans": [{"text": "根治脚气", "category": "medical_claim"}],
        "content_type": "ad", "product_category": "general", "label": "violation"}
TARGETS = Targets(["全网第一", "根治", "脚气", "治疗"])


def _rw(row: dict, kind: str, seed: int = 0, targets: Targets | None = TARGETS) -> str | None:
    return rewrite(row["text"], row["spans"], kind, random.Random(seed), targets)


@pytest.mark.parametrize("kind", EVASIONS)
def test_every_kind_is_deterministic(kind: str) -> None:
    assert _rw(FOOT, kind, 7) == _rw(FOOT, kind, 7)
    a, _ = variants([CREAM, FOOT], seed=3, targets=["全网第一", "根治"])
    b, _ = variants([CREAM, FOOT], seed=3, targets=["全网第一", "根治"])
    assert a == b


def test_noise_kinds_separate_the_characters_and_normalize_back() -> None:
    spaced = _rw(CREAM, "spaces")
    assert spaced == "全 网 第 一的面霜"
    for kind in ("symbols", "emoji", "traditional"):
        out = _rw(CREAM, kind)
        assert out is not None and out != CREAM["text"]
        assert normalize(out).text == CREAM["text"], kind
    assert "\n" in _rw(FOOT, "linebreak")
    # Only inside the term: the rest of the text is untouched.
    assert _rw(FOOT, "spaces").endswith("，不再复发")


def test_one_character_kinds_change_one_character_of_each_term() -> None:
    out = _rw(FOOT, "pinyin", 1)
    assert out is not None and out.isascii() is False
    assert out.replace("gen", "根").replace("zhi", "治").replace("jiao", "脚").replace("qi", "气") == FOOT["text"]
    ini = _rw(FOOT, "initials", 1)
    assert sum(c.isascii() and c.isalpha() for c in ini) == 2  # one letter in 根治, one in 脚气
    homo = _rw(CREAM, "homophone", 0)
    assert homo in {"全网弟一的面霜", "全网第壹的面霜", "全网第1的面霜", "全囯第一的面霜"} or homo.startswith("全")
    assert _rw(CREAM, "digits") == "全网第1的面霜"


def test_a_rewrite_that_cannot_apply_is_not_applicable() -> None:
    ascii_only = {"id": "a", "text": "TOP1 best", "spans": [{"text": "TOP1"}], "content_type": "listing"}
    found, na = variants([ascii_only], kinds=("spaces", "pinyin", "digits", "fullwidth"))
    assert na == {"spaces": 1, "pinyin": 1, "digits": 1, "fullwidth": 0}
    assert [v.text for v in found] == ["ＴＯＰ１ best"]
    # No table entry: 脚气 has no homophone, no numeral.
    found, na = variants([{**FOOT, "text": "脚气", "spans": []}], kinds=("homophone", "digits"))
    assert found == [] and na == {"homophone": 1, "digits": 1}


def test_spans_without_a_known_term_are_rewritten_whole_and_rows_without_spans_too() -> None:
    row = {"id": "x", "text": "喝了就不咳嗽", "spans": [], "content_type": "post"}
    assert _rw(row, "spaces") == "喝 了 就 不 咳 嗽"


def test_embedding_puts_the_claim_between_sentences_of_lawful_copy() -> None:
    carrier = "第一句。第二句。"
    out = embed("根治脚气", carrier, random.Random(0))
    assert out in {"第一句。根治脚气。第二句。"}
    found, na = variants([CREAM], kinds=("embedded",), seed=1)
    assert na["embedded"] == 0 and CREAM["text"] in found[0].text and len(found[0].text) > len(CREAM["text"]) + 10


def test_packaged_carriers_cover_every_content_type_and_are_lawful(engine) -> None:
    pool = carriers()
    assert set(pool) == {"listing", "ad", "post", "live_script", "short_video"}
    for ct, texts in pool.items():
        for t in texts:
            r = engine.screen(t, content_type=ct)
            assert r.decision == "pass", (t, [f.term for f in r.findings])


def test_the_report_counts_applicable_caught_and_held() -> None:
    rows = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    found = [Variant("a#spaces", "a", "spaces", "", "listing", "general"),
             Variant("b#spaces", "b", "spaces", "", "listing", "general"),
             Variant("a#embedded", "a", "embedded", "", "listing", "general")]
    decisions = {"a": "block", "b": "review", "c": "pass", "a#spaces": "review", "b#spaces": "pass",
                 "a#embedded": "pass"}
    rep = tally(rows, found, {"spaces": 1, "embedded": 2}, decisions, decisions)
    spaces = next(k for k in rep["kinds"] if k["kind"] == "spaces")
    assert spaces["applicable"] == 2 and spaces["not_applicable"] == 1
    assert spaces["original_recall"] == 1.0 and spaces["variant_recall"] == 0.5 and spaces["held"] == 0.5
    assert spaces["missed"] == ["b#spaces"]
    # Embedding is no evasion: the pooled row counts only the evasion kinds.
    assert rep["evasions"]["applicable"] == 2 and rep["evasions"]["not_applicable"] == 1
    assert rep["original_recall"] == round(2 / 3, 4)
    assert "spaces" in format_report(rep)


def test_the_engine_holds_against_the_rewrites_of_the_project_examples(engine) -> None:
    rep, found, _ = evaluate(engine, [CREAM, FOOT], seed=0)
    assert rep["original_recall"] == 1.0
    for k in rep["kinds"]:
        if k["applicable"] and k["kind"] != "homophone":  # 弟一 is left to the model on purpose
            assert k["variant_recall"] == 1.0, k
    assert {v.kind for v in found} <= set(KINDS)


def test_cli_robustness_json_and_variants(tmp_path: Path) -> None:
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (CREAM, FOOT)) + "\n", encoding="utf-8")
    out = tmp_path / "variants.jsonl"
    res = CliRunner().invoke(cli, ["robustness", str(labeled), "--no-model", "--json", "--seed", "2", "-o", str(out)])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["violations"] == 2 and rep["seed"] == 2 and len(rep["kinds"]) == len(KINDS)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines and all(x["decision"] in {"pass", "review", "block"} for x in lines)
    again = CliRunner().invoke(cli, ["robustness", str(labeled), "--no-model", "--json", "--seed", "2"])
    assert json.loads(again.output) == rep
