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


# ------------------------------------------------------------ where in the script (issue 15, parts 5 and 7)
LIVE_SCRIPT = "家人们看过来\n这款面霜\n用了就是全网最好用的"


def test_check_names_the_line_and_column_of_a_claim_in_a_live_script() -> None:
    r = run("check", "--content-type", "live_script", *LEX, input=LIVE_SCRIPT.replace("\n", "\r\n"))
    assert r.exit_code == 1
    finding = next(line for line in r.output.splitlines() if "最好  绝对化用语" in line)
    assert finding.lstrip().startswith("3:7 ")
    # The original line itself follows, numbered, the claim marked.
    assert "3 | 用了就是全网【最好】用的" in r.output


def test_check_json_keeps_offsets_and_adds_line_and_column() -> None:
    r = run("check", "-", "--format", "json", *LEX, input=LIVE_SCRIPT)
    f = next(f for f in json.loads(r.output)["findings"] if f["text"] == "最好")
    assert LIVE_SCRIPT[f["start"]:f["end"]] == "最好"
    assert (f["line"], f["column"]) == (3, 7)


def test_check_of_a_long_script_prints_only_the_lines_with_findings() -> None:
    lines = [f"第{n}个福利，今天直播间下单送小样" for n in range(1, 41)]
    lines[36] = "这款面霜真的是全网最好用的"
    r = run("check", "--content-type", "live_script", *LEX, input="\n".join(lines))
    assert "37:10 " in r.output and "37 | 这款面霜真的是全网【最好】用的" in r.output
    assert "第5个福利" not in r.output and "共 40 行" in r.output


def test_check_with_no_text_explains_the_three_ways_to_give_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import screening.cli

    monkeypatch.setattr(screening.cli, "_stdin_is_terminal", lambda: True)
    r = run("check", *LEX)
    assert r.exit_code == 2
    assert "three ways" in r.output
    assert 'check "全网第一的面霜"' in r.output and "check --file script.txt" in r.output
    assert "| cli check -" in r.output
    monkeypatch.setattr(screening.cli, "_stdin_is_terminal", lambda: False)
    empty_pipe = run("check", *LEX, input="")
    assert empty_pipe.exit_code == 2 and "three ways" in empty_pipe.output


def test_queue_proposals_show_times_in_the_policys_zone(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from screening import Screener
    from screening.engine.lexicon import load_lexicon
    from screening.review.queue import ReviewQueue
    from screening.review.store import SQLiteStore

    db = str(tmp_path / "review.db")
    q = ReviewQueue(SQLiteStore(db), clock=lambda: datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc))
    text = "这款面霜是最好的选择"
    result = Screener(load_lexicon(TINY), model=None).screen(text, id="sku-1").to_dict()
    task = q.intake({"id": "sku-1", "texts": {"text": text}}, result)
    q.decide(task, "false_positive", "张三", propose_allow=True)
    proposals = json.loads(run("queue", "proposals", "--db", db).output)
    assert proposals and proposals[0]["created_at"] == "2026-11-21T10:00:00+08:00"  # Asia/Shanghai


def test_train_reports_its_progress_on_stderr(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    rows = [(t, "violation") for t in ("这款面霜全网第一", "喝了三天就能降血压", "根治脚气永不复发", "国家级专家推荐的枕头",
                                        "用了就是最好用的精华", "无效退款稳赚不赔", "七天美白祛斑", "包治百病的老偏方")]
    rows += [(t, "ok") for t in ("纯棉短袖透气舒适", "不锈钢保温杯容量500毫升", "东北大米当季新米", "实木餐桌可拆卸桌腿",
                                 "开封后请冷藏保存", "棉麻围巾多色可选", "充电宝容量一万毫安", "陶瓷马克杯可进微波炉")]
    data = tmp_path / "labeled.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "text": t, "label": y}, ensure_ascii=False) + "\n"
                            for i, (t, y) in enumerate(rows)), encoding="utf-8")
    r = run("train", "--data", str(data), "--folds", "2", "--out", str(tmp_path / "model"),
            "--lexicons", str(TINY), "--version", "test")
    assert r.exit_code == 0, r.output
    for step in ("read 16 labeled texts", "featurizing", "fold 1/2: fitting", "fold 2/2: screening",
                 "final model", "writing"):
        assert step in r.stderr, step
    assert "wrote" in r.stdout and "fold 1/2" not in r.stdout


def _chinese_export(path: Path) -> Path:
    rows = ["商品ID,商品标题,类目", "1001,面霜 补水保湿 全网第一,化妆品", "1002,增强免疫力 蛋白粉,保健食品",
            "1003,手工红糖 纯手工,食品", "1004,宠物猫粮 营养均衡,宠物用品", "1005,精华液 最好用,Cosmetics"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def test_scan_of_a_chinese_export_stops_with_the_columns_then_screens_every_row(tmp_path: Path) -> None:
    import shlex

    src = _chinese_export(tmp_path / "导出.csv")
    out = tmp_path / "out.jsonl"
    r = run("scan", str(src), "-o", str(out), "--workers", "1", *LEX)
    assert r.exit_code == 2 and not out.exists()
    assert "no column 'id' (--id-field) and no column 'text' (--text-field)" in r.stderr
    assert "Its columns: 商品ID, 商品标题, 类目" in r.stderr
    command = r.stderr.strip().splitlines()[-1]
    assert "--id-field 商品ID --text-field 商品标题 --product-category-field 类目" in command
    words = shlex.split(command)
    ok = run(*words[words.index("scan"):])  # the suggested command, as printed
    assert ok.exit_code == 0, ok.output
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in results] == ["1001", "1002", "1003", "1004", "1005"]
    assert not any(x["error"] for x in results)
    assert [x["id"] for x in results if x.get("notes")] == ["1004"]
    assert "unknown product_category names (screened as general" in ok.stderr and "宠物用品 1" in ok.stderr
    assert f"wrote 5 results to {out}" in ok.stderr


def test_scan_says_how_many_review_tasks_it_opened(tmp_path: Path) -> None:
    src = _chinese_export(tmp_path / "导出.csv")
    db = tmp_path / "review.db"
    r = run("scan", str(src), "-o", str(tmp_path / "out.csv"), "--id-field", "商品ID", "--text-field", "商品标题",
            "--product-category-field", "类目", "--queue", str(db), "--workers", "1", *LEX)
    assert r.exit_code == 0, r.output
    opened = len(json.loads(run("queue", "list", "--json", "--db", str(db)).output))
    assert opened > 0 and f"review tasks opened: {opened} in {db}" in r.stderr


def test_scan_category_map_and_named_defaults(tmp_path: Path) -> None:
    src = _chinese_export(tmp_path / "导出.csv")
    names = tmp_path / "names.toml"
    names.write_text('[product_category]\ngeneral = ["宠物用品"]\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = run("scan", str(src), "-o", str(out), "--id-field", "商品ID", "--text-field", "商品标题",
            "--product-category-field", "类目", "--category-map", str(names), "--content-type", "直播",
            "--summary-json", str(tmp_path / "summary.json"), *LEX)
    assert r.exit_code == 0, r.output
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert not any(x.get("notes") for x in results) and "unknown" not in r.stderr
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["category_names"].endswith(
        "+names.toml")
    assert results[0]["route"]["role"] == "content_review"  # 直播 → live_script
    bad = tmp_path / "bad.toml"
    bad.write_text('[product_category]\npets = ["宠物用品"]\n', encoding="utf-8")
    r = run("scan", str(src), "-o", str(out), "--category-map", str(bad), *LEX)
    assert r.exit_code == 2 and "'pets' is not a product_category" in r.stderr and "bad.toml" in r.stderr


def test_check_takes_chinese_category_and_content_type_names() -> None:
    r = run("check", "国家级面霜", "--product-category", "保健品", "--content-type", "直播", "--format", "json", *LEX)
    route = json.loads(r.stdout)["route"]
    assert r.exit_code == 1 and route["role"] == "risk_control" and route["sla_hours"] == 12  # health_food, live
    bad = run("check", "最好", "--product-category", "宠物用品", *LEX)
    assert bad.exit_code == 2 and "'宠物用品' is not a known product_category" in bad.output


def test_check_file_offsets_are_into_the_files_own_text_crlf_and_all(tmp_path: Path) -> None:
    script = LIVE_SCRIPT.replace("\n", "\r\n")
    path = tmp_path / "script.txt"
    path.write_bytes(script.encode("utf-8-sig"))
    for args, stdin in ((["--file", str(path)], None), (["-"], script)):
        f = next(f for f in json.loads(run("check", *args, "--format", "json", *LEX, input=stdin).output)["findings"]
                 if f["text"] == "最好")
        assert script[f["start"]:f["end"]] == "最好"  # the CRs count in the offsets
        assert (f["line"], f["column"]) == (3, 7)  # CRLF is one line break


# ------------------------------------------------------------ clear errors, exit 2, no traceback (issue 16, part 6)
def _one_line_error(r) -> str:
    """The command failed with exit 2 and one line on stderr naming the problem, no traceback."""
    assert r.exit_code == 2, (r.exit_code, r.output)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in r.output, r.stderr
    return lines[0]


@pytest.mark.parametrize(("name", "data", "fmt", "expected"), [
    ("导出.csv", "id,text,text\n1001,最好的面霜,纯棉\n".encode(), "csv", "column 'text' appears twice in the header"),
    ("商品.xlsx", "商品ID,商品标题\n1001,全网第一的面霜\n".encode(), "xlsx", "not an .xlsx workbook (not a zip archive)"),
    ("商品.parquet", b'{"id": "1001", "text": "x"}\n', "parquet", "not a Parquet file"),
])
@pytest.mark.parametrize("stdin", [False, True])
def test_scan_of_a_broken_file_is_one_line_and_leaves_no_output(tmp_path: Path, name: str, data: bytes, fmt: str,
                                                                  expected: str, stdin: bool) -> None:
    pytest.importorskip({"csv": "csv", "xlsx": "openpyxl", "parquet": "pyarrow"}[fmt])
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.jsonl"
    args = ["-", "--input-format", fmt] if stdin else [str(src)]
    r = CliRunner().invoke(cli, ["scan", *args, "-o", str(out), "--workers", "1", *LEX],
                           input=data if stdin else None, catch_exceptions=False)
    line = _one_line_error(r)
    assert expected in line and ("standard input" if stdin else name) in line
    assert not out.exists() and list(tmp_path.iterdir()) == [src]  # no empty output, no checkpoint


@pytest.mark.parametrize("out_name", ["out.csv", "out.xlsx", "out.parquet", "out.html", "out.jsonl"])
def test_scan_of_parquet_with_binary_text_screens_it(tmp_path: Path, out_name: str) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("openpyxl")
    src = tmp_path / "catalogue.parquet"
    pq.write_table(pa.table({"id": ["1001", "1002"],
                             "text": pa.array(["这是最好的面霜".encode(), b"\xff\xfe\xfd"], type=pa.binary())}), src)
    out = tmp_path / out_name
    r = run("scan", str(src), "-o", str(out), "--workers", "1", *LEX)
    assert r.exit_code == 0, r.output
    assert "records with errors: 1" in r.stderr
    if out_name == "out.jsonl":
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert results[0]["findings"][0]["text"] == "最好" and results[0]["error"] is None
        assert results[1]["error"].startswith("row 2: column 'text': binary value is not UTF-8 text")


def test_scan_resume_over_a_damaged_output_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": "最好的面霜"}, ensure_ascii=False) + "\n"
                           for i in range(3)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "0", "decision": "review"}\n\x00\x00garbage\n')
    r = CliRunner().invoke(cli, ["scan", str(src), "-o", str(out), "--resume", "--workers", "1", *LEX],
                           catch_exceptions=False)
    assert "out.jsonl" in _one_line_error(r)


def _cli_process(*args: str, stdout=None, env: dict | None = None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "screening", *args], stdout=stdout, stderr=subprocess.PIPE,
                          timeout=300, check=False, env={**os.environ, **(env or {})})


def _full_disk_error(p) -> str:
    err = p.stderr.decode("utf-8")
    assert p.returncode == 2, (p.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") and "No space left on device" in lines[-1], err
    return lines[-1]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_exit_2_and_one_line_never_1_or_a_traceback(tmp_path: Path) -> None:
    db = str(tmp_path / "review.db")
    from screening import Screener
    from screening.engine.lexicon import load_lexicon
    from screening.review.queue import ReviewQueue
    from screening.review.store import SQLiteStore

    q = ReviewQueue(SQLiteStore(db))
    text = "这款面霜是最好的选择"
    task = q.intake({"id": "sku-1", "texts": {"text": text}}, Screener(load_lexicon(TINY), model=None).screen(
        text, id="sku-1").to_dict())
    q.decide(task, "confirmed", "张三")
    q.intake({"id": "sku-2", "texts": {"text": "国家级工艺"}}, Screener(load_lexicon(TINY), model=None).screen(
        "国家级工艺", id="sku-2").to_dict())
    labeled = tmp_path / "labeled.jsonl"
    labeled.write_text(json.dumps({"id": "r1", "text": "这款面霜全网第一", "label": "violation"}, ensure_ascii=False)
                       + "\n" + json.dumps({"id": "r2", "text": "纯棉短袖透气舒适", "label": "ok"}, ensure_ascii=False)
                       + "\n", encoding="utf-8")
    with open("/dev/full", "w") as full:
        # check must say "error" (2), never "violation" (1), whatever its decision would be
        assert "standard output" in _full_disk_error(_cli_process("check", "最好的面霜", *LEX, stdout=full))
        _full_disk_error(_cli_process("check", "最好的面霜", "--format", "json", *LEX, stdout=full))
        _full_disk_error(_cli_process("queue", "list", "--db", db, stdout=full))
        _full_disk_error(_cli_process("queue", "list", "--json", "--db", db, stdout=full))
        _full_disk_error(_cli_process("queue", "stats", "--db", db, stdout=full))
        _full_disk_error(_cli_process("queue", "export", "--db", db, stdout=full))
        _full_disk_error(_cli_process("queue", "show", "2", "--db", db, stdout=full))
        _full_disk_error(_cli_process("eval", str(labeled), *LEX, stdout=full))
    assert "/dev/full" in _full_disk_error(_cli_process("queue", "export", "--db", db, "-o", "/dev/full"))
    assert "/dev/full" in _full_disk_error(_cli_process("queue", "stats", "--db", db, "-o", "/dev/full"))


def test_output_errors_in_process_are_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import click as click_module

    real_echo = click_module.echo

    def full(message=None, file=None, nl=True, err=False, color=None):
        if not err:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_echo(message, file=file, nl=nl, err=err, color=color)

    monkeypatch.setattr(click_module, "echo", full)
    r = CliRunner().invoke(cli, ["check", "最好的面霜", *LEX], catch_exceptions=False)
    assert "cannot write to standard output: No space left on device" in _one_line_error(r)


def test_ctrl_c_in_any_command_exits_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from screening import Screener

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Screener, "screen", interrupted)
    r = CliRunner().invoke(cli, ["check", "最好的面霜", *LEX], catch_exceptions=False)
    assert r.exit_code == 130 and "Traceback" not in r.output and "interrupted" in r.stderr


# ------------------------------------------------------------ merchant text on a terminal (issue 16, part 7)
HOSTILE_COPY = "\x1b]0;已审核通过\x07这是最好的面霜\x1b[2J\x9b31m\u202e第一\r"


def test_check_shows_control_and_escape_sequences_instead_of_sending_them() -> None:
    r = run("check", HOSTILE_COPY, *LEX)
    assert r.exit_code == 1
    for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert raw not in r.output
    assert "\\x1b]0;已审核通过\\x07这是【最好】的面霜\\x1b[2J\\x9b31m\\u202e【第一】\\x0d" in r.output
    explained = run("check", HOSTILE_COPY, "--explain", *LEX)
    assert "\x1b" not in explained.output
    # JSON stays exact: the same text and offsets when decoded.
    j = run("check", HOSTILE_COPY, "--format", "json", *LEX)
    assert "\x9b" not in j.stdout and "\u202e" not in j.stdout
    f = json.loads(j.stdout)["findings"][0]
    assert HOSTILE_COPY[f["start"]:f["end"]] == f["text"] == "最好"


def test_queue_show_and_list_show_escapes_of_merchant_text(tmp_path: Path) -> None:
    from screening import Screener
    from screening.engine.lexicon import load_lexicon
    from screening.review.queue import ReviewQueue
    from screening.review.store import SQLiteStore

    db = str(tmp_path / "review.db")
    q = ReviewQueue(SQLiteStore(db))
    result = Screener(load_lexicon(TINY), model=None).screen(HOSTILE_COPY, id="sku-\x1b[8m").to_dict()
    task = q.intake({"id": "sku-\x1b[8m", "texts": {"text": HOSTILE_COPY}, "merchant_id": "店铺\x1b]0;x\x07"}, result)
    for args in (["queue", "show", str(task)], ["queue", "list"], ["merchants"],
                 ["queue", "claim", "--role", "merchant_compliance", "--reviewer", "张三"]):
        r = run(*args, "--db", db)
        assert r.exit_code == 0, r.output
        for raw in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
            assert raw not in r.output, (args, r.output)
    shown = run("queue", "show", str(task), "--db", db).output
    assert "这是【最好】的面霜\\x1b[2J" in shown and "sku-\\x1b[8m" in shown
    listed = run("queue", "list", "--json", "--db", db).stdout
    assert "\x1b" not in listed and json.loads(listed)[0]["record_id"] == "sku-\x1b[8m"


def test_scan_refuses_its_input_or_a_link_as_output_before_touching_anything(tmp_path: Path) -> None:
    src = tmp_path / "listings.jsonl"
    src.write_text('{"id": "sku-1", "text": "全网第一的面霜，7天见效"}\n{"id": "sku-2", "text": "纯棉短袖"}\n',
                   encoding="utf-8")
    before = src.read_bytes()
    r = run("scan", str(src), "-o", str(src), "--workers", "1", *LEX)
    assert r.exit_code == 2 and "is the input" in r.output and "Traceback" not in r.output
    assert src.read_bytes() == before
    link = tmp_path / "out.jsonl"
    link.symlink_to(src)
    r = run("scan", str(src), "-o", str(link), "--workers", "1", *LEX)
    assert r.exit_code == 2 and src.read_bytes() == before and link.is_symlink()
    other = tmp_path / "report.html"
    other.symlink_to(tmp_path / "kept.html")
    (tmp_path / "kept.html").write_text("<html>上周的报告</html>", encoding="utf-8")
    r = run("scan", str(src), "-o", str(other), "--workers", "1", *LEX)
    assert r.exit_code == 2 and "symbolic link" in r.output and "-o -" in r.output
    assert other.is_symlink() and (tmp_path / "kept.html").read_text(encoding="utf-8") == "<html>上周的报告</html>"


def test_train_on_a_full_disk_names_the_model_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import screening.evaluation.train

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(screening.evaluation.train, "train", full)
    data = tmp_path / "labeled.jsonl"
    data.write_text(json.dumps({"id": "r1", "text": "这款面霜全网第一", "label": "violation"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    r = CliRunner().invoke(cli, ["train", "--data", str(data), "--out", str(tmp_path / "model"), "--lexicons", str(TINY)],
                           catch_exceptions=False)
    assert f"{tmp_path / 'model'}: No space left on device" in _one_line_error(r)


# --- eval and train, run for real on a small labeled set of the project's own writing ------------
_LABELED = [
    ("v1", "这款面霜全网第一，效果最好", "violation", "cosmetics", [("全网第一", "absolute_claim")]),
    ("v2", "喝了三天血压就降下来了，根治高血压", "violation", "food", [("根治", "medical_claim")]),
    ("v3", "国家级工艺，销量第一", "violation", "general", [("国家级", "absolute_claim")]),
    ("v4", "本品可治疗失眠，无副作用", "violation", "health_food", []),
    ("v5", "100%有效，永不反弹", "violation", "cosmetics", []),
    ("v6", "史上最强的吸尘器，绝无仅有", "violation", "general", []),
    ("v7", "三天美白，七天祛斑", "violation", "cosmetics", []),
    ("v8", "顶级品质，全球首发", "violation", "general", []),
    ("o1", "纯棉短袖T恤，透气舒适", "ok", "general", []),
    ("o2", "开封后最好冷藏保存", "ok", "food", []),
    ("o3", "面料100%纯棉，不起球", "ok", "general", []),
    ("o4", "第一次买这个牌子，包装很好", "ok", "general", []),
    ("o5", "保温杯容量500ml，不锈钢内胆", "ok", "general", []),
    ("o6", "物流很快，客服态度好", "ok", "general", []),
    ("o7", "我们不是最好的，但用料扎实", "ok", "general", []),
    ("o8", "适合通勤穿着，版型宽松", "ok", "general", []),
    ("u1", "还行吧", "unclear", "general", []),
]


def _labeled(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for id_, text, label, pc, spans in _LABELED:
            f.write(json.dumps({"id": id_, "text": text, "label": label, "content_type": "listing",
                                "product_category": pc,
                                "spans": [{"text": t, "category": c} for t, c in spans]}, ensure_ascii=False) + "\n")
    return path


def test_eval_scores_a_labeled_file_with_the_lexicons_alone(tmp_path: Path) -> None:
    data = _labeled(tmp_path / "labeled.jsonl")
    r = run("eval", str(data), *LEX)
    assert r.exit_code == 0, r.output
    head = r.stdout.splitlines()[0]
    assert head.startswith("n_violation=8 n_ok=8 ") and "fpr=0.000" in head and "Traceback" not in r.output
    assert "category" in r.stdout and "absolute_claim" in r.stdout
    r = run("eval", str(data), "--json", "--predictions", str(tmp_path / "pred.jsonl"), *LEX)
    m = json.loads(r.stdout)
    assert (m["n_violation"], m["n_ok"], m["fpr"], m["errors"]) == (8, 8, 0.0, 0)
    assert 0.5 <= m["recall"] < 1.0 and m["precision"] == 1.0  # the tiny lexicon misses some claims
    assert m["per_category"]["absolute_claim"]["spans"] == 2
    preds = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == [row[0] for row in _LABELED if row[2] != "unclear"]
    assert {p["decision"] for p in preds} <= {"pass", "review", "block"}


def test_eval_writes_its_error_analysis(tmp_path: Path) -> None:
    data = _labeled(tmp_path / "labeled.jsonl")
    out = tmp_path / "errors.json"
    r = run("eval", str(data), "-o", str(out), *LEX)
    assert r.exit_code == 0 and f"wrote {out}" in r.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["metrics"]["n_violation"] == 8 and "error_analysis" in d
    r = run("eval", str(data), "-o", str(tmp_path / "errors.txt"), *LEX)
    assert r.exit_code == 2 and "give a .html, .json or .jsonl file" in r.output
    r = run("eval", str(data), "--derive-policy", str(tmp_path / "p.toml"), *LEX)
    assert r.exit_code == 2 and "--cv" in r.output and not (tmp_path / "p.toml").exists()


def test_train_writes_a_model_that_eval_then_uses(tmp_path: Path) -> None:
    data = _labeled(tmp_path / "labeled.jsonl")
    model = tmp_path / "model"
    r = CliRunner().invoke(cli, ["train", "--data", str(data), "--out", str(model), "--folds", "2", "--version",
                                 "2026.01.01", "--lexicons", str(TINY)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert f"wrote {model}/risk_clf.npz (16 examples, 8 violations)" in r.stdout
    assert "2-fold grouped cross-validated" in r.stdout and "fold 2/2" in r.stderr
    card = json.loads((model / "risk_clf.card.json").read_text(encoding="utf-8"))
    assert card["n_examples"] == 16 and card["n_violation"] == 8 and card["version"] == "2026.01.01"
    assert (model / "risk_clf.npz").is_file()
    r = run("eval", str(data), "--json", "--model", str(model), "--lexicons", str(TINY))
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)
    assert (m["n_violation"], m["n_ok"], m["errors"]) == (8, 8, 0) and 0.0 <= m["auc"] <= 1.0


def test_eval_cross_validates_and_derives_a_policy(tmp_path: Path) -> None:
    from screening.engine.policy import Policy

    data = _labeled(tmp_path / "labeled.jsonl")
    derived = tmp_path / "policy.toml"
    r = run("eval", str(data), "--cv", "2", "--extra", str(data), "--derive-policy", str(derived), "--max-fpr", "0.5",
            "--block-precision", "0.5", "--lexicons", str(TINY))
    assert r.exit_code == 0, r.output
    assert "2-fold grouped cross-validation" in r.stderr and f"wrote {derived}" in r.stderr
    assert r.stdout.startswith("n_violation=8 n_ok=8 ")
    p = Policy.load(derived)
    assert p.derivation["data"] == "labeled.jsonl" and "2-fold grouped cross-validation" in p.derivation["method"]
    assert len(p.derivation["data_sha256"]) == 64
    assert 0.0 <= p.high_review_risk <= p.review_risk <= 1.0


def test_train_refuses_data_with_one_class_only(tmp_path: Path) -> None:
    data = tmp_path / "labeled.jsonl"
    data.write_text("".join(json.dumps({"id": f"o{i}", "text": t, "label": "ok"}, ensure_ascii=False) + "\n"
                            for i, t in enumerate(["纯棉短袖", "物流很快", "包装很好", "版型宽松"])), encoding="utf-8")
    r = CliRunner().invoke(cli, ["train", "--data", str(data), "--out", str(tmp_path / "model"), "--folds", "2",
                                 "--lexicons", str(TINY)], catch_exceptions=False)
    assert r.exit_code == 2 and "both violation and ok rows" in r.output and not (tmp_path / "model").exists()


# ---------------------------------------------------------------- the console's people and complaints (issue 18)


def _users_db(tmp_path: Path):
    from screening.review.store import SQLiteStore
    from screening.review.users import Users

    return Users(SQLiteStore(tmp_path / "review.db"))


@pytest.mark.parametrize("command", [["users"], ["users", "add"], ["users", "list"], ["users", "disable"],
                                     ["users", "passwd"], ["complaints"], ["complaints", "add"]])
def test_console_commands_have_help(command: list[str]) -> None:
    r = run(*command, "--help")
    assert r.exit_code == 0 and "Usage" in r.output


def test_users_add_list_disable_passwd(tmp_path: Path) -> None:
    db = str(tmp_path / "review.db")
    pw = tmp_path / "pw.txt"
    pw.write_text("小组长的密码-2026\n", encoding="utf-8")
    r = run("users", "add", "组长", "--lead", "--password-file", str(pw), "--db", db)
    assert r.exit_code == 0 and "added 组长" in r.output and "(lead)" in r.output
    # no terminal: the password is the first line of standard input
    r = run("users", "add", "张三", "--role", "content_review", "--role", "merchant_compliance", "--db", db,
            input="张三的密码-abcdef\n")
    assert r.exit_code == 0, r.output
    users = _users_db(tmp_path)
    assert users.authenticate("张三", "张三的密码-abcdef").roles == ("content_review", "merchant_compliance")
    assert users.authenticate("组长", "小组长的密码-2026").lead
    assert users.store.query("SELECT actor FROM audit WHERE action='user_added'")[0]["actor"].startswith("cli")
    r = run("users", "list", "--json", "--db", db)
    assert [(u["name"], u["lead"], u["active"]) for u in json.loads(r.stdout)] == [("张三", False, True),
                                                                                  ("组长", True, True)]
    r = run("users", "passwd", "张三", "--password-file", "-", "--db", db, input="另一个足够长的新密码啊\n")
    assert r.exit_code == 0 and "password set for 张三" in r.output
    assert users.authenticate("张三", "另一个足够长的新密码啊").name == "张三"
    assert run("users", "disable", "张三", "--db", db).exit_code == 0
    assert not users.by_name("张三").active
    assert "disabled" in run("users", "list", "--db", db).stdout
    assert run("users", "disable", "无此人", "--db", db).exit_code == 2


def test_users_add_prompts_on_a_terminal_and_refuses_bad_input(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "review.db")
    monkeypatch.setattr("screening.cli._stdin_is_terminal", lambda: True)
    r = run("users", "add", "李四", "--role", "legal", "--db", db, input="终端里输入的密码01\n终端里输入的密码01\n")
    assert r.exit_code == 0, r.output
    assert "终端里输入的密码01" not in r.output  # hidden
    assert _users_db(tmp_path).authenticate("李四", "终端里输入的密码01").roles == ("legal",)
    monkeypatch.setattr("screening.cli._stdin_is_terminal", lambda: False)
    r = run("users", "add", "王五", "--role", "legal", "--db", db, input="short\n")
    assert r.exit_code == 2 and "at least 10 characters" in r.output
    r = run("users", "add", "李四", "--role", "legal", "--db", db, input="终端里输入的密码01\n")
    assert r.exit_code == 2 and "exists" in r.output
    r = run("users", "add", "王五", "--role", "boss", "--db", db, input="终端里输入的密码01\n")
    assert r.exit_code == 2
    # a password is never an argument
    r = run("users", "add", "王五", "--role", "legal", "--password", "终端里输入的密码01", "--db", db)
    assert r.exit_code == 2 and "No such option" in r.output
    assert _users_db(tmp_path).by_name("王五") is None


def test_complaints_add_opens_a_72_hour_task(tmp_path: Path, tiny) -> None:
    from datetime import datetime, timezone

    from screening.review.queue import ReviewQueue
    from screening.review.store import SQLiteStore

    db = tmp_path / "review.db"
    q = ReviewQueue(SQLiteStore(db))
    text = "主播说这支口红最好看"
    res = tiny.screen(text, content_type="short_video", id="口红-1", now=datetime.now(timezone.utc)).to_dict()
    first = q.intake({"id": "口红-1", "texts": {"text": text}, "content_type": "short_video"}, res)
    r = run("complaints", "add", "口红-1", "--text", "直播夸大宣传", "--by", "消费者", "--actor", "客服小刘",
            "--db", str(db))
    assert r.exit_code == 0, r.output
    assert "complaint task 2 for record 口红-1: content_review" in r.output
    t = q.show(2)
    assert t["kind"] == "complaint" and t["sla_hours"] == 72
    due = datetime.fromisoformat(t["due_at"]) - datetime.fromisoformat(t["created_at"])
    assert due.total_seconds() == 72 * 3600
    row = json.loads(run("complaints", "list", "--db", str(db)).stdout)[0]
    assert row["channel"] == "cli" and row["complainant"] == "消费者" and row["linked_tasks"] == [first]
    assert q.store.query("SELECT actor FROM audit WHERE action='complaint_opened'")[0]["actor"] == "客服小刘"
    r = run("complaints", "add", "无此记录", "--text", "投诉", "--actor", "客服小刘", "--db", str(db))
    assert r.exit_code == 2 and "no screened record" in r.output
