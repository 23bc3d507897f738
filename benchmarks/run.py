"""Throughput of the screening stages against the baselines, in one run, back to back.

Run: python benchmarks/run.py [--mb 20] [--rounds 3] [--scaling]

On the project's synthetic catalogue (benchmarks/corpus.py: titles, detail copy, live-script
lines, about one lexicon hit per 200 characters), ``--rounds`` rounds, each running every stage
once, back to back (speeds are medians; ratios are the median of the rounds' own ratios, with
their range, so a slow stretch of this shared machine does not land on one stage only):

  (a) raw pyahocorasick pass over the normalized text with the same lexicon forms — the floor;
      it normalizes each text, as any peer must at least fold width and case; (a0) is the
      automaton's walk alone over texts normalized beforehand, for comparison;
  (b) the naive accurate pipeline: jieba over every whole text (``jieba.cut(HMM=False)``, the cut
      the word check reproduces), then the same matching and rules, whose word check reads those
      tokens — the baseline; its findings are compared with (c)'s (``same_findings``);
  (c) the engine: lexicons, rules, word check segmenting only around hits (no model);
  (d) the full pipeline with the risk model (``full_over_engine``: its speed relative to (c));
  (e) (d) as ``scan`` runs it (screening.batch.scan.scan_file, JSONL in and out: reading, screening,
      writing) with one worker (e1) and with two (e2); ``two_workers_over_one`` is e1 / e2.

Reports chars/s, MB/s (UTF-8), records/s, ratios to (a) and (b), peak RSS (this process, and the
largest worker), start-up (benchmarks/startup.py: cold and with caches); with ``--scaling`` also
how the engine's throughput and memory change with lexicon size (1k, 10k, 50k terms) and text
length (a title, a 5,000-character detail page, a 1 MB document), each case in a fresh process. Writes benchmarks/results/run.json and
the README's table, benchmarks/results/run.md; ``python benchmarks/plot.py`` draws
docs/benchmarks.svg from the JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import RESULTS, generate, save_result  # noqa: E402
from startup import measure as measure_startup  # noqa: E402

from screening import Screener  # noqa: E402
from screening.batch.scan import scan_file  # noqa: E402
from screening.engine.adjudicate import Adjudicator  # noqa: E402
from screening.engine.lexicon import ID_PREFIX, load_lexicon  # noqa: E402
from screening.engine.normalize import normalize  # noqa: E402
from screening.engine.segment import Segmenter, Token  # noqa: E402


class WholeTextSegmenter(Segmenter):
    """The naive pipeline's word check: the tokens of jieba over the whole text."""

    tokens: list[Token] = []

    def segment(self, text: str) -> None:
        import jieba

        pos, self.tokens = 0, []
        for word in jieba.cut(text, HMM=False):
            self.tokens.append(Token(pos, pos + len(word), word))
            pos += len(word)

    def tokens_around(self, text: str, spans: list[tuple[int, int]]) -> list[Token]:
        return self.tokens


class NaiveAdjudicator(Adjudicator):
    """Segments every text whole before adjudicating its hits, as a pipeline built on jieba does."""

    def adjudicate(self, norm, product_category, content_type, field=None, hits=None, inferred=None):  # type: ignore[no-untyped-def]
        self.segmenter.segment(norm.text)
        return super().adjudicate(norm, product_category, content_type, field, hits, inferred)


class NaiveScreener(Screener):
    """The screener with the naive adjudicator."""

    def __init__(self, *args, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kw)
        self.adjudicator = NaiveAdjudicator(self.lexicon, self.matcher, self.segmenter, self.rules,
                                            max_hits=self.max_hits)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def findings_of(results: Iterable[Any]) -> list[list[tuple[int, int, str]]]:
    return [[(f.start, f.end, f.term_id) for f in r.findings] for r in results]


PREFIXES = sorted(ID_PREFIX.items())


def corpus(mb: float) -> list[dict[str, Any]]:
    """Records until their texts add up to ``mb`` MB of UTF-8."""
    out, size = [], 0
    for rec in generate(10**9):
        out.append(rec)
        size += len(rec["text"].encode())
        if size >= mb * 1e6:
            return out
    return out


def timed(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up figures")
    ap.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # one scaling case, in a child process
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.rounds)))
        return
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    records = corpus(args.mb)
    texts = [r["text"] for r in records]
    chars = sum(map(len, texts))
    mbytes = sum(len(t.encode()) for t in texts) / 1e6
    full = Screener()
    engine = Screener(full.lexicon, full.policy, matcher=full.matcher, model=None)
    automaton = full.matcher.automaton

    def raw() -> None:
        for t in texts:
            for _ in automaton.iter(normalize(t).text):
                pass

    normalized = [normalize(t).text for t in texts]

    def walk_only() -> None:
        for t in normalized:
            for _ in automaton.iter(t):
                pass

    naive_screener = NaiveScreener(full.lexicon, full.policy, matcher=full.matcher, model=None,
                                   segmenter=WholeTextSegmenter())
    kept: dict[str, list[Any]] = {}

    # Only the findings are kept, to compare (b) with (c): results of every record of every stage
    # would make the harness, not the screener, the memory figure.
    def run_engine(s: Screener, name: str) -> Callable[[], None]:
        def go() -> None:
            kept[name] = findings_of(s.screen_many(records))
        return go

    def naive() -> None:
        kept["naive"] = findings_of(naive_screener.screen(r["text"], content_type=r["content_type"],
                                                          product_category=r["product_category"]) for r in records)

    tmp = Path(tempfile.mkdtemp())
    src = tmp / "catalogue.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    cpu: dict[int, tuple[float, float]] = {}

    def scan_with(workers: int) -> Callable[[], None]:
        def go() -> None:
            main_cpu, children = time.process_time(), _children_cpu()
            scan_file(full, str(src), str(tmp / "results.jsonl"), workers=workers, progress=False)
            # Where the CPU went (last round): does the work divide, or does the main process grow?
            cpu[workers] = (time.process_time() - main_cpu, _children_cpu() - children)
        return go

    run_engine(full, "warm")()  # warm: caches, jieba dictionary, model
    stages = {
        "a0_automaton_walk_only": walk_only,
        "a_raw_automaton": raw,
        "b_naive_jieba_then_match": naive,
        "c_engine": run_engine(engine, "engine"),
        "d_full_with_model": run_engine(full, "full"),
        "e1_scan_1_worker": scan_with(1),
        "e2_scan_2_workers": scan_with(2),
    }
    hits = sum(1 for t in texts for _ in automaton.iter(normalize(t).text))
    out: dict[str, Any] = {"records": len(records), "chars": chars, "mb": round(mbytes, 2), "rounds": args.rounds,
                           "chars_per_hit": round(chars / max(1, hits), 1)}
    # Round by round, every stage back to back: a stretch of a slow machine then slows all
    # stages of that round alike, and each round's ratios compare stages run under it.
    times: dict[str, list[float]] = {name: [] for name in stages}
    for r in range(args.rounds):
        for name, fn in stages.items():
            times[name].append(timed(fn, 1))
            secs = times[name][-1]
            print(f"round {r + 1} {name:28s} {secs:8.2f} s  {mbytes / secs:7.3f} MB/s", flush=True)
    for name in stages:
        secs = statistics.median(times[name])
        out[name] = {"seconds": round(secs, 3), "chars_per_s": round(chars / secs), "mb_per_s": round(mbytes / secs, 3),
                     "records_per_s": round(len(records) / secs)}
    for name in stages:
        # The median over rounds of each round's ratio (not a ratio of medians).
        for base, key in (("a_raw_automaton", "speed_vs_a"), ("b_naive_jieba_then_match", "speed_vs_b")):
            ratios = [b / t for b, t in zip(times[base], times[name])]
            out[name][key] = round(statistics.median(ratios), 3)
            out[name][key + "_range"] = [round(min(ratios), 3), round(max(ratios), 3)]
    differ = [r["id"] for r, a, b in zip(records, kept["naive"], kept["engine"]) if a != b]
    out["same_findings"] = not differ
    out["records_with_different_findings"] = len(differ)
    out["full_over_engine"] = round(out["c_engine"]["seconds"] / out["d_full_with_model"]["seconds"], 3)
    shutil.rmtree(tmp, ignore_errors=True)
    for workers, key in ((1, "e1_scan_1_worker"), (2, "e2_scan_2_workers")):
        out[key]["main_process_cpu_s"], out[key]["workers_cpu_s"] = (round(x, 2) for x in cpu[workers])
    two = [a / b for a, b in zip(times["e1_scan_1_worker"], times["e2_scan_2_workers"])]
    out["two_workers_over_one"] = round(statistics.median(two), 3)
    out["two_workers_over_one_range"] = [round(min(two), 3), round(max(two), 3)]
    # The harness holds the whole corpus and forks its workers from that: these are not the
    # figures of a scan (benchmarks/scan_memory.py measures `scan` itself).
    out["peak_rss_mb_main_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["peak_rss_mb_largest_worker"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    if not args.no_startup:
        out["startup"] = {k: round(v, 3) for k, v in measure_startup(args.rounds).items()}
    if args.scaling:
        out["scaling"] = scaling(args.rounds)
    print(json.dumps({k: v for k, v in out.items() if k != "scaling"}, indent=2))
    save_result("run", out)
    table = markdown(out)
    (RESULTS / "run.md").write_text(table, encoding="utf-8")
    print(table)


NAMES = {
    "a0_automaton_walk_only": "(a0) the automaton's walk alone, over text normalized beforehand (untimed)",
    "a_raw_automaton": "(a) raw automaton pass, normalized text",
    "b_naive_jieba_then_match": "(b) naive: jieba over every text, then match and rules",
    "c_engine": "(c) engine: lexicons, rules, word check around hits",
    "d_full_with_model": "(d) engine + model",
    "e1_scan_1_worker": "(e1) `scan` JSONL → JSONL (d), 1 worker",
    "e2_scan_2_workers": "(e2) `scan` JSONL → JSONL (d), 2 workers",
}


def markdown(out: dict[str, Any]) -> str:
    """The README's table of a run."""
    lines = [f"{out['mb']} MB, {out['records']:,} records, one hit per {out['chars_per_hit']:.0f} chars; "
             f"{out['rounds']} rounds, every stage in each; speeds are medians, ratios the median of the rounds' "
             f"ratios (lowest–highest); same findings (b) vs (c): {out['same_findings']}", "",
             "| stage | MB/s | records/s | × (a) | × (b) |", "|---|---|---|---|---|"]

    def ratio(st: dict[str, Any], key: str) -> str:
        lo, hi = st.get(key + "_range", (st[key], st[key]))
        return f"{st[key]:.2f} ({lo:.2f}–{hi:.2f})"

    for key, name in NAMES.items():
        st = out[key]
        lines.append(f"| {name} | {st['mb_per_s']:.2f} | {st['records_per_s']:,} | {ratio(st, 'speed_vs_a')} | "
                     f"{ratio(st, 'speed_vs_b')} |")
    e1, e2 = out["e1_scan_1_worker"], out["e2_scan_2_workers"]
    lo, hi = out.get("two_workers_over_one_range", (out["two_workers_over_one"],) * 2)
    tail = (f"two workers over one: {out['two_workers_over_one']:.2f}× ({lo:.2f}–{hi:.2f}; "
            f"CPU seconds of the last round, main process + workers: "
            f"{e1['main_process_cpu_s']} + {e1['workers_cpu_s']} with one, {e2['main_process_cpu_s']} + "
            f"{e2['workers_cpu_s']} with two); peak RSS of this harness "
            f"{out['peak_rss_mb_main_process']} MB, holding the whole corpus (largest worker "
            f"{out['peak_rss_mb_largest_worker']} MB)")
    if "startup" in out:
        st = out["startup"]
        tail += f"; `check` start-up {st['check_cli_cached_s']:.2f} s with caches, {st['check_cli_cold_s']:.2f} s cold"
    lines += ["", tail]
    if "scaling" in out:
        lines += ["", "| engine, `screen_many` | M chars/s | screener RSS | peak RSS | automaton build |", "|---|---|---|---|---|"]
        for n, r in out["scaling"]["lexicon_terms"].items():
            lines.append(f"| {r['terms']:,} terms, 1 MB of copy | {r['chars_per_s'] / 1e6:.2f} | {r['screener_rss_mb']} MB "
                         f"| {r['peak_rss_mb']} MB | {r['build_s']} s |")
        for n, r in out["scaling"]["text_length"].items():
            lines.append(f"| {r['chars']:,}-character texts, 1.2k terms | {r['chars_per_s'] / 1e6:.2f} | "
                         f"{r['screener_rss_mb']} MB | {r['peak_rss_mb']} MB | |")
    return "\n".join(lines) + "\n"


POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
CASES = ["lexicon:1000", "lexicon:10000", "lexicon:50000", "length:40", "length:5000", "length:1000000"]


def scaling(rounds: int) -> dict[str, Any]:
    """Engine throughput and memory by lexicon size and by text length, each case in a fresh
    process so that its peak RSS is its own."""
    result: dict[str, Any] = {"lexicon_terms": {}, "text_length": {}}
    for case in CASES:
        done = subprocess.run([sys.executable, __file__, "--case", case, "--rounds", str(rounds)],
                              capture_output=True, text=True, check=True)
        kind, n = case.split(":")
        result["lexicon_terms" if kind == "lexicon" else "text_length"][n] = json.loads(done.stdout.splitlines()[-1])
        print(case, result["lexicon_terms" if kind == "lexicon" else "text_length"][n], flush=True)
    return result


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident set (``VmRSS``) or its peak (``VmHWM``; unlike ``ru_maxrss`` it
    does not carry the parent's peak over an exec), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_case(case: str, rounds: int) -> dict[str, Any]:
    """One scaling case (see :func:`scaling`): the engine on the 1 MB sample with a lexicon of
    ``lexicon:N`` terms (the packaged ones plus synthetic ones), or on texts of ``length:N``."""
    kind, n = case.split(":")
    size = int(n)
    sample = [r["text"] for r in corpus(1.0)]
    before = rss_mb()
    tmp = Path(tempfile.mkdtemp())
    try:
        lexdir = tmp / "lex"
        base = load_lexicon()
        shutil.copytree(base.path, lexdir)
        if kind == "lexicon":
            add_synthetic_terms(lexdir, size - len(base.active_terms))
        t = time.perf_counter()
        s = Screener(load_lexicon(lexdir), model=None, use_cache=False)
        build = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if kind == "lexicon":
        texts = sample
    else:
        joined = "，".join(sample)
        chunk = (joined * (size // max(1, len(joined)) + 1))[:size]
        texts = [chunk] * max(1, 200_000 // size)
    records = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    s.warm()  # the dictionary and the batch tables, loaded before the clock starts
    list(s.screen_many(records[:50]))
    loaded = rss_mb()
    secs = timed(lambda: list(s.screen_many(records)), rounds)
    out: dict[str, Any] = {"chars_per_s": round(sum(map(len, texts)) / secs),
                           "screener_rss_mb": round(loaded - before, 1),
                           "peak_rss_mb": round(rss_mb("VmHWM"), 1)}
    if kind == "lexicon":
        out.update(terms=len(s.lexicon.active_terms), build_s=round(build, 2))
    else:
        out.update(chars=size)
    return out


def add_synthetic_terms(lexdir: Path, extra: int) -> None:
    """Add ``extra`` random terms of common characters to a copy of the lexicons."""
    rng = random.Random(3)
    with (lexdir / "synthetic.jsonl").open("w", encoding="utf-8") as f:
        seen: set[str] = set()
        while len(seen) < max(0, extra):
            term = "".join(rng.choice(POOL) for _ in range(rng.randint(3, 6)))
            if term in seen:
                continue
            # Spread over the categories: ids are PREFIX-NNNN, unique from 1000 upward.
            i = len(seen)
            seen.add(term)
            category, prefix = PREFIXES[i % len(PREFIXES)]
            f.write(json.dumps({"id": f"{prefix}-{1000 + i // len(PREFIXES):04d}", "term": term,
                                "category": category, "severity": "low", "applies_to": ["all"],
                                "basis": "benchmark", "provenance": "synthetic"}, ensure_ascii=False) + "\n")
    manifest = (lexdir / "manifest.toml").read_text(encoding="utf-8")
    manifest = manifest.replace("term_files = [", 'term_files = ["synthetic.jsonl", ', 1)
    (lexdir / "manifest.toml").write_text(manifest, encoding="utf-8")


if __name__ == "__main__":
    main()
