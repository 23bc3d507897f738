"""Draw the benchmark chart for the README from benchmarks/results/run.json (see benchmarks/run.py).

Three panels in one self-contained SVG: MB/s per stage as horizontal bars, each with its ratio to
the naive baseline (b); then the engine's throughput (thousand chars/s) against lexicon size and
against text length, both on log x axes. The last two come from the "scaling" section that
``run.py --scaling`` writes; without it only the first panel is drawn.

Run: python benchmarks/plot.py [RUN_JSON] [OUT_SVG]
     (defaults: benchmarks/results/run.json and docs/benchmarks.svg; standard library only)
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
STAGE_NAMES = {
    "a0_automaton_walk_only": "walk alone (a0)",
    "a_raw_automaton": "raw automaton (a)",
    "b_naive_jieba_then_match": "naive jieba (b)",
    "c_engine": "engine (c)",
    "d_full_with_model": "engine+model (d)",
    "e1_scan_1_worker": "scan, 1 worker (e1)",
    "e2_scan_2_workers": "scan, 2 workers (e2)",
}
LENGTH_NAMES = {"40": "title 40", "5000": "detail 5k", "1000000": "1 MB"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
BLUE, GRID, INK, MUTED = "#3b6ea8", "#e4e4e4", "#222", "#666"
HEIGHT, TOP, BOTTOM = 300, 44, 250  # plot areas span TOP..BOTTOM; below that, ticks and axis labels


def text(x: float, y: float, s: Any, size: int = 11, anchor: str = "start", fill: str = INK,
         extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f"{escape(str(s))}</text>")


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"/>'


def ticks(top: float) -> list[float]:
    """About five round ticks (steps of 1, 2 or 5 × 10^n) from 0 to at least ``top``."""
    raw = max(top, 1e-9) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


def fmt(v: float) -> str:
    return f"{v:g}" if v >= 10 or v == 0 else f"{v:.2g}"


def neighbours(points: list[tuple[float, float]], x: float) -> list[float]:
    i = [p[0] for p in points].index(x)
    return [v for _, v in points[max(i - 1, 0):i] + points[i + 1:i + 2]]


def bar_panel(x0: float, width: float, stages: dict[str, dict[str, float]]) -> list[str]:
    out = [text(x0 + width / 2, 20, "Throughput per stage", 13, "middle", extra=' font-weight="600"')]
    left, right = x0 + 124, x0 + width - 16
    base = stages.get("b_naive_jieba_then_match", {}).get("mb_per_s")
    top = max(s["mb_per_s"] for s in stages.values())
    grid = ticks(top)
    scale = min((right - left) / grid[-1], (right - left - 112) / top)  # the longest bar's label must fit
    grid = [t for t in grid if left + t * scale <= right]
    for t in grid:
        out += [line(left + t * scale, TOP, left + t * scale, BOTTOM),
                text(left + t * scale, BOTTOM + 14, fmt(t), 10, "middle", MUTED)]
    row = (BOTTOM - TOP) / len(stages)
    for i, (key, s) in enumerate(stages.items()):
        y, mbps = TOP + i * row, s["mb_per_s"]
        ratio = s.get("speed_vs_b") or (mbps / base if base else None)
        label = f"{mbps:.2f} MB/s" + (f" ({ratio:.1f}× b)" if ratio else "")
        name = STAGE_NAMES.get(key, f"{key[2:].replace('_', ' ')} ({key[0]})")
        out += [text(left - 6, y + row / 2 + 4, name, anchor="end"),
                f'<rect x="{left:.1f}" y="{y + row * 0.18:.1f}" width="{mbps * scale:.1f}" '
                f'height="{row * 0.64:.1f}" fill="{BLUE}" rx="2"/>',
                text(left + mbps * scale + 5, y + row / 2 + 4, label, 10)]
    out += [line(left, TOP, left, BOTTOM, MUTED),
            text(left + grid[-1] * scale / 2, BOTTOM + 32, "MB/s (UTF-8)", 11, "middle", MUTED)]
    return out


def line_panel(x0: float, width: float, title: str, xlabel: str,
               points: list[tuple[float, float]], xticks: list[tuple[float, str]]) -> list[str]:
    """Thousand chars/s (y) against a log-scale x; ``points`` are (x, chars/s) sorted by x."""
    out = [text(x0 + width / 2, 20, title, 13, "middle", extra=' font-weight="600"')]
    left, right = x0 + 52, x0 + width - 14
    logs = [math.log10(x) for x, _ in points] + [math.log10(x) for x, _ in xticks]
    lo, hi = min(logs), max(logs)
    pad = max((hi - lo) * 0.12, 0.2)  # keep the end points and their labels off the panel edges
    lo, hi = lo - pad, hi + pad
    grid = ticks(max(v for _, v in points) / 1000 * 1.15)  # headroom for the value labels

    def px(x: float) -> float:
        return left + (math.log10(x) - lo) / (hi - lo) * (right - left)

    def py(v: float) -> float:
        return BOTTOM - v / 1000 / grid[-1] * (BOTTOM - TOP)

    for t in grid:
        out += [line(left, py(t * 1000), right, py(t * 1000)),
                text(left - 5, py(t * 1000) + 4, fmt(t), 10, "end", MUTED)]
    for x, label in xticks:
        out += [line(px(x), BOTTOM, px(x), BOTTOM + 4, MUTED), text(px(x), BOTTOM + 15, label, 10, "middle", MUTED)]
    path = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in points)
    out += [line(left, BOTTOM, right, BOTTOM, MUTED),
            f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>']
    for x, v in points:
        # a local minimum gets its label below, where the lines to its neighbours cannot cross it
        below = all(v < n for n in neighbours(points, x))
        out += [f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="3.5" fill="{BLUE}"/>',
                text(px(x), py(v) + (17 if below else -8), f"{v / 1000:.0f}k", 10, "middle")]
    out += [text((left + right) / 2, BOTTOM + 32, xlabel, 11, "middle", MUTED),
            text(x0 + 12, (TOP + BOTTOM) / 2, "thousand chars/s", 11, "middle", MUTED,
                 f' transform="rotate(-90 {x0 + 12:.1f} {(TOP + BOTTOM) / 2:.1f})"')]
    return out


def render(run: dict[str, Any]) -> str:
    stages = {k: run[k] for k in sorted(run) if re.match(r"^[a-z]\d?_", k) and isinstance(run[k], dict)}
    scaling = run.get("scaling") or {}
    lexicon, lengths = scaling.get("lexicon_terms") or {}, scaling.get("text_length") or {}
    width = 400 + 280 * bool(lexicon) + 280 * bool(lengths)
    parts = bar_panel(0, 400, stages)
    x0 = 400
    if lexicon:
        rows = sorted(lexicon.items(), key=lambda kv: kv[1]["terms"])
        parts += line_panel(x0, 280, "Engine vs lexicon size", "lexicon terms (log scale)",
                            [(r["terms"], r["chars_per_s"]) for _, r in rows],
                            [(int(k), f"{int(k) / 1000:g}k") for k, _ in rows])
        x0 += 280
    if lengths:
        rows = sorted(lengths.items(), key=lambda kv: kv[1]["chars"])
        parts += line_panel(x0, 280, "Engine vs text length", "characters per text (log scale)",
                            [(r["chars"], r["chars_per_s"]) for _, r in rows],
                            [(r["chars"], LENGTH_NAMES.get(k, k.replace("_", " "))) for k, r in rows])
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" font-family="{FONT}">',
        f'<rect width="{width}" height="{HEIGHT}" fill="#fff"/>', *parts, "</svg>", ""])


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "results" / "run.json"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "benchmarks.svg"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(render(json.loads(src.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
