"""Start-up time: a fresh process building a Screener, cold (no automaton cache) and warm.

Run: python benchmarks/startup.py [--rounds 5]
Each figure is the median wall time of fresh interpreter processes; the baseline is a process
that only imports the dependencies, measured in the same run, so the ratio survives a noisy
machine. Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import save_result  # noqa: E402

BASELINE = "import jieba, ahocorasick, click"
SCREENER = "from screening import Screener; Screener()"
CHECK_HIT = "from screening import Screener; Screener().screen('这是最好的面霜，全网第一')"


def timed(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SCREENING_CACHE_DIR": tmp}
        cold, warm, hit, base = [], [], [], []
        for i in range(args.rounds):
            for f in Path(tmp).glob("automaton-*"):
                f.unlink()
            cold.append(timed(SCREENER, env))
            warm.append(timed(SCREENER, env))
            hit.append(timed(CHECK_HIT, env))
            base.append(timed(BASELINE, env))
        out = {
            "baseline_import_s": statistics.median(base),
            "screener_cold_s": statistics.median(cold),
            "screener_cached_s": statistics.median(warm),
            "first_screen_with_hits_s": statistics.median(hit),
        }
    out["cached_over_baseline"] = out["screener_cached_s"] / out["baseline_import_s"]
    save_result("startup", out)
    for k, v in out.items():
        print(f"{k:28s} {v:.3f}")


if __name__ == "__main__":
    main()
