"""Throughput of ``scan --engine spark --master local[2]`` against the local ``scan --workers 2``.

Run: python benchmarks/spark_scan.py [--records 200000] [--small 1000] [--rounds 2]

Both commands scan the same generated catalogue (benchmarks/corpus.py) as Parquet into Parquet, as
a user runs them: wall time of the whole command, Spark's JVM start included. Then, in one Spark
session already started and warmed up on a small catalogue, the same scan again: the steady-state
rate of the Spark engine (all its jobs: row numbering, range partitioning, screening, writing,
joining the part files), without the fixed start-up cost. During the commands the resident memory
of every process is sampled from /proc: for Spark the JVM and each Python worker separately (one
Screener per worker, loaded once). The two outputs are compared record for record (all columns
but ``route.due_at``, which depends on the clock). The rounds are interleaved and the fastest of
each configuration counts: on a shared machine the same command varies by a third from run to run.
Writes benchmarks/results/spark_scan.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate, save_result  # noqa: E402


def write_parquet(path: Path, n: int) -> float:
    """Write ``n`` generated records as Parquet; return the MB (UTF-8) of their texts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("content_type", pa.string()),
                        ("product_category", pa.string())])
    size = 0
    batch: list[dict[str, Any]] = []
    with pq.ParquetWriter(path, schema) as writer:
        for rec in generate(n):
            size += len(rec["text"].encode("utf-8"))
            batch.append(rec)
            if len(batch) == 50_000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return size / 1e6


def _processes() -> dict[int, tuple[int, str, int]]:
    """pid → (parent pid, command line, resident KiB) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            rss = 0
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
            out[int(entry)] = (ppid, cmd, rss)
        except (OSError, ValueError, IndexError):
            continue
    return out


def run(args: list[str]) -> dict[str, Any]:
    """Run ``cli.py ARGS``; wall seconds and peak resident MB (whole tree, JVM, largest Python worker)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    load = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures: record it
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "scan", *args, "--no-progress"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = {"tree": 0, "jvm": 0, "python_worker": 0, "python_workers_seen": set()}
    while proc.poll() is None:
        procs = _processes()
        tree, stack = [], [proc.pid]
        while stack:
            p = stack.pop()
            tree.append(p)
            stack.extend(c for c, (pp, _, _) in procs.items() if pp == p)
        peak["tree"] = max(peak["tree"], sum(procs[p][2] for p in tree if p in procs))
        for p in tree:
            if p not in procs or p == proc.pid:
                continue
            _, cmd, rss = procs[p]
            if "java" in cmd.split(" ", 1)[0]:
                peak["jvm"] = max(peak["jvm"], rss)
            elif "python" in cmd.split(" ", 1)[0]:
                peak["python_worker"] = max(peak["python_worker"], rss)
                peak["python_workers_seen"].add(p)
        time.sleep(0.2)
    seconds = time.perf_counter() - t
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"scan {' '.join(args)} failed with {proc.returncode}:\n{err[-3000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb_tree": round(peak["tree"] / 1024, 1),
            "peak_rss_mb_jvm": round(peak["jvm"] / 1024, 1),
            "peak_rss_mb_largest_python_child": round(peak["python_worker"] / 1024, 1),
            "python_child_processes": len(peak["python_workers_seen"]), "load": load}


def same_results(a: Path, b: Path) -> bool:
    """The two Parquet outputs agree on every record and column but route.due_at."""
    import pyarrow.parquet as pq

    def rows(path: Path) -> Any:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for r in batch.to_pylist():
                if r["route"]:
                    r["route"]["due_at"] = None
                r["versions"] = dict(r["versions"])
                yield r

    sentinel = object()
    from itertools import zip_longest

    return all(x == y for x, y in zip_longest(rows(a), rows(b), fillvalue=sentinel))


def warm_child(src: str, small: str, out: str, master: str) -> None:
    """In one session: scan the small catalogue (warm-up), then time the scan of ``src``; print JSON."""
    from screening.integrations.spark import scan_parquet, spark_session

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark, _ = spark_session(master)
    try:
        scan_parquet(small, out)
        t = time.perf_counter()
        summary = scan_parquet(src, out)
        print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "records": summary.records}))
    finally:
        spark.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--small", type=int, default=1_000, help="records of the warm-up scan")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the fastest of each counts")
    ap.add_argument("--warm-child", nargs=3, metavar=("SRC", "SMALL", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.warm_child:
        warm_child(*args.warm_child, args.master)
        return
    out: dict[str, Any] = {"records": args.records, "master": args.master, "workers": args.workers,
                           "cores": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory() as tmp:
        src, small = Path(tmp) / "catalogue.parquet", Path(tmp) / "small.parquet"
        mb = write_parquet(src, args.records)
        write_parquet(small, args.small)
        out["text_mb"] = round(mb, 2)
        print(f"{args.records:,} records, {mb:.1f} MB of text")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        runs: dict[str, list[dict[str, Any]]] = {"local": [], "spark": [], "warm": []}
        for _ in range(args.rounds):  # interleaved; the fastest of each counts (a shared machine is noisy)
            runs["local"].append(run([str(src), "-o", str(Path(tmp) / "local.parquet"),
                                      "--workers", str(args.workers)]))
            runs["spark"].append(run([str(src), "-o", str(Path(tmp) / "spark.parquet"), "--engine", "spark",
                                      "--master", args.master]))
            warm = subprocess.run([sys.executable, __file__, "--master", args.master, "--warm-child", str(src),
                                   str(small), str(Path(tmp) / "warm.parquet")],
                                  env=env, check=True, capture_output=True, text=True)
            runs["warm"].append(json.loads(warm.stdout.strip().splitlines()[-1]))
        local, spark = (min(runs[k], key=lambda r: r["seconds"]) for k in ("local", "spark"))
        w = min(runs["warm"], key=lambda r: r["seconds"])
        out["rounds"] = {k: [r["seconds"] for r in v] for k, v in runs.items()}
        for name, r in (("local", local), ("spark", spark)):
            r["records_per_s"] = round(args.records / r["seconds"])
            r["mb_per_s"] = round(mb / r["seconds"], 3)
            r["load_average_before"] = r.pop("load")
            out[name] = r
            print(f"{name:6} {r['seconds']:7.1f} s  {r['records_per_s']:>7,} rec/s  {r['mb_per_s']:6.3f} MB/s  "
                  f"peak RSS {r['peak_rss_mb_tree']:7.1f} MB (JVM {r['peak_rss_mb_jvm']}, largest Python child "
                  f"{r['peak_rss_mb_largest_python_child']}, {r['python_child_processes']} Python children)")
        out["same_results"] = same_results(Path(tmp) / "local.parquet", Path(tmp) / "spark.parquet")
        out["spark_warm"] = {"seconds": w["seconds"], "records_per_s": round(args.records / w["seconds"]),
                             "mb_per_s": round(mb / w["seconds"], 3)}
        out["spark_fixed_cost_seconds"] = round(spark["seconds"] - w["seconds"], 1)
        out["spark_over_local"] = round(local["seconds"] / spark["seconds"], 3)
        out["spark_warm_over_local"] = round(local["seconds"] / w["seconds"], 3)
        print(f"spark, warm session: {w['seconds']} s, {out['spark_warm']['records_per_s']:,} rec/s, "
              f"{out['spark_warm']['mb_per_s']} MB/s; fixed cost of a cold start {out['spark_fixed_cost_seconds']} s; "
              f"same results as local: {out['same_results']}")
    out["command"] = ("python benchmarks/spark_scan.py " + " ".join(sys.argv[1:])).strip()
    save_result("spark_scan", out)


if __name__ == "__main__":
    main()
