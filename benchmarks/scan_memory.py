"""Peak memory of a catalogue scan: 200,000 records against 20,000, in one run.

Run: python benchmarks/scan_memory.py [--records 200000] [--workers 2]
Bounded memory means the peak resident set (main process plus workers, sampled from /proc)
hardly grows with the input: the ratio large/small is the figure to watch, the absolute peak
is the one quoted (issue target: at most 400 MB). Writes benchmarks/results/scan_memory.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import save_result, write_corpus  # noqa: E402


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """Resident set and proportional set size (PSS) of a process and all its descendants, in KiB.

    RSS counts a page shared by forked workers once per process; PSS divides it among them, so
    its sum is what the scan really holds. Both are reported; RSS is the conservative figure.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return rss, pss


def run_scan(src: Path, out: Path, workers: int, *extra: str) -> tuple[float, float, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "scan", str(src), "-o", str(out),
                             "--workers", str(workers), "--no-progress", *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = peak_pss = 0
    while proc.poll() is None:
        rss, pss = tree_memory_kb(proc.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(0.1)
    if proc.returncode != 0:
        raise SystemExit(f"scan failed with {proc.returncode}")
    return peak / 1024, peak_pss / 1024, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (args.records // 10, args.records):
            src = Path(tmp) / f"in-{n}.jsonl"
            write_corpus(src, n)
            peak, peak_pss, secs = run_scan(src, Path(tmp) / f"out-{n}.jsonl", args.workers)
            results[n] = {"peak_rss_mb": round(peak, 1), "peak_pss_mb": round(peak_pss, 1), "seconds": round(secs, 1),
                          "records_per_s": round(n / secs), "input_mb": round(src.stat().st_size / 1e6, 1)}
            print(f"{n:>9,} records  {results[n]['input_mb']:>6} MB in  peak RSS {peak:7.1f} MB  "
                  f"PSS {peak_pss:7.1f} MB  {secs:6.1f} s  {n / secs:,.0f} rec/s")
    small, large = results[args.records // 10], results[args.records]
    summary = {"workers": args.workers, "runs": results,
               "peak_ratio_large_over_small": round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)}
    print(f"peak RSS ratio {args.records:,} / {args.records // 10:,} records: {summary['peak_ratio_large_over_small']}")
    save_result("scan_memory", summary)


if __name__ == "__main__":
    main()
