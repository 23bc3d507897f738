"""The Spark engine against the local scan, on a real local Spark session (local[2], Java 17).

Issue 8: same results record for record, errors isolated per row, the documented output schema,
and ``scan --engine spark`` writing the same Parquet as the local engine.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from screening import Screener
from screening.batch.scan import FieldMap, scan_file
from screening.cli import cli
from screening.engine.lexicon import load_lexicon

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny_lexicon"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
GENERATED = 3000

# Records the local scan turns into error rows (and two that only take defaults), spread over the file.
HAND_WRITTEN: list[tuple[int, dict[str, Any]]] = [
    (0, {"id": None, "text": "全网第一的面霜"}),  # missing id
    (17, {"id": "   ", "text": "最好用的保温杯"}),  # blank id
    (450, {"id": "e-null-text", "text": None}),
    (901, {"id": "e-empty-text", "text": ""}),
    (1333, {"id": "e-blank-text", "text": "  \n "}),
    (1800, {"id": "unknown-category", "text": "最好的面霜", "product_category": "toys"}),  # general, noted
    (2222, {"id": "unknown-type", "text": "根治失眠", "content_type": "tweet"}),  # the default type, noted
    (2500, {"id": "defaults", "text": "销量第一的蜂蜜", "content_type": None, "product_category": None}),
    (2999, {"id": "merchant", "text": "7天见效", "merchant_id": "m-42", "product_category": "cosmetics"}),
]
N_ERRORS = 5


def _records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [dict(r, merchant_id=f"m{i % 50}") for i, r in enumerate(generate(GENERATED))]
    for at, rec in HAND_WRITTEN:
        records.insert(at, {"content_type": "listing", "product_category": "general", "merchant_id": None, **rec})
    return records


def _write(records: list[dict[str, Any]], path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=400)
    return path


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("pyspark")
    pytest.importorskip("pandas")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("the Spark tests need Java 17 (.ci/run installs openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("screening tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # Small input splits: the catalogue is read as several partitions, so row numbering and
        # order are tested across partitions.
        .config("spark.sql.files.maxPartitionBytes", "96k")
        .config("spark.sql.files.openCostInBytes", "0")
        .config("spark.local.dir", str(tmp_path_factory.mktemp("spark-local")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(_records(), tmp_path_factory.mktemp("catalogue") / "catalogue.parquet")


@pytest.fixture(scope="module")
def local(catalogue: Path) -> dict[str, Any]:
    """The local scan of the catalogue (2 workers, fixed clock): Parquet rows and JSONL results."""
    screener = Screener(clock=lambda: NOW)
    out = catalogue.parent / "local"
    out.mkdir()
    scan_file(screener, str(catalogue), str(out / "results.parquet"), workers=2, progress=False)
    scan_file(screener, str(catalogue), str(out / "results.jsonl"), workers=2, progress=False)
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {"rows": pq.read_table(out / "results.parquet").to_pylist(), "results": [json.loads(x) for x in lines]}


@pytest.fixture(scope="module")
def spark_rows(spark, catalogue: Path) -> list[dict[str, Any]]:
    from screening.integrations.spark import screen_dataframe

    df = spark.read.parquet(str(catalogue))
    assert df.rdd.getNumPartitions() > 1  # the numbering crosses input partitions
    return screen_dataframe(df, now=NOW, partitions=3).toArrow().to_pylist()


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    # A map column comes back as a list of pairs: compare it as the mapping it is.
    return {**row, "versions": dict(row["versions"])}


# ---------------------------------------------------------------------- the API
def test_same_results_as_local_scan(spark_rows, local) -> None:
    assert len(spark_rows) == len(local["rows"]) == GENERATED + len(HAND_WRITTEN)
    for n, (got, want) in enumerate(zip(spark_rows, local["rows"]), 1):
        assert _comparable(got) == _comparable(want), f"row {n}"


def test_same_results_as_local_jsonl_contract(spark_rows, local) -> None:
    keys = ("start", "end", "text", "term", "term_id", "category", "severity", "basis", "suggestion", "detector",
            "confidence", "explanation")
    flagged = 0
    for row, result in zip(spark_rows, local["results"]):
        for k in ("id", "decision", "risk", "severity", "route", "error"):
            assert row[k] == result[k], (k, result["id"])
        assert dict(row["versions"]) == result["versions"]
        assert [{k: f[k] for k in keys} for f in row["findings"]] == [
            {k: f[k] for k in keys} for f in result["findings"]]
        flagged += bool(row["findings"])
    assert flagged > GENERATED // 20  # the corpus does exercise findings


def test_errors_isolated_per_row(spark_rows) -> None:
    errors = {n: r["error"] for n, r in enumerate(spark_rows, 1) if r["error"]}
    assert len(errors) == N_ERRORS
    assert errors[1] == "row 1: record has no id"
    assert errors[18] == "row 18: record has no id"
    assert errors[451].startswith("row 451: ") and "empty" in errors[451]
    # an unknown category or type is screened under the default and says so, never left unscreened
    by_id = {r["id"]: r for r in spark_rows}
    assert by_id["unknown-category"]["findings"] and "toys" in by_id["unknown-category"]["notes"][0]["message"]
    assert by_id["unknown-type"]["findings"] and "tweet" in by_id["unknown-type"]["notes"][0]["message"]
    assert all(spark_rows[n - 1]["decision"] == "review" for n in errors)
    by_id = {r["id"]: r for r in spark_rows}
    assert by_id["defaults"]["error"] is None and by_id["defaults"]["decision"] != "pass"
    assert by_id["merchant"]["error"] is None
    assert sum(r["id"] is not None and r["id"].startswith("bench-") for r in spark_rows) == GENERATED


def test_numeric_text_is_an_error_row_as_in_the_local_scan(spark, tmp_path: Path) -> None:
    from screening.integrations.spark import screen_dataframe

    src = _write([{"id": f"n{i}", "text": i} for i in range(5)], tmp_path / "numbers.parquet")
    scan_file(Screener(clock=lambda: NOW), str(src), str(tmp_path / "local.parquet"), progress=False)
    want = pq.read_table(tmp_path / "local.parquet").to_pylist()
    got = screen_dataframe(spark.read.parquet(str(src)), now=NOW).toArrow().to_pylist()
    assert [_comparable(r) for r in got] == [_comparable(r) for r in want]
    assert [r["error"] for r in got] == [f"row {i + 1}: text must be a string, got int" for i in range(5)]


def test_output_schema_is_the_documented_parquet_schema(spark, catalogue: Path) -> None:
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
    from pyspark.sql.types import ArrayType, MapType, StructType

    from screening.batch.writers import parquet_schema
    from screening.integrations.spark import result_schema, screen_dataframe

    df = spark.read.parquet(str(catalogue)).withColumnRenamed("merchant_id", "shop")
    out = screen_dataframe(df, merchant_col="shop", row_col=None, keep=("shop",), now=NOW)
    assert out.schema == StructType([*result_schema().fields, df.schema["shop"]])
    assert result_schema() == from_arrow_schema(parquet_schema())
    assert to_arrow_schema(result_schema()).equals(parquet_schema())
    assert isinstance(out.schema["findings"].dataType, ArrayType)
    assert isinstance(out.schema["findings"].dataType.elementType, StructType)
    assert isinstance(out.schema["versions"].dataType, MapType)
    first = out.limit(3).toArrow().to_pylist()
    assert [r["shop"] for r in first] == [None, "m0", "m1"]
    with pytest.raises(ValueError, match="clash"):
        screen_dataframe(df.withColumn("risk", df["id"]), keep=("risk",))
    with pytest.raises(ValueError, match="does not have"):
        screen_dataframe(df, keep=("nope",))


def test_custom_lexicon_and_no_model_ship_with_the_job(spark, tmp_path: Path) -> None:
    from screening.integrations.spark import screen_dataframe

    records = [{"id": f"t{i}", "title": r["text"], "body": "全网第一 最好的 根治" if i % 3 == 0 else "包邮"}
               for i, r in enumerate(generate(60))]
    src = _write(records, tmp_path / "two_fields.parquet")
    tiny = Screener(load_lexicon(TINY), model=None, clock=lambda: NOW)
    fields = FieldMap(text_fields=("title", "body"))
    scan_file(tiny, str(src), str(tmp_path / "local.parquet"), fields=fields, progress=False)
    want = pq.read_table(tmp_path / "local.parquet").to_pylist()
    got = screen_dataframe(spark.read.parquet(str(src)), text_cols=("title", "body"), lexicons=TINY, model=None,
                           now=NOW).toArrow().to_pylist()
    assert [_comparable(r) for r in got] == [_comparable(r) for r in want]
    assert dict(got[0]["versions"]) == tiny.versions
    assert any(f["field"] == "body" for r in got for f in r["findings"])


def test_a_result_that_cannot_be_converted_is_an_error_row(monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs the executor function in this process: a failure in the row conversion (a bug, or
    # a value Arrow refuses) must cost only that row.
    import screening.integrations.spark as engine

    bundle, screener = engine.Bundle.from_paths(lexicons=TINY, model=None)
    real = engine.parquet_row

    def flaky(item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        if item["id"] == "boom" and not result.get("error"):
            raise RuntimeError("boom")
        row = real(item, result)
        return {**row, "risk": "not a number"} if item["id"] == "odd" and not result.get("error") else row

    monkeypatch.setattr(engine, "parquet_row", flaky)
    ids = ["a", "boom", "odd", "b"]
    batch = pa.RecordBatch.from_pylist([{"id": i, "text": "全网第一", "n": n} for n, i in enumerate(ids, 1)])
    fn = engine.BatchScreener(bundle, FieldMap(), "n", keep=("n",), now=NOW)
    (out,) = list(fn(iter([batch])))
    rows = out.to_pylist()
    assert [r["id"] for r in rows] == ["a", "boom", "odd", "b"] and [r["n"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["error"] is None and rows[3]["error"] is None and rows[0]["findings"]
    assert rows[1]["error"] == "row 2: cannot convert the result: RuntimeError: boom"
    assert rows[2]["error"].startswith("row 3: cannot convert the result: ")
    assert rows[1]["decision"] == rows[2]["decision"] == "review"
    assert screener.versions == dict(rows[0]["versions"])


def test_spark_submit_entry_point_writes_a_dataset_in_input_order(
    spark, catalogue: Path, local, tmp_path: Path
) -> None:
    from screening.integrations.spark import main

    main([str(catalogue), str(tmp_path / "out"), "--partitions", "3"])
    parts = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert len(parts) == 3
    rows = [r for p in parts for r in pq.read_table(p).to_pylist()]
    assert [r.pop("row") for r in rows] == list(range(1, len(local["rows"]) + 1))
    for got, want in zip(rows, local["rows"]):
        assert _no_due(got) == _no_due(want)


# ---------------------------------------------------------------------- the CLI
def _no_due(row: dict[str, Any]) -> dict[str, Any]:
    route = row["route"] and {**row["route"], "due_at": None}
    return {**_comparable(row), "route": route}


def test_cli_engine_spark_writes_the_local_engines_parquet(spark, catalogue: Path, tmp_path: Path) -> None:
    from screening.batch.writers import parquet_schema

    runner = CliRunner()
    start = datetime.now(timezone.utc).replace(microsecond=0)
    local = runner.invoke(cli, ["scan", str(catalogue), "-o", str(tmp_path / "local.parquet"), "--workers", "2"])
    assert local.exit_code == 0, local.output
    sj = tmp_path / "summary.json"
    res = runner.invoke(cli, ["scan", str(catalogue), "-o", str(tmp_path / "spark.parquet"), "--engine", "spark",
                              "--master", "local[2]", "--summary-json", str(sj)])
    assert res.exit_code == 0, res.output
    # the same summary; the last line names each run's own output file
    assert res.stderr.splitlines()[:-1] == local.stderr.splitlines()[:-1]
    assert res.stderr.splitlines()[-1].endswith("spark.parquet")
    assert json.loads(sj.read_text(encoding="utf-8"))["errors"] == N_ERRORS
    want, got = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "spark.parquet")
    assert got.schema.equals(parquet_schema()) and want.schema.equals(parquet_schema())
    assert [_no_due(r) for r in got.to_pylist()] == [_no_due(r) for r in want.to_pylist()]
    due = [r["route"]["due_at"] for r in got.to_pylist() if r["route"]]
    assert due and all(datetime.fromisoformat(d) > start for d in due)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the part files are gone


def test_cli_engine_spark_without_pyspark_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    res = CliRunner().invoke(cli, ["scan", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet"),
                                   "--engine", "spark"])
    assert res.exit_code == 2
    assert "pip install 'screening[spark]'" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["in.jsonl", "-o", "out.parquet", "--engine", "spark"], "reads Parquet"),
        (["in.parquet", "-o", "out.jsonl", "--engine", "spark"], "writes Parquet"),
        (["in.parquet", "-o", "out.parquet", "--engine", "spark", "--workers", "2"], "--workers"),
        (["in.parquet", "-o", "out.parquet", "--engine", "spark", "--resume"], "--resume"),
        (["in.parquet", "-o", "out.parquet", "--master", "local[2]"], "--master needs --engine spark"),
    ],
)
def test_cli_engine_spark_usage_errors(args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli, ["scan", *args])
    assert res.exit_code == 2
    assert message in res.output
