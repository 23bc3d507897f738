"""Throughput of the screener with the risk model against the engine alone, in one run.

Run: python benchmarks/model_overhead.py [--records 20000] [--rounds 3]
Both screeners share the lexicon and automaton and screen the same synthetic catalogue
(benchmarks/corpus.py) in alternating rounds; medians are reported with the ratio
full/engine (issue target: at least 0.5). Writes benchmarks/results/model_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402

from screening import Screener  # noqa: E402


def run(screener: Screener, records: list[dict]) -> float:
    t = time.perf_counter()
    for r in records:
        screener.screen(r["text"], content_type=r["content_type"], product_category=r["product_category"])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    records = list(generate(args.records))
    chars = sum(len(r["text"]) for r in records)
    full = Screener()
    engine = Screener(full.lexicon, full.policy, matcher=full.matcher, model=None)
    run(full, records[:500])
    run(engine, records[:500])
    times: dict[str, list[float]] = {"engine": [], "full": []}
    for _ in range(args.rounds):
        times["engine"].append(run(engine, records))
        times["full"].append(run(full, records))
    out = {"records": args.records, "chars": chars}
    for name, ts in times.items():
        med = statistics.median(ts)
        out[name] = {"seconds": round(med, 3), "records_per_s": round(args.records / med),
                     "chars_per_s": round(chars / med)}
    out["full_over_engine"] = round(out["engine"]["seconds"] / out["full"]["seconds"], 3)
    print(json.dumps(out, indent=2))
    res = ROOT / "benchmarks" / "results"
    res.mkdir(exist_ok=True)
    (res / "model_overhead.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
