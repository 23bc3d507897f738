"""Product-category inference (screening/engine/categorize.py) against a labeled file's product_category.

Run: python benchmarks/categorize.py [--data ../shared/data/labeled.jsonl] [--no-save]

Reports, for rows labeled with a sector: coverage (how many get a category inferred),
precision (inferred == label among those) and accuracy (inferred == label over all of them,
no inference counting as wrong); for rows labeled general: how often a category is inferred
(not necessarily wrong: a general row may well be a face cream); and the cost per record of
inference next to Screener.screen(). Prints per-category figures and the confusion counts, and
writes benchmarks/results/categorize.json (aggregates only; no text of the data file).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from screening.engine.categorize import default_cues  # noqa: E402
from screening.engine.normalize import normalize  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "labeled.jsonl"


def measure(rows: list[dict]) -> dict:
    cues = default_cues()
    sector = [r for r in rows if r.get("product_category", "general") != "general"]
    general = [r for r in rows if r.get("product_category", "general") == "general"]
    confusion: Counter[tuple[str, str]] = Counter()
    per: dict[str, Counter[str]] = {}
    for r in sector:
        inf = cues.infer(normalize(r["text"]))
        got = inf.category if inf else "general"
        confusion[r["product_category"], got] += 1
        c = per.setdefault(r["product_category"], Counter())
        c["n"] += 1
        c["inferred"] += got != "general"
        c["correct"] += got == r["product_category"]
    inferred = sum(c["inferred"] for c in per.values())
    correct = sum(c["correct"] for c in per.values())
    on_general: Counter[str] = Counter()
    for r in general:
        inf = cues.infer(normalize(r["text"]))
        if inf:
            on_general[inf.category] += 1
    predicted: Counter[str] = Counter()
    for (_, got), n in confusion.items():
        predicted[got] += n
    by_cat = {}
    for cat, c in sorted(per.items()):
        pred = predicted.get(cat, 0)
        by_cat[cat] = {
            "n": c["n"],
            "recall": round(c["correct"] / c["n"], 3),
            "precision": round(confusion[cat, cat] / pred, 3) if pred else None,
            "inferred": c["inferred"],
        }
    # Cost per record: inference alone vs screen(), lexicon-only and with the model.
    texts = [r["text"] for r in rows]
    t = time.perf_counter()
    for x in texts:
        cues.infer(normalize(x))
    infer_us = (time.perf_counter() - t) / len(texts) * 1e6
    t = time.perf_counter()
    for x in texts:
        cues.find(x)
    find_us = (time.perf_counter() - t) / len(texts) * 1e6
    from screening import Screener

    s = Screener()
    s.warm()
    for x in texts[:50]:
        s.screen(x)
    t = time.perf_counter()
    for x in texts:
        s.screen(x)
    screen_us = (time.perf_counter() - t) / len(texts) * 1e6
    # The batch path (screen_many / scan), with and without inference, best of 3 rounds each.
    jobs = [(x, "listing", "general", str(i)) for i, x in enumerate(texts)]
    batch_us = {}
    for label, cat in (("screen_batch_without", None), ("screen_batch_with", s.categories)):
        s.categories = cat
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            s.screen_batch(jobs)
            best = min(best, time.perf_counter() - t)
        batch_us[label] = round(best / len(texts) * 1e6, 1)
    return {
        "version": cues.version,
        "sector_rows": len(sector),
        "sector_inferred": inferred,
        "coverage": round(inferred / len(sector), 3),
        "precision": round(correct / inferred, 3) if inferred else None,
        "accuracy": round(correct / len(sector), 3),
        "general_rows": len(general),
        "general_inferred": sum(on_general.values()),
        "general_inferred_rate": round(sum(on_general.values()) / len(general), 3),
        "general_inferred_by_category": dict(on_general.most_common()),
        "by_category": by_cat,
        "wrong": {f"{a}->{b}": n for (a, b), n in confusion.most_common() if a != b and b != "general"},
        "us_per_record": {"infer_with_normalize": round(infer_us, 1), "find_on_text": round(find_us, 1),
                          "screen": round(screen_us, 1), **batch_us},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    out = measure(rows)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if not args.no_save:
        from corpus import save_result

        save_result("categorize", out)


if __name__ == "__main__":
    main()
