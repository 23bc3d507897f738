"""Start-up time: a fresh process building a Screener, cold (no automaton cache) and warm, and
the ``check`` command end to end, cold (empty cache directory) and with its caches.

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
TEXT = "这是最好的面霜，全网第一"
CHECK_HIT = f"from screening import Screener; Screener().screen('{TEXT}')"


def timed(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - t


def timed_check(env: dict[str, str]) -> float:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "cli.py", "check", TEXT], env=env, cwd=ROOT, capture_output=True)
    assert done.returncode == 1, done.stderr  # 1: the text needs review, as it should
    return time.perf_counter() - t


def measure(rounds: int) -> dict[str, float]:
    """Medians over ``rounds`` rounds of fresh processes (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SCREENING_CACHE_DIR": tmp}
        # As on a user's machine, Python keeps the modules' bytecode (pip compiles an installed
        # package): a sandbox that forbids writing it would time recompiling every module instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cold, warm, hit, base, check_cold, check_warm = [], [], [], [], [], []
        for i in range(rounds):
            for f in Path(tmp).iterdir():
                f.unlink()
            check_cold.append(timed_check(env))
            check_warm.append(timed_check(env))
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
            "check_cli_cold_s": statistics.median(check_cold),
            "check_cli_cached_s": statistics.median(check_warm),
        }
    out["cached_over_baseline"] = out["screener_cached_s"] / out["baseline_import_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    out = measure(ap.parse_args().rounds)
    save_result("startup", out)
    for k, v in out.items():
        print(f"{k:28s} {v:.3f}")


if __name__ == "__main__":
    main()
