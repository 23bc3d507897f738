"""The lexicon loader validates everything and reports every problem as file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import TINY
from screening import LexiconError
from screening.engine.lexicon import load_lexicon

GOOD = {"id": "ABS-0900", "term": "顶呱呱", "category": "absolute_claim", "severity": "medium",
        "applies_to": ["all"], "basis": "广告法第九条第三项", "provenance": "test"}


def _lexdir(tmp_path: Path, rows: list[dict | str]) -> Path:
    d = tmp_path / "lex"
    shutil.copytree(TINY, d)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    with (d / "terms.jsonl").open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return d


def _problems(tmp_path: Path, rows: list[dict | str]) -> list[str]:
    with pytest.raises(LexiconError) as e:
        load_lexicon(_lexdir(tmp_path, rows))
    return e.value.problems


def test_the_tiny_lexicon_loads(tiny_lexicon) -> None:
    assert tiny_lexicon.version == "0.0.1-test"
    assert len(tiny_lexicon.active_terms) == 18
    assert tiny_lexicon.terms["ABS-0001"].source == "terms.jsonl:1"


def test_a_valid_extra_term_loads(tmp_path: Path) -> None:
    lex = load_lexicon(_lexdir(tmp_path, [GOOD]))
    assert lex.terms["ABS-0900"].term == "顶呱呱"


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, [
        "{not json",
        {**GOOD, "id": "ABS-0001"},                       # duplicate id
        {**GOOD, "id": "ABS-0901", "term": "最 好"},        # duplicate form after normalization
        {**GOOD, "id": "ABS-0902", "term": "顶刮刮", "allow_contexts": ["好东西"]},
        {**GOOD, "id": "ABS-0903", "term": "顶呱", "severity": "severe"},
        {**GOOD, "id": "ABS-0904", "term": "顶顶", "category": "boasting"},
        {**GOOD, "id": "ABS-0905", "term": "顶点", "applies_to": ["toys"]},
        {**GOOD, "id": "MED-0905", "term": "顶端"},          # prefix does not match category
        {**GOOD, "id": "ABS-0906", "term": "顶尖", "basis": ""},
    ])
    joined = "\n".join(problems)
    first = 18  # the tiny file has 17 lines; appended rows start after them
    assert f"terms.jsonl:{first}: not valid JSON" in joined
    assert f"terms.jsonl:{first + 1}: duplicate id ABS-0001 (first at terms.jsonl:1)" in joined
    assert f"terms.jsonl:{first + 2}: form '最 好' of ABS-0901 duplicates a form of ABS-0001" in joined
    assert f"terms.jsonl:{first + 3}: allow context '好东西' does not contain the term" in joined
    assert f"terms.jsonl:{first + 4}: severity 'severe'" in joined
    assert f"terms.jsonl:{first + 5}: category 'boasting'" in joined
    assert f"terms.jsonl:{first + 6}: applies_to has unknown value(s) ['toys']" in joined
    assert f"terms.jsonl:{first + 7}: id MED-0905 does not match category absolute_claim" in joined
    assert f"terms.jsonl:{first + 8}: missing required field(s) ['basis']" in joined
    assert len(problems) == 9


def test_the_same_form_may_serve_disjoint_sectors(tmp_path: Path) -> None:
    rows = [{**GOOD, "id": "GUA-0900", "term": "稳过", "category": "guarantee_claim", "applies_to": ["education"]},
            {**GOOD, "id": "GUA-0901", "term": "稳过", "category": "guarantee_claim", "applies_to": ["finance"]}]
    lex = load_lexicon(_lexdir(tmp_path, rows))
    assert {"GUA-0900", "GUA-0901"} <= set(lex.terms)
    overlapping = [rows[0], {**rows[1], "applies_to": ["all"]}]
    assert any("duplicates a form of GUA-0900" in p for p in _problems(tmp_path / "b", overlapping))


def test_missing_manifest_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read manifest"):
        load_lexicon(tmp_path)
    d = _lexdir(tmp_path, [])
    (d / "patterns.jsonl").unlink()
    with pytest.raises(LexiconError, match="names patterns.jsonl, which does not exist"):
        load_lexicon(d)


def test_digest_changes_with_content(tmp_path: Path) -> None:
    a = load_lexicon(_lexdir(tmp_path / "a", []))
    b = load_lexicon(_lexdir(tmp_path / "b", [GOOD]))
    assert a.digest != b.digest


def test_a_medium_or_high_term_without_an_alternative_is_a_warning(tmp_path: Path) -> None:
    """Neither a suggestion nor a no_suggestion_reason: the lexicon still loads (a user's own
    lexicon must not break), and the term is listed as file:line among the warnings."""
    rows = [
        {**GOOD, "id": "ABS-0900", "term": "顶呱呱"},                                   # neither
        {**GOOD, "id": "ABS-0901", "term": "顶呱", "suggestion": "口碑好"},
        {**GOOD, "id": "ABS-0902", "term": "顶刮刮", "suggestion": None,
         "no_suggestion_reason": "删除：没有合法表述"},
        {**GOOD, "id": "ABS-0903", "term": "顶尖尖", "severity": "low"},                 # low: not needed
        {**GOOD, "id": "ABS-0904", "term": "顶顶", "severity": "low", "sector_severity": {"food": "high"}},
    ]
    lex = load_lexicon(_lexdir(tmp_path, rows))
    first = 18
    mine = [w for w in lex.warnings if "ABS-09" in w]
    tail = 'has no suggestion; give a lawful alternative or "suggestion": null with a no_suggestion_reason'
    assert mine == [
        f"terms.jsonl:{first}: medium term ABS-0900 顶呱呱 {tail}",
        f"terms.jsonl:{first + 4}: high term ABS-0904 顶顶 {tail}",
    ]
    assert lex.terms["ABS-0902"].no_suggestion_reason == "删除：没有合法表述"
    assert lex.terms["ABS-0902"].suggestion is None and not lex.terms["ABS-0902"].lacks_alternative
    alt = lex.stats()["alternatives"]
    assert alt["missing"] == len(lex.warnings) and alt["missing"] >= 2
    assert alt["medium_high"] == alt["with_suggestion"] + alt["null_with_reason"] + alt["missing"]


def test_a_reason_beside_a_suggestion_or_an_empty_one_is_an_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, [
        {**GOOD, "id": "ABS-0900", "term": "顶呱呱", "suggestion": "口碑好", "no_suggestion_reason": "删除"},
        {**GOOD, "id": "ABS-0901", "term": "顶呱", "suggestion": None, "no_suggestion_reason": " "},
        {**GOOD, "id": "ABS-0902", "term": "顶刮刮", "suggestion": ""},
    ])
    first = 18
    assert problems == [
        f'terms.jsonl:{first}: no_suggestion_reason is only for "suggestion": null (the term has a suggestion)',
        f"terms.jsonl:{first + 1}: no_suggestion_reason must be a non-empty string",
        f"terms.jsonl:{first + 2}: suggestion must be a non-empty string or null",
    ]


def test_lexicon_stats_counts_alternatives_and_lists_the_missing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from screening.cli import cli

    d = _lexdir(tmp_path, [{**GOOD, "id": "ABS-0900", "term": "顶呱呱"}])
    r = CliRunner().invoke(cli, ["lexicon", "stats", str(d)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["alternatives"]["missing"] == len(out["warnings"]) >= 1
    assert any("ABS-0900 顶呱呱 has no suggestion" in w for w in out["warnings"])


# ---------------------------------------------------------------- sealed versions, contained paths
def _packaged_copy(tmp_path: Path) -> Path:
    from screening.engine.lexicon import default_lexicon_dir

    d = tmp_path / "packaged"
    shutil.copytree(default_lexicon_dir(), d)
    return d


def test_the_packaged_lexicon_is_sealed_and_loads() -> None:
    from screening.engine.lexicon import default_lexicon_dir

    manifest = (default_lexicon_dir() / "manifest.toml").read_text(encoding="utf-8")
    assert "[files]" in manifest and '"absolute.jsonl" = { sha256 = ' in manifest
    assert len(load_lexicon().active_terms) > 1000


@pytest.mark.parametrize("damage", ["empty", "one line less", "one character"])
def test_a_changed_file_under_the_same_version_is_refused(tmp_path: Path, damage: str) -> None:
    d = _packaged_copy(tmp_path)
    f = d / "absolute.jsonl"
    text = f.read_text(encoding="utf-8")
    f.write_text({"empty": "", "one line less": text.split("\n", 1)[1],
                  "one character": text.replace("最好", "最妙", 1)}[damage], encoding="utf-8")
    with pytest.raises(LexiconError, match="absolute.jsonl: SHA-256 does not match"):
        load_lexicon(d)


def test_sealing_again_after_a_deliberate_change_loads_it(tmp_path: Path) -> None:
    from screening.engine.lexicon import seal

    d = _packaged_copy(tmp_path)
    with (d / "absolute.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(GOOD, ensure_ascii=False) + "\n")
    with pytest.raises(LexiconError, match="SHA-256"):
        load_lexicon(d)
    table = seal(d)
    assert table["absolute.jsonl"]["entries"] == len((d / "absolute.jsonl").read_text(encoding="utf-8").splitlines())
    assert "ABS-0900" in load_lexicon(d).terms
    seal(d)  # sealing twice rewrites the one [files] table
    assert (d / "manifest.toml").read_text(encoding="utf-8").count("[files]") == 1


@pytest.mark.parametrize("name", ["../../../etc/passwd", "/etc/passwd", "sub/../../x.jsonl"])
def test_a_manifest_cannot_name_a_file_outside_its_directory(tmp_path: Path, name: str) -> None:
    d = tmp_path / "lex"
    shutil.copytree(TINY, d)
    m = d / "manifest.toml"
    m.write_text(m.read_text(encoding="utf-8").replace('"patterns.jsonl"', json.dumps(name)), encoding="utf-8")
    with pytest.raises(LexiconError, match="inside"):
        load_lexicon(d)


def test_a_manifest_cannot_follow_a_link_out_of_its_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    d = tmp_path / "lex"
    shutil.copytree(TINY, d)
    (d / "patterns.jsonl").unlink()
    (d / "patterns.jsonl").symlink_to(outside)
    with pytest.raises(LexiconError, match="leads outside"):
        load_lexicon(d)
