"""The Screener API: findings with original offsets, contract results, bad input, threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from helpers import assert_offsets, spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import InputError, Screener
from screening.engine.normalize import normalize
from screening.engine.segment import Segmenter, WordIndex

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这是最好的面霜", [("最好", "ABS-0001", 2, 4)]),
        ("最 好", [("最 好", "ABS-0001", 0, 3)]),
        ("最*好的选择", [("最*好", "ABS-0001", 0, 3)]),
        ("第-一品牌", [("第-一", "ABS-0002", 0, 3)]),
        ("最⭐好", [("最⭐好", "ABS-0001", 0, 3)]),
        ("最\u200b好", [("最\u200b好", "ABS-0001", 0, 3)]),
        ("ＮＯ．１爆款", [("ＮＯ．１", "ABS-0002", 0, 4)]),
        ("No.1面膜", [("No.1", "ABS-0002", 0, 4)]),
        ("TOP1单品", [("TOP1", "ABS-0002", 0, 4)]),
        ("zui好的礼物", [("zui好", "ABS-0001", 0, 4)]),
        ("ZUI佳口感", [("ZUI佳", "ABS-0005", 0, 4)]),
        ("di一名", [("di一", "ABS-0002", 0, 3)]),
        ("這是最好的", [("最好", "ABS-0001", 2, 4)]),
        ("最佳療效", [("最佳", "ABS-0005", 0, 2)]),
    ],
)
def test_every_evasion_class_is_caught_with_original_offsets(tiny: Screener, text: str, expected) -> None:
    r = tiny.screen(text)
    assert spans(r) == expected
    assert_offsets(text, r)


def test_adjacent_hits_are_all_reported(tiny: Screener) -> None:
    assert spans(tiny.screen("最好第一")) == [("最好", "ABS-0001", 0, 2), ("第一", "ABS-0002", 2, 4)]


def test_a_hit_inside_a_longer_hit_is_reported_once(tiny: Screener) -> None:
    r = tiny.screen("全网第一的口碑")
    assert spans(r) == [("全网第一", "ABS-0003", 0, 4)]
    assert {(s.text, s.rule) for s in r.suppressed} == {("全网", "contained"), ("第一", "contained")}


def test_letters_inside_a_longer_word_are_not_a_hit(tiny: Screener) -> None:
    r = tiny.screen("desktop1 主机")
    assert r.findings == ()
    assert r.suppressed[0].rule == "ascii_boundary"


def test_numeric_pattern(tiny: Screener) -> None:
    r = tiny.screen("坚持使用，7天见效")
    assert spans(r) == [("7天见效", "EFF-0002", 5, 9)]
    assert r.findings[0].detector == "pattern"
    assert spans(tiny.screen("三天见效")) == [("三天见效", "EFF-0002", 0, 4)]


def test_sector_rules_follow_the_product_category(tiny: Screener) -> None:
    assert tiny.screen("美白精华", product_category="cosmetics").findings[0].severity == "medium"
    assert tiny.screen("美白饮料", product_category="food").findings[0].severity == "high"
    assert tiny.screen("保本理财", product_category="finance").decision == "block"
    assert tiny.screen("保本理财", product_category="cosmetics").findings == ()


def test_unknown_category_sees_sector_terms_capped_for_review(tiny: Screener) -> None:
    r = tiny.screen("保本理财", product_category="general")
    assert r.decision == "review"
    assert r.findings[0].severity == "medium"
    assert "请确认商品类目" in r.findings[0].explanation


def test_medical_terms_do_not_apply_to_drugs(tiny: Screener) -> None:
    assert tiny.screen("用于治疗感冒", product_category="food").decision == "block"
    assert tiny.screen("用于治疗感冒", product_category="drug").findings == ()


def test_result_is_exactly_the_contract(tiny: Screener) -> None:
    r = tiny.screen("国家级品质，最好的选择", id="sku-1", now=NOW)
    d = r.to_dict()
    assert list(d) == ["id", "decision", "risk", "severity", "findings", "route", "versions", "error"]
    assert d["decision"] == "block" and d["severity"] == "high" and d["error"] is None
    f = d["findings"][0]
    for key in ("start", "end", "text", "term", "term_id", "category", "severity", "basis", "suggestion",
                "detector", "confidence", "explanation"):
        assert key in f
    assert d["route"] == {"role": "merchant_compliance", "due_at": "2026-11-22T10:00:00+08:00", "sla_hours": 24.0}
    assert set(d["versions"]) >= {"screening", "lexicon", "model", "policy"}
    assert d["versions"]["lexicon"] == "0.0.1-test"
    json.dumps(d, ensure_ascii=False)


def test_decision_from_findings_alone(tiny: Screener) -> None:
    assert tiny.screen("国家级工艺").decision == "block"  # high
    assert tiny.screen("最好的选择").decision == "review"  # medium
    assert tiny.screen("全网同款").decision == "pass"  # low: advice, shown but not routed
    assert tiny.screen("全网同款").findings[0].severity == "low"
    assert tiny.screen("纯棉短袖T恤").decision == "pass"


def test_routes_follow_content_type_and_sector(tiny: Screener) -> None:
    live = tiny.screen("最好的面霜", content_type="live_script", now=NOW)
    assert live.route.role == "content_review" and live.route.sla_hours == 12
    video = tiny.screen("最好的面霜", content_type="short_video", now=NOW)
    assert video.route.due_at == "2026-11-21T12:00:00+08:00"
    health = tiny.screen("用于治疗感冒", product_category="health_food", now=NOW)
    assert health.route.role == "risk_control"  # high severity in a regulated sector
    fin = tiny.screen("保本保息", product_category="finance", now=NOW)
    assert fin.route.role == "legal"  # guaranteed returns: the gravest cases
    assert tiny.screen("纯棉短袖").route is None


def test_explain_view_lists_suppressed_hits_with_reasons(tiny: Screener) -> None:
    d = tiny.screen("第一次用，最好冷藏").to_dict(explain=True)
    assert d["findings"] == []
    assert [(s["text"], s["rule"]) for s in d["suppressed"]] == [("第一", "time_ordinal"), ("最好", "advice")]
    assert all(s["reason"] for s in d["suppressed"])


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "text must be a string, got NoneType"), (42, "got int"), (b"bytes", "got bytes"),
     ("", "text is empty"), ("   \n", "text is empty")],
)
def test_bad_text_raises_a_clear_error(tiny: Screener, value, message: str) -> None:
    with pytest.raises(InputError, match=message):
        tiny.screen(value)


def test_bad_fields_raise_a_clear_error(tiny: Screener) -> None:
    with pytest.raises(InputError, match="content_type 'tv'"):
        tiny.screen("最好", content_type="tv")
    with pytest.raises(InputError, match="product_category 'toys'"):
        tiny.screen("最好", product_category="toys")


def test_awkward_text_gets_a_result(tiny: Screener) -> None:
    for text in ["😀😀最好😀", "English only, the best", "最好\udc80的", "Ｆｕｌｌ最好ｗｉｄｔｈ", "ﾊﾝｶｸ最好"]:
        r = tiny.screen(text)
        assert_offsets(text, r)
    big = ("纯棉舒适，百搭款式。" * 100_000) + "最好的"
    r = tiny.screen(big)
    assert spans(r) == [("最好", "ABS-0001", len(big) - 3, len(big) - 1)]


def test_screen_many_keeps_order_and_reports_each_error(tiny: Screener) -> None:
    records = [
        {"id": "a", "text": "最好的"},
        {"id": "b", "text": None},
        {"text": "最好的"},
        "not a record",
        {"id": "e", "text": "纯棉", "content_type": "tv"},
        {"id": "f", "text": "国家级", "product_category": "food"},
    ]
    results = list(tiny.screen_many(records))
    assert [r.id for r in results] == ["a", "b", None, None, "e", "f"]
    assert [r.decision for r in results] == ["review", "review", "review", "review", "review", "block"]
    assert [bool(r.error) for r in results] == [False, True, True, True, True, False]
    assert "no id" in results[2].error and "must be an object" in results[3].error
    assert all(r.route is not None for r in results[1:5])
    with pytest.raises(InputError, match="record 1 \\(b\\)"):
        list(tiny.screen_many(records, on_error="raise"))


def test_one_screener_is_shared_by_threads(tiny_lexicon) -> None:
    shared = Screener(tiny_lexicon, model=None)
    texts = [f"第{i}号 这是最好的，全网第一，7天见效，安全网" for i in range(400)]
    expected = [r.to_dict() for r in map(Screener(tiny_lexicon, model=None).screen, texts)]
    with ThreadPoolExecutor(8) as pool:
        got = [r.to_dict() for r in pool.map(shared.screen, texts)]
    for a, b in zip(got, expected):
        a["route"] = b["route"] = None  # due times follow the clock
        assert a == b


def test_a_long_document_finds_what_its_parts_find(tiny: Screener) -> None:
    """Thousands of hits in one pasted document: same findings, at shifted offsets, as screening
    each part alone (the indexes over hits, allow contexts and tokens must not mix parts up)."""
    parts = ["这是最好的面霜", "第一次用就爱上", "全网第一，最好第一", "阳台装了安全网", "本品不能代替药物",
             "desktop1 主机", "全网通手机", "ＮＯ．１爆款", "7天见效"] * 300
    doc = "。".join(parts)
    expected, offset = [], 0
    for p in parts:
        expected += [(f.start + offset, f.end + offset, f.term_id) for f in tiny.screen(p).findings]
        offset += len(p) + 1
    # (past the default limit of hits per text; the limit has its own test)
    unbounded = Screener(tiny.lexicon, tiny.policy, matcher=tiny.matcher, model=None, max_hits=10**6)
    got = [(f.start, f.end, f.term_id) for f in unbounded.screen(doc).findings]
    assert got == expected and len(got) >= 1500


# ---------------------------------------------------------------- screening a batch at once
BATCH_NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


def _corpus_jobs() -> list[tuple]:
    jobs = []
    for name in ("dev", "holdout", "lawful_regression"):
        with open(f"tests/corpus/{name}.jsonl", encoding="utf-8") as f:
            for i, line in enumerate(f):
                row = json.loads(line)
                jobs.append((row["text"], row.get("content_type", "listing"),
                             row.get("product_category", "general"), f"{name}-{i}"))
    # Plain copy with no lexicon hit, the bulk of a real catalogue, and awkward inputs.
    jobs += [("加绒卫衣 宽松百搭 男女同款", "listing", "general", "plain-1"),
             ("家人们看过来，上链接了啊，3、2、1", "live_script", "general", "plain-2"),
             ("⭐⭐⭐", "post", "cosmetics", "noise-only"),
             ("   ", "listing", "general", "blank"),
             (None, "listing", "general", "none"),
             (42, "listing", "general", "number"),
             ("全网第一", "podcast", "general", "bad-type"),
             ("全网第一", "listing", "toys", "bad-category")]
    return jobs


@pytest.mark.parametrize("which", ["engine", "screener"])
def test_a_batch_gets_exactly_the_results_of_one_by_one(request, which: str) -> None:
    s: Screener = request.getfixturevalue(which)
    jobs = _corpus_jobs()
    batch = s.screen_batch(jobs, now=BATCH_NOW)
    assert len(batch) == len(jobs)
    for job, got in zip(jobs, batch):
        text, ct, pc, rid = job
        try:
            want = s.screen(text, content_type=ct, product_category=pc, id=rid, now=BATCH_NOW)
        except InputError as e:
            assert isinstance(got, InputError) and str(got) == str(e), rid
            continue
        assert got == want, rid


def test_a_batch_of_mostly_plain_copy_takes_the_shared_path(engine: Screener, monkeypatch) -> None:
    calls = []
    from screening.engine.adjudicate import Adjudicator

    real = Adjudicator.adjudicate

    def counting(self, norm, *args, **kw):
        calls.append(norm.original)
        return real(self, norm, *args, **kw)

    monkeypatch.setattr(Adjudicator, "adjudicate", counting)
    colours = ["白色", "黑色", "藏青", "燕麦色", "雾霾蓝"]
    jobs = [(f"纯棉T恤 {colours[i % 5]} 现货速发", "listing", "general", str(i)) for i in range(50)]
    jobs.append(("纯棉T恤 全网第一", "listing", "general", "claim"))
    results = engine.screen_batch(jobs, now=BATCH_NOW)
    assert calls == ["纯棉T恤 全网第一"]
    assert [r.decision for r in results[:50]] == ["pass"] * 50
    assert results[50].findings[0].text == "全网第一"


def test_a_clean_text_the_model_flags_is_scored_once(screener: Screener, monkeypatch) -> None:
    # The shared path's score of a text with no hit also says which unit its finding is on: the
    # full pass only adds the offset map, and _risks scores only the texts with a hit.
    scored = []
    real = Screener._risks

    def counting(self, passes, *args):
        scored.extend(p.norm.original for p in passes)
        return real(self, passes, *args)

    monkeypatch.setattr(Screener, "_risks", counting)
    flagged = "家人们看过来，库存不多了，上链接了啊，家人们看过来，库存不多了，上链接了啊，主播自己也在用"  # two units
    jobs = [(flagged, "live_script", "general", "flagged"), ("纯棉T恤 全网第一", "listing", "general", "claim")]
    got = screener.screen_batch(jobs, now=BATCH_NOW)
    assert scored == ["纯棉T恤 全网第一"]
    assert [f.detector for f in got[0].findings] == ["model"]
    monkeypatch.undo()
    assert got == [screener.screen(t, content_type=ct, product_category=pc, id=rid, now=BATCH_NOW)
                   for t, ct, pc, rid in jobs]


def test_skipping_the_word_check_where_no_word_can_hold_the_hit_changes_nothing(engine: Screener) -> None:
    # The engine segments only around hits that some longer dictionary word contains; a twin that
    # segments around every hit must reach the same findings and suppress the same hits.
    class AlwaysSegment(Segmenter):
        def inside_a_word(self, text, spans, min_frequency, index=None) -> bool:
            return True

    class EveryForm(WordIndex):
        def __contains__(self, form: object) -> bool:
            return True

    always = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None,
                      segmenter=AlwaysSegment(engine.segmenter.dictionary))
    always.adjudicator._word_index_cache = EveryForm((), {})
    for text, ct, pc, rid in _corpus_jobs():
        if not isinstance(text, str) or not text.strip() or pc == "toys" or ct == "podcast":
            continue
        a = engine.screen(text, content_type=ct, product_category=pc, now=BATCH_NOW)
        b = always.screen(text, content_type=ct, product_category=pc, now=BATCH_NOW)
        assert a.to_dict(explain=True) == b.to_dict(explain=True), rid


def test_the_word_index_answers_as_the_dictionary_walk_does(engine: Screener) -> None:
    # Around every hit of the test corpora, with and without the index: the same answer.
    index, seg, answers = engine.adjudicator.word_index, engine.segmenter, set()
    for text, *_ in _corpus_jobs():
        if not isinstance(text, str):
            continue
        norm = normalize(text).text
        for h in engine.matcher.find(norm):
            spans = [(h.start, h.end)]
            walked = seg.inside_a_word(norm, spans, engine.rules.min_frequency)
            assert seg.inside_a_word(norm, spans, engine.rules.min_frequency, index) == walked, (norm, h)
            answers.add(walked)
    assert answers == {True, False}


# Pieces of copy that exercise every path of a batch: terms, lawful look-alikes, evasions, noise,
# traditional characters, numbers for the patterns, clause punctuation and plain words.
PIECES = ["全网第一", "最好", "最好冷藏", "第一次", "根治", "7天见效", "100%纯棉", "國家級", "ＮＯ．１", "最 ⭐ 好",
          "降血压", "糖尿病", "不是最便宜的", "《最好的时光》", "纯棉T恤", "宽松百搭", "，", "。", "\n", " ", "\u200b",
          "喝了三天血压就降下来了", "😀", "abc", "现货速发"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
                          st.sampled_from(["listing", "live_script", "post"]),
                          st.sampled_from(["general", "cosmetics", "food", "drug"])), min_size=1, max_size=12))
def test_any_batch_equals_one_by_one(screener: Screener, jobs: list[tuple[str, str, str]]) -> None:
    batch = screener.screen_batch([(t, ct, pc, str(i)) for i, (t, ct, pc) in enumerate(jobs)], now=BATCH_NOW)
    for i, ((text, ct, pc), got) in enumerate(zip(jobs, batch)):
        try:
            want = screener.screen(text, content_type=ct, product_category=pc, id=str(i), now=BATCH_NOW)
        except InputError as e:
            assert isinstance(got, InputError) and str(got) == str(e)
            continue
        assert got == want
        assert got.suppressed == want.suppressed


def test_warm_loads_now_what_a_first_hit_would_load(screener: Screener) -> None:
    fresh = Screener(screener.lexicon, screener.policy, matcher=screener.matcher, model=None,
                     segmenter=Segmenter())
    before = fresh.screen("第一次用就爱上了，全网第一", now=BATCH_NOW)
    cold = Screener(screener.lexicon, screener.policy, model=None, segmenter=Segmenter())
    assert cold.segmenter._dictionary is None and cold.adjudicator._word_index_cache is None
    assert cold.warm() is cold
    assert cold.segmenter._dictionary is not None and cold.adjudicator._word_index_cache is not None
    assert cold.matcher._key_hashes is not None
    assert cold.screen("第一次用就爱上了，全网第一", now=BATCH_NOW) == before


def test_a_text_with_nothing_visible_is_an_error_not_a_pass(engine: Screener) -> None:
    for text in ("\u200b\u200b\u200b", "\x00\x00", "\u3164\uffa0\ue000"):
        with pytest.raises(InputError, match="nothing visible"):
            engine.screen(text)
    [bad, good] = engine.screen_batch([("\u200b\u2060", "listing", "general", "a"),
                                       ("最好的面霜", "listing", "general", "b")])
    assert isinstance(bad, InputError) and "nothing visible" in str(bad)
    assert good.findings
    # Line breaks survive normalization, emoji and punctuation do not: neither decides alone.
    breaks, emoji, dots, claim = engine.screen_batch([
        ("\u200b\r\n\u3164\n", "post", "general", "c"), ("👍👍", "post", "general", "d"),
        ("。。。", "post", "general", "e"), ("\u200b\n全网第一", "post", "general", "f")])
    assert isinstance(breaks, InputError) and "nothing visible" in str(breaks)
    assert emoji.decision == dots.decision == "pass" and claim.findings[0].text == "全网第一"


@pytest.mark.parametrize("filler", ["\u3164", "\uffa0", "\ue000", "\ud800", "\U000e0041"])
def test_a_term_split_by_a_blank_character_is_found_and_shown_whole(engine: Screener, filler: str) -> None:
    text = f"这款面霜最{filler}好用"
    [f] = engine.screen(text).findings
    assert text[f.start : f.end] == f"最{filler}好用"


def test_a_finding_with_no_lawful_alternative_says_why(engine: Screener) -> None:
    [f] = [f for f in engine.screen("根治鼻炎", product_category="food").findings if f.text == "根治"]
    assert f.suggestion is None and "没有合法表述" in f.suggestion_reason
    assert f.to_dict()["suggestion_reason"] == f.suggestion_reason
    [g] = engine.screen("全网最好的面霜").findings[-1:]
    assert g.suggestion and "suggestion_reason" not in g.to_dict()


def test_work_per_text_is_bounded_and_the_result_says_where_it_stopped(engine: Screener) -> None:
    capped = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None, max_hits=50)
    text = "全网第一，国家级工艺，" * 40  # 80 hits
    r = capped.screen(text)
    assert len(r.findings) <= 50 and r.truncated and "50" in r.truncated
    assert r.decision != "pass" and r.to_dict()["truncated"] == r.truncated
    cut = int(r.truncated.split("from character ")[1].split(")")[0].replace(",", ""))
    assert all(f.start <= cut for f in r.findings) and cut < len(text)
    # a text within the limit is untouched and says nothing
    whole = capped.screen("全网第一，国家级工艺")
    assert whole.truncated is None and "truncated" not in whole.to_dict()


def test_a_lawful_text_cut_at_the_limit_still_goes_to_a_person(engine: Screener) -> None:
    capped = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None, max_hits=3)
    r = capped.screen("第一次用，第一时间发货，第一步洁面，第一批现货")  # lawful ordinals, four hits
    assert not r.findings and r.truncated and r.decision == "review"


def test_a_text_over_the_length_limit_is_an_error_for_its_record_only(engine: Screener) -> None:
    small = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None, max_text_chars=20)
    with pytest.raises(InputError, match="21 characters; the limit is 20"):
        small.screen("最" * 21)
    with pytest.raises(InputError, match="field '详情'"):
        small.screen_fields({"标题": "保温杯", "详情": "好" * 30})
    [long, ok] = small.screen_batch([("好" * 21, "listing", "general", "a"), ("最好的杯子", "listing", "general", "b")])
    assert isinstance(long, InputError) and "limit is 20" in str(long)
    assert ok.findings


def test_the_batch_shares_findings_out_to_units_as_training_does(engine: Screener) -> None:
    # Scoring builds the units' engine rows for a whole batch as arrays (unit_engine_rows);
    # training builds them row by row from unit_rows. Texts with windowed long runs (units that
    # overlap), hits across two units, lawful hits and one-unit texts must give the same rows.
    import numpy as np

    from screening.model.features import units
    from screening.screener import model_text, unit_rows

    texts = ["全网第一" + "好" * 100 + "最好" + "棒" * 90 + "，根治痘痘",
             "第一次用就爱上了，全网第一。7天见效，根治痘痘，最好冷藏保存，顶级品质，销量第一！",
             "国家级工艺", "最好冷藏", "这款茶" * 30 + "降血压" + "真的" * 40, "好用，回购"]
    passes = [engine.adjudicator.adjudicate(normalize(t), "general", "post") for t in texts]
    assert sum(len(p.findings) + len(p.suppressed) for p in passes) > 10
    fz = engine.featurizer
    rows = [r for p in passes for r in unit_rows(p)]
    owner = [k for k, p in enumerate(passes) for _ in unit_rows(p)]
    expected = fz.engine_rows([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
                              ["general"] * len(rows), ["post"] * len(rows))
    spans = [units(model_text(p)) for p in passes]
    hits = [(p.findings, p.finding_spans, p.suppressed, p.suppressed_spans) for p in passes]
    got = fz.unit_engine_rows([r[1] for r in rows], spans, hits, ["general"] * len(passes), ["post"] * len(passes))
    assert len(set(owner)) == len(texts) and max(map(len, spans)) > 3
    assert np.array_equal(got, expected)


def test_units_share_out_findings_in_normalized_offsets_as_in_the_callers(engine: Screener) -> None:
    # unit_rows compares a unit with the findings' normalized spans the pass keeps; the findings
    # themselves carry the caller's offsets. Noise inside and around the hits makes the two sets
    # of offsets differ; which findings a unit holds must not.
    from screening.screener import unit_rows

    def in_callers_offsets(p):  # each unit mapped to the caller's text and compared there
        rows = []
        for (a, b), text, _, _ in unit_rows(p):
            oa, ob = p.norm.to_original(a, b)
            rows.append(((a, b), text, [f for f in p.findings if f.start < ob and f.end > oa],
                         [x for x in p.suppressed if x.start < ob and x.end > oa]))
        return rows

    texts = ["全网 第一的面霜，7天见效，根治痘痘。最好冷藏保存，第一次买就回购了！顶级品质，销量第一",
             "【特供】 降血压  ，最 好 用的⭐保温杯，100%有效，无效退款，永不反弹。面料100%纯棉，官方正品",
             "家人们看过来，上链接了啊，国家级工艺，美白祛斑，招财转运，温馨提示：请放在儿童接触不到的地方，最佳选择"]
    checked = 0
    for text in texts:
        p = engine.adjudicator.adjudicate(normalize(text), "general", "listing")
        assert p.findings and len(p.finding_spans) == len(p.findings)
        rows = unit_rows(p)
        assert len(rows) > 1 and rows == in_callers_offsets(p)
        checked += sum(1 for _, _, fs, ss in rows if fs or ss)
    assert checked
