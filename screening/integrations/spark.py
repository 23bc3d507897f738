"""Catalogue-scale scanning on Apache Spark: the local scan's results, record for record, on a cluster.

Needs ``pip install 'screening[spark]'`` (PySpark >= 4, pyarrow, pandas) and Java 17 where the
driver runs. Three ways in:

- :func:`screen_dataframe` for Spark code: a DataFrame with an id and text column(s) in, a
  DataFrame with the contract's fields as typed columns out (:func:`result_schema`, the same
  columns and types as the Parquet output of ``scan``; findings are an array of structs).
- ``python cli.py scan INPUT.parquet -o OUTPUT.parquet --engine spark [--master local[*]]``
  (:func:`scan_parquet`) for a user who has Spark but no code: the same Parquet file as the local
  engine writes.
- ``spark-submit .../screening/integrations/spark.py INPUT OUTPUT_DIR`` (:func:`main`) on a cluster: a Parquet
  dataset, part files in input order.

How it runs:

- Records are screened in Arrow batches (``mapInArrow``), each mapped with the scan's own
  :class:`~screening.batch.scan.FieldMap` and screened with its :func:`~screening.batch.scan.screen_chunk`
  (:func:`~screening.batch.scan.screen_item` per record, batched), so a result is the local scan's
  result by construction, error messages included (``row 7: record has no id``: rows are
  numbered 1, 2, ... in the DataFrame's order, as the local Parquet reader numbers them).
- Lexicon, user lexicon, policy and model travel with the job: the driver loads and validates them
  (a bad lexicon fails before any task starts), then ships their files inside the task closure.
  Each Python worker process unpacks and loads them once and keeps the Screener in a module
  global for every later task (loading takes about half a second; a worker holds ~200 MB).
- A record never fails the job: bad input (no id, no text, non-string text, unknown category),
  an exception while screening, and a result that cannot be converted to the output row all become
  that row's ``error`` with decision ``review``, as in the local scan.
- Order: the output keeps the input DataFrame's order. With ``partitions`` the rows are first
  range-partitioned on their row number, so partition ``i`` holds an earlier stretch of the input
  than partition ``i + 1``.

Row numbers need one extra, cheap pass over the input (rows per partition), and assume that the
input's partitioning is deterministic, as it is for files; pass ``row_col`` to number rows
yourself.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.path and sys.path[0] == __import__("os").path.dirname(__file__):
    # Run as a script (spark-submit): this directory must not make screening's modules top-level
    # ones (types.py would shadow the standard library's).
    del sys.path[0]

import argparse
import hashlib
import math
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screening.batch.scan import FieldMap, ScanError, Summary, screen_chunk, screen_item
from screening.batch.writers import parquet_row, parquet_schema

# Absolute imports: spark-submit runs this file as a script (see main()).
from screening.screener import DEFAULT_MODEL, Screener

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

INSTALL_HINT = "pip install 'screening[spark]'"
ROW_COL = "_screening_row"  # the row number column while rows travel through the job
ROWS_PER_PARTITION = 20_000  # scan_parquet, main: several seconds of screening per task
SLICE = 1_000  # records screened and converted at a time in a Python worker
_MODEL_FILES = ("risk_clf.card.json", "risk_clf.npz")


def require_spark() -> None:
    """Check that PySpark, pyarrow and pandas are importable.

    Raises:
        ImportError: naming the missing package and ``pip install 'screening[spark]'``.
    """
    for module in ("pyspark", "pyarrow", "pandas"):
        try:
            __import__(module)
        except ImportError:
            raise ImportError(f"the Spark engine needs {module}: {INSTALL_HINT}") from None


def result_schema() -> StructType:
    """The Spark schema of :func:`screen_dataframe`'s output: the Parquet output's, converted.

    >>> result_schema().fieldNames()
    ['id', 'decision', 'risk', 'severity', 'route', 'findings', 'versions', 'error', 'text', 'inferred_category', 'notes']
    """
    require_spark()
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(parquet_schema())


# ---------------------------------------------------------------------- what the job ships
@dataclass(frozen=True)
class Bundle:
    """The screener's data files, shipped to the executors inside the task closure.

    ``files`` maps ``part/relative/path`` to the file's bytes, zlib-compressed; parts are
    ``lexicons`` and ``user`` (each holding the directory, under its own name, and the files its
    manifest names outside it, such as ``../lexicons/rules.toml``, at the same relative place),
    ``policy.toml`` and ``model``.
    """

    files: dict[str, bytes]
    digest: str
    lexicon_dir: str
    user_dir: str | None
    has_model: bool
    model_label: str

    @classmethod
    def from_paths(
        cls,
        lexicons: str | Path | None = None,
        policy: str | Path | None = None,
        *,
        user_lexicon: str | Path | None = None,
        model: str | Path | None = DEFAULT_MODEL,
        screener: Screener | None = None,
    ) -> tuple[Bundle, Screener]:
        """Load (and so validate) a screener on the driver and pack its files.

        Arguments as for :meth:`Screener.from_paths`; ``None`` means the packaged data. Pass the
        driver's ``screener`` when it is already built from the same arguments.

        Raises:
            ScreeningError: the lexicon, policy or model is invalid (every problem listed).
        """
        from screening.engine.lexicon import default_lexicon_dir
        from screening.model.classifier import default_model_dir

        user = user_lexicon or os.environ.get("SCREENING_USER_LEXICON") or None
        if screener is None:
            screener = Screener.from_paths(lexicons, policy, user_lexicon=user, model=model)
        files: dict[str, bytes] = {}
        lexicon_dir = _add_lexicon(files, "lexicons", Path(lexicons) if lexicons is not None else default_lexicon_dir())
        user_dir = _add_lexicon(files, "user", Path(user)) if user is not None else None
        if policy is not None:
            files["policy.toml"] = Path(policy).read_bytes()
        else:
            files["policy.toml"] = resources.files("screening").joinpath("data/policy.toml").read_bytes()
        has_model = screener.model is not None  # an unavailable model ships as none, with its label
        if has_model:
            mdir = default_model_dir() if model is None or model == DEFAULT_MODEL else Path(model)
            for name in _MODEL_FILES:
                files[f"model/{name}"] = (mdir / name).read_bytes()
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        packed = {name: zlib.compress(data, 6) for name, data in files.items()}
        bundle = cls(packed, digest.hexdigest(), lexicon_dir, user_dir, has_model, screener.versions["model"])
        return bundle, screener

    def load(self) -> Screener:
        """Unpack into a temporary directory, build the Screener, remove the directory."""
        root = Path(tempfile.mkdtemp(prefix="screening-spark-"))
        try:
            for name, data in self.files.items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zlib.decompress(data))
            screener = Screener.from_paths(
                root / "lexicons" / self.lexicon_dir,
                root / "policy.toml",
                user_lexicon=root / "user" / self.user_dir if self.user_dir is not None else None,
                model=str(root / "model") if self.has_model else None,
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)
        screener.versions["model"] = self.model_label
        return screener


def _add_lexicon(files: dict[str, bytes], part: str, directory: Path) -> str:
    """Pack a lexicon directory and the files its manifest names; return its path in the part.

    Paths are kept relative to a common ancestor (at least the directory's parent, so that the
    directory keeps its name, which labels a user lexicon), so that ``../`` references resolve
    the same way once unpacked.
    """
    directory = directory.resolve()
    paths = {p for p in directory.rglob("*") if p.is_file()
             and not any(x.startswith(".") or x == "__pycache__" for x in p.relative_to(directory).parts)}
    try:
        manifest = tomllib.loads((directory / "manifest.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no manifest (a user lexicon may have none)
        manifest = {}
    for value in manifest.values():
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name and (directory / name).is_file():
                paths.add((directory / name).resolve())
    base = Path(os.path.commonpath([directory.parent, *paths]))
    for path in sorted(paths):
        files[f"{part}/{path.relative_to(base).as_posix()}"] = path.read_bytes()
    return directory.relative_to(base).as_posix()


# One Screener per Python worker process, per bundle: loaded by the first task, kept for the rest.
_SCREENERS: dict[str, Screener] = {}


def _worker_screener(bundle: Bundle) -> Screener:
    screener = _SCREENERS.get(bundle.digest)
    if screener is None:
        screener = _SCREENERS[bundle.digest] = bundle.load()
    return screener


# ---------------------------------------------------------------------- the executor side
class BatchScreener:
    """The ``mapInArrow`` function: input record batches in, result record batches out.

    Picklable (it holds the bundle and plain settings, never a Screener); see the module docstring.
    """

    def __init__(
        self,
        bundle: Bundle,
        fields: FieldMap,
        row_col: str,
        keep: Sequence[str] = (),
        where: str = "row",
        now: datetime | None = None,
    ) -> None:
        self.bundle = bundle
        self.fields = fields
        self.row_col = row_col
        self.keep = tuple(keep)
        self.where = where
        self.now = now

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Screen every batch of one partition with this worker's Screener."""
        screener = _worker_screener(self.bundle)
        clock = screener.clock
        if self.now is not None:
            now = self.now
            screener.clock = lambda: now
        try:
            for batch in batches:
                # Slices bound the worker's memory (records, results and rows of one slice at a
                # time) whatever spark.sql.execution.arrow.maxRecordsPerBatch is.
                for start in range(0, batch.num_rows, SLICE):
                    yield self.screen_batch(screener, batch.slice(start, SLICE))
        finally:
            screener.clock = clock

    def screen_batch(self, screener: Screener, batch: pa.RecordBatch) -> pa.RecordBatch:
        """One output batch (result columns, then the ``keep`` columns) for one input batch."""
        import pyarrow as pa

        fields = self.fields
        record_cols = [c for c in (fields.id_field, *fields.text_fields, fields.content_type_field,
                                   fields.product_category_field, fields.merchant_field)
                       if c in batch.schema.names]
        record_cols = list(dict.fromkeys(record_cols))
        records = batch.select(record_cols).to_pylist()
        rows = batch.column(self.row_col).to_pylist()
        items = []
        for n, raw in zip(rows, records):
            try:
                items.append(fields.item(n, raw, self.where))
            except Exception as e:  # a bug must not lose the record
                loc = f"{self.where} {n}"
                items.append({"where": loc, "id": None, "texts": {f: None for f in fields.text_fields},
                              "merchant_id": None, "content_type": fields.content_type,
                              "product_category": fields.product_category,
                              "error": f"{loc}: internal error: {type(e).__name__}: {e}"})
        results = _screen(screener, items)
        out = [self._row(screener, it, r) for it, r in zip(items, results)]
        schema = parquet_schema()
        try:
            table = pa.RecordBatch.from_pylist(out, schema=schema)
        except Exception:  # find the rows Arrow refuses, make them error rows
            out = [self._checked(screener, it, row, schema) for it, row in zip(items, out)]
            table = pa.RecordBatch.from_pylist(out, schema=schema)
        if not self.keep:
            return table
        keep_schema = pa.schema([*schema, *(batch.schema.field(c) for c in self.keep)])
        return pa.RecordBatch.from_arrays([*table.columns, *(batch.column(c) for c in self.keep)], schema=keep_schema)

    @staticmethod
    def _row(screener: Screener, item: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        try:
            return parquet_row(item, result)
        except Exception as e:
            return _error_row(screener, item, e)

    @staticmethod
    def _checked(screener: Screener, item: dict[str, Any], row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
        import pyarrow as pa

        try:
            pa.RecordBatch.from_pylist([row], schema=schema)
        except Exception as e:
            return _error_row(screener, item, e)
        return row


def _error_row(screener: Screener, item: dict[str, Any], e: Exception) -> dict[str, Any]:
    message = f"{item['where']}: cannot convert the result: {type(e).__name__}: {e}"
    result = screener.error_result(item.get("id"), message, item.get("content_type"), item.get("product_category"))
    try:
        return parquet_row(item, result.to_dict())
    except Exception:  # the record itself cannot be written: the row without its text
        return parquet_row({"id": None, "texts": {}}, result.to_dict())


def _screen(screener: Screener, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The local scan's screening of a chunk (batched; the same results as one by one)."""
    try:
        return screen_chunk(screener, items)
    except Exception:  # a bug must not lose the slice: screen one by one, screen_item never raises
        return [screen_item(screener, it) for it in items]


# ---------------------------------------------------------------------- the driver side
def with_row_numbers(df: DataFrame, name: str = "row") -> DataFrame:
    """Add a column ``name``: 1, 2, ... in the DataFrame's order (partition by partition).

    Costs one pass counting the rows of each partition; the numbering assumes the DataFrame's
    partitioning is deterministic (files are; a round-robin ``repartition`` is not).
    """
    return _number_rows(df, name)[0]


def _number_rows(df: DataFrame, name: str) -> tuple[DataFrame, int]:
    from pyspark.sql import functions as F

    counts = dict(df.groupBy(F.spark_partition_id().alias("p")).count().collect())
    offsets, total = [], 0
    for p in range(max(counts, default=-1) + 1):
        offsets.append(total)
        total += counts.get(p, 0)
    # monotonically_increasing_id(): the partition id in the upper 31 bits, the index within it below.
    local = F.monotonically_increasing_id().bitwiseAND(F.lit((1 << 33) - 1))
    table = F.array(*[F.lit(o) for o in offsets] or [F.lit(0)]).cast("array<bigint>")
    return df.withColumn(name, F.element_at(table, F.spark_partition_id() + 1) + local + 1), total


def screen_dataframe(
    df: DataFrame,
    *,
    id_col: str = "id",
    text_cols: str | Sequence[str] = ("text",),
    content_type_col: str = "content_type",
    product_category_col: str = "product_category",
    merchant_col: str = "merchant_id",
    content_type: str = "listing",
    product_category: str = "general",
    row_col: str | None = None,
    keep: Sequence[str] = (),
    partitions: int | None = None,
    where: str = "row",
    lexicons: str | Path | None = None,
    user_lexicon: str | Path | None = None,
    policy: str | Path | None = None,
    model: str | Path | None = DEFAULT_MODEL,
    now: datetime | None = None,
    bundle: Bundle | None = None,
) -> DataFrame:
    """Screen every row of ``df``; one result row per input row, in the input's order.

    Args:
        df: the records.
        id_col, text_cols: the id column and the text column(s); with several text columns
            (标题 + 详情) each finding names its column in ``field``. As in ``scan``, rows
            without them (or a DataFrame without the columns) become error rows.
        content_type_col, product_category_col, merchant_col: optional columns; a column the
            DataFrame does not have, or a null in it, means the default below, as in ``scan``.
        content_type, product_category: the defaults.
        row_col: a column of 1-based row numbers for error messages; default: numbered here
            (:func:`with_row_numbers`, one extra pass).
        keep: input columns to carry into the output after the result columns (say a row number
            or a partition key); they must not be named like a result column.
        partitions: range-partition the rows into this many partitions first (a shuffle): the
            number of tasks screening in parallel. Default: the input's partitions.
        where: how messages name a row (``row 7: ...``).
        lexicons, user_lexicon, policy, model: as for ``Screener.from_paths``; default packaged.
        now: a fixed screening time (review deadlines); default: the clock at each record.
        bundle: a :class:`Bundle` already built (the options above are then ignored).

    Returns:
        A DataFrame with :func:`result_schema`'s columns, then ``keep``'s.

    Raises:
        ImportError: PySpark, pyarrow or pandas is missing.
        ScreeningError: the lexicon, policy or model is invalid.
        ValueError: a ``keep`` column is missing or clashes with a result column.
    """
    require_spark()
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    texts = (text_cols,) if isinstance(text_cols, str) else tuple(text_cols)
    if not texts:
        raise ValueError("give at least one text column")
    fields = FieldMap(text_fields=texts, id_field=id_col, content_type_field=content_type_col,
                      product_category_field=product_category_col, merchant_field=merchant_col,
                      content_type=content_type, product_category=product_category)
    result_cols = set(parquet_schema().names)
    missing = [c for c in keep if c not in df.columns]
    if missing:
        raise ValueError(f"keep names column(s) the DataFrame does not have: {', '.join(missing)}")
    clash = [c for c in keep if c in result_cols]
    if clash:
        raise ValueError(f"keep column(s) {', '.join(clash)} clash with result columns; rename them first")
    if bundle is None:
        bundle, _ = Bundle.from_paths(lexicons, policy, user_lexicon=user_lexicon, model=model)
    if row_col is None:
        df = with_row_numbers(df, ROW_COL)
        row_col = ROW_COL
    elif row_col not in df.columns:
        raise ValueError(f"row_col {row_col!r} is not a column of the DataFrame")
    wanted = [id_col, *texts, content_type_col, product_category_col, merchant_col]
    cols = list(dict.fromkeys([c for c in wanted if c in df.columns] + [row_col, *keep]))
    # The row number travels as a long, whatever the caller's column type.
    source = df.select(*[F.col(c).cast("long").alias(c) if c == row_col else F.col(c) for c in cols])
    if partitions is not None:
        source = source.repartitionByRange(partitions, row_col).sortWithinPartitions(row_col)
    schema = StructType([*result_schema().fields, *(source.schema[c] for c in keep)])
    return source.mapInArrow(BatchScreener(bundle, fields, row_col, keep, where, now), schema)


# ---------------------------------------------------------------------- CLI and spark-submit
def spark_session(
    master: str | None = None, *, progress: bool = False, app: str = "screening scan"
) -> tuple[SparkSession, bool]:
    """The running session, or a new one on ``master`` (default ``local[*]``); and whether it is new.

    A local master runs the Python workers with this interpreter.

    Raises:
        ScanError: Spark cannot start (no Java, say).
    """
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    master = master or "local[*]"
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app)
    if master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false")  # one machine: the summary says it all
    try:
        session = builder.config("spark.ui.showConsoleProgress", "true" if progress else "false").getOrCreate()
    except Exception as e:
        raise ScanError(f"Spark could not start on {master} (it needs Java 17 or later on PATH or in "
                        f"JAVA_HOME): {type(e).__name__}: {e}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def _local_path(path: str) -> str:
    return str(Path(path).resolve()) if "://" not in path else path


def scan_parquet(
    input_path: str,
    output_path: str,
    *,
    fields: FieldMap = FieldMap(),
    master: str | None = None,
    partitions: int | None = None,
    lexicons: str | Path | None = None,
    user_lexicon: str | Path | None = None,
    policy: str | Path | None = None,
    model: str | Path | None = DEFAULT_MODEL,
    screener: Screener | None = None,
    now: datetime | None = None,
    progress: bool = False,
) -> Summary:
    """Scan a Parquet file into one Parquet file with Spark: the local ``scan``'s output, in order.

    Executors write part files beside the output; the driver then joins them in input order
    into ``output_path`` (bounded memory) and counts the summary. Driver and executors must see
    the same filesystem (local mode does; a cluster needs shared storage, or :func:`main`).

    Raises:
        ImportError: PySpark, pyarrow or pandas is missing.
        ScanError: Spark cannot start.
        ScreeningError: the lexicon, policy or model is invalid.
    """
    require_spark()
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    if "://" not in input_path and not Path(input_path).exists():
        raise ScanError(f"{input_path}: no such file or directory")
    bundle, _ = Bundle.from_paths(lexicons, policy, user_lexicon=user_lexicon, model=model, screener=screener)
    spark, created = spark_session(master, progress=progress)
    tmp = Path(tempfile.mkdtemp(prefix=f".{Path(output_path).name}.", dir=Path(output_path).resolve().parent))
    writing = done = False
    try:
        df, total = _number_rows(spark.read.parquet(_local_path(input_path)), ROW_COL)
        if partitions is None:
            partitions = max(spark.sparkContext.defaultParallelism, math.ceil(total / ROWS_PER_PARTITION))
        result = screen_dataframe(
            df,
            id_col=fields.id_field,
            text_cols=fields.text_fields,
            content_type_col=fields.content_type_field,
            product_category_col=fields.product_category_field,
            merchant_col=fields.merchant_field,
            content_type=fields.content_type,
            product_category=fields.product_category,
            row_col=ROW_COL,
            keep=(ROW_COL,),
            partitions=partitions,
            now=now,
            bundle=bundle,
        )
        result.write.mode("overwrite").parquet(str(tmp / "parts"))
        writing = True
        summary = _join_parts(tmp / "parts", output_path)
        done = True
        return summary
    except (PySparkException, Py4JError) as e:
        raise ScanError(f"the Spark job failed: {e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if writing and not done and Path(output_path).is_file():  # no half-written output
            Path(output_path).unlink()
        if created:
            spark.stop()


def _join_parts(parts: Path, output_path: str) -> Summary:
    """Concatenate the part files in row order into one Parquet file; count the summary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    files = []
    for path in parts.glob("part-*.parquet"):
        meta = pq.ParquetFile(path).metadata
        if meta.num_rows:
            files.append((_first_row(path), path))
    summary = Summary()
    expected = 1
    with pq.ParquetWriter(output_path, schema) as writer:
        for _, path in sorted(files):
            pf = pq.ParquetFile(path)
            try:
                for batch in pf.iter_batches(batch_size=1000):
                    rows = batch.column(ROW_COL).to_numpy()
                    if rows[0] != expected or (len(rows) > 1 and (rows[1:] - rows[:-1] != 1).any()):
                        raise ScanError(f"the Spark job returned rows out of order (expected row {expected}, "
                                        f"got {int(rows[0])} in {path.name})")
                    expected += len(rows)
                    table = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
                    writer.write_table(table)
                    for result in table.select(["decision", "error", "route", "findings", "notes"]).to_pylist():
                        summary.add(result)
            finally:
                pf.close()
    return summary


def _first_row(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.read_table(path, columns=[ROW_COL]).column(0)[0].as_py())


def main(argv: Sequence[str] | None = None) -> None:
    """``spark-submit screening/integrations/spark.py INPUT OUTPUT_DIR [options]``: a Parquet dataset of results.

    INPUT is anything ``spark.read.parquet`` reads (a file, a directory, ``s3a://...``); OUTPUT_DIR
    gets part files in input order with the result columns and ``row`` (the input row number).
    """
    parser = argparse.ArgumentParser(prog="screening.integrations.spark", description=main.__doc__)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--text-field", dest="text_fields", action="append", help="repeatable; default: text")
    parser.add_argument("--id-field", default="id")
    parser.add_argument("--content-type-field", default="content_type")
    parser.add_argument("--product-category-field", default="product_category")
    parser.add_argument("--merchant-field", default="merchant_id")
    parser.add_argument("--content-type", default="listing")
    parser.add_argument("--product-category", default="general")
    parser.add_argument("--partitions", type=int, default=None,
                        help=f"screening tasks (default: one per {ROWS_PER_PARTITION:,} rows, at least one per core)")
    parser.add_argument("--lexicons")
    parser.add_argument("--user-lexicon")
    parser.add_argument("--policy")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--mode", default="errorifexists", choices=["errorifexists", "overwrite"])
    args = parser.parse_args(argv)
    spark, created = spark_session(None, app="screening scan")
    try:
        df, total = _number_rows(spark.read.parquet(args.input), "row")
        partitions = args.partitions
        if partitions is None:
            partitions = max(spark.sparkContext.defaultParallelism, math.ceil(total / ROWS_PER_PARTITION))
        result = screen_dataframe(
            df,
            id_col=args.id_field,
            text_cols=tuple(args.text_fields or ("text",)),
            content_type_col=args.content_type_field,
            product_category_col=args.product_category_field,
            merchant_col=args.merchant_field,
            content_type=args.content_type,
            product_category=args.product_category,
            row_col="row",
            keep=("row",),
            partitions=partitions,
            lexicons=args.lexicons,
            user_lexicon=args.user_lexicon,
            policy=args.policy,
            model=None if args.no_model else args.model,
        )
        result.write.mode(args.mode).parquet(args.output)
    finally:
        if created:
            spark.stop()


if __name__ == "__main__":
    # Run through the installed module, so that executors unpickle screening.integrations.spark's classes by
    # reference and share its Screener cache (a class pickled from __main__ would not).
    from screening.integrations.spark import main as _main

    _main()
