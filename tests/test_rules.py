"""Context rules: when a lexicon hit is lawful (legal-basis.md §3, R1–R6), one rule at a time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import Screener
from screening.engine.normalize import normalize


def _outcome(s: Screener, text: str, **kw) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    r = s.screen(text, **kw)
    return [(f.text, f.rule) for f in r.findings], [(x.text, x.rule) for x in r.suppressed]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("第一次用就爱上了", "time_ordinal"),
        ("第一步：洁面", "time_ordinal"),
        ("下单后第一时间发货", "time_ordinal"),
        ("第一批现货已售罄", "time_ordinal"),
        ("第一，面料透气；第二，版型宽松", "time_ordinal"),
        ("最好冷藏保存", "advice"),
        ("孕妇最好先咨询医生", "advice"),
        ("开封后最好三天内喝完", "advice"),
        ("最佳赏味期为开封后7天", "usage_tip"),
        ("最佳饮用温度4℃", "usage_tip"),
        ("面料100%纯棉", "composition"),
        ("100%羊毛围巾", "composition"),
        ("我们不是最好的，但用料扎实", "negation"),
        ("广告法不让说最好，大家自己体会", "negation"),
        ("主播不能说第一，只能说卖得很好", "negation"),
        ("这是最好的吗?", "negation"),
        ("绝对是假货，别买", "negative_emphasis"),
        ("垃圾中的极品", "negative_emphasis"),
        ("最好的一次踩雷经历", "negative_emphasis"),
        ("致力于成为行业第一", "aspiration"),
        ("追求最好的品质", "aspiration"),
        ("顾客第一，诚信经营", "aspiration"),
        ("用心做最好的服务", "aspiration"),
    ],
)
def test_not_violation_rules(tiny: Screener, text: str, rule: str) -> None:
    findings, suppressed = _outcome(tiny, text)
    assert findings == []
    assert rule in {r for _, r in suppressed}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("本店最大号，适合180斤", "self_comparison"),
        ("最大码有货", "self_comparison"),
        ("特级初榨橄榄油", "standard_grade"),
        ("特级绿茶250g", "standard_grade"),
        ("2026年度天猫面霜类目销量第一（数据来源：平台榜单）", "ranking_with_source"),
        ("主题曲《最好的时光》黑胶唱片", "title"),
    ],
)
def test_exempt_with_evidence_rules_keep_a_low_finding(tiny: Screener, text: str, rule: str) -> None:
    r = tiny.screen(text)
    assert r.findings and {f.rule for f in r.findings} == {rule}
    assert {f.severity for f in r.findings} == {"low"}
    assert r.decision == "pass"
    assert "须" in r.findings[0].explanation  # names the evidence a reviewer must see


@pytest.mark.parametrize(
    "text",
    [
        "这是我用过最好的洗发水",
        "最好用的面霜",
        "最好穿的鞋",
        "销量第一的爆款",
        "第一名的品质",
        "我们最好，不服来比",
        "年度销量第一",  # no channel, no source: not exempt
        "特级品质，最佳选择",  # 特级 here is not a standard grade
    ],
)
def test_claims_stay_claims(tiny: Screener, text: str) -> None:
    assert tiny.screen(text).findings, text


def test_negation_must_be_close_and_in_the_same_clause(tiny: Screener) -> None:
    assert tiny.screen("不是所有面霜都这样，我们最好").findings
    assert not tiny.screen("不是最好").findings


def test_mandatory_disclaimer_is_not_a_claim(tiny: Screener) -> None:
    findings, suppressed = _outcome(tiny, "本品不能代替药物")
    assert findings == [] and suppressed == [("药物", "lawful_phrase")]


def test_allow_context_from_the_lexicon(tiny: Screener) -> None:
    assert _outcome(tiny, "全网通手机")[1] == [("全网", "allow_context")]
    assert _outcome(tiny, "绝对值误差")[1] == [("绝对", "allow_context")]


def test_jieba_word_check_drops_terms_inside_everyday_words(tiny: Screener) -> None:
    findings, suppressed = _outcome(tiny, "阳台装了安全网")
    assert findings == []
    assert ("安全", "part_of_word") in suppressed


def test_jieba_is_a_signal_not_a_filter(tiny: Screener) -> None:
    # 第一名 is one jieba token; the ranking sense survives the word check.
    assert [f.text for f in tiny.screen("销量第一名").findings] == ["第一"]


def test_skipping_rules_that_cannot_apply_changes_no_outcome(engine: Screener) -> None:
    """RuleSet.apply skips a rule whose first test (term, hit text, product category) fails;
    with nothing skipped, every hit of the test corpora and the engine cases ends the same way."""
    import json
    from pathlib import Path

    ungated = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None)
    ungated.rules._gates = {}
    records = []
    for path in [*sorted(Path("tests/corpus").glob("*.jsonl")), Path("tests/cases/engine.jsonl")]:
        records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ruled = 0
    for rec in records:
        kw = {k: rec[k] for k in ("content_type", "product_category") if rec.get(k)}
        for pc in {kw.get("product_category", "general"), "cosmetics", "food"}:
            a, b = _outcome(engine, rec["text"], **{**kw, "product_category": pc}), \
                _outcome(ungated, rec["text"], **{**kw, "product_category": pc})
            assert a == b, rec["text"]
            ruled += sum(1 for _, rule in a[0] + a[1] if rule)
    assert ruled > 100


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("最好第一，。！？\n、…的")), max_size=260), st.integers(0, 260))
def test_a_clause_starts_after_the_last_mark_before_the_hit_at_most_200_back(text: str, at: int) -> None:
    from screening.engine.rules import CLAUSE_END, CLAUSE_LIMIT, HitContext

    start = min(at, len(text))
    ctx = HitContext(text, start, start, None, "general", "listing")  # type: ignore[arg-type]
    lo = max(0, start - CLAUSE_LIMIT)
    marks = [i for i in range(lo, start) if text[i] in CLAUSE_END]
    assert ctx.clause_start == (marks[-1] + 1 if marks else lo)


# --- classes of real copy (each rule with lawful usages and the claims it must leave alone) ------
def _flagged(s: Screener, text: str, **kw) -> bool:
    return s.screen(text, **kw).decision != "pass"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # R2(c): 唯一/最大 evaluating one detail (often a complaint), not a uniqueness claim
        ("唯一的一个小毛病是包装简陋", "evaluative_detail"),
        ("唯一不太满意的是发货慢了两天", "evaluative_detail"),
        ("唯一值得夸的是物流快", "evaluative_detail"),
        ("这件外套最大的亮点在于袖口的刺绣", "evaluative_detail"),
        ("用了一个月，最大的感受是轻", "evaluative_detail"),
        # R1: a setting the buyer chose
        ("风扇开到最大也很安静", "setting"),
        ("晚上把亮度调到最低刚好", "setting"),
        ("音量调至最高也不破音", "setting"),
        # R1: the buyer's intent or satisfaction after 绝对/百分百
        ("这家店绝对会回购", "emphasis_adverb"),
        ("以后绝对不会再买了", "emphasis_adverb"),
        ("收到货百分百满意", "emphasis_adverb"),
        # R2(c): 极品 as slang for a person
        ("遇到个极品卖家，发错货还不认", "slang"),
        ("这客服真是个极品", "slang"),
        # R1: ordinals the list did not know
        ("作者的第一本书就很好看", "time_ordinal"),
        ("进门第一个房间是书房", "time_ordinal"),
        # R1: negative emphasis
        ("差到极致，再也不来", "negative_emphasis"),
        ("绝对是返厂机，屏幕有划痕", "negative_emphasis"),
        # R1: negation of a measure
        ("效果没达到100%满意", "negation"),
    ],
)
def test_usage_classes_that_are_not_claims(engine: Screener, text: str, rule: str) -> None:
    r = engine.screen(text)
    assert r.decision == "pass", (text, r.findings)
    assert rule in {x.rule for x in r.suppressed} | {f.rule for f in r.findings}, text


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        # bare 绝对 before no checkable claim: left to the model and the reviewer as a low finding
        ("这个颜色绝对好看", "emphasis_adverb"),
        ("穿出门绝对回头率高", "emphasis_adverb"),
        # the term of a service, a promise to keep
        ("开通即送永久会员", "service_term"),
        ("软件永久免费更新", "service_term"),
        # a medical word naming the subject of a book or film (product category unknown)
        ("这本书讲抑郁症的心理治疗，写得通俗", "work_subject"),
        ("纪录片介绍了癌症治疗的新进展", "work_subject"),
    ],
)
def test_usage_classes_left_as_low_findings(engine: Screener, text: str, rule: str) -> None:
    r = engine.screen(text)
    assert r.decision == "pass", (text, r.findings)
    assert r.findings and {f.rule for f in r.findings} == {rule}
    assert {f.severity for f in r.findings} == {"low"}


@pytest.mark.parametrize(
    ("text", "kw"),
    [
        ("全国唯一获得认证的面霜", {}),
        ("国内最大的生产基地", {}),
        ("同类产品中音量最大", {}),
        ("绝对安全，孕妇可用", {}),
        ("绝对是最好的选择", {}),
        ("绝对没有任何添加", {}),
        ("保证您百分百满意", {}),
        ("极品好货，手慢无", {}),
        ("效果永久保持", {}),
        ("全国第一个获得认证的品牌", {}),
        ("本地最好吃火锅", {}),
        ("喝这款茶能治疗失眠", {}),
        # the book/film reading is for products of unknown category only
        ("这本书里的茶方能治疗失眠", {"product_category": "food"}),
    ],
)
def test_claims_of_the_same_shape_stay_claims(engine: Screener, text: str, kw: dict) -> None:
    assert _flagged(engine, text, **kw), (text, engine.screen(text, **kw))


@pytest.mark.parametrize(
    ("text", "kw", "rule"),
    [
        # a garment's cut makes the wearer look slim: no slimming efficacy
        ("阔腿裤的版型能修饰腿型，视觉上瘦腿", {}, "garment_fit"),
        ("小V领口衬托脸型，有瘦脸的效果", {}, "garment_fit"),
        ("收腰剪裁的连衣裙，上身瘦身又显高", {}, "garment_fit"),
        # a reading on a scale, a disclosed state
        ("跑分时内存占用达到100%", {}, "measure_level"),
        ("从0-100%充电大约一个半小时", {}, "measure_level"),
        ("商品说明写了是100%翻新机", {}, "measure_level"),
    ],
)
def test_usage_classes_of_2026_12_1_that_are_not_claims(engine: Screener, text: str, kw: dict, rule: str) -> None:
    r = engine.screen(text, **kw)
    assert r.decision == "pass", (text, r.findings)
    assert rule in {x.rule for x in r.suppressed} | {f.rule for f in r.findings}, (text, r.suppressed)


@pytest.mark.parametrize(
    ("text", "kw", "rule"),
    [
        # textile functions with a test standard of their own
        ("这件皮肤衣面料轻薄防晒", {}, "garment_function"),
        ("孕妇防辐射服金属纤维面料", {}, "garment_function"),
        # the function of a disinfecting appliance or product
        ("家用消毒柜高温杀菌", {}, "disinfectant"),
        ("消毒液可杀灭病毒", {}, "disinfectant"),
        # rental tiers and virtual items in game listings
        ("手游皮肤出租 3天 30天 永久", {}, "service_term"),
        ("游戏账号出售 英雄武器永久", {}, "service_term"),
        # a crop with GM varieties labelled non-GM (must be true)
        ("非转基因黄豆 东北产", {"product_category": "food"}, "gm_variety"),
    ],
)
def test_usage_classes_of_2026_12_1_left_as_low_findings(engine: Screener, text: str, kw: dict, rule: str) -> None:
    r = engine.screen(text, **kw)
    assert r.decision == "pass", (text, r.findings)
    assert rule in {f.rule for f in r.findings}, (text, r.findings)
    assert {f.severity for f in r.findings} == {"low"}, (text, r.findings)


@pytest.mark.parametrize(
    ("text", "kw"),
    [
        # slimming in the garment's sentence with fat or weight keeps the claim
        ("塑身衣燃烧脂肪瘦腿", {"product_category": "cosmetics"}),
        ("穿上这款束身裤，压力瘦腿一周瘦3斤", {"product_category": "health_food"}),
        # 100% that is a claim
        ("100%有效，无效退款", {}),
        ("百分百安全无副作用", {}),
        # 防晒 as a cosmetic efficacy, 防辐射 as a food claim
        ("防晒霜高倍防晒", {"product_category": "cosmetics"}),
        ("螺旋藻防辐射", {"product_category": "food"}),
        # 杀菌 for goods that are not disinfectants
        ("干鞋器臭氧杀菌", {}),
        # 永久 as a quality claim
        ("染发效果永久不褪色", {}),
        # non-GM on rice or peanut oil
        ("非转基因五常大米", {"product_category": "food"}),
    ],
)
def test_claims_of_the_2026_12_1_shapes_stay_claims(engine: Screener, text: str, kw: dict) -> None:
    assert _flagged(engine, text, **kw), (text, engine.screen(text, **kw))


@pytest.mark.parametrize(
    ("text", "kw", "flagged"),
    [
        # an enumeration is one clause for its governing verb
        ("可改善水肿、湿疹、哮喘", {"product_category": "food"}, True),
        # three or more disease names listed in sales copy are indications
        ("咽炎、鼻炎、支气管炎", {"product_category": "food", "content_type": "listing"}, True),
        ("股癣、湿疹、荨麻疹都可以用", {"content_type": "ad"}, True),
        # a warning is not; nor a buyer's post about the family
        ("高血压、糖尿病、心脏病患者慎用", {"product_category": "food", "content_type": "listing"}, False),
        ("家里老人有高血压、糖尿病、冠心病", {"product_category": "food", "content_type": "post"}, False),
        # two names are no list
        ("湿疹、哮喘", {"product_category": "food", "content_type": "listing"}, False),
    ],
)
def test_disease_names_in_enumerations(engine: Screener, text: str, kw: dict, flagged: bool) -> None:
    assert _flagged(engine, text, **kw) is flagged, (text, engine.screen(text, **kw))


# Titles are not sentences: a rule that reads neighbouring words reads them within the title's
# keyword. Each pair: the lawful sentence (the rule applies) and a keyword title where the same
# cue stands in the NEXT keyword and so governs nothing (the claim stays).
@pytest.mark.parametrize(
    ("sentence", "title", "claim"),
    [
        ("保温杯最好用温水清洗", "保温杯 316不锈钢 最好用 学生上班族", "最好用"),  # advice
        ("保温杯最好用温水清洗", "修护面霜 全网最好用 敏感肌救星", "最好用"),
        ("这口锅不是第一", "不粘锅 不是 第一", "第一"),  # negation
        ("垃圾中的极品", "洗面奶 极品 垃圾袋", "极品"),  # negative emphasis
        ("第一次用这款面膜", "补水面膜 第一 次元周边", "第一"),  # time ordinal (allow context, word check)
        ("吹风机最大功率2000W", "吹风机 最大 2000W", "最大"),  # parameter
        ("最佳饮用温度18度", "进口红酒 最佳 饮用温度", "最佳"),  # usage tip
        ("面料100%纯棉", "羊毛衫 100% 纯棉袜", "100%"),  # composition
        ("充电宝电量100%", "充电宝 电量 100%", "100%"),  # measure level
        ("音量开到最大", "蓝牙音响 开到 最大", "最大"),  # setting
        ("唯一的缺点是有点重", "降噪耳机 唯一 缺点", "唯一"),  # evaluative detail
        ("绝对会回购", "保湿面霜 绝对 回购", "绝对"),  # emphasis adverb
    ],
)
def test_title_keywords_are_read_one_keyword_at_a_time(engine: Screener, sentence: str, title: str,
                                                       claim: str) -> None:
    assert not engine.screen(sentence).findings, sentence
    assert claim in [f.text for f in engine.screen(title).findings], title


def test_spaces_inside_a_word_are_an_evasion_not_a_title(engine: Screener) -> None:
    # single characters spaced out are one word: the rules still read it whole
    assert [f.text for f in engine.screen("这款面霜 最 好 用").findings] == ["最 好 用"]
    assert not engine.screen("开封后最 好 冷藏保存").findings


def test_a_post_s_spaces_still_leave_a_sentence_wide_rule_its_sentence(engine: Screener) -> None:
    # requires_context reads the sentence (a post's spaces stand where commas would): the
    # disease name and the efficacy word are in different keywords of one sentence
    found = engine.screen("最近总是失眠 喝了这个茶 改善失眠", product_category="food").findings
    assert found
    assert not engine.screen("最近总是失眠 晚上睡不着", product_category="food").findings


# --- each hand-made mutant of issue 16 that survived the suite, pinned by its own example ---------
def _finding_of(s: Screener, text: str, **kw) -> list[tuple[str, str, str | None]]:
    return [(f.text, f.severity, f.rule) for f in s.screen(text, **kw).findings]


def test_a_material_beyond_the_composition_reach_makes_no_composition(engine: Screener) -> None:
    # 棉 is the 7th character after 100%: beyond the reach of 6, so 100% is a claim.
    assert _finding_of(engine, "T恤100%手工精选优质棉") == [("100%", "medium", None)]
    assert _outcome(engine, "100%手工精选纯棉")[1] == [("100%", "composition")]  # 纯 is the 5th
    assert _outcome(engine, "100%精选优质棉")[1] == [("100%", "composition")]  # 棉 is the 5th


def test_a_negation_further_back_than_its_window_negates_nothing(engine: Screener) -> None:
    assert _finding_of(engine, "没有哪款产品比得上它这款最好") == [("最好", "medium", None)]
    assert _outcome(engine, "没有哪款产品比它最好")[1] == [("最好", "negation")]


def test_a_title_is_the_innermost_pair_of_book_title_marks(engine: Screener) -> None:
    # The 《 before the claim opens a title that never closes; the 》 after it closes another one.
    assert _finding_of(engine, "《说明书 这是最好的面霜，赠《使用指南》") == [("最好", "medium", None)]
    assert _finding_of(engine, "《使用指南》》这是最好的面霜》") == [("最好", "medium", None)]
    assert _finding_of(engine, "赠《最好的时光》") == [("最好", "low", "title")]


def test_a_ranking_without_a_source_stays_a_claim(engine: Screener) -> None:
    assert _finding_of(engine, "2026年度天猫面霜类目销量第一") == [("销量第一", "medium", None)]
    assert _finding_of(engine, "天猫面霜类目销量第一（数据来源：平台统计）") == [("销量第一", "medium", None)]
    assert _finding_of(engine, "2026年度销量第一（数据来源：第三方统计）") == [("销量第一", "medium", None)]
    assert _finding_of(engine, "2026年度天猫面霜类目销量第一（数据来源：第三方统计）") == \
        [("销量第一", "low", "ranking_with_source")]


def test_service_attitude_reads_across_de(engine: Screener) -> None:
    assert _outcome(engine, "提供最好的服务")[1] == [("最好", "aspiration")]
    assert _outcome(engine, "提供最好的的态度")[1] == [("最好", "aspiration")]


def test_the_size_rule_is_for_superlatives_with_zui_only(engine: Screener) -> None:
    r = engine.screen("全网第一号")
    assert [(f.text, f.severity, f.rule) for f in r.findings] == [("全网第一", "high", None)]
    assert r.decision == "block"
    assert _finding_of(engine, "本店最大号，适合180斤") == [("最大", "low", "self_comparison")]


def test_context_rules_look_at_most_200_characters_back(engine: Screener) -> None:
    # A clause without punctuation (a pasted document) is cut 200 characters either side of a hit.
    assert _outcome(engine, "广告法" + "哈" * 197 + "最好")[1] == [("最好", "negation")]  # the cue starts 200 back
    assert _finding_of(engine, "广告法" + "哈" * 198 + "最好") == [("最好", "medium", None)]  # 201 back
    assert _outcome(engine, "最好" + "哈" * 197 + "广告法")[1] == [("最好", "negation")]  # ends 200 after
    assert _finding_of(engine, "最好" + "哈" * 198 + "广告法") == [("最好", "medium", None)]


def test_a_registration_number_counts_within_200_characters_of_the_claim(engine: Screener) -> None:
    kw = {"product_category": "cosmetics"}
    assert _finding_of(engine, "美白精华，国妆特字G20260001", **kw) == [("美白", "low", "registration")]
    assert _finding_of(engine, "美白" + "哈" * 196 + "国妆特字G20260001", **kw) == [("美白", "low", "registration")]
    assert _finding_of(engine, "美白" + "哈" * 197 + "国妆特字G20260001", **kw) == [("美白", "medium", None)]
    assert _finding_of(engine, "广审" + "哈" * 198 + "美白", **kw) == [("美白", "low", "registration")]
    assert _finding_of(engine, "广审" + "哈" * 199 + "美白", **kw) == [("美白", "medium", None)]


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\n"])
def test_a_carriage_return_ends_a_clause_like_a_line_feed(engine: Screener, brk: str) -> None:
    assert _finding_of(engine, f"我们不是{brk}最好的") == [("最好", "medium", None)]
    assert _finding_of(engine, f"最{brk}好的面霜") == [(f"最{brk}好", "medium", None)]


def test_a_term_glued_to_more_digits_is_another_word(engine: Screener) -> None:
    findings, suppressed = _outcome(engine, "销量TOP10")
    assert findings == [] and suppressed == [("TOP1", "ascii_boundary")]
    assert _finding_of(engine, "销量TOP1") == [("TOP1", "medium", None)]
    assert _finding_of(engine, "销量TOP1，好评如潮") == [("TOP1", "medium", None)]


# --- what each rule says: the reason shown in the explain view and to the reviewer -------------
@pytest.mark.parametrize(
    ("text", "kw", "hit", "rule", "reason"),
    [
        ("糖尿病的朋友别买", {}, "糖尿病", "requires_context", "仅提及，未与功效/治疗用语连用"),
        ("第一，面料透气；第二，版型宽松", {}, "第一", "time_ordinal", "列举序号“第一，…”"),
        ("作者的第一本书就很好看", {}, "第一", "time_ordinal", "序数/时间义：“第一本”"),
        ("床垫最大2.0m", {}, "最大", "parameter", "参数描述：“最大2…”"),
        ("最好煮三分钟", {}, "最好", "advice", "建议语气：“最好煮…”"),
        ("含棉量100%", {}, "100%", "composition", "成分含量标示：“含棉量100%”"),
        ("阔腿裤的版型能修饰腿型，视觉上瘦腿", {}, "瘦腿", "garment_fit", "服装版型的视觉修饰（阔腿裤）"),
        ("风扇开到最大也很安静", {}, "最大", "setting", "档位/设置描述：“开到最大”"),
        ("晚上把亮度调到最低刚好", {}, "最低", "setting", "档位/设置描述：“调到最低”"),
        ("唯一的一个小毛病是包装简陋", {}, "唯一", "evaluative_detail", "评价某一细节：“唯一…毛病”"),
        ("我们不是最好的，但用料扎实", {}, "最好", "negation", "否定语境：“不是…最好”"),
        ("我们不最好", {}, "最好", "negation", "否定语境：“不最好”"),
        ("这是最好的吗?", {}, "最好", "negation", "疑问句，不构成断言"),
        ("跑分时内存占用达到100%", {}, "100%", "measure_level", "读数/状态描述：“达到”"),
        ("从0-100%充电大约一个半小时", {}, "100%", "measure_level", "读数/状态描述：“0-”"),
        ("商品说明写了是100%翻新机", {}, "100%", "measure_level", "读数/状态描述：“翻新”"),
        ("绝对是假货，别买", {}, "绝对", "negative_emphasis", "强调负面评价：“假货”"),
        ("遇到个极品卖家，发错货还不认", {}, "极品", "slang", "俚语，指人：“极品卖家”"),
        ("这客服真是个极品", {}, "极品", "slang", "俚语，指人：“…极品”"),
        ("这客服真是个极品！", {}, "极品", "slang", "俚语，指人：“…极品”"),
        ("顾客第一，诚信经营", {}, "第一", "aspiration", "经营理念口号（如“顾客第一”）"),
        ("提供最好的服务", {}, "最好", "aspiration", "服务态度：“最好…服务”"),
        ("用心做最好的服务", {}, "最好", "aspiration", "经营理念/目标：“用心做…最好”"),
        ("这家店绝对会回购", {}, "绝对", "emphasis_adverb", "消费者意向/满意度：“绝对会回购”"),
    ],
)
def test_each_rule_that_drops_a_hit_says_why(engine: Screener, text: str, kw: dict, hit: str, rule: str,
                                             reason: str) -> None:
    r = engine.screen(text, **kw)
    assert not r.findings
    assert (hit, rule, reason) in [(x.text, x.rule, x.reason) for x in r.suppressed]


@pytest.mark.parametrize(
    ("text", "kw", "hit", "rule", "reason"),
    [
        ("非转基因黄豆 东北产", {"product_category": "food"}, "非转基因", "gm_variety",
         "有转基因品种的作物（黄豆）标注非转基因，须有检测/溯源证明"),
        ("家用消毒柜高温杀菌", {}, "杀菌", "disinfectant", "消毒器械/产品的功能（消毒柜），须有卫生安全评价或检测报告"),
        ("这件皮肤衣面料轻薄防晒", {}, "防晒", "garment_function", "纺织品功能（皮肤衣），须有检测报告（如UPF值、屏蔽率）"),
        ("主题曲《最好的时光》黑胶唱片", {}, "最好", "title", "作品/商品名称《最好的时光》中的用语，须核实名称属实"),
        ("开通即送永久会员", {}, "永久", "service_term", "服务/权益期限（永久会员），须属实并写明条件"),
        ("手游皮肤出租 3天 30天 永久", {}, "永久", "service_term", "虚拟物品/租期（30天），须属实并写明条件"),
        ("这本书讲抑郁症的心理治疗，写得通俗", {}, "抑郁症", "work_subject", "书籍/影视作品的主题（这本书），须确认商品为出版物"),
        ("美白精华，国妆特字G20260001", {"product_category": "cosmetics"}, "美白", "registration",
         "文案附注册/备案号（国妆特字），须核对批准的功效范围"),
        ("本店最大号，适合180斤", {}, "最大", "self_comparison", "同一品牌/店铺内比较（本店），须属实"),
        ("最大码有货", {}, "最大", "self_comparison", "规格描述（如“最大号”），须为本店比较"),
        ("2026年度天猫面霜类目销量第一（数据来源：第三方统计）", {}, "销量第一", "ranking_with_source",
         "限定时间与范围并注明来源的排名，须核验数据"),
        ("这个颜色绝对好看", {}, "绝对", "emphasis_adverb", "程度副词强调，未接可核实的商品宣称，须人工判断"),
    ],
)
def test_each_rule_that_keeps_a_low_finding_names_the_evidence(engine: Screener, text: str, kw: dict, hit: str,
                                                               rule: str, reason: str) -> None:
    found = [f for f in engine.screen(text, **kw).findings if f.text == hit]
    assert [(f.severity, f.rule) for f in found] == [("low", rule)]
    assert found[0].explanation.endswith(reason)


def test_a_standard_grade_is_exempt_only_with_its_grade_word_close_after(tiny: Screener) -> None:
    f = tiny.screen("特级初榨橄榄油").findings
    assert [(x.severity, x.rule) for x in f] == [("low", "standard_grade")]
    assert f[0].explanation.endswith("标准分级名称（特级初榨），须能注明标准编号")


F_LISTING = {"product_category": "food", "content_type": "listing"}


@pytest.mark.parametrize(
    ("text", "kw", "flagged"),
    [
        ("不能改善糖尿病", F_LISTING, False),  # a negated efficacy word makes no claim
        ("不能治糖尿病", F_LISTING, False),
        ("改善糖尿病", F_LISTING, True),  # the efficacy word opens the clause
        ("治糖尿病", F_LISTING, True),
        ("改善糖尿病不能改善高血压", F_LISTING, True),  # the first efficacy word is not negated
        ("咽炎、鼻炎、支气管炎患者慎用", F_LISTING, False),  # a list, with a warning
        ("咽炎、鼻炎、鼻塞", F_LISTING, False),  # three items, two disease names: no list
        ("按摩霜让你轻松瘦腿", {}, True),  # no garment: a slimming claim
        ("塑身衣燃脂瘦腿", {}, True),  # a garment, but fat burning is efficacy
    ],
)
def test_disease_and_slimming_words_by_their_context(engine: Screener, text: str, kw: dict, flagged: bool) -> None:
    assert _flagged(engine, text, **kw) is flagged, engine.screen(text, **kw)


def test_an_efficacy_word_in_another_clause_of_the_sentence_does_not_count(engine: Screener) -> None:
    r = engine.screen("可以改善睡眠，糖尿病的朋友别买", **F_LISTING)
    assert ("糖尿病", "requires_context") in [(x.text, x.rule) for x in r.suppressed]
    assert "糖尿病" not in [f.text for f in r.findings]


@pytest.mark.parametrize(
    ("text", "kw", "hit", "rule"),
    [
        ("黄豆 非转基因", {"product_category": "food"}, "非转基因", "gm_variety"),  # the crop opens the text
        ("广审 美白精华", {"product_category": "cosmetics"}, "美白", "registration"),
        ("618天猫面霜类目销量第一（数据来源：第三方统计）", {}, "销量第一", "ranking_with_source"),
    ],
)
def test_evidence_at_the_very_start_of_the_text_counts(engine: Screener, text: str, kw: dict, hit: str,
                                                       rule: str) -> None:
    assert [(f.text, f.severity, f.rule) for f in engine.screen(text, **kw).findings if f.text == hit] == \
        [(hit, "low", rule)]


@pytest.mark.parametrize("text", ["这客服真是个极品啊", "这客服真是个极品了吧", "遇到个极品呀"])
def test_slang_for_a_person_may_close_with_a_particle(engine: Screener, text: str) -> None:
    r = engine.screen(text)
    assert not r.findings and ("极品", "slang") in [(x.text, x.rule) for x in r.suppressed]


def test_slang_needs_its_closing_word(engine: Screener) -> None:
    # 是个极品 closes nothing here: the goods follow it.
    assert [(f.text, f.severity, f.rule) for f in engine.screen("是个极品好物").findings] == [("极品", "high", None)]


@pytest.mark.parametrize(
    ("text", "composition"),
    [
        ("100%北欧精选好羊毛", True),  # the material is the 6th character after 100%: within the reach
        ("100%北欧手工精选羊毛", False),  # the 7th: beyond it
        ("100%莫代尔面料像莫代尔", True),  # the first mention counts
        ("SPF50+100%", False),  # 50 then 100% is no 0-100% range
        ("音量50-100%", False),
    ],
)
def test_composition_and_range_readings_by_position(engine: Screener, text: str, composition: bool) -> None:
    findings, suppressed = _outcome(engine, text)
    assert (findings == []) is composition, (findings, suppressed)


def test_an_emphasis_before_a_claim_is_no_bare_adverb(engine: Screener) -> None:
    # 绝对是最好的: the adverb leads into a claim (是/的 skipped), so 绝对 stays a finding of its own.
    assert _finding_of(engine, "这款绝对是最好的") == [("绝对", "medium", None), ("最好", "medium", None)]
    assert _finding_of(engine, "绝对的最好") == [("绝对", "medium", None), ("最好", "medium", None)]


def test_a_disease_list_is_read_within_its_own_clause(engine: Screener) -> None:
    # 鼻炎、支气管炎 is two names (no list); 咽炎、鼻塞 before the comma does not make it three.
    assert not engine.screen("咽炎、鼻塞，鼻炎、支气管炎", **F_LISTING).findings
    assert _flagged(engine, "不能改善糖尿病但能改善高血压", **F_LISTING)  # the second 改善 is no denial


def test_clause_spans_are_built_on_first_use_and_reused() -> None:
    from screening.engine import rules

    rules._MARKS.clear()
    text = "第一句。第二,句里的最好词;后面"
    at = text.index("最好")
    assert rules._span(text, at, at + 2, rules.SENTENCE_END) == (4, 13)
    assert rules._span(text, at, at + 2, rules.LIST_END) == (7, 13)
    assert rules._span(text, at, at + 2, rules.SENTENCE_END) == (4, 13)  # from the table built above
    assert set(rules._MARKS) == {rules.SENTENCE_END, rules.LIST_END}
    assert rules._span("最好", 0, 2, rules.SENTENCE_END) == (0, 2)
    long = "哈" * 300 + "最好" + "哈" * 300
    assert rules._span(long, 300, 302, rules.SENTENCE_END) == (100, 502)
    # A mark further than 200 characters away bounds nothing.
    assert rules._span("。" + "哈" * 250 + "最好" + "哈" * 250 + "。", 251, 253, rules.SENTENCE_END) == (51, 453)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("《最好的时光》黑胶唱片", "《最好的时光》"),  # the mark opens the text
        ("收录《甲》与《最好的时光》", "《最好的时光》"),  # the last 《 before the term opens its title
        ("《最好的时光》和《甲》", "《最好的时光》"),  # the first 》 after it closes it
        ("《" + "哈" * 29 + "最好》", "《" + "哈" * 29 + "最好》"),  # 《 30 characters back
        ("《最好" + "哈" * 29 + "》", "《最好" + "哈" * 29 + "》"),
        ("《" + "哈" * 30 + "最好》", None),  # 31 back: too far to be its title
        ("《最好" + "哈" * 30 + "》", None),
        ("这是最好的》", None),  # a closing mark alone
    ],
)
def test_titles_by_their_marks(engine: Screener, text: str, title: str | None) -> None:
    f = [x for x in engine.screen(text).findings if x.text == "最好"]
    if title is None:
        assert [(x.severity, x.rule) for x in f] == [("medium", None)]
    else:
        assert [(x.severity, x.rule) for x in f] == [("low", "title")]
        assert f[0].explanation.endswith(f"作品/商品名称{title}中的用语，须核实名称属实")


def test_only_absolute_claims_can_be_part_of_a_title(engine: Screener) -> None:
    assert ("治疗", "high", None) in _finding_of(engine, "《治疗失眠的秘密》一书")


def test_quotes_and_questions_say_why_they_are_no_claim(engine: Screener) -> None:
    assert _outcome(engine, "别信那些号称最好的")[1] == [("最好", "negation")]
    assert engine.screen("别信那些号称最好的").suppressed[0].reason == "引述规则而非宣称：“别信”"
    assert engine.screen("这是最好的吗?我觉得是").suppressed[0].reason == "疑问句，不构成断言"


@pytest.mark.parametrize("text", ["中国最好吃的", "全网最好用", "中国最好吃"])
def test_a_scope_before_zui_hao_makes_a_ranking_not_advice(engine: Screener, text: str) -> None:
    assert [f.rule for f in engine.screen(text).findings if f.text.startswith("最好")] == [None]


def test_zui_hao_before_an_ordinal_is_two_claims(engine: Screener) -> None:
    assert [(f.text, f.rule) for f in engine.screen("最好第一").findings] == [("最好", None), ("第一", None)]


# --- the rule set's own settings ---------------------------------------------------------------
def test_cue_lists_are_normalized_deduplicated_and_longest_first() -> None:
    from screening.engine.rules import Cues

    cues = Cues({"s": {"k": ["a", "ABC", "ab", "ＡＢ", " ", "療效", "cd", "最好"], "n": 3}})
    # Equal lengths in code-point order: the same list, and the same cue named, in every process.
    assert cues.get("s", "k") == ("abc", "ab", "cd", "最好", "疗效", "a")
    assert cues.get("s", "missing") == () and cues.get("missing", "k") == ()
    assert cues.value("s", "n", 0) == 3 and cues.value("s", "m", 7) == 7 and cues.value("x", "n", None) is None


def test_rule_settings_and_their_defaults() -> None:
    from screening.engine.rules import RuleSet
    from screening.engine.segment import Segmenter

    seg = Segmenter()
    rs = RuleSet({}, seg)
    assert rs.segmenter is seg and isinstance(RuleSet({}).segmenter, Segmenter)
    assert (rs.version, rs.unknown_category_cap) == ("unversioned", "medium")
    assert (rs.negation_window, rs.parameter_reach, rs.composition_reach, rs.min_frequency) == (6, 8, 6, 5)
    assert (rs.work_reach, rs.registration_max, rs.list_min_items) == (40, "medium", 3)
    assert rs.registration_categories == rs.work_categories == rs.sentence_scoped == frozenset()
    assert rs.found("negation", "direct", "不是") is None and rs.cue("negation", "direct") == ()
    raw = {"version": "9", "sector": {"unknown_category_cap": "low"}, "negation": {"window": 3, "direct": ["不", "不是"]},
           "parameter": {"reach": 2}, "composition": {"reach": 1}, "part_of_word": {"min_frequency": 9},
           "work_subject": {"reach": 4}, "disease_list": {"min_items": 2}}
    rs = RuleSet(raw, seg)
    assert (rs.version, rs.unknown_category_cap) == ("9", "low")
    assert (rs.negation_window, rs.parameter_reach, rs.composition_reach, rs.min_frequency) == (3, 2, 1, 9)
    assert (rs.work_reach, rs.list_min_items) == (4, 2)
    raw = {"registration": {"categories": ["efficacy_exaggeration"], "max_severity": "low"},
           "work_subject": {"categories": ["medical_claim"], "product_categories": ["general"]},
           "requires_context_scope": {"sentence": ["health_subject"]}, "disease_list": {"content_types": ["ad"]}}
    other = RuleSet(raw, seg)
    assert (other.registration_categories, other.registration_max) == ({"efficacy_exaggeration"}, "low")
    assert (other.work_categories, other.work_products) == ({"medical_claim"}, {"general"})
    assert (other.sentence_scoped, other.list_content_types) == ({"health_subject"}, {"ad"})
    # found(): the first cue of the list (longest first) that occurs, not merely any match.
    assert rs.found("negation", "direct", "并不是") == "不是" and rs.found("negation", "direct", "不") == "不"
    assert rs.found("negation", "direct", "是") is None


# One example per rule, screened by a rule set built inside the test: the rule set's construction
# (its settings and the table of first tests, RuleSet._gate_table) is then part of what is tested,
# not only of a fixture built once for the session.
_ONE_PER_RULE = [
    ("糖尿病的朋友别买", {}, "糖尿病", "requires_context"), ("作者的第一本书就很好看", {}, "第一", "time_ordinal"),
    ("床垫最大2.0m", {}, "最大", "parameter"), ("最好煮三分钟", {}, "最好", "advice"),
    ("含棉量100%", {}, "100%", "composition"), ("非转基因黄豆 东北产", {"product_category": "food"}, "非转基因", "gm_variety"),
    ("家用消毒柜高温杀菌", {}, "杀菌", "disinfectant"), ("阔腿裤的版型能修饰腿型，视觉上瘦腿", {}, "瘦腿", "garment_fit"),
    ("这件皮肤衣面料轻薄防晒", {}, "防晒", "garment_function"), ("风扇开到最大也很安静", {}, "最大", "setting"),
    ("唯一的一个小毛病是包装简陋", {}, "唯一", "evaluative_detail"), ("我们不是最好的，但用料扎实", {}, "最好", "negation"),
    ("跑分时内存占用达到100%", {}, "100%", "measure_level"), ("绝对是假货，别买", {}, "绝对", "negative_emphasis"),
    ("遇到个极品卖家，发错货还不认", {}, "极品", "slang"), ("顾客第一，诚信经营", {}, "第一", "aspiration"),
    ("主题曲《最好的时光》黑胶唱片", {}, "最好", "title"), ("开通即送永久会员", {}, "永久", "service_term"),
    ("这本书讲抑郁症的心理治疗，写得通俗", {}, "抑郁症", "work_subject"),
    ("美白精华，国妆特字G20260001", {"product_category": "cosmetics"}, "美白", "registration"),
    ("本店最大号，适合180斤", {}, "最大", "self_comparison"),
    ("2026年度天猫面霜类目销量第一（数据来源：第三方统计）", {}, "销量第一", "ranking_with_source"),
    ("这家店绝对会回购", {}, "绝对", "emphasis_adverb"), ("这个颜色绝对好看", {}, "绝对", "emphasis_adverb"),
]


def test_every_rule_decides_its_example_in_a_freshly_built_rule_set(engine: Screener, tiny: Screener) -> None:
    fresh = Screener(engine.lexicon, engine.policy, matcher=engine.matcher, model=None)
    for text, kw, hit, rule in _ONE_PER_RULE:
        r = fresh.screen(text, **kw)
        ruled = [(x.text, x.rule) for x in r.suppressed] + [(f.text, f.rule) for f in r.findings]
        assert (hit, rule) in ruled, (text, ruled)
    fresh_tiny = Screener(tiny.lexicon, tiny.policy, matcher=tiny.matcher, model=None)
    assert [(f.text, f.rule) for f in fresh_tiny.screen("特级初榨橄榄油").findings] == [("特级", "standard_grade")]


@pytest.mark.parametrize(("text", "pc", "term"), [
    ("张文宏医生在发布会上提醒大家勤洗手", "general", "钟南山"),  # news naming an expert
    ("本批次重金属检测合格 附检测报告", "food", "重金属"),  # a test result, not detox
    ("肺部CT检查要空腹吗", "general", "黑肺"),  # a question about a scan
])
def test_a_word_that_alone_carries_no_risk_is_a_mention_the_model_reads_unmasked(
    engine: Screener, text: str, pc: str, term: str
) -> None:
    """Names, organs and substances need their cue (推荐, 清除, 修复); without it the hit is a
    mention: shown in the result, but not masked for the model as a suppressed claim word is."""
    result = engine.screen(text, content_type="post", product_category=pc)
    assert not result.findings
    assert [(x.term, x.rule) for x in result.suppressed] == [(term, "mention")]
    p = engine.adjudicator.adjudicate(normalize(text), pc, "post")
    assert p.lawful == ()


def test_a_disease_name_without_an_efficacy_word_stays_a_masked_requires_context_hit(engine: Screener) -> None:
    text = "糖尿病患者请遵医嘱"
    assert [x.rule for x in engine.screen(text, product_category="food").suppressed] == ["requires_context"]
    assert engine.adjudicator.adjudicate(normalize(text), "food", "listing").lawful == ((0, 3),)
