"""Product-category inference (screening/engine/categorize.py) and how the Screener uses it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Screener
from screening.engine.categorize import CategoryCues, Evidence, default_cues, infer_category
from screening.engine.lexicon import default_lexicon_dir, load_lexicon
from screening.engine.normalize import normalize
from screening.errors import LexiconError
from screening.types import PRODUCT_CATEGORIES

# Hand-written listing titles and copy, one or more per category.
EXAMPLES = [
    ("玻尿酸补水面霜50ml 保湿滋润", "cosmetics"),
    ("丝绒哑光口红 显白不拔干", "cosmetics"),
    ("清爽防晒霜SPF50+ 户外军训", "cosmetics"),
    ("烟酰胺精华液 30ml", "cosmetics"),
    ("蓝帽子保健食品 维生素C咀嚼片 60片", "health_food"),
    ("深海鱼油软胶囊 保健品 中老年", "health_food"),
    ("婴儿配方奶粉1段 800g罐装", "infant_formula"),
    ("较大婴儿配方奶粉 2段 6-12月龄", "infant_formula"),
    ("每日坚果零食大礼包 混合果仁", "food"),
    ("2024新茶 明前龙井绿茶 250g", "food"),
    ("东北五常大米 10斤装 新米", "food"),
    ("家用上臂式电子血压计 全自动", "device"),
    ("指尖血氧仪 医疗器械 械注准", "device"),
    ("OTC 布洛芬缓释胶囊 国药准字H12345678", "drug"),
    ("感冒灵颗粒 非处方药 10袋", "drug"),
    ("韩式双眼皮 整形医院 专家面诊", "medical_service"),
    ("植发 毛囊种植 门诊预约", "medical_service"),
    ("稳健理财 基金定投 年化收益率", "finance"),
    ("小额贷款 当天放款 不查征信", "finance"),
    ("考研英语 全程网课 名师辅导", "education"),
    ("少儿编程培训 试听课 免费领取", "education"),
    ("地铁口精装公寓 首付20万起 楼盘在售", "real_estate"),
    ("学区房 三室两厅 南北通透户型", "real_estate"),
    ("53度酱香型白酒 500ml 礼盒", "alcohol"),
    ("精酿啤酒 小麦白啤 整箱", "alcohol"),
    ("法国进口红酒 干红葡萄酒 750ml", "alcohol"),
]

# Ambiguous or unrelated copy that must stay general.
STAY_GENERAL = [
    "实木茶几 客厅小户型",  # 茶 in 茶几
    "茶杯 陶瓷 带盖",
    "家用急救药箱 收纳盒",  # 药 in 药箱
    "火药枪玩具模型",
    "冰丝防晒衣女 夏季薄款",  # 防晒 in 防晒衣
    "纯棉短袖T恤 男 宽松",
    "五星酒店 双人自助餐",  # 酒 in 酒店
    "厨房置物架 不锈钢",  # 房 in 厨房
    "汽车保险杠 改装",
    "精华版 电子书",
    "面",
    "",
]


@pytest.mark.parametrize(("text", "category"), EXAMPLES)
def test_infers_the_category_of_typical_copy(text: str, category: str) -> None:
    inf = infer_category(text)
    assert inf is not None, text
    assert inf.category == category
    assert inf.evidence and inf.score >= default_cues().min_score
    for e in inf.evidence:
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize("text", STAY_GENERAL)
def test_ambiguous_or_unrelated_copy_stays_general(text: str) -> None:
    assert infer_category(text) is None


def test_bread_is_food_not_cosmetics() -> None:
    inf = infer_category("全麦面包 早餐代餐 低脂")
    assert inf is not None and inf.category == "food"


def test_a_weak_cue_alone_is_not_enough() -> None:
    # one hint word (胶囊 could be a drug or a health food; 茶 alone) never decides
    assert infer_category("胶囊咖啡机") is None or infer_category("胶囊咖啡机").category != "drug"
    assert infer_category("喝茶") is None
    assert infer_category("胶囊") is None


def test_mixed_evidence_stays_general() -> None:
    # as much cosmetics as food vocabulary: no clear winner
    assert infer_category("面霜 饼干") is None


def test_evidence_offsets_point_into_the_original_with_full_width_and_traditional() -> None:
    text = "【ＯＴＣ】 感 冒 靈 顆粒 國藥準字"
    inf = infer_category(text)
    assert inf is not None and inf.category == "drug"
    got = {e.text for e in inf.evidence}
    assert "ＯＴＣ" in got and "國藥準字" in got and "感 冒 靈" in got
    for e in inf.evidence:
        assert text[e.start : e.end] == e.text
    assert isinstance(inf.evidence[0], tuple) and isinstance(inf.evidence[0], Evidence)


def test_ascii_cue_inside_a_longer_word_does_not_count() -> None:
    assert infer_category("hotcake 松饼 motc") is None or infer_category("hotcake 松饼 motc").category != "drug"
    assert infer_category("OTC 非处方药").category == "drug"


def test_repeated_cue_counts_once() -> None:
    once = infer_category("面霜")
    many = infer_category("面霜 面霜 面霜 面霜")
    assert once is not None and many is not None and once.score == many.score
    assert len(many.evidence) == 1


def test_evidence_is_bounded_and_in_text_order() -> None:
    inf = infer_category("面霜 精华液 乳液 爽肤水 眼霜 口红 粉底液 卸妆")
    assert inf is not None and len(inf.evidence) <= default_cues().max_evidence
    assert [e.start for e in inf.evidence] == sorted(e.start for e in inf.evidence)


def test_to_dict_is_small() -> None:
    inf = infer_category("保湿面霜")
    assert inf is not None
    d = inf.to_dict()
    assert set(d) == {"category", "score", "evidence"}
    assert d["evidence"][-1] == {"text": "面霜", "start": 2, "end": 4}


def test_cue_file_is_versioned_valid_and_named_by_the_manifest() -> None:
    cues = CategoryCues.for_lexicon(default_lexicon_dir())
    assert cues is not None and cues.version
    assert set(cues.labels) == set(PRODUCT_CATEGORIES) - {"general"}
    assert load_lexicon().categories.version == cues.version


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('version = "x"\n[category.toys.cues]\n"玩具" = 3\n', "unknown product category"),
        ('version = "x"\n[category.food.cues]\n"饼干" = 0\n', "positive finite number"),
        # TOML spells these floats, and a NaN would pass a "<= 0" test
        ('version = "x"\n[category.food.cues]\n"饼干" = nan\n', "positive finite number"),
        ('version = "x"\n[category.food.cues]\n"饼干" = inf\n', "positive finite number"),
        ('[category.food.cues]\n"饼干" = 3\n', "missing version"),
        ('version = "x"\n[neutral]\nwords = ["饼干"]\n[category.food.cues]\n"饼干" = 3\n', "also a cue"),
    ],
)
def test_invalid_cue_files_are_rejected(tmp_path, body: str, message: str) -> None:
    p = tmp_path / "categories.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        CategoryCues.load(p)


def test_lexicon_validation_reports_a_broken_cue_file(tmp_path) -> None:
    import shutil

    d = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), d)
    (d / "categories.toml").write_text('version = "x"\n[category.food.cues]\n"饼干" = "a lot"\n', encoding="utf-8")
    with pytest.raises(LexiconError, match="positive finite number"):
        load_lexicon(d)


# ---------------------------------------------------------------------------- in the Screener
def test_sector_term_on_an_inferred_category_is_capped_at_medium(engine: Screener) -> None:
    text = "抗敏面霜 50ml"
    given = engine.screen(text, product_category="cosmetics")
    assert [(f.text, f.severity) for f in given.findings] == [("抗敏", "high")]
    assert given.inferred_category is None and "inferred_category" not in given.to_dict()
    inferred = engine.screen(text)
    assert [(f.text, f.severity) for f in inferred.findings] == [("抗敏", "medium")]
    assert inferred.severity == "medium" and inferred.decision != "block"
    assert "cosmetics" in inferred.findings[0].explanation
    d = inferred.to_dict()
    assert d["inferred_category"]["category"] == "cosmetics"
    assert d["inferred_category"]["evidence"] == [{"text": "面霜", "start": 2, "end": 4}]
    assert d["versions"]["categories"] == engine.categories.version
    json.dumps(d, ensure_ascii=False)


def test_inference_never_raises_an_all_sector_term_above_its_general_severity(engine: Screener) -> None:
    # 最好 is medium in general and high for drugs: an inferred drug keeps it medium
    text = "国药准字 OTC 感冒灵颗粒 效果最好"
    assert max(f.severity for f in engine.screen(text, product_category="drug").findings
               if f.text == "最好") == "high"
    r = engine.screen(text)
    assert r.inferred_category is not None and r.inferred_category.category == "drug"
    assert [f.severity for f in r.findings if f.text == "最好"] == ["medium"]


def test_inference_does_not_lower_or_change_a_general_result_without_sector_evidence(engine: Screener) -> None:
    text = "纯棉短袖T恤 全网第一"
    r = engine.screen(text)
    assert r.inferred_category is None and "inferred_category" not in r.to_dict()


def test_an_inferred_regulated_category_routes_high_findings_to_risk_control(engine: Screener) -> None:
    text = "蓝帽子保健食品 维生素C咀嚼片 全网第一"
    r = engine.screen(text)
    assert r.inferred_category is not None and r.inferred_category.category == "health_food"
    assert r.severity == "high"  # 全网第一 is high everywhere: not the inference's doing
    assert r.route is not None and r.route.role == engine.screen(text, product_category="health_food").route.role
    assert r.route.role in ("risk_control", "legal")
    plain = engine.screen("纯棉短袖T恤 全网第一")
    assert plain.route is not None and plain.route.role == "merchant_compliance"


def test_single_batch_and_records_paths_agree(engine: Screener) -> None:
    texts = [t for t, _ in EXAMPLES] + STAY_GENERAL[:-1] + ["抗敏面霜 50ml", "舒缓抗敏面霜", "蓝帽子保健食品 全网第一"]
    jobs = [(t, "listing", "general", str(i)) for i, t in enumerate(texts)]
    batch = engine.screen_batch(jobs)
    for (t, ct, pc, rid), b in zip(jobs, batch):
        one = engine.screen(t, content_type=ct, product_category=pc, id=rid)
        assert b.to_dict()["findings"] == one.to_dict()["findings"]
        assert b.to_dict().get("inferred_category") == one.to_dict().get("inferred_category")
        assert (b.decision, b.severity, b.route.role if b.route else None) == (
            one.decision, one.severity, one.route.role if one.route else None)
    records = list(engine.screen_many([{"id": rid, "text": t} for t, _, _, rid in jobs]))
    assert [r.to_dict().get("inferred_category") for r in records] == [
        b.to_dict().get("inferred_category") for b in batch]


def test_find_many_finds_what_find_finds_text_by_text() -> None:
    cues = default_cues()
    texts = [t for t, _ in EXAMPLES] + STAY_GENERAL + [
        "", "x", "国药准", "国药准 x", "国药准x", "实木茶几 客厅 面霜", "玻尿酸补水面霜 50ml\n全网第一"]
    assert cues.find_many(texts) == [cues.find(t) for t in texts]
    assert cues.find_many([]) == []


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_find_many_agrees_with_find_on_cue_heavy_text(data: st.DataObject) -> None:
    # Runs of cue characters walked apart, joined by NUL; the last run of a text walked alone,
    # since the automaton drops a cue's prefix pending at a text's end (国药准 ends without 药)
    # where a character of no cue would make it report it.
    cues = default_cues()
    forms = sorted(cues.cues)
    piece = st.one_of(st.sampled_from(forms), st.sampled_from(forms).map(lambda f: f[: max(1, len(f) - 1)]),
                      st.sampled_from(forms).map(lambda f: f[1:] or f),
                      st.sampled_from(["x", "1", "a", "。", "\n", " ", "的", "好"]))
    texts = data.draw(st.lists(st.lists(piece, max_size=8).map("".join), max_size=12))
    texts = [normalize(t).text for t in texts]
    assert cues.find_many(texts) == [cues.find(t) for t in texts]


def test_a_given_category_is_never_overridden(engine: Screener) -> None:
    r = engine.screen("保湿面霜 最好", product_category="food")
    assert r.inferred_category is None


def test_fields_are_judged_together_and_evidence_names_its_field(engine: Screener) -> None:
    r = engine.screen_fields({"title": "玻尿酸 50ml 全网第一", "detail": "补水面霜，舒缓抗敏"})
    d = r.to_dict()["inferred_category"]
    assert d["category"] == "cosmetics"
    assert {e["field"] for e in d["evidence"]} == {"detail"}
    detail = "补水面霜，舒缓抗敏"
    for e in d["evidence"]:
        assert detail[e["start"] : e["end"]] == e["text"]
    assert [(f.text, f.severity) for f in r.findings if f.text == "抗敏"] == [("抗敏", "medium")]


def test_a_lexicon_without_cues_infers_nothing(tiny: Screener) -> None:
    assert tiny.versions["categories"] == "none"
    assert tiny.screen("保湿面霜 最好").inferred_category is None


def test_writers_carry_the_inferred_category(engine: Screener) -> None:
    from screening.batch.writers import parquet_row, result_row

    item = {"id": "a", "texts": {"text": "保湿面霜 效果最好"}}
    res = engine.screen("保湿面霜 效果最好", id="a").to_dict()
    assert result_row(item, res)["inferred_category"] == "cosmetics"
    assert parquet_row(item, res)["inferred_category"] == "cosmetics"
    res = engine.screen("纯棉T恤", id="b").to_dict()
    assert result_row(item, res)["inferred_category"] is None


def test_the_category_is_inferred_only_where_it_can_change_the_outcome(engine: Screener) -> None:
    # Sector terms of a hit, or the route of a high finding (policy.route reads the category only
    # for those): a catalogue's clean rows, and hits that mean the same in every sector, skip it.
    assert engine.screen("保湿面霜 50ml").inferred_category is None
    high = "婴儿配方奶粉 全网第一"
    r = engine.screen(high, id="x", now=NOW)
    assert r.severity == "high" and r.decision != "pass"
    assert r.inferred_category is not None and r.inferred_category.category == "infant_formula"
    assert r.route is not None and r.route.role == "risk_control"  # a regulated sector, inferred
    assert engine.screen_batch([(high, "listing", "general", "x")], now=NOW)[0] == r


NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
