"""Load test of the HTTP service: throughput and latency of POST /v1/screen under concurrent clients.

Run: python benchmarks/load_test.py [--requests 2000] [--concurrency 16] [--max-seconds 300]

Starts the service in a subprocess (uvicorn, one process, loopback, the packaged model), waits
for /healthz, warms it up, then sends ``--requests`` POST /v1/screen requests of the project's
synthetic catalogue (benchmarks/corpus.py) from ``--concurrency`` client threads in this process,
each with its own connection. It stops early at ``--max-seconds``. Every response is checked
(HTTP 200 and a contract result); anything else counts as an error. Prints and writes
benchmarks/results/load_test.json: errors, throughput (requests/s) and p50/p90/p99 latency (ms).
Client and server share the machine, so the figures include the client's own CPU use.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate, save_result  # noqa: E402

CONTRACT_KEYS = {"id", "decision", "risk", "severity", "findings", "route", "versions", "error"}
WARMUP = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, model: str | None) -> subprocess.Popen[bytes]:
    code = (
        "from screening.integrations.service import serve; "
        f"serve(host='127.0.0.1', port={port}, model={model!r}, log_level='warning')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCREENING_API_KEY", None)
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=5) as c:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"the service exited with status {proc.returncode}")
            try:
                if c.get("/healthz").status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise SystemExit("the service did not answer /healthz in time")


def valid(response: httpx.Response, record: dict[str, Any]) -> bool:
    if response.status_code != 200:
        return False
    d = response.json()
    text = record["text"]
    return (
        CONTRACT_KEYS <= d.keys()
        and d["id"] == record["id"]
        and d["error"] is None
        and all(text[f["start"] : f["end"]] == f["text"] for f in d["findings"])
    )


def run(url: str, records: list[dict[str, Any]], concurrency: int, max_seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    decisions: dict[str, int] = {}
    lock = threading.Lock()
    next_index = 0
    deadline = time.perf_counter() + max_seconds

    def client() -> None:
        nonlocal next_index
        with httpx.Client(base_url=url, timeout=30) as c:
            while time.perf_counter() < deadline:
                with lock:
                    if next_index >= len(records):
                        return
                    record = records[next_index]
                    next_index += 1
                t = time.perf_counter()
                try:
                    r = c.post("/v1/screen", json=record)
                    ok = valid(r, record)
                    problem = None if ok else f"{record['id']}: HTTP {r.status_code} {r.text[:200]}"
                except httpx.HTTPError as e:
                    ok, problem, r = False, f"{record['id']}: {type(e).__name__}: {e}", None
                elapsed = time.perf_counter() - t
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem)
                    elif r is not None:
                        decision = r.json()["decision"]
                        decisions[decision] = decisions.get(decision, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "requests_sent": len(latencies),
        "requests_planned": len(records),
        "stopped_by_time_limit": len(latencies) < len(records),
        "errors": len(errors),
        "error_examples": errors[:5],
        "seconds": round(wall, 3),
        "throughput_rps": round(len(latencies) / wall, 1),
        "latency_ms": {
            "p50": round(statistics.median(ms), 2),
            "p90": round(cuts[89], 2),
            "p99": round(cuts[98], 2),
            "max": round(ms[-1], 2),
        },
        "decisions": decisions,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--max-seconds", type=float, default=300, help="stop sending after this long")
    ap.add_argument("--no-model", action="store_true", help="serve lexicon-only")
    args = ap.parse_args()

    records = list(generate(args.requests + WARMUP, seed=11))
    warmup, measured = records[:WARMUP], records[WARMUP:]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port, None if args.no_model else "default")
    try:
        startup = wait_ready(url, proc)
        with httpx.Client(base_url=url, timeout=30) as c:
            for r in warmup:  # loads jieba's dictionary and warms the caches
                c.post("/v1/screen", json=r).raise_for_status()
            versions = c.get("/v1/versions").json()
        result = run(url, measured, args.concurrency, args.max_seconds)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    out = {
        "endpoint": "POST /v1/screen",
        "concurrency": args.concurrency,
        "server": "uvicorn, 1 process, loopback" + (", lexicon-only" if args.no_model else ", packaged model"),
        "versions": versions,
        "warmup_requests": WARMUP,
        "mean_text_chars": round(sum(len(r["text"]) for r in measured) / len(measured), 1),
        "server_ready_s": round(startup, 2),
        **result,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))
    save_result("load_test", out)
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
