"""A scan of 100,000 records into the review queue: time and peak memory, against the same
scan without the queue, in one run.

Run: python benchmarks/queue_intake.py [--records 100000] [--workers 2]
Writes benchmarks/results/queue_intake.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import save_result, write_corpus  # noqa: E402
from scan_memory import run_scan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    out = {"records": args.records, "workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        write_corpus(src, args.records, merchants=500)
        peak, pss, secs = run_scan(src, Path(tmp) / "plain.jsonl", args.workers)
        out["plain"] = {"seconds": round(secs, 1), "peak_rss_mb": round(peak, 1), "peak_pss_mb": round(pss, 1)}
        db = Path(tmp) / "review.db"
        peak, pss, secs = run_scan(src, Path(tmp) / "queued.jsonl", args.workers, "--queue", str(db))
        conn = sqlite3.connect(db)
        tasks = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
        items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        conn.close()
        out["queued"] = {"seconds": round(secs, 1), "peak_rss_mb": round(peak, 1), "peak_pss_mb": round(pss, 1),
                         "tasks": tasks, "items": items,
                         "db_mb": round(db.stat().st_size / 1e6, 1)}
    out["time_ratio_queued_over_plain"] = round(out["queued"]["seconds"] / out["plain"]["seconds"], 3)
    print(json.dumps(out, indent=2))
    save_result("queue_intake", out)


if __name__ == "__main__":
    main()
