"""The benchmark harness (benchmarks/run.py), run small: it must keep working, and the engine
must find exactly what the naive pipeline finds on the generated catalogue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["a0_automaton_walk_only", "a_raw_automaton", "b_naive_jieba_then_match", "c_engine",
          "d_full_with_model", "e1_scan_1_worker", "e2_scan_2_workers"]


def test_a_small_run_times_every_stage_and_the_engine_finds_what_the_naive_pipeline_finds(tmp_path: Path) -> None:
    committed = (ROOT / "benchmarks" / "results" / "run.json").read_bytes()
    env = {**os.environ, "SCREENING_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--mb", "0.3", "--rounds", "1", "--no-startup"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert out["same_findings"] is True and out["records_with_different_findings"] == 0
    assert out["records"] > 1000 and 120 < out["chars_per_hit"] < 300  # about one hit per 200 characters
    for stage in STAGES:
        assert out[stage]["seconds"] > 0 and out[stage]["records_per_s"] > 0, stage
    assert out["b_naive_jieba_then_match"]["speed_vs_b"] == 1.0  # (speeds are for benchmarks/, not asserted here)
    assert (tmp_path / "run.md").read_text(encoding="utf-8").count("| (") == len(STAGES)
    assert (ROOT / "benchmarks" / "results" / "run.json").read_bytes() == committed  # the README's figures


def test_compare_runs_both_checkouts_in_turn_and_leaves_the_committed_figures_alone(tmp_path: Path) -> None:
    import shutil

    import pytest

    if not shutil.which("git") or subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                                 check=False).returncode:
        pytest.skip("not a git checkout: nothing to export")
    committed = (ROOT / "benchmarks" / "results" / "run.json").read_bytes()
    env = {**os.environ, "SCREENING_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, "benchmarks/compare.py", "HEAD", "--pairs", "1", "--mb", "0.1", "--rounds", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    assert out["rev"] == "HEAD" and out["pairs"] == 1
    for stage in ("c_engine", "d_full_with_model"):
        v = out["stages"][stage]
        assert len(v["rev_x_b"]) == len(v["here_x_b"]) == len(v["here_over_rev"]) == 1
        assert v["here_over_rev"][0] == round(v["here_x_b"][0] / v["rev_x_b"][0], 3) > 0
    assert "| c_engine |" in done.stdout
    assert (ROOT / "benchmarks" / "results" / "run.json").read_bytes() == committed
