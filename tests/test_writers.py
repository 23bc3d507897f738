"""Result writers: JSONL is exactly the contract; CSV, xlsx and Parquet hold the same results for people and tables."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from screening.batch import writers
from screening.batch.writers import COLUMNS, excel_text, open_writer, result_row

VERSIONS = {"screening": "0.1.0", "lexicon": "2026.11.1", "model": "risk_clf@2026.11.0", "policy": "routing@2026.11.0"}


def finding(start: int, text: str, category: str, suggestion: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "start": start,
        "end": start + len(text),
        "text": text,
        "term": text,
        "term_id": "ABS-0001" if category == "absolute_claim" else "PRC-0002",
        "category": category,
        "severity": "medium",
        "basis": "广告法第九条第三项" if category == "absolute_claim" else "价格法第十四条",
        "suggestion": suggestion,
        "detector": "lexicon",
        "confidence": 0.9,
        "explanation": "绝对化用语" if category == "absolute_claim" else "虚假紧迫",
        **extra,
    }


def record(rid: str | None, texts: dict[str, str], **kw: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "texts": texts,
        "merchant_id": "m-88",
        "content_type": "listing",
        "product_category": "general",
        **kw,
    }


def result(
    rid: str | None, decision: str, findings: list[dict[str, Any]], *, error: str | None = None
) -> dict[str, Any]:
    route = None
    if decision != "pass":
        route = {"role": "merchant_compliance", "due_at": "2026-11-23T10:00:00+08:00", "sla_hours": 24}
    return {
        "id": rid,
        "decision": decision,
        "risk": {"pass": 0.02, "review": 0.55, "block": 0.97}[decision],
        "severity": "none" if not findings else "medium",
        "findings": findings,
        "route": route,
        "versions": dict(VERSIONS),
        "error": error,
    }


# Three records: a clean listing, one with two fields and findings in both, and an error.
ITEMS = [
    record("sku-001", {"text": "2026新款 加绒卫衣 男 宽松"}),
    record("sku-002", {"title": "本店最大号 适合200斤", "detail": "全网最低价 仅此一天"}),
    record(None, {}),
]
RESULTS = [
    result("sku-001", "pass", []),
    result(
        "sku-002",
        "block",
        [
            finding(2, "最大号", "absolute_claim", None, field="title"),
            finding(0, "全网最低价", "absolute_claim", "低价", field="detail"),
            finding(6, "仅此一天", "price_fraud", "限时优惠", field="detail", rule="urgency"),
            finding(0, "全网最低价", "absolute_claim", "低价", field="detail"),
        ],
    ),
    result(None, "review", [], error="row 4: expected 2 fields, got 3"),
]


def write_all(path: Path | str, fmt: str | None = None, items=ITEMS, results=RESULTS, **kw: Any) -> None:
    with open_writer(str(path), fmt, **kw) as w:
        for item, res in zip(items, results):
            w.write(item, res)


# --------------------------------------------------------------------------- opening
def test_open_writer_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown output format 'html'"):
        open_writer(str(tmp_path / "a.html"), "html")
    with pytest.raises(ValueError, match="cannot tell the output format"):
        open_writer(str(tmp_path / "a.html"))
    with pytest.raises(ValueError, match="cannot be appended"):
        open_writer(str(tmp_path / "a.xlsx"), append=True)
    with pytest.raises(ValueError, match="cannot be appended"):
        open_writer(str(tmp_path / "a.parquet"), append=True)
    with open_writer(str(tmp_path / "a.NDJSON")) as w:
        assert isinstance(w, writers.JsonlWriter)
    with open_writer(str(tmp_path / "a.out"), "csv") as w:
        assert isinstance(w, writers.CsvWriter)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx", "parquet"])
def test_close_is_idempotent_and_write_after_close_fails(tmp_path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    p = tmp_path / f"a.{fmt}"
    w = open_writer(str(p))
    with w as entered:
        assert entered is w
        w.write(ITEMS[0], RESULTS[0])
    assert w.closed
    size = p.stat().st_size
    w.close()
    w.close()
    assert p.stat().st_size == size
    with pytest.raises(ValueError, match="closed"):
        w.write(ITEMS[0], RESULTS[0])


# --------------------------------------------------------------------------- flat rows
def test_result_row_columns() -> None:
    row = result_row(ITEMS[1], RESULTS[1])
    assert tuple(row) == COLUMNS
    assert row["id"] == "sku-002" and row["decision"] == "block" and row["risk"] == 0.97
    assert row["role"] == "merchant_compliance" and row["due_at"] == "2026-11-23T10:00:00+08:00"
    assert row["n_findings"] == 4
    assert row["categories"] == "absolute_claim;price_fraud"
    assert row["terms"] == "最大号;全网最低价→低价;仅此一天→限时优惠"
    assert row["text"] == "title: 本店最大号 适合200斤\ndetail: 全网最低价 仅此一天"
    assert json.loads(row["findings_json"]) == RESULTS[1]["findings"]
    assert json.loads(row["versions"]) == VERSIONS
    assert "全网最低价" in row["findings_json"]  # readable, not \\u-escaped
    single = result_row(ITEMS[0], RESULTS[0])
    assert single["text"] == "2026新款 加绒卫衣 男 宽松" and single["role"] is None and single["categories"] == ""


def test_result_row_takes_the_id_from_the_item_when_the_result_has_none() -> None:
    assert result_row(record("sku-9", {"text": "x"}), result(None, "review", [], error="e"))["id"] == "sku-9"


# --------------------------------------------------------------------------- JSONL
def test_jsonl_is_exactly_the_contract_result(tmp_path: Path) -> None:
    p = tmp_path / "out.jsonl"
    write_all(p)
    lines = p.read_bytes().decode("utf-8").splitlines()
    assert lines == [json.dumps(r, ensure_ascii=False) for r in RESULTS]
    assert [json.loads(line) for line in lines] == RESULTS


def test_jsonl_real_screener_results(tmp_path: Path, tiny) -> None:
    results = [
        r.to_dict() for r in tiny.screen_many([{"id": "a", "text": "这是最好的面霜"}, {"id": "b", "text": "纯棉短袖"}])
    ]
    items = [record("a", {"text": "这是最好的面霜"}), record("b", {"text": "纯棉短袖"})]
    write_all(tmp_path / "out.jsonl", items=items, results=results)
    assert [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()] == results


def test_jsonl_escapes_lone_surrogates_and_stays_valid(tmp_path: Path) -> None:
    bad = result("sku-x", "review", [], error="text has undecodable bytes")
    bad["findings"] = [finding(0, "最好\udc81", "absolute_claim", None)]
    p = tmp_path / "out.jsonl"
    write_all(p, items=[ITEMS[0], ITEMS[0]], results=[bad, RESULTS[0]])
    raw = p.read_bytes()
    lines = raw.decode("utf-8").splitlines()  # strict UTF-8: would raise on a surrogate
    assert "\\udc81" in lines[0] and "\\u6700" in lines[0]
    assert json.loads(lines[0]) == bad
    assert lines[1] == json.dumps(RESULTS[0], ensure_ascii=False)  # other lines stay readable


def test_jsonl_append(tmp_path: Path) -> None:
    p = tmp_path / "out.jsonl"
    write_all(p, items=ITEMS[:1], results=RESULTS[:1])
    write_all(p, items=ITEMS[1:], results=RESULTS[1:], append=True)
    assert [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines()] == RESULTS
    write_all(p, items=ITEMS[:1], results=RESULTS[:1])  # without append: replaced
    assert len(p.read_text(encoding="utf-8").splitlines()) == 1


def test_jsonl_to_stdout(monkeypatch) -> None:
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")  # a console encoding that cannot show Chinese
    monkeypatch.setattr(sys, "stdout", out)
    write_all("-")
    assert not out.closed
    text = out.buffer.getvalue().decode("utf-8")
    assert [json.loads(x) for x in text.splitlines()] == RESULTS


# --------------------------------------------------------------------------- CSV
def read_csv(p: Path) -> list[dict[str, str]]:
    with p.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_opens_with_utf8_sig_and_has_the_columns(tmp_path: Path) -> None:
    p = tmp_path / "out.csv"
    write_all(p)
    assert p.read_bytes().startswith(b"\xef\xbb\xbfid,decision,")
    with p.open(encoding="utf-8-sig", newline="") as f:
        assert tuple(next(csv.reader(f))) == COLUMNS
    rows = read_csv(p)
    assert len(rows) == 3
    assert rows[0]["id"] == "sku-001" and rows[0]["decision"] == "pass" and rows[0]["role"] == ""
    assert rows[0]["text"] == "2026新款 加绒卫衣 男 宽松" and rows[0]["n_findings"] == "0"
    assert rows[1]["categories"] == "absolute_claim;price_fraud"
    assert rows[1]["terms"] == "最大号;全网最低价→低价;仅此一天→限时优惠"
    assert rows[1]["text"] == "title: 本店最大号 适合200斤\ndetail: 全网最低价 仅此一天"
    assert json.loads(rows[1]["findings_json"]) == RESULTS[1]["findings"]
    assert float(rows[1]["risk"]) == 0.97
    assert rows[2]["id"] == "" and rows[2]["error"] == "row 4: expected 2 fields, got 3"


def test_csv_append_adds_rows_without_header_or_bom(tmp_path: Path) -> None:
    p = tmp_path / "out.csv"
    write_all(p, items=ITEMS[:1], results=RESULTS[:1], append=True)  # new file: header and BOM
    write_all(p, items=ITEMS[1:], results=RESULTS[1:], append=True)
    data = p.read_bytes()
    assert data.count(b"\xef\xbb\xbf") == 1 and data.count(b"id,decision") == 1
    assert [r["decision"] for r in read_csv(p)] == ["pass", "block", "review"]


def test_csv_keeps_lone_surrogates_visible(tmp_path: Path) -> None:
    p = tmp_path / "out.csv"
    write_all(p, items=[record("sku-x", {"text": "最好\udc81"})], results=[RESULTS[0]])
    assert read_csv(p)[0]["text"] == "最好\\udc81"


# --------------------------------------------------------------------------- xlsx
def test_xlsx_round_trip_with_summary(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    p = tmp_path / "out.xlsx"
    write_all(p)
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["results", "summary"]
    ws = wb["results"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == COLUMNS
    got = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    want = [result_row(i, r) for i, r in zip(ITEMS, RESULTS)]
    empty_as_none = [{k: (None if v == "" else v) for k, v in w.items()} for w in want]
    assert got == empty_as_none
    assert json.loads(got[1]["findings_json"]) == RESULTS[1]["findings"]

    summary = {(g, n): c for g, n, _label, c in list(wb["summary"].iter_rows(values_only=True))[1:]}
    assert summary[("total", "records")] == 3 and summary[("total", "errors")] == 1
    assert (
        summary[("decision", "pass")] == 1
        and summary[("decision", "block")] == 1
        and summary[("decision", "review")] == 1
    )
    assert summary[("category", "absolute_claim")] == 1  # records, not findings
    assert summary[("category", "price_fraud")] == 1 and summary[("category", "medical_claim")] == 0
    assert summary[("role", "merchant_compliance")] == 2
    labels = {(g, n): label for g, n, label, _c in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert labels[("category", "absolute_claim")] == "绝对化用语"


def test_xlsx_cells_are_safe_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    long_copy = "纯棉短袖 透气 " * 6000  # 48,000 characters
    items = [
        record("sku-1", {"text": '=HYPERLINK("http://example.com","全网最低价")'}),
        record("sku-2", {"text": "最好\x07的面霜\udc81"}),
        record("sku-3", {"text": long_copy}),
    ]
    p = tmp_path / "out.xlsx"
    write_all(p, items=items, results=[RESULTS[0]] * 3)
    ws = openpyxl.load_workbook(p)["results"]
    text_col = COLUMNS.index("text") + 1
    formula = ws.cell(row=2, column=text_col)
    assert formula.data_type == "s" and formula.value == items[0]["texts"]["text"]
    assert ws.cell(row=3, column=text_col).value == "最好\\x07的面霜\\udc81"
    truncated = ws.cell(row=4, column=text_col).value
    assert len(truncated) == writers.EXCEL_MAX_CELL and truncated.endswith("…(truncated)")
    assert long_copy.startswith(truncated[: -len("…(truncated)")])


def test_excel_text_counts_utf16_units() -> None:
    emoji = "🔥爆款" * 20_000  # 4 UTF-16 units per repeat
    out = excel_text(emoji)
    assert len(out.encode("utf-16-le")) // 2 <= writers.EXCEL_MAX_CELL and out.endswith("…(truncated)")
    assert excel_text("全网最低价") == "全网最低价"


def test_xlsx_without_openpyxl_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match=r'writing \.xlsx needs openpyxl: pip install "screening\[excel\]"'):
        open_writer(str(tmp_path / "out.xlsx"))


# --------------------------------------------------------------------------- Parquet
def test_parquet_round_trip_typed_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "out.parquet"
    write_all(p)
    table = pq.read_table(p)
    assert table.schema.equals(writers.parquet_schema())
    assert table.schema.field("risk").type == pa.float64()
    assert table.schema.field("versions").type == pa.map_(pa.string(), pa.string())
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ["sku-001", "sku-002", None]
    assert [r["decision"] for r in rows] == ["pass", "block", "review"]
    assert [r["risk"] for r in rows] == [0.02, 0.97, 0.55]
    assert rows[0]["route"] is None
    assert rows[1]["route"] == {"role": "merchant_compliance", "due_at": "2026-11-23T10:00:00+08:00", "sla_hours": 24.0}
    assert dict(rows[1]["versions"]) == VERSIONS
    assert rows[1]["text"] == "title: 本店最大号 适合200斤\ndetail: 全网最低价 仅此一天"
    assert rows[2]["error"] == "row 4: expected 2 fields, got 3" and rows[2]["findings"] == []
    # findings: every contract key, plus field, rule and suggestion_reason (null when absent)
    for got, want in zip(rows[1]["findings"], RESULTS[1]["findings"]):
        assert got == {"field": None, "rule": None, "suggestion_reason": None, **want}


def test_parquet_batches_keep_order_and_escape_surrogates(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    n = 2345
    items = [record(f"sku-{i:05d}", {"text": f"2026新款 加绒卫衣 第{i}款"}) for i in range(n)]
    results = [result(f"sku-{i:05d}", "pass", []) for i in range(n)]
    items[7] = record("sku-00007", {"text": "最好\udc81"})
    p = tmp_path / "out.parquet"
    write_all(p, items=items, results=results)
    table = pq.read_table(p)
    assert table.num_rows == n
    assert table.column("id").to_pylist() == [f"sku-{i:05d}" for i in range(n)]
    assert table.column("text")[7].as_py() == "最好\\udc81"


def test_parquet_with_no_records_still_has_the_schema(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "out.parquet"
    open_writer(str(p)).close()
    table = pq.read_table(p)
    assert table.num_rows == 0 and table.schema.equals(writers.parquet_schema())


def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r'writing \.parquet needs pyarrow: pip install "screening\[parquet\]"'):
        open_writer(str(tmp_path / "out.parquet"))


def test_csv_cells_with_merchant_text_never_run_as_formulas(tmp_path: Path) -> None:
    import csv as csv_module
    import io

    from screening.batch.writers import open_writer

    out = tmp_path / "out.csv"
    item = {"id": "=1+1", "texts": {"text": '=HYPERLINK("http://evil","点我")'}, "merchant_id": None,
            "content_type": "listing", "product_category": "general"}
    result = {"id": "=1+1", "decision": "pass", "risk": 0.1, "severity": "none", "findings": [], "route": None,
              "versions": {}, "error": None}
    with open_writer(str(out), "csv") as w:
        w.write(item, result)
    rows = list(csv_module.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0]["id"] == "'=1+1"
    assert rows[0]["text"].startswith("'=HYPERLINK")


# --------------------------------------------------------------------------- notes, empty cells
NOTE = {"field": "product_category", "value": "宠物用品", "screened_as": "general",
        "message": "product_category '宠物用品' (column 类目) is not a known name: screened as general"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_notes_and_empty_text_fields_in_every_table_format(tmp_path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        openpyxl = pytest.importorskip("openpyxl")
    if fmt == "parquet":
        pq = pytest.importorskip("pyarrow.parquet")
    items = [record("1004", {"标题": "猫粮 营养均衡", "详情": None}), record("1005", {"标题": None})]
    noted = {**result("1004", "pass", []), "notes": [NOTE, {**NOTE, "message": "second"}]}
    results = [noted, result("1005", "review", [], error="row 3: text is empty")]
    p = tmp_path / f"out.{fmt}"
    write_all(p, items=items, results=results)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
    elif fmt == "xlsx":
        got = list(openpyxl.load_workbook(p)["results"].iter_rows(values_only=True))
        rows = [dict(zip(got[0], r)) for r in got[1:]]
    else:
        rows = pq.read_table(p).to_pylist()
        # Parquet keeps the notes as typed structs; the summary counts unknown names from them.
        assert rows[0]["notes"][0] == {**NOTE, "category_names": None}
        assert [n["message"] for n in rows[0]["notes"]] == [NOTE["message"], "second"] and rows[1]["notes"] == []
        for r in rows:
            r["notes"] = "\n".join(n["message"] for n in r["notes"])
    assert rows[0]["notes"] == NOTE["message"] + "\nsecond"
    assert rows[1]["notes"] in ("", None)  # an empty cell: no notes
    assert rows[0]["text"] == "标题: 猫粮 营养均衡\n详情: "  # an empty field is empty, not "None"
    assert rows[1]["text"] in ("", None)


def test_result_row_notes_column() -> None:
    assert COLUMNS[-1] == "notes"
    assert result_row(ITEMS[0], {**RESULTS[0], "notes": [NOTE]})["notes"] == NOTE["message"]
    assert result_row(ITEMS[0], RESULTS[0])["notes"] is None


# --------------------------------------------------------------------------- never destroy (issue 16)
PREVIOUS = "上一次的结果：国家级工艺 手工红糖\n".encode()
FORMATS = ["jsonl", "csv", "xlsx", "parquet", "html"]


def _open(path: Path, fmt: str, **kw: Any) -> Any:
    if fmt == "xlsx":
        pytest.importorskip("openpyxl")
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    if fmt == "html":
        from screening.batch.report import HtmlReportWriter

        return HtmlReportWriter(str(path))
    return open_writer(str(path), fmt, **kw)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_link_at_the_target_is_refused_and_what_it_points_to_is_untouched(tmp_path: Path, fmt: str) -> None:
    victim = tmp_path / "listings.jsonl"  # somebody's file, reached through a link
    victim.write_bytes(PREVIOUS)
    link = tmp_path / f"out.{fmt}"
    link.symlink_to(victim)
    with pytest.raises(ValueError, match="symbolic link") as e, _open(link, fmt) as w:
        w.write(ITEMS[1], RESULTS[1])
    assert "-o -" in str(e.value)
    assert link.is_symlink() and victim.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["listings.jsonl", f"out.{fmt}"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_fifo_at_the_target_is_refused(tmp_path: Path, fmt: str) -> None:
    import os

    fifo = tmp_path / f"out.{fmt}"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that a writer opening it does not wait
    try:
        with pytest.raises(ValueError, match="FIFO, not a regular file.*-o -"), _open(fifo, fmt) as w:
            w.write(ITEMS[1], RESULTS[1])
        assert os.read(reader, 100) == b""  # nothing went into it
    finally:
        os.close(reader)
    assert fifo.is_fifo()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failed_write_leaves_the_previous_output_and_no_temporary_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(PREVIOUS)
    with pytest.raises(RuntimeError, match="screening stopped"), _open(out, fmt) as w:
        w.write(ITEMS[1], RESULTS[1])
        raise RuntimeError("screening stopped")
    assert out.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == [f"out.{fmt}"]
    # Completed, the output replaces the previous one, with its permissions.
    out.chmod(0o640)
    with _open(out, fmt) as w:
        w.write(ITEMS[1], RESULTS[1])
    assert out.read_bytes() != PREVIOUS and (out.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == [f"out.{fmt}"]


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_a_failure_when_finishing_removes_the_temporary_file(tmp_path: Path, fmt: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(PREVIOUS)
    w = _open(out, fmt)
    w.write(ITEMS[1], RESULTS[1])
    if fmt == "xlsx":
        monkeypatch.setattr(type(w._wb), "save", lambda self, target: (_ for _ in ()).throw(OSError(28, "No space left")))
    else:
        monkeypatch.setattr(w, "_flush", lambda: (_ for _ in ()).throw(OSError(28, "No space left")))
    with pytest.raises(OSError, match="No space left"):
        w.close()
    assert out.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == [f"out.{fmt}"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_append_that_fails_leaves_the_file_as_it_was(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    write_all(out, items=ITEMS[:1], results=RESULTS[:1])
    before = out.read_bytes()
    with pytest.raises(RuntimeError), open_writer(str(out), append=True) as w:
        w.write(ITEMS[1], RESULTS[1])
        raise RuntimeError("killed")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [f"out.{fmt}"]
    write_all(out, items=ITEMS[1:], results=RESULTS[1:], append=True)
    assert out.read_bytes().startswith(before) and len(out.read_bytes()) > len(before)
