"""Input readers: every format and the encodings shop back-ends export; a bad row never loses others."""

from __future__ import annotations

import io
import json
import sys
import types
from itertools import islice
from pathlib import Path

import pytest

from conftest import TESTS
from screening.batch import readers
from screening.batch.readers import BadRecord, detect_format, peek_columns, read_records, sniff_encoding

IO_FIXTURES = TESTS / "fixtures" / "io"

LISTINGS = [
    {"id": "sku-001", "text": "2026新款 加绒卫衣 男 宽松", "content_type": "listing", "product_category": "general"},
    {"id": "sku-002", "text": "本店最大号 适合200斤", "content_type": "listing", "product_category": "general"},
    {"id": "sku-003", "text": "全网最低价 仅此一天", "content_type": "ad", "product_category": "general"},
    {"id": "sku-004", "text": "祖传秘方 三天根治脱发", "content_type": "live_script", "product_category": "cosmetics"},
]


def read_all(path: Path | str, fmt: str | None = None, **kw) -> list:
    return list(read_records(str(path), fmt, **kw))


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --------------------------------------------------------------------------- formats
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("listings.jsonl", "jsonl"),
        ("导出/商品.NDJSON", "jsonl"),
        ("a.json-lines", "jsonl"),
        ("a.csv", "csv"),
        ("A.TSV", "tsv"),
        ("a.tab", "tsv"),
        ("商品列表.xlsx", "xlsx"),
        ("part-0001.parquet", "parquet"),
    ],
)
def test_detect_format_from_extension(name: str, fmt: str) -> None:
    assert detect_format(name) == fmt


@pytest.mark.parametrize("name", ["listings.json", "listings.xls", "listings", "a.csv.gz"])
def test_detect_format_rejects_unknown_extensions_naming_the_supported_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"\.jsonl.*\.parquet") as e:
        detect_format(name)
    assert name in str(e.value)


def test_read_records_validates_eagerly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown input format"):
        read_records("x.csv", "html")
    with pytest.raises(ValueError, match="unknown encoding"):
        read_records("x.csv", encoding="no-such-codec")
    with pytest.raises(FileNotFoundError):
        read_records(str(tmp_path / "missing.csv"))


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"", "utf-8"),
        (b'{"id": "1", "text": "abc"}\n', "utf-8"),
        ("2026新款 加绒卫衣 男 宽松".encode(), "utf-8"),
        ("2026新款 加绒卫衣 男 宽松".encode("utf-8-sig"), "utf-8-sig"),
        ("本店最大号".encode("utf-16"), "utf-16"),
        ("本店最大号".encode("utf-32"), "utf-32"),
        (b"\xfe\xff" + "本店最大号".encode("utf-16-be"), "utf-16"),
        ("全网最低价 仅此一天".encode("gb18030"), "gb18030"),
        ("全网最低价 仅此一天".encode("gbk"), "gb18030"),
        ("全网最低价 仅此一天".encode("gb2312"), "gb18030"),
        ("全网最低价".encode()[:-1], "utf-8"),  # a character cut by the end of the sample
        ("全网最低价".encode()[:-2], "utf-8"),
    ],
)
def test_sniff_encoding(sample: bytes, expected: str) -> None:
    assert sniff_encoding(sample) == expected


def test_sniff_encoding_keeps_utf8_with_a_corrupt_line() -> None:
    good = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LISTINGS).encode()
    sample = good + '{"id": "x", "text": "最好"}\n'.encode("gbk") + good
    assert sniff_encoding(sample) == "utf-8"
    # but a cut character in the middle of GB18030 text is still GB18030
    assert sniff_encoding("纯棉短袖 透气 ".encode("gb18030") * 100) == "gb18030"


def test_fixtures_are_really_gb18030() -> None:
    for name in ("listings_gb18030.csv", "listings_gb18030.jsonl"):
        data = (IO_FIXTURES / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_gb18030_csv_is_detected_and_read() -> None:
    got = read_all(IO_FIXTURES / "listings_gb18030.csv")
    assert got == [(n, rec) for n, rec in enumerate(LISTINGS, 2)]


def test_gb18030_jsonl_is_detected_and_read() -> None:
    got = read_all(IO_FIXTURES / "listings_gb18030.jsonl")
    assert got == [(n, rec) for n, rec in enumerate(LISTINGS, 1)]


def test_utf8_bom_csv_header_is_read_without_the_bom() -> None:
    got = read_all(IO_FIXTURES / "listings_utf8_bom.csv")
    assert list(got[0][1]) == ["id", "text", "content_type", "product_category"]
    assert got == [(n, rec) for n, rec in enumerate(LISTINGS, 2)]
    # an explicit utf-8 (not utf-8-sig) still strips the BOM from the header
    assert read_all(IO_FIXTURES / "listings_utf8_bom.csv", encoding="utf-8") == got


def test_utf8_bom_jsonl(tmp_path: Path) -> None:
    p = write_bytes(tmp_path, "a.jsonl", json.dumps(LISTINGS[0], ensure_ascii=False).encode("utf-8-sig"))
    assert read_all(p) == [(1, LISTINGS[0])]
    assert read_all(p, encoding="utf-8") == [(1, LISTINGS[0])]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    jl = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LISTINGS[:2]) + "[1]\n"
    p = write_bytes(tmp_path, "a.jsonl", jl.encode("utf-16"))
    assert read_all(p) == [(1, LISTINGS[0]), (2, LISTINGS[1]), (3, BadRecord("expected a JSON object, got list"))]
    tsv = "id\ttext\r\nsku-001\t2026新款 加绒卫衣 男 宽松\r\n"
    p = write_bytes(tmp_path, "a.tsv", tsv.encode("utf-16"))
    assert read_all(p) == [(2, {"id": "sku-001", "text": "2026新款 加绒卫衣 男 宽松"})]


def test_explicit_encoding_is_used_as_given() -> None:
    # GB18030 bytes read as UTF-8: every Chinese row is undecodable, and says so
    got = read_all(IO_FIXTURES / "listings_gb18030.csv", encoding="utf-8")
    assert got == [(n, BadRecord("undecodable bytes for encoding UTF-8")) for n in range(2, 6)]
    got = read_all(IO_FIXTURES / "listings_gb18030.jsonl", encoding="gbk")  # GBK is a subset here
    assert [rec for _, rec in got] == LISTINGS


def test_jsonl_bad_utf8_line_in_the_middle_is_the_only_bad_record() -> None:
    got = read_all(IO_FIXTURES / "bad_utf8_line.jsonl")
    assert [n for n, _ in got] == [1, 2, 3, 4]
    assert got[0][1] == {"id": "sku-001", "text": "2026新款 加绒卫衣 男 宽松"}
    assert got[1][1] == {"id": "sku-002", "text": "本店最大号 适合200斤"}
    assert isinstance(got[2][1], BadRecord)
    assert got[2][1].message.startswith("not valid UTF-8 (invalid")
    assert got[3][1] == {"id": "sku-004", "text": "纯棉短袖 透气"}


def test_csv_undecodable_row_after_the_sniffed_sample(tmp_path: Path) -> None:
    # The first 64 KiB say UTF-8; a GBK row further down is one bad row, the next row is fine.
    filler = "".join(f"sku-{i:05d},纯棉短袖 透气 第{i}件\n" for i in range(3000))
    data = ("id,text\n" + filler).encode() + "sku-x,全网最低价\n".encode("gbk") + "sku-y,最好\n".encode()
    assert len(data) > readers.SNIFF_BYTES
    got = read_all(write_bytes(tmp_path, "a.csv", data))
    assert len(got) == 3002
    assert got[-2] == (3002, BadRecord("undecodable bytes for encoding UTF-8"))
    assert got[-1] == (3003, {"id": "sku-y", "text": "最好"})


# --------------------------------------------------------------------------- JSONL
def test_jsonl_line_numbers_blank_lines_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps(LISTINGS[0], ensure_ascii=False),
        "",
        "   ",
        '["2026新款", "加绒卫衣"]',
        '"全网最低价"',
        "null",
        '{"id": "sku-009", "text": "最好的',
        json.dumps(LISTINGS[1], ensure_ascii=False),
    ]
    p = write_bytes(tmp_path, "a.jsonl", ("\r\n".join(lines) + "\r\n").encode())
    got = read_all(p)
    assert got[0] == (1, LISTINGS[0])
    assert got[1] == (4, BadRecord("expected a JSON object, got list"))
    assert got[2] == (5, BadRecord("expected a JSON object, got str"))
    assert got[3] == (6, BadRecord("expected a JSON object, got null"))
    assert got[4][0] == 7 and got[4][1].message.startswith("not valid JSON (")
    assert got[5] == (8, LISTINGS[1])


def test_jsonl_values_keep_their_json_types(tmp_path: Path) -> None:
    p = write_bytes(tmp_path, "a.jsonl", b'{"id": 7, "text": "\\u6700\\u597d", "tags": ["a"], "x": null}\n')
    assert read_all(p) == [(1, {"id": 7, "text": "最好", "tags": ["a"], "x": None})]


def test_jsonl_nested_too_deeply_or_numbers_too_long_are_bad_records(tmp_path: Path) -> None:
    deep = b"[" * 100_000
    long_number = b'{"id": 1' + b"0" * 5000 + b', "text": "\xe6\x9c\x80\xe5\xa5\xbd"}'
    good = json.dumps(LISTINGS[0], ensure_ascii=False).encode()
    got = read_all(write_bytes(tmp_path, "a.jsonl", b"\n".join([deep, long_number, good])))
    assert got[0] == (1, BadRecord("not valid JSON (nested too deeply)"))
    assert got[1][0] == 2 and got[1][1].message.startswith("not valid JSON (Exceeds the limit (4300 digits)")
    assert got[2] == (3, LISTINGS[0])


def test_jsonl_blocks_are_whole_lines_numbered_from_their_first(tmp_path: Path) -> None:
    # A scan's workers get blocks of lines and decode them: the same records, whatever the size.
    lines = [
        json.dumps(LISTINGS[0], ensure_ascii=False).encode("utf-8-sig"),
        b"",
        json.dumps(LISTINGS[1], ensure_ascii=False).encode("gbk"),  # not UTF-8
        '{"id": "sku-009", "text": "最'.encode(),
        json.dumps(LISTINGS[2], ensure_ascii=False).encode(),  # no newline at the end
    ]
    data = b"\r\n".join(lines)
    p = write_bytes(tmp_path, "a.jsonl", data)
    want = read_all(p)
    assert [n for n, _ in want] == [1, 3, 4, 5]
    assert want[0][1] == LISTINGS[0] and want[3][1] == LISTINGS[2]
    assert want[1][1] == BadRecord("not valid UTF-8 (invalid start byte at byte 27)")
    assert want[2][1].message.startswith("not valid JSON (")
    for size in (1, 2, 7, 64, readers.BLOCK_BYTES):
        src = readers.open_jsonl(str(p))
        try:
            blocks = list(src.blocks(size))
        finally:
            src.close()
        assert b"".join(block for _, block in blocks) == data
        assert all(block.endswith(b"\n") for _, block in blocks[:-1])
        firsts = [1]
        for _, block in blocks[:-1]:
            firsts.append(firsts[-1] + block.count(b"\n"))
        assert [first for first, _ in blocks] == firsts
        assert [r for first, block in blocks for r in src.decoder.records(first, block)] == want


def test_utf16_jsonl_cannot_be_cut_into_blocks(tmp_path: Path) -> None:
    jl = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LISTINGS[:2])
    src = readers.open_jsonl(str(write_bytes(tmp_path, "a.jsonl", jl.encode("utf-16"))))
    try:
        assert src.decoder is None
        with pytest.raises(ValueError, match="UTF-16 input cannot be read as blocks"):
            next(src.blocks())
        assert list(src.records()) == [(1, LISTINGS[0]), (2, LISTINGS[1])]
    finally:
        src.close()


# --------------------------------------------------------------------------- CSV / TSV
def test_csv_malformed_row_in_the_middle() -> None:
    got = read_all(IO_FIXTURES / "malformed_row.csv")
    assert len(got) == 4  # one item per data row
    assert got[0] == (2, {"id": "sku-001", "text": "2026新款 加绒卫衣 男 宽松"})
    assert got[1] == (3, BadRecord("expected 2 fields, got 3"))
    assert got[2] == (4, {"id": "sku-003", "text": "全网最低价 仅此一天"})
    assert got[3] == (5, {"id": "sku-004", "text": "纯棉短袖 透气"})


def test_csv_too_few_fields_and_stray_quote_are_bad_rows(tmp_path: Path) -> None:
    data = 'id,text,merchant_id\nsku-001,最好,m1\nsku-002\nsku-003,"全网"最低价,m1\nsku-004,"纯棉""短袖",m2\n'
    got = read_all(write_bytes(tmp_path, "a.csv", data.encode()))
    assert got[0] == (2, {"id": "sku-001", "text": "最好", "merchant_id": "m1"})
    assert got[1] == (3, BadRecord("expected 3 fields, got 1"))
    assert got[2][0] == 4 and isinstance(got[2][1], BadRecord) and "expected after" in got[2][1].message
    assert got[3] == (5, {"id": "sku-004", "text": '纯棉"短袖', "merchant_id": "m2"})


def test_csv_unclosed_quote_is_one_bad_row_and_the_rest_is_read() -> None:
    got = read_all(IO_FIXTURES / "unclosed_quote.csv")
    assert [n for n, _ in got] == [2, 3, 4, 5]
    assert got[0][1] == {"id": "sku-001", "text": "2026新款 加绒卫衣 男 宽松"}
    assert isinstance(got[1][1], BadRecord) and "unclosed quote" in got[1][1].message
    assert got[2][1] == {"id": "sku-003", "text": "全网最低价 仅此一天"}
    assert got[3][1] == {"id": "sku-004", "text": "纯棉短袖 透气"}


def test_csv_unclosed_quote_running_into_a_later_quoted_field(tmp_path: Path) -> None:
    # The stray quote of row 2 "closes" at row 4's opening quote, then the syntax breaks.
    data = 'id,text\nsku-001,"本店最大号 适合200斤\nsku-002,最好\nsku-003,"全网最低价, 仅此一天"\nsku-004,纯棉\n'
    got = read_all(write_bytes(tmp_path, "a.csv", data.encode()))
    assert [n for n, _ in got] == [2, 3, 4, 5]
    assert isinstance(got[0][1], BadRecord)
    assert [rec for _, rec in got[1:]] == [
        {"id": "sku-002", "text": "最好"},
        {"id": "sku-003", "text": "全网最低价, 仅此一天"},
        {"id": "sku-004", "text": "纯棉"},
    ]


def test_csv_unclosed_quote_on_the_last_row(tmp_path: Path) -> None:
    got = read_all(write_bytes(tmp_path, "a.csv", 'id,text\nsku-001,最好\nsku-002,"全网最低价'.encode()))
    assert got[0] == (2, {"id": "sku-001", "text": "最好"})
    assert got[1] == (3, BadRecord("unexpected end of data"))


def test_csv_unclosed_quote_is_bounded_by_the_row_size_guard(tmp_path: Path, monkeypatch) -> None:
    # No later quote and a long file: the guard stops the runaway field, the lines are read again.
    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 500)
    rows = [f"sku-{i:03d},纯棉短袖 透气 第{i}件" for i in range(200)]
    rows[10] = 'sku-010,"2026新款 加绒卫衣'
    got = read_all(write_bytes(tmp_path, "a.csv", ("id,text\n" + "\n".join(rows) + "\n").encode()))
    assert len(got) == 200 and [n for n, _ in got] == list(range(2, 202))
    bad = [(n, rec) for n, rec in got if isinstance(rec, BadRecord)]
    assert [n for n, _ in bad] == [12]
    assert "longer than 500" in bad[0][1].message
    assert got[11] == (13, {"id": "sku-011", "text": "纯棉短袖 透气 第11件"})


def test_csv_field_size_limit_guard(tmp_path: Path) -> None:
    import csv

    limit = csv.field_size_limit()
    rows = [f"sku-{i:05d},纯棉短袖 透气" for i in range(limit // 10)]
    rows[1] = 'sku-00001,"全网最低价'
    got = read_all(write_bytes(tmp_path, "a.csv", ("id,text\n" + "\n".join(rows) + "\n").encode()))
    assert len(got) == len(rows)
    assert [n for n, rec in got if isinstance(rec, BadRecord)] == [3]
    assert "field limit" in got[1][1].message
    assert got[-1][1] == {"id": f"sku-{len(rows) - 1:05d}", "text": "纯棉短袖 透气"}


def test_csv_multiline_quoted_field_is_one_row(tmp_path: Path) -> None:
    data = 'id,text\r\nsku-001,"2026新款 加绒卫衣\r\n男 宽松"\r\nsku-002,本店最大号\r\n'
    got = read_all(write_bytes(tmp_path, "a.csv", data.encode()))
    assert got == [
        (2, {"id": "sku-001", "text": "2026新款 加绒卫衣\r\n男 宽松"}),
        (3, {"id": "sku-002", "text": "本店最大号"}),
    ]


def test_csv_empty_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    data = "\nid , text ,\nsku-001,最好,\n\n,,\nsku-002,最佳,\n"
    got = read_all(write_bytes(tmp_path, "a.csv", data.encode()))
    # header stripped of spaces; the unnamed third column is left out of records
    assert got == [(3, {"id": "sku-001", "text": "最好"}), (6, {"id": "sku-002", "text": "最佳"})]


def test_csv_header_problems_raise(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'id' appears twice"):
        read_all(write_bytes(tmp_path, "a.csv", b"id,text,id\n1,2,3\n"))
    with pytest.raises(ValueError, match="cannot read the header"):
        read_all(write_bytes(tmp_path, "b.csv", b'id,"te"xt\n1,2\n'))
    assert read_all(write_bytes(tmp_path, "c.csv", b"")) == []


def test_tsv_keeps_commas_and_quotes_in_copy(tmp_path: Path) -> None:
    data = 'id\ttext\nsku-001\t全网最低价, 仅此一天\nsku-002\t"最好"的面霜\n'
    # a quote opening a field must be closed in TSV too; this one is, then text follows: bad row
    got = read_all(write_bytes(tmp_path, "a.tsv", data.encode("gb18030")))
    assert got[0] == (2, {"id": "sku-001", "text": "全网最低价, 仅此一天"})
    assert got[1][0] == 3 and isinstance(got[1][1], BadRecord)


def test_reader_is_a_lazy_generator_over_a_large_csv(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    with p.open("w", encoding="utf-8", newline="") as f:
        f.write("id,text,product_category\n")
        for i in range(200_000):
            f.write(f"sku-{i:06d},2026新款 加绒卫衣 男 宽松 第{i}款,general\n")
    gen = read_records(str(p))
    assert isinstance(gen, types.GeneratorType)
    try:
        first = list(islice(gen, 10))
    finally:
        gen.close()
    assert [n for n, _ in first] == list(range(2, 12))
    assert first[9][1] == {"id": "sku-000009", "text": "2026新款 加绒卫衣 男 宽松 第9款", "product_category": "general"}


# --------------------------------------------------------------------------- stdin
def fake_stdin(monkeypatch, data: bytes) -> io.TextIOWrapper:
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    return stdin


def test_stdin_defaults_to_jsonl_and_is_left_open(monkeypatch) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LISTINGS).encode("gb18030")
    stdin = fake_stdin(monkeypatch, data)
    assert [rec for _, rec in read_all("-")] == LISTINGS
    assert not stdin.buffer.closed


@pytest.mark.parametrize("encoding", [None, "gb18030"])
def test_stdin_csv(monkeypatch, encoding: str | None) -> None:
    stdin = fake_stdin(monkeypatch, (IO_FIXTURES / "listings_gb18030.csv").read_bytes())
    assert [rec for _, rec in read_all("-", "csv", encoding=encoding)] == LISTINGS
    assert not stdin.buffer.closed


# --------------------------------------------------------------------------- xlsx
def test_xlsx_first_sheet_header_row_and_cell_values(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "商品"
    ws.append([])  # an empty first row: the header is the first non-empty row
    ws.append(["id", " text ", "content_type", None, "price"])
    ws.append([1001, "2026新款 加绒卫衣 男 宽松", "listing", "备注", 199.5])
    ws.append([None, None, None])
    ws.append(["sku-002", "本店最大号 适合200斤", None, None, 88])
    ws.append(["sku-003", "全网最低价 仅此一天"])
    wb.create_sheet("other").append(["id", "text"])
    p = tmp_path / "listings.xlsx"
    wb.save(p)
    got = read_all(p)
    assert got == [
        (3, {"id": 1001, "text": "2026新款 加绒卫衣 男 宽松", "content_type": "listing", "price": 199.5}),
        (5, {"id": "sku-002", "text": "本店最大号 适合200斤", "content_type": "", "price": 88}),
        (6, {"id": "sku-003", "text": "全网最低价 仅此一天", "content_type": "", "price": ""}),
    ]  # an empty cell is an empty string, as in CSV, never None


def test_xlsx_duplicate_header_raises(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["text", "text"])
    wb.save(tmp_path / "a.xlsx")
    with pytest.raises(ValueError, match="appears twice"):
        read_all(tmp_path / "a.xlsx")


def test_xlsx_from_stdin(tmp_path: Path, monkeypatch) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["id", "text"])
    wb.active.append(["sku-001", "最好"])
    wb.save(tmp_path / "a.xlsx")
    fake_stdin(monkeypatch, (tmp_path / "a.xlsx").read_bytes())
    assert read_all("-", "xlsx") == [(2, {"id": "sku-001", "text": "最好"})]


def test_xlsx_without_openpyxl_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match=r'reading \.xlsx needs openpyxl: pip install "screening\[excel\]"'):
        read_records(str(tmp_path / "a.xlsx"))


# --------------------------------------------------------------------------- Parquet
def test_parquet_all_columns_python_values(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 2500  # more than one batch
    table = pa.table(
        {
            "id": [f"sku-{i:04d}" for i in range(n)],
            "text": ["本店最大号 适合200斤" if i % 2 else "全网最低价 仅此一天" for i in range(n)],
            "price": [float(i) for i in range(n)],
            "tags": [["女装", "秋冬"]] * n,
        }
    )
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=700)
    got = read_all(tmp_path / "a.parquet")
    assert len(got) == n and [i for i, _ in got] == list(range(1, n + 1))
    assert got[0] == (1, {"id": "sku-0000", "text": "全网最低价 仅此一天", "price": 0.0, "tags": ["女装", "秋冬"]})
    assert got[-1][1]["id"] == "sku-2499"


def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "a.parquet").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r'reading \.parquet needs pyarrow: pip install "screening\[parquet\]"'):
        read_records(str(tmp_path / "a.parquet"))


def test_parquet_nulls_are_empty_strings(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"id": ["sku-1", None], "标题": [None, "纯棉短袖"]}), tmp_path / "a.parquet")
    assert read_all(tmp_path / "a.parquet") == [(1, {"id": "sku-1", "标题": ""}), (2, {"id": "", "标题": "纯棉短袖"})]


# --------------------------------------------------------------------------- columns
def test_peek_columns_reads_the_header_of_csv_and_tsv(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes("\n 商品ID ,商品标题,类目,\n1001,面霜 补水保湿,化妆品,\n".encode("utf-8-sig"))
    assert peek_columns(str(p)) == ["商品ID", "商品标题", "类目"]  # blank rows, spaces and a BOM are no names
    p.write_bytes("商品ID,商品标题\n1001,面霜\n".encode("gb18030"))
    assert peek_columns(str(p)) == ["商品ID", "商品标题"]
    t = tmp_path / "a.tsv"
    t.write_text("sku\t标题\n", encoding="utf-8")
    assert peek_columns(str(t)) == ["sku", "标题"]
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    assert peek_columns(str(tmp_path / "empty.csv")) is None


def test_peek_columns_of_jsonl_are_the_keys_of_the_first_records(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    lines = ["{broken", json.dumps({"sku": "s1", "标题": "纯棉短袖"}, ensure_ascii=False),
             json.dumps({"sku": "s2", "详情": "透气"}, ensure_ascii=False)]
    lines += [json.dumps({"sku": f"s{i}"}) for i in range(3, 30)] + [json.dumps({"late": 1})]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert peek_columns(str(p)) == ["sku", "标题", "详情"]  # the 31st line is past the first 20 records
    assert peek_columns(str(p), records=40) == ["sku", "标题", "详情", "late"]
    assert peek_columns("-") is None  # standard input cannot be read twice
    (tmp_path / "bad.jsonl").write_text("[1]\n", encoding="utf-8")
    assert peek_columns(str(tmp_path / "bad.jsonl")) is None


def test_peek_columns_of_xlsx_and_parquet(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    wb = openpyxl.Workbook()
    wb.active.append([])
    wb.active.append(["商品ID", None, " 标题 "])
    wb.save(tmp_path / "a.xlsx")
    assert peek_columns(str(tmp_path / "a.xlsx")) == ["商品ID", "标题"]
    pq.write_table(pa.table({"sku": ["a"], "copy": ["纯棉短袖"]}), tmp_path / "a.parquet")
    assert peek_columns(str(tmp_path / "a.parquet")) == ["sku", "copy"]


# --------------------------------------------------------------------------- clear errors and bounded work (issue 16)
def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _xlsx_with_cell(tmp_path: Path, cell: str, name: str = "a.xlsx") -> Path:
    """A minimal workbook whose first sheet holds a header (id, text) and one row with ``cell``."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>text</t></is></c></row>'
             f'<row r="2"><c r="A2" t="inlineStr"><is><t>sku-001</t></is></c><c r="B2" t="inlineStr"><is><t>{cell}</t></is></c>'
             "</row></sheetData></worksheet>")
    return _zip(tmp_path / name, {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/worksheets/sheet1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="商品" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>').encode(),
        "xl/worksheets/sheet1.xml": sheet.encode("utf-8"),
    })


def test_the_minimal_workbook_reads(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    assert read_all(_xlsx_with_cell(tmp_path, "全网最低价 仅此一天")) == [(2, {"id": "sku-001", "text": "全网最低价 仅此一天"})]


@pytest.mark.parametrize("stdin", [False, True])
def test_duplicate_csv_header_is_an_input_error_raised_before_any_record(tmp_path: Path, monkeypatch, stdin: bool) -> None:
    from screening.errors import ScreeningError

    data = "id,text,text\nsku-001,全网最低价,仅此一天\n".encode()
    path = "-" if stdin else str(write_bytes(tmp_path, "a.csv", data))
    if stdin:
        fake_stdin(monkeypatch, data)
    with pytest.raises(ScreeningError, match=r"row 1: column 'text' appears twice in the header"):
        read_records(path, "csv")  # the call itself: nothing is written before the file is known good


@pytest.mark.parametrize("stdin", [False, True])
def test_an_xlsx_that_is_not_a_zip_is_a_one_line_input_error(tmp_path: Path, monkeypatch, stdin: bool) -> None:
    pytest.importorskip("openpyxl")
    from screening.errors import ScreeningError

    data = "id,text\nsku-001,全网最低价\n".encode()  # a CSV renamed .xlsx
    path = "-" if stdin else str(write_bytes(tmp_path, "商品.xlsx", data))
    if stdin:
        fake_stdin(monkeypatch, data)
    with pytest.raises(ScreeningError, match=r"not an \.xlsx workbook \(not a zip archive\)") as e:
        read_records(path, "xlsx")
    assert "\n" not in str(e.value) and ("商品.xlsx" in str(e.value) or stdin)
    if not stdin:
        with pytest.raises(ValueError, match="not a zip archive"):
            peek_columns(path)


@pytest.mark.parametrize("stdin", [False, True])
def test_a_file_that_is_not_parquet_is_a_one_line_input_error(tmp_path: Path, monkeypatch, stdin: bool) -> None:
    pytest.importorskip("pyarrow.parquet")
    from screening.errors import ScreeningError

    data = b'{"id": "sku-001", "text": "x"}\n' * 3
    path = "-" if stdin else str(write_bytes(tmp_path, "a.parquet", data))
    if stdin:
        fake_stdin(monkeypatch, data)
    with pytest.raises(ScreeningError, match=r"not a Parquet file") as e:
        read_records(path, "parquet")
    assert "\n" not in str(e.value)
    if not stdin:
        with pytest.raises(ValueError, match="not a Parquet file"):
            peek_columns(path)


def test_parquet_binary_text_is_decoded_and_other_values_become_json_values(tmp_path: Path) -> None:
    import datetime
    import decimal

    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "id": pa.array([b"sku-001", b"sku-002"], type=pa.binary()),
        "text": pa.array(["全网最低价 仅此一天".encode(), b"\xff\xfe\x00"], type=pa.large_binary()),
        "上架时间": pa.array([datetime.datetime(2026, 11, 11, 8, 0), None]),
        "price": pa.array([decimal.Decimal("199.50"), decimal.Decimal("88.00")]),
        "tags": pa.array([[b"\xe5\xa5\xb3\xe8\xa3\x85"], []], type=pa.list_(pa.binary())),
    })
    pq.write_table(table, tmp_path / "a.parquet")
    got = read_all(tmp_path / "a.parquet")
    assert got[0] == (1, {"id": "sku-001", "text": "全网最低价 仅此一天", "上架时间": "2026-11-11T08:00:00",
                          "price": "199.50", "tags": ["女装"]})
    json.dumps(got[0][1])  # everything a writer may serialize
    assert got[1][0] == 2 and isinstance(got[1][1], BadRecord)
    assert got[1][1].message.startswith("column 'text': binary value is not UTF-8 text")


def test_xlsx_dates_become_json_values(tmp_path: Path) -> None:
    import datetime

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["id", "text", "上架"])
    wb.active.append(["sku-001", datetime.datetime(2026, 11, 11, 8, 0), datetime.date(2026, 11, 11)])
    wb.save(tmp_path / "a.xlsx")
    got = read_all(tmp_path / "a.xlsx")
    assert got == [(2, {"id": "sku-001", "text": "2026-11-11T08:00:00", "上架": "2026-11-11T00:00:00"})]


def test_an_xlsx_zip_bomb_fails_fast_from_the_central_directory(tmp_path: Path) -> None:
    import time
    import tracemalloc

    pytest.importorskip("openpyxl")
    from screening.errors import ScreeningError

    path = _xlsx_with_cell(tmp_path, "最" * 20_000_000)  # 60 MB of XML in a zip of a few hundred KB
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(ScreeningError, match=r"xl/worksheets/sheet1\.xml unpacks to 60,000,\d+ bytes, \d+ times"):
            read_records(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - t0 < 2 and peak < 20_000_000


def test_an_xlsx_cell_longer_than_a_record_stops_the_file_before_openpyxl_holds_it(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("openpyxl")
    from screening.errors import ScreeningError

    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 1000)
    path = _xlsx_with_cell(tmp_path, "全网最低价" * 300)  # within the compression limits, beyond the record limit
    with pytest.raises(ScreeningError, match=r"a\.xlsx: xl/worksheets/sheet1\.xml: row 2 has a text of more than 1,000 "
                                             r"characters \(readers\.MAX_RECORD_CHARS\)"):
        read_records(str(path))


def test_cells_longer_than_the_cell_limit_are_bad_records(tmp_path: Path, monkeypatch) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("openpyxl")
    monkeypatch.setattr(readers, "MAX_CELL_CHARS", 100)
    pq.write_table(pa.table({"id": ["sku-001", "sku-002"], "text": ["全网最低价" * 30, "纯棉短袖"]}), tmp_path / "a.parquet")
    got = read_all(tmp_path / "a.parquet")
    assert got[0] == (1, BadRecord("column 'text': 150 characters, more than the limit of 100 (readers.MAX_CELL_CHARS)"))
    assert got[1] == (2, {"id": "sku-002", "text": "纯棉短袖"})
    got = read_all(_xlsx_with_cell(tmp_path, "全网最低价" * 30))
    assert got == [(2, BadRecord("column 'text': 150 characters, more than the limit of 100 (readers.MAX_CELL_CHARS)"))]


@pytest.mark.parametrize("workers_path", [False, True])
def test_a_jsonl_line_longer_than_the_record_limit_is_bad_and_never_held_whole(tmp_path: Path, monkeypatch,
                                                                               workers_path: bool) -> None:
    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 1000)
    long = json.dumps({"id": "sku-002", "text": "全网最低价" * 2000}, ensure_ascii=False)
    lines = [json.dumps(LISTINGS[0], ensure_ascii=False), long, json.dumps(LISTINGS[2], ensure_ascii=False)]
    p = write_bytes(tmp_path, "a.jsonl", ("\n".join(lines) + "\n").encode())
    if workers_path:
        src = readers.open_jsonl(str(p))
        try:
            blocks = list(src.blocks(size=256))
            got = [r for first, block in blocks for r in src.decoder.records(first, block)]
        finally:
            src.close()
        assert max(len(b) for _, b in blocks) < 1000 + 2 * 256 + 10  # the long line was cut, not carried whole
    else:
        got = read_all(p)
    assert got[0] == (1, LISTINGS[0]) and got[2] == (3, LISTINGS[2])
    assert got[1] == (2, BadRecord("line longer than 1,000 bytes (readers.MAX_RECORD_CHARS)"))


def test_a_utf16_jsonl_line_longer_than_the_record_limit_is_bad(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "MAX_RECORD_CHARS", 1000)
    lines = [json.dumps(LISTINGS[0], ensure_ascii=False), json.dumps({"id": "x", "text": "最" * 5000}, ensure_ascii=False),
             json.dumps(LISTINGS[2], ensure_ascii=False)]
    got = read_all(write_bytes(tmp_path, "a.jsonl", ("\n".join(lines) + "\n").encode("utf-16")))
    assert got == [(1, LISTINGS[0]), (2, BadRecord("line longer than 1,000 characters (readers.MAX_RECORD_CHARS)")),
                   (3, LISTINGS[2])]


def test_a_parquet_compression_bomb_fails_from_its_footer(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from screening.errors import ScreeningError

    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": ["sku-001"], "text": ["最" * 20_000_000]}), path, compression="zstd")
    assert path.stat().st_size < 100_000
    with pytest.raises(ScreeningError, match=r"column 'text' of row group 1 unpacks to 60,000,\d+ bytes, \d+ times"):
        read_records(str(path))
