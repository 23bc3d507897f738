"""The command line: check gates with exit codes, scan writes one result per record in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY

from screening.cli import cli

LEX = ["--lexicons", str(TINY), "--no-model"]


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("command", [[], ["check"], ["scan"], ["lexicon"], ["lexicon", "validate"], ["lexicon", "stats"],
                                     ["lexicon", "lookup"], ["lexicon", "add"], ["lexicon", "allow"], ["train"], ["eval"],
                                     ["serve"], ["queue"], ["queue", "decide"], ["queue", "stats"], ["merchants"]])
def test_commands_have_help(command: list[str]) -> None:
    r = run(*command, "--help")
    assert r.exit_code == 0 and "Usage" in r.output


def test_check_exit_codes_gate_publishing() -> None:
    assert run("check", "纯棉短袖", *LEX).exit_code == 0
    assert run("check", "最好的面霜", *LEX).exit_code == 1  # review >= default --fail-on review
    assert run("check", "最好的面霜", "--fail-on", "block", *LEX).exit_code == 0
    assert run("check", "国家级面霜", "--fail-on", "block", *LEX).exit_code == 1
    assert run("check", "   ", *LEX).exit_code == 2  # input error
    assert run("check", "最好", "--content-type", "tv", *LEX).exit_code == 2  # usage error


def test_check_human_output_names_the_law_and_the_alternative() -> None:
    r = run("check", "这是最好的面霜", *LEX)
    assert "【最好】" in r.output  # plain brackets when not on a terminal
    assert "绝对化用语 absolute_claim" in r.output
    assert "广告法第九条第三项" in r.output and "建议：优质" in r.output
    assert "REVIEW" in r.output and "merchant_compliance" in r.output


def test_check_json_is_the_contract_and_reads_stdin() -> None:
    r = run("check", "-", "--format", "json", *LEX, input="最好的面霜")
    d = json.loads(r.output)
    assert d["decision"] == "review" and d["findings"][0]["text"] == "最好"


def test_scan_keeps_order_and_survives_broken_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        '\ufeff{"id": "1", "text": "最好的面霜"}'.encode(),
        b'{"id": "2", "text": ',  # malformed JSON
        '{"id": "3", "text": "纯棉短袖"}'.encode(),
        b'{"id": "4", "text": "\xff\xfe bad bytes"}',  # not UTF-8
        '{"text": "没有id的记录"}'.encode(),
        '{"id": "6", "text": ""}'.encode(),
        '{"id": "7", "text": 123}'.encode(),
        '{"id": "8", "text": "国家级\\udc80工艺"}'.encode(),  # lone surrogate
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    r = run("scan", str(src), "-o", str(out), *LEX)
    assert r.exit_code == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(results) == 8
    assert [x["id"] for x in results] == ["1", None, "3", None, None, "6", "7", "8"]
    assert [x["decision"] for x in results] == ["review", "review", "pass", "review", "review", "review", "review", "block"]
    errors = [x["error"] for x in results]
    assert errors[0] is None and errors[2] is None and errors[7] is None
    assert errors[1].startswith("line 2: not valid JSON")
    assert errors[3].startswith("line 4: not valid UTF-8")
    assert errors[4] == "line 5: record has no id"
    assert errors[5] == "line 6: text is empty"
    assert errors[6] == "line 7: text must be a string, got int"
    assert "8 records" in r.stderr and "records with errors: 5" in r.stderr


def test_scan_reads_stdin_and_writes_stdout() -> None:
    r = run("scan", "-", *LEX, input='{"id": "a", "text": "最好"}\n{"id": "b", "text": "纯棉"}\n')
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["id"] for x in out] == ["a", "b"]


def test_lexicon_validate_reports_problems_with_lines(tmp_path: Path) -> None:
    d = tmp_path / "lex"
    d.mkdir()
    (d / "manifest.toml").write_text('name = "x"\nversion = "1"\nterm_files = ["t.jsonl"]\n', encoding="utf-8")
    (d / "t.jsonl").write_text('{"id": "ABS-0001"}\n', encoding="utf-8")
    r = run("lexicon", "validate", str(d))
    assert r.exit_code == 2
    assert "t.jsonl:1: missing required field(s)" in r.output
    ok = run("lexicon", "validate", str(TINY))
    assert ok.exit_code == 0 and "18 active terms" in ok.output


def test_lexicon_stats_shows_version_and_counts() -> None:
    d = json.loads(run("lexicon", "stats", str(TINY)).output)
    assert d["version"] == "0.0.1-test"
    assert d["by_category"]["absolute_claim"] == 12


def test_review_workflow_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "review.db")
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": "国家级工艺", "merchant_id": "m1"}, {"id": "b", "text": "纯棉短袖"},
            {"id": "c", "text": "最好的面霜", "merchant_id": "m1", "content_type": "live_script"}]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert run("scan", str(src), "-o", str(tmp_path / "out.jsonl"), "--queue", db, "--workers", "1", *LEX).exit_code == 0
    listed = json.loads(run("queue", "list", "--json", "--db", db).output)
    assert sorted(t["record_id"] for t in listed) == ["a", "c"]
    claimed = run("queue", "claim", "--role", "merchant_compliance", "--reviewer", "张三", "--db", db)
    assert claimed.exit_code == 0 and "【国家级】" in claimed.output
    assert run("queue", "claim", "--role", "merchant_compliance", "--reviewer", "李四", "--db", db).exit_code == 1
    tid = next(t["id"] for t in listed if t["record_id"] == "a")
    assert run("queue", "decide", str(tid), "--verdict", "confirmed", "--reviewer", "张三", "--db", db).exit_code == 0
    again = run("queue", "decide", str(tid), "--verdict", "confirmed", "--reviewer", "张三", "--db", db)
    assert again.exit_code == 2 and "is decided" in again.output
    other = next(t["id"] for t in listed if t["record_id"] == "c")
    assert run("queue", "escalate", str(other), "--to", "legal", "--reviewer", "王五", "--db", db).exit_code == 0
    assert json.loads(run("merchants", "--json", "--db", db).output)[0]["grade"] == "轻度"
    stats = json.loads(run("queue", "stats", "--db", db).output)
    assert stats["decided"] == 1 and stats["open"] == 1
    html = tmp_path / "kpi.html"
    assert run("queue", "stats", "--format", "html", "-o", str(html), "--db", db).exit_code == 0
    assert "复核工作台" in html.read_text(encoding="utf-8")
    exported = run("queue", "export", "--db", db).stdout
    assert json.loads(exported)["label"] == "violation"
