"""This checkout's stage speeds against another commit's, measured in one session.

Run: python benchmarks/compare.py REV [--pairs 2] [--mb 2] [--rounds 2]

Speeds measured in different sessions of this shared machine cannot be compared, and neither can
speeds of two checkouts run hours apart. This exports REV (``git archive``) to a temporary
directory and runs benchmarks/run.py there and here in turn — REV, here, here, REV, … so that a
slow stretch of the machine falls on both — each in a fresh process with its own cache and
results directories (this checkout's benchmarks/results/run.json is left alone). Each run gives
every stage's speed as a multiple of (b), the naive pipeline of the same run and code; the
comparison is that multiple here over REV's, per pair of runs and its median: 0.90 means a
stage is 10 % slower, relative to (b), than at REV.

Writes benchmarks/results/compare.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import save_result  # noqa: E402

STAGES = ("a_raw_automaton", "c_engine", "d_full_with_model", "e1_scan_1_worker", "e2_scan_2_workers")
BASE = "b_naive_jieba_then_match"


def run_in(tree: Path, scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """benchmarks/run.py of ``tree`` in a fresh process; its figures."""
    results = scratch / "results"
    env = {**os.environ, "PYTHONPATH": str(tree), "SCREENING_CACHE_DIR": str(scratch / "cache"),
           "SCREENING_BENCH_RESULTS": str(results)}
    cmd = [sys.executable, str(tree / "benchmarks" / "run.py"), "--mb", str(args.mb), "--rounds", str(args.rounds),
           "--no-startup"]
    subprocess.run(cmd, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    written = results / "run.json"
    if not written.is_file():  # a commit from before SCREENING_BENCH_RESULTS writes into its own tree
        written = tree / "benchmarks" / "results" / "run.json"
    return json.loads(written.read_text(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rev", help="the commit to compare with (anything git archive takes)")
    ap.add_argument("--pairs", type=int, default=2, help="runs of each checkout")
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="screening-compare-"))
    try:
        base = tmp / "rev"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        runs: dict[str, list[dict[str, Any]]] = {"rev": [], "here": []}
        for p in range(args.pairs):
            for side in (("rev", "here") if p % 2 == 0 else ("here", "rev")):
                tree = base if side == "rev" else ROOT
                runs[side].append(run_in(tree, tmp / f"{side}{p}", args))
                st = runs[side][-1]
                print(f"pair {p + 1} {side:4s} " + "  ".join(
                    f"{s.split('_')[0]} {st[s]['speed_vs_b']:.2f}×(b)" for s in STAGES), flush=True)
        out: dict[str, Any] = {"rev": args.rev, "pairs": args.pairs, "mb": args.mb, "rounds": args.rounds, "stages": {}}
        # (MB/s too, for the record: they say how fast, not what changed, on a machine this noisy)
        out["b_mb_per_s"] = {side: [r[BASE]["mb_per_s"] for r in runs[side]] for side in runs}
        for s in STAGES:
            rev = [r[s]["speed_vs_b"] for r in runs["rev"]]
            here = [r[s]["speed_vs_b"] for r in runs["here"]]
            ratios = [h / r for h, r in zip(here, rev)]
            out["stages"][s] = {"rev_x_b": rev, "here_x_b": here, "here_over_rev": [round(x, 3) for x in ratios],
                                "median": round(statistics.median(ratios), 3),
                                "rev_mb_per_s": [r[s]["mb_per_s"] for r in runs["rev"]],
                                "here_mb_per_s": [r[s]["mb_per_s"] for r in runs["here"]]}
        save_result("compare", out)
        print(f"\n| stage | × (b) at {args.rev} | × (b) here | here / {args.rev} (median) |\n|---|---|---|---|")
        for s, v in out["stages"].items():
            print(f"| {s} | {', '.join(f'{x:.2f}' for x in v['rev_x_b'])} | {', '.join(f'{x:.2f}' for x in v['here_x_b'])} "
                  f"| {', '.join(f'{x:.3f}' for x in v['here_over_rev'])} ({v['median']:.3f}) |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
