"""Catalogue scans: order, one output per input, parallel workers, column mapping, resume."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import TINY
from screening import Screener
from screening.batch.scan import FieldMap, Progress, ScanError, scan_file

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
LINES = [
    "2026新款 加绒卫衣 男 宽松 百搭",
    "全网第一的面霜，7天见效",
    "本品不能代替药物",
    "最好冷藏，开封后三天内食用",
    "国家级非遗工艺 手工红糖",
    "第一次买就回购了",
    "这是最好的洗发水",
]


def _write_jsonl(path: Path, n: int, broken: bool = True) -> None:
    with path.open("wb") as f:
        for i in range(n):
            if broken and i % 97 == 13:
                f.write(b'{"id": "broken", "text": \n')  # malformed JSON
            elif broken and i % 101 == 7:
                f.write(json.dumps({"text": LINES[i % len(LINES)]}, ensure_ascii=False).encode() + b"\n")  # no id
            else:
                rec = {"id": f"sku-{i:05d}", "text": LINES[i % len(LINES)]}
                f.write(json.dumps(rec, ensure_ascii=False).encode() + b"\n")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _strip_time(results: list[dict]) -> list[dict]:
    for r in results:
        if r.get("route"):
            r["route"]["due_at"] = None
    return results


def test_parallel_scan_keeps_order_and_one_output_per_input(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 3000)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    s1 = scan_file(tiny, str(src), str(one), workers=1)
    s2 = scan_file(tiny, str(src), str(two), workers=2)
    a, b = _strip_time(_read(one)), _strip_time(_read(two))
    assert len(a) == len(b) == 3000
    assert a == b
    assert s1.to_dict() == s2.to_dict()
    assert s2.errors == sum(1 for r in b if r["error"])
    assert a[13]["error"].startswith("line 14: not valid JSON") and a[13]["decision"] == "review"
    assert a[7]["error"] == "line 8: record has no id"
    assert a[0]["id"] == "sku-00000" and a[2999]["id"] == "sku-02999"


@pytest.fixture(scope="module")
def fixed(tiny_lexicon) -> Screener:
    """The tiny screener on a fixed clock: two scans of one input write the same bytes."""
    return Screener(tiny_lexicon, model=None, clock=lambda: NOW)


def _rec(rid: str | None, text: str) -> bytes:
    return json.dumps({"text": text} if rid is None else {"id": rid, "text": text}, ensure_ascii=False).encode()


def _messy(eol: bytes) -> bytes:
    """What shop exports really hold, every line of it screened or reported in the output."""
    lines = [
        codecs.BOM_UTF8 + _rec("sku-001", "全网最低价，第一品牌"),  # a BOM on line 1
        _rec("sku-002", "2026新款 加绒卫衣 男 宽松 百搭"),
        b"",  # blank lines in the middle: skipped, but counted
        b"   ",
        _rec("sku-005", "最好冷藏，开封后三天内食用"),
        _rec("sku-006", "全网第一的面霜，7天见效").decode().encode("gbk"),  # a GBK line in a UTF-8 file
        b'{"id": "sku-007", "text": ',  # not JSON
        '["国家级非遗工艺", "手工红糖"]'.encode(),  # JSON, not an object
        _rec(None, "这是最好的洗发水"),  # no id
        _rec("sku-010", "本品不能代替药物"),  # the last line, without a newline
    ]
    return eol.join(lines)


def _scan_both(screener: Screener, src: Path, tmp_path: Path, block_size: int, **kw) -> tuple[bytes, dict, dict]:
    """The output and summary of one worker, and of two workers sent blocks of ``block_size`` bytes:
    the same bytes, the same counts."""
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    s1 = scan_file(screener, str(src), str(one), workers=1, **kw)
    s2 = scan_file(screener, str(src), str(two), workers=2, block_size=block_size, **kw)
    assert two.read_bytes() == one.read_bytes()
    assert s2.to_dict() == s1.to_dict()
    return one.read_bytes(), s1.to_dict(), s2.to_dict()


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("block_size", [1, 13, 100, 1 << 18])
def test_blocks_of_lines_for_the_workers_write_what_one_worker_writes(
    fixed, tmp_path: Path, eol: bytes, block_size: int
) -> None:
    # With several workers a JSONL file goes to them as blocks of lines; a block of a few bytes
    # cuts records, characters and line endings wherever it falls.
    src = tmp_path / "in.jsonl"
    src.write_bytes(_messy(eol))
    data, summary, _ = _scan_both(fixed, src, tmp_path, block_size)
    r = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [x["id"] for x in r] == ["sku-001", "sku-002", "sku-005", None, None, None, None, "sku-010"]
    assert r[0]["decision"] == "review" and [f["text"] for f in r[0]["findings"]] == ["全网", "第一"]
    assert r[1]["decision"] == r[2]["decision"] == "pass"  # 最好冷藏: advice, not a claim
    assert r[3]["error"].startswith("line 6: not valid UTF-8 (invalid continuation byte at byte ")
    assert r[4]["error"].startswith("line 7: not valid JSON (Expecting value, column ")
    assert r[5]["error"] == "line 8: expected a JSON object, got list"
    assert r[6]["error"] == "line 9: record has no id"
    assert r[7]["decision"] == "pass" and r[7]["error"] is None
    assert summary["records"] == 8 and summary["errors"] == 4
    assert summary["decisions"] == {"review": 5, "pass": 3}


@pytest.mark.parametrize("encoding", [None, "gb18030"])
def test_blocks_of_gb18030_lines(fixed, tmp_path: Path, encoding: str | None) -> None:
    src = tmp_path / "gbk.jsonl"
    lines = [_rec("A1", "国家级工艺 纯手工"), b"", _rec("A2", "纯棉短袖"), b"{", _rec("A4", "最好的面霜")]
    src.write_bytes("\n".join(line.decode() for line in lines).encode("gb18030") + b"\n")
    data, summary, _ = _scan_both(fixed, src, tmp_path, 5, encoding=encoding)
    r = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [(x["id"], x["decision"]) for x in r] == [("A1", "block"), ("A2", "pass"), (None, "review"),
                                                     ("A4", "review")]
    assert r[0]["findings"][0]["text"] == "国家级"
    assert r[2]["error"].startswith("line 4: not valid JSON (")
    assert summary["records"] == 4


def test_utf16_jsonl_is_scanned_record_by_record(fixed, tmp_path: Path) -> None:
    # UTF-16 lines cannot be cut out of the bytes: the records are read here, not in the workers.
    src = tmp_path / "utf16.jsonl"
    text = "".join(json.dumps({"id": f"sku-{i}", "text": t}, ensure_ascii=False) + "\r\n" for i, t in enumerate(LINES))
    src.write_bytes((text + "\r\n[1]\r\n").encode("utf-16"))
    data, summary, _ = _scan_both(fixed, src, tmp_path, 64)
    r = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [x["id"] for x in r] == [f"sku-{i}" for i in range(len(LINES))] + [None]
    assert r[1]["decision"] == "block" and r[1]["findings"][0]["text"] == "全网第一"
    assert r[-1]["error"] == f"line {len(LINES) + 2}: expected a JSON object, got list"
    assert summary["records"] == len(LINES) + 1


def test_blocks_to_standard_output(fixed, tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(_messy(b"\n"))
    scan_file(fixed, str(src), "-", workers=1)
    one = capsys.readouterr().out
    scan_file(fixed, str(src), "-", workers=2, block_size=50)
    assert capsys.readouterr().out == one
    assert len(one.splitlines()) == 8 and one.endswith("\n")


def test_several_text_fields_are_screened_together(tiny, tmp_path: Path) -> None:
    src = tmp_path / "shop.csv"
    with src.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["商品ID", "标题", "详情", "类目"])
        w.writerow(["1001", "加绒卫衣", "全网第一的保暖效果", "general"])
        w.writerow(["1002", "最好的面霜", "", "cosmetics"])
        w.writerow(["1003", "", "", "general"])
    out = tmp_path / "out.jsonl"
    fields = FieldMap(text_fields=("标题", "详情"), id_field="商品ID", product_category_field="类目")
    scan_file(tiny, str(src), str(out), fields=fields)
    r = _read(out)
    assert [x["id"] for x in r] == ["1001", "1002", "1003"]
    assert [(f["field"], f["text"], f["start"]) for f in r[0]["findings"]] == [("详情", "全网第一", 0)]
    assert [(f["field"], f["text"]) for f in r[1]["findings"]] == [("标题", "最好")]
    assert r[2]["error"] == "row 4: all text fields are empty (标题, 详情)"


def test_gb18030_csv_is_detected(tiny, tmp_path: Path) -> None:
    src = tmp_path / "gbk.csv"
    src.write_bytes("id,text\nA1,国家级工艺 纯手工\nA2,纯棉短袖\n".encode("gb18030"))
    out = tmp_path / "out.jsonl"
    scan_file(tiny, str(src), str(out))
    r = _read(out)
    assert [x["decision"] for x in r] == ["block", "pass"]
    assert r[0]["findings"][0]["text"] == "国家级"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "html"])
def test_other_output_formats(tiny, tmp_path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 300)
    out = tmp_path / f"out.{fmt}"
    summary = scan_file(tiny, str(src), str(out), workers=2)
    assert out.exists() and not Path(f"{out}.partial.jsonl").exists()
    assert summary.records == 300
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert len(rows) == 300 and rows[1]["id"] == "sku-00001"
    elif fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(out, read_only=True)
        assert sum(1 for _ in wb["results"].iter_rows()) == 301
        wb.close()
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        assert table.num_rows == 300 and table.column("id")[1].as_py() == "sku-00001"
    else:
        assert "<html" in out.read_text(encoding="utf-8")


def test_stdout_needs_jsonl(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 3)
    with pytest.raises(ScanError, match="need an output file"):
        scan_file(tiny, str(src), "-", output_fmt="csv")


def test_resume_refuses_an_output_from_another_input(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 50, broken=False)
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "other-1"}) + "\n", encoding="utf-8")
    with pytest.raises(ScanError, match="cannot resume: result 1 .* has id 'other-1'"):
        scan_file(tiny, str(src), str(out), resume=True)


def _cli_scan(src: Path, out: Path, *extra: str, stderr: int | None = subprocess.DEVNULL) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "scan", str(src), "-o", str(out), "--lexicons", str(TINY), "--no-model",
         "--workers", "2", "--no-progress", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=stderr,
    )


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_resume_after_a_kill_gives_the_uninterrupted_output(tmp_path: Path, suffix: str) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 30_000)
    full = tmp_path / f"full.{suffix}"
    assert _cli_scan(src, full).wait(timeout=300) == 0
    out = tmp_path / f"out.{suffix}"
    log = Path(f"{out}.partial.jsonl")  # the results go beside the output until the scan is complete
    proc = _cli_scan(src, out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 100_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = log.read_bytes().count(b"\n")
    assert 0 < partial < 30_000, "the scan was not interrupted mid-way"
    resumed = _cli_scan(src, out, "--resume", stderr=subprocess.PIPE)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    assert b"from the interrupted scan" in err
    if suffix == "jsonl":
        assert _strip_time(_read(out)) == _strip_time(_read(full))
    else:
        def rows(p: Path) -> list[dict]:
            data = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
            for r in data:
                r["due_at"] = None
            return data
        assert rows(out) == rows(full)


def test_progress_line_shows_rate_and_eta() -> None:
    buf = io.StringIO()
    p = Progress(total=1000, stream=buf, enabled=True)
    p.start -= 10  # ten seconds ago
    p.update(250)
    line = p.line(p.start + 10)
    assert line.startswith("250/1,000 (25%)") and "25 rec/s" in line and "ETA 0:00:30" in line
    assert Progress(total=None, stream=io.StringIO()).enabled is False  # not a terminal: silent


def test_xlsx_in_xlsx_out_and_parquet_in_parquet_out(tiny, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [(1001, "加绒卫衣 全网第一", "listing"), (1002, "纯棉短袖", "listing"), (1003, None, "listing"),
            (1004, "家人们，最好的面霜", "live_script")]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商品ID", "标题", "content_type"])
    for r in rows:
        ws.append(list(r))
    src = tmp_path / "export.xlsx"
    wb.save(src)
    out = tmp_path / "results.xlsx"
    scan_file(tiny, str(src), str(out), fields=FieldMap(text_fields=("标题",), id_field="商品ID"))
    wb_out = openpyxl.load_workbook(out, read_only=True)
    got = list(wb_out["results"].iter_rows(values_only=True))
    wb_out.close()
    header = got[0]
    by = [dict(zip(header, r)) for r in got[1:]]
    assert [r["id"] for r in by] == ["1001", "1002", "1003", "1004"]  # numeric ids become text
    assert [r["decision"] for r in by] == ["block", "pass", "review", "review"]
    assert by[2]["error"] == "row 4: text is empty"

    table = pa.table({"sku": ["a", "b", "c"], "copy": ["国家级工艺", "纯棉短袖", "最好的选择"]})
    psrc = tmp_path / "catalogue.parquet"
    pq.write_table(table, psrc)
    pout = tmp_path / "results.parquet"
    scan_file(tiny, str(psrc), str(pout), fields=FieldMap(text_fields=("copy",), id_field="sku"), workers=2)
    res = pq.read_table(pout).to_pylist()
    assert [(r["id"], r["decision"]) for r in res] == [("a", "block"), ("b", "pass"), ("c", "review")]
    assert res[0]["findings"][0]["text"] == "国家级"


# ---------------------------------------------------------------------- category names, columns
def _shop_csv(path: Path, rows: list[tuple[str, str, str]], header: tuple[str, ...] = ("商品ID", "商品标题", "类目")
              ) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


SHOP = [
    ("1001", "面霜 补水保湿 全网第一", "化妆品"),
    ("1002", "增强免疫力 蛋白粉", "保健食品"),
    ("1003", "纯棉短袖 透气", "食品"),
    ("1004", "精华液 美白淡斑", "宠物用品"),  # not a known name: general, the category inferred
    ("1005", "宠物猫粮 营养均衡", "宠物用品"),
    ("1006", "2026新款 加绒卫衣", ""),  # none given: the --product-category default, no note
]
SHOP_FIELDS = FieldMap(text_fields=("商品标题",), id_field="商品ID", product_category_field="类目")


def test_a_chinese_export_without_a_mapping_stops_before_screening(engine, tmp_path: Path) -> None:
    from screening.batch.scan import MissingColumns

    src = _shop_csv(tmp_path / "导出.csv", SHOP)
    out = tmp_path / "out.jsonl"
    with pytest.raises(MissingColumns) as e:
        scan_file(engine, str(src), str(out))
    assert e.value.found == ["商品ID", "商品标题", "类目"]
    assert e.value.missing == [("--id-field", "id"), ("--text-field", "text")]
    assert e.value.suggested == [("--id-field", "商品ID"), ("--text-field", "商品标题"),
                                 ("--product-category-field", "类目")]
    assert "Its columns: 商品ID, 商品标题, 类目" in str(e.value)
    assert not out.exists()  # nothing screened, nothing written


def test_chinese_category_names_are_mapped_and_unknown_ones_screened_as_general(engine, tmp_path: Path) -> None:
    from screening.batch.vocabulary import bundled_vocabulary

    src = _shop_csv(tmp_path / "导出.csv", SHOP)
    out = tmp_path / "out.jsonl"
    summary = scan_file(engine, str(src), str(out), fields=SHOP_FIELDS)
    r = {x["id"]: x for x in _read(out)}
    assert len(r) == len(SHOP) and not any(x["error"] for x in r.values())  # every row screened
    assert r["1002"]["route"]["role"] == "risk_control"  # screened as health_food: a regulated sector
    assert all(x["versions"] == engine.versions for x in r.values())  # the screener's, as from any door
    assert [k for k, x in r.items() if "notes" in x] == ["1004", "1005"]
    inferred, plain = r["1004"]["notes"], r["1005"]["notes"]
    assert inferred[0]["field"] == "product_category" and inferred[0]["value"] == "宠物用品"
    assert inferred[0]["screened_as"] == "general"
    assert inferred[0]["category_names"] == bundled_vocabulary().version == summary.category_names
    assert "column 类目" in inferred[0]["message"] and "inferred from the text: cosmetics" in inferred[0]["message"]
    assert r["1004"]["inferred_category"]["category"] == "cosmetics"
    assert "inferred" not in plain[0]["message"]
    assert summary.to_dict()["unknown_names"] == {"product_category": {"宠物用品": 2}}
    assert "unknown product_category names (screened as general" in summary.text()
    assert "宠物用品 2" in summary.text()


def test_unknown_content_types_take_the_default(engine, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "text": "家人们 最好的面霜", "content_type": "直播"},
            {"id": "b", "text": "家人们 最好的面霜", "content_type": "电视购物"},
            {"id": "c", "text": "纯棉短袖", "content_type": "ＰＯＳＴ"}]
    src.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = scan_file(engine, str(src), str(out), fields=FieldMap(content_type="ad"))
    r = _read(out)
    assert r[0]["route"]["role"] == "content_review"  # 直播 → live_script
    assert r[1]["route"]["role"] == "merchant_compliance"  # unknown → the default, ad
    assert r[1]["notes"][0]["screened_as"] == "ad" and "notes" not in r[2]
    assert summary.unknown_names() == {"content_type": {"电视购物": 1}}


def test_a_category_map_adds_and_overrides_names(engine, tmp_path: Path) -> None:
    from screening.batch.vocabulary import load_vocabulary

    names = tmp_path / "类目.toml"
    names.write_text('version = "shop-2"\n[product_category]\ncosmetics = ["宠物用品"]\n', encoding="utf-8")
    src = _shop_csv(tmp_path / "导出.csv", SHOP)
    out = tmp_path / "out.jsonl"
    fields = FieldMap(text_fields=("商品标题",), id_field="商品ID", product_category_field="类目",
                      names=load_vocabulary(names))
    summary = scan_file(engine, str(src), str(out), fields=fields)
    r = _read(out)
    assert not any("notes" in x for x in r) and summary.unknown_names() == {}
    assert summary.to_dict()["category_names"].endswith("+shop-2")


def test_unknown_names_are_counted_alike_by_blocks_one_worker_and_a_resume(fixed, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    names = ["化妆品", "宠物用品", "Cosmetics", "汽配", "保健品", "宠物用品"]
    src.write_text("".join(json.dumps({"id": f"s{i}", "text": LINES[i % len(LINES)],
                                       "product_category": names[i % len(names)]}, ensure_ascii=False) + "\n"
                           for i in range(60)), encoding="utf-8")
    _, s1, _ = _scan_both(fixed, src, tmp_path, 100)  # two workers count what one counts
    assert s1["unknown_names"] == {"product_category": {"宠物用品": 20, "汽配": 10}}
    # A resumed scan counts the unknown names of the results it keeps from their notes.
    out = tmp_path / "resumed.jsonl"
    full = (tmp_path / "one.jsonl").read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(full[:25]))
    s3 = scan_file(fixed, str(src), str(out), resume=True)
    assert s3.resumed == 25 and s3.to_dict()["unknown_names"] == s1["unknown_names"]


def test_jsonl_columns_come_from_the_first_records(fixed, tmp_path: Path) -> None:
    from screening.batch.scan import MissingColumns

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"sku": f"s{i}", "标题": "纯棉短袖", "详情": "全网最低价"},
                                      ensure_ascii=False) + "\n" for i in range(30)), encoding="utf-8")
    with pytest.raises(MissingColumns) as e:
        scan_file(fixed, str(src), str(tmp_path / "out.jsonl"))
    assert e.value.found == ["sku", "标题", "详情"]
    assert e.value.suggested == [("--id-field", "sku"), ("--text-field", "标题"), ("--text-field", "详情")]
    # One text column of two misspelt is reported too, not screened as empty in every row.
    with pytest.raises(MissingColumns, match=r"no column '描述' \(--text-field\)"):
        scan_file(fixed, str(src), str(tmp_path / "out.jsonl"),
                  fields=FieldMap(text_fields=("标题", "描述"), id_field="sku"))
    # A record further down that lacks a field is that record's error, as before.
    scan_file(fixed, str(src), str(tmp_path / "out.jsonl"), fields=FieldMap(text_fields=("标题",), id_field="sku"))


def test_a_named_category_column_must_exist(fixed, tmp_path: Path) -> None:
    from screening.batch.scan import MissingColumns

    src = _shop_csv(tmp_path / "导出.csv", SHOP)
    with pytest.raises(MissingColumns, match=r"no column '品类' \(--product-category-field\)"):
        scan_file(fixed, str(src), str(tmp_path / "o.jsonl"),
                  fields=FieldMap(text_fields=("商品标题",), id_field="商品ID", product_category_field="品类"))


def test_empty_spreadsheet_cells_are_empty_text_in_the_output(tiny, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["商品ID", "标题", "详情"])
    ws.append(["1001", "加绒卫衣", None])
    ws.append(["1002", None, "全网最低价"])
    src = tmp_path / "export.xlsx"
    wb.save(src)
    out = tmp_path / "results.csv"
    scan_file(tiny, str(src), str(out), fields=FieldMap(text_fields=("标题", "详情"), id_field="商品ID"))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["text"] for r in rows] == ["标题: 加绒卫衣\n详情: ", "标题: \n详情: 全网最低价"]
    assert "None" not in out.read_text(encoding="utf-8-sig")


def test_ctrl_c_says_how_to_resume_and_the_command_resumes(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 200_000, broken=False)
    out = tmp_path / "out.jsonl"
    log = Path(f"{out}.partial.jsonl")
    proc = _cli_scan(src, out, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not log.exists() or log.stat().st_size < 100_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert "interrupted" in text
    command = text.strip().splitlines()[-1].split()
    assert command[-1] == "--resume" and str(src) in command and str(out) in command
    # The printed command (run from this checkout) continues the scan to the end.
    assert command[:2] == ["screening", "scan"]
    resumed = subprocess.run([sys.executable, str(ROOT / "cli.py"), *command[1:]], capture_output=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert b"from the interrupted scan" in resumed.stderr
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"sku-{i:05d}" for i in range(200_000)]


# ---------------------------------------------------------------------- data loss (issue 16)
def _being_written(out: Path) -> Path:
    """The file a running scan into ``out`` is writing: its checkpoint beside it, once there is one."""
    partial = Path(f"{out}.partial.jsonl")
    return partial if partial.exists() or not out.exists() else out


def _wait_for(path_of, size: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p = path_of()
        if p.exists() and p.stat().st_size >= size:
            return
        time.sleep(0.02)


def _tasks(db: Path) -> list[tuple[str, str, int]]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return sorted(conn.execute("SELECT record_id, role, revisions FROM tasks").fetchall())
    finally:
        conn.close()


def _catalogue_with_edits(path: Path, n: int) -> None:
    """The benchmark's synthetic catalogue, with some records appearing again later, edited
    (an edit relinks the record's open task) or unchanged (no new task)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from corpus import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    recs = list(generate(n, seed=16))
    for i in range(0, n, 97):
        again = dict(recs[i])
        if i % 2:
            again["text"] = "全网第一的面霜，7天见效 " + again["text"]
        recs.append(again)
    with path.open("w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_queue_scan_killed_and_resumed_opens_exactly_the_tasks_of_an_uninterrupted_one(tmp_path: Path,
                                                                                          suffix: str) -> None:
    src = tmp_path / "catalogue.jsonl"
    _catalogue_with_edits(src, 6000)
    full, full_db = tmp_path / f"full.{suffix}", tmp_path / "full.db"
    assert _cli_scan(src, full, "--queue", str(full_db)).wait(timeout=300) == 0
    expected = _tasks(full_db)
    assert len(expected) > 300
    out, db = tmp_path / f"out.{suffix}", tmp_path / "out.db"
    proc = _cli_scan(src, out, "--queue", str(db))
    _wait_for(lambda: _being_written(out), full.stat().st_size // 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = _being_written(out).read_bytes().count(b"\n")
    assert 0 < written < 6000, "the scan was not interrupted mid-way"
    resumed = _cli_scan(src, out, "--queue", str(db), "--resume", stderr=subprocess.PIPE)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    assert b"from the interrupted scan" in err
    got = _tasks(db)
    assert len(got) == len(expected)
    assert got == expected


PREVIOUS = "上一次的结果：国家级工艺 手工红糖\n".encode()


def test_the_input_is_never_the_output_by_any_path(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 50, broken=False)
    before = src.read_bytes()
    (tmp_path / "sub").mkdir()
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    for out in (src, tmp_path / "sub" / ".." / "in.jsonl", hard):
        with pytest.raises(ScanError, match=r"is the input .* \(the same file\)"):
            scan_file(tiny, str(src), str(out))
        assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.jsonl", "in.jsonl", "sub"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "html"])
def test_a_link_at_the_output_is_refused_and_what_it_points_to_is_untouched(tiny, tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 50, broken=False)
    victim = tmp_path / "results-of-last-week.txt"
    victim.write_bytes(PREVIOUS)
    link = tmp_path / f"out.{fmt}"
    link.symlink_to(victim)
    with pytest.raises(ScanError, match="symbolic link.*-o -"):
        scan_file(tiny, str(src), str(link))
    assert link.is_symlink() and victim.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", f"out.{fmt}", "results-of-last-week.txt"]


def test_a_fifo_at_the_output_is_refused(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 50, broken=False)
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ScanError, match="FIFO, not a regular file.*-o -"):
        scan_file(tiny, str(src), str(fifo))
    assert fifo.is_fifo()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx", "parquet", "html"])
def test_a_scan_that_fails_leaves_the_previous_output(tiny, tmp_path: Path, fmt: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 300, broken=False)
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(PREVIOUS)
    calls = []

    def stop(item: dict, result: dict) -> None:
        calls.append(item["id"])
        if len(calls) == 120:
            raise RuntimeError("disk full")

    if fmt == "jsonl":  # stops while screening
        with pytest.raises(RuntimeError, match="disk full"):
            scan_file(tiny, str(src), str(out), on_result=stop)
    else:  # stops while the output is written from the checkpoint
        from screening.batch import report, writers

        def failing(real):
            def row(item: dict, result: dict) -> dict:
                stop(item, result)
                return real(item, result)
            return row

        monkeypatch.setattr(writers, "result_row", failing(writers.result_row))
        monkeypatch.setattr(writers, "parquet_row", failing(writers.parquet_row))
        monkeypatch.setattr(report, "render_report", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
        with pytest.raises(RuntimeError, match="disk full"):
            scan_file(tiny, str(src), str(out))
    assert out.read_bytes() == PREVIOUS
    # No temporary file is left; the checkpoint is, for --resume.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", f"out.{fmt}", f"out.{fmt}.partial.jsonl"]


def test_resume_over_a_damaged_checkpoint_is_one_clear_error(tiny, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 20, broken=False)
    out = tmp_path / "out.jsonl"
    Path(f"{out}.partial.jsonl").write_bytes(b'{"id": "sku-00000"}\n\x00\x00\x00garbage\n')
    with pytest.raises(ScanError, match=r"cannot resume: line 2 of .*out.jsonl.partial.jsonl is not a result .*damaged"):
        scan_file(tiny, str(src), str(out), resume=True)


def test_an_output_written_in_place_by_an_earlier_version_resumes_without_being_written_to(fixed, tmp_path: Path
                                                                                         ) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, 300)
    full = tmp_path / "full.jsonl"
    scan_file(fixed, str(src), str(full))
    out = tmp_path / "out.jsonl"
    data = full.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 20  # 150-odd results and half a line
    out.write_bytes(data[:cut])
    inode = out.stat().st_ino
    summary = scan_file(fixed, str(src), str(out), resume=True)
    assert summary.resumed == data[:cut].count(b"\n") and out.read_bytes() == data
    assert out.stat().st_ino != inode  # replaced, not written in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.jsonl", "in.jsonl", "out.jsonl"]


def test_a_resume_without_the_stores_count_takes_each_record_version_once(tiny, tmp_path: Path) -> None:
    # The store lost how far the scan got (another database, an output moved): the resume takes
    # every record its output holds, and the intake, idempotent per record version, opens no
    # task twice and loses none.
    from screening.review.queue import ReviewQueue
    from screening.review.store import SQLiteStore

    src = tmp_path / "catalogue.jsonl"
    _catalogue_with_edits(src, 1500)
    full, full_db = tmp_path / "full.jsonl", tmp_path / "full.db"
    scan_file(tiny, str(src), str(full), queue=ReviewQueue(SQLiteStore(full_db)).scan_intake(str(full), resume=False))
    expected = _tasks(full_db)
    assert len(expected) > 100
    # An interrupted scan: 1,000 results in the checkpoint, the first 700 of them in the store.
    out, db = tmp_path / "out.jsonl", tmp_path / "out.db"
    results = _read(full)[:1000]
    Path(f"{out}.partial.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results),
                                            encoding="utf-8")
    fields = FieldMap()
    from screening.batch.readers import read_records

    items = [fields.item(n, raw, "line") for n, raw in read_records(str(src), "jsonl")][:700]
    queue = ReviewQueue(SQLiteStore(db))
    queue.intake_many(zip(items, results[:700]))
    intake = queue.scan_intake(str(out), resume=True)
    assert intake.taken() is None
    summary = scan_file(tiny, str(src), str(out), resume=True, queue=intake)
    assert summary.resumed == 1000
    assert _tasks(db) == expected
