"""The packaged lexicons: valid, large enough, covering every category and sector rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.engine.lexicon import load_lexicon
from screening.types import LEXICON_CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
HEALTH_FOOD_FUNCTIONS = [
    "有助于增强免疫力", "有助于抗氧化", "辅助改善记忆", "缓解视觉疲劳", "清咽润喉", "有助于改善睡眠", "缓解体力疲劳",
    "耐缺氧", "有助于控制体内脂肪", "有助于改善骨密度", "改善缺铁性贫血", "有助于改善痤疮", "有助于改善黄褐斑",
    "有助于改善皮肤水份状况", "有助于调节肠道菌群", "有助于消化", "有助于润肠通便", "辅助保护胃粘膜",
    "有助于维持血糖健康水平", "有助于维持血压健康水平", "对化学性肝损伤有辅助保护作用", "对电离辐射危害有辅助保护作用",
    "有助于排铅",
]


def test_default_lexicon_is_valid_and_versioned(screener) -> None:
    lex = screener.lexicon
    assert lex.version and lex.digest
    assert screener.versions["lexicon"] == lex.version
    assert len(lex.active_terms) >= 800


def test_every_category_has_terms_with_basis_and_provenance(screener) -> None:
    terms = screener.lexicon.active_terms
    assert {t.category for t in terms} == set(LEXICON_CATEGORIES)
    assert all(t.basis and t.provenance for t in terms)
    assert sum(1 for t in terms if t.suggestion) >= 200


def test_sector_rules_are_encoded() -> None:
    lex = load_lexicon()
    by_term = {t.term: t for t in lex.active_terms}
    for banned in ["抗菌", "消炎", "生发", "药妆"]:
        assert by_term[banned].severity_for("cosmetics") == "high", banned
    for special in ["美白", "祛斑", "防晒"]:
        assert by_term[special].severity_for("cosmetics") == "medium", special
        assert by_term[special].applies("cosmetics")
    assert by_term["治疗"].applies("food") and not by_term["治疗"].applies("drug")
    sectors = {a for t in lex.active_terms for a in t.applies_to}
    assert {"infant_formula", "finance", "education", "real_estate", "drug", "device", "medical_service",
            "health_food", "food", "cosmetics"} <= sectors
    assert any(t.is_pattern for t in lex.active_terms)


def test_the_permitted_health_food_claims_are_lawful_phrases() -> None:
    phrases = {lp.phrase for lp in load_lexicon().lawful if "health_food" in lp.applies_to}
    for claim in HEALTH_FOOD_FUNCTIONS:
        assert claim in phrases, claim


def test_sources_name_every_lexicon_file() -> None:
    lexdir = ROOT / "lexicons"
    sources = (lexdir / "SOURCES.md").read_text(encoding="utf-8")
    for path in lexdir.glob("*.jsonl"):
        assert path.name in sources, path.name


def test_claim_classes_added_in_2026_11_4(engine) -> None:
    """Disease and efficacy claims, guarantees, authority and open superlatives that regulators
    cite: each class is caught; lawful names and low-risk evaluations are not."""
    claims = [
        ("杜仲茶补肝肾", "food"), ("每天一杯强筋健骨", "food"), ("孕期喝它能安胎", "food"),
        ("护垫防感染", "general"), ("喷一喷抗真菌", "general"), ("车载净化器防病毒", "general"),
        ("益生菌杀死癌细胞", "food"), ("帮助修复受损神经", "food"), ("一杯降四高", "food"),
        ("化石排石茶", "food"), ("溶解血栓的纳豆", "food"), ("清理血管就喝它", "food"),
        ("牙膏修复蛀牙", "cosmetics"), ("牙膏促进牙齿生长", "cosmetics"),
        ("三个月不易复发", "device"), ("一次治疗彻底治好", "medical_service"),
        ("常年服用零危害", "general"), ("电子烟无致癌物质", "general"), ("没有副作用放心用", "general"),
        ("形成习惯不会反弹", "general"), ("国家有关部门批准发行的纪念册", "general"),
        ("国家特批限量纪念币", "general"), ("药监局认证的洗发水", "cosmetics"), ("国礼级好茶", "food"),
        ("精华抑制黑色素生成", "cosmetics"), ("精华淡化色斑", "cosmetics"), ("一抹抚平皱纹", "cosmetics"),
        ("喝出细胞再生", "food"), ("奶粉调节免疫", "food"),
        ("这件裙子最显气质", "general"), ("本季最吸睛的单品", "general"), ("行业龙头企业出品", "general"),
        ("有史以来最轻的一代", "general"), ("店铺人气王", "general"), ("夏季出行的上上之选", "general"),
        ("更年期失眠喝它就改善", "food"), ("喝了老寒腿好转", "food"),
    ]
    for text, pc in claims:
        assert engine.screen(text, product_category=pc).findings, (text, pc)
    lawful = [
        "周末去国家级森林公园露营", "半永久纹眉工具套装", "通宵玩极品飞车", "敏捷开发的最佳实践",
        "电脑装了防病毒软件", "更年期的妈妈也能穿的宽松款",
    ]
    for text in lawful:
        r = engine.screen(text)
        assert r.decision == "pass", (text, r.findings)
    r = engine.screen("透气性极佳的面料")
    assert r.decision == "pass" and [f.severity for f in r.findings] == ["low"]


def test_low_terms_that_are_claims_in_their_sector(engine) -> None:
    """祛痘 needs an efficacy evaluation in cosmetics (medium, like 美白); claiming a 保健 effect for
    a food or a liquor is a function claim, the bare word stays low."""
    assert engine.screen("祛痘精华液", product_category="cosmetics").decision == "review"
    assert engine.screen("这款黄酒有保健作用", product_category="alcohol").decision != "pass"
    assert engine.screen("坚持喝有预防保健的效果", product_category="food").decision != "pass"
    assert engine.screen("养生保健茶礼盒", product_category="food").decision == "pass"


def test_claim_classes_added_in_2026_12_1(engine) -> None:
    """Cure narratives, organs next to a repair word, epidemic claims, education score and admission
    promises, property returns, non-GM labels, recovery guarantees of medical aesthetics, weight
    lost with a product, farm yields and grey-hair claims: each class is caught in its sector, and
    the same words in lawful copy are not."""
    claims = [
        # outcome of a cure narrative with a health subject in the sentence
        ("坚持服用两个月,血脂指标恢复正常", "drug"), ("用了半年,腰椎的老病明显好转", "device"),
        ("喝了一周,失眠的症状逐渐消失", "health_food"), ("老伴的高血压现在都没问题了", "drug"),
        ("偏瘫三年的患者用后能生活自理", "device"), ("胃病吃这个半个月就能治好", "food"),
        # organ or tissue next to a repair word, words between
        ("胶囊可修复受损的视神经", "food"), ("每天一杯激活衰老的脑细胞", "food"),
        ("按摩仪让视力回到1.0", "general"), ("枕头帮助恢复颈椎曲度", "general"),
        # epidemic
        ("板蓝根冲剂预防新冠", "drug"), ("喷雾预防流感病毒", "general"), ("香薰精油预防甲流", "cosmetics"),
        # education: score gains and admissions, exam officials
        ("暑期班数学提高20分", "education"), ("冲刺营多考15分不是梦", "education"), ("去年学员考入清北十余人", "education"),
        ("留学申请包offer", "education"), ("阅卷老师亲自批改作文", "education"),
        # real estate: returns
        ("商铺售后包租十年", "real_estate"), ("公寓年收益8%", "real_estate"), ("小户型稳定回报", "real_estate"),
        # non-GM on a crop with no GM variety
        ("非转基因东北大米", "food"), ("非转基因花生油", "food"),
        # medical aesthetics
        ("双眼皮埋线创伤小恢复快", "medical_service"), ("隆鼻不开刀", "medical_service"),
        # weight lost with the product
        ("喝了3盒瘦了8斤", "food"), ("吃代餐一个月减重12斤", "food"),
        # farm inputs
        ("这款复合肥每亩增产15%", "general"), ("种子高产稳产", "general"),
        # hair
        ("洗发水让白发自然变黑", "cosmetics"), ("精华液固发防落", "cosmetics"),
    ]
    for text, pc in claims:
        r = engine.screen(text, product_category=pc)
        assert r.decision != "pass", (text, pc, r.findings)
    lawful = [
        ("网络故障已修复，服务恢复正常", "general"), ("快递停了两天，今天物流恢复正常", "general"),
        ("换了新路由器，卡顿明显好转", "general"), ("孕妇、高血压、糖尿病患者慎用", "food"),
        ("视力表挂在墙上很清楚", "general"), ("新冠疫苗接种点在二楼", "general"),
        ("模拟面试考官由讲师扮演", "education"), ("非转基因大豆压榨的豆油", "food"),
        ("最近瘦了5斤，这条裤子腰有点大", "general"), ("学员平均每天练习两小时", "education"),
        ("小区绿化率高，步行到公园", "real_estate"),
    ]
    for text, pc in lawful:
        r = engine.screen(text, product_category=pc)
        assert r.decision == "pass", (text, pc, r.findings)


def test_every_medium_and_high_term_has_an_alternative_or_the_reason_it_has_none() -> None:
    """`python cli.py lexicon stats`: 0 medium/high terms with neither a suggestion nor an
    explicit null with its no_suggestion_reason (tests/test_suggestions.py screens each one)."""
    lex = load_lexicon()
    assert lex.warnings == []
    alt = lex.stats()["alternatives"]
    assert alt["missing"] == 0
    assert alt["medium_high"] == alt["with_suggestion"] + alt["null_with_reason"] >= 1000
    assert alt["with_suggestion"] >= 600 and alt["null_with_reason"] >= 400
    by_term = {t.term: t for t in lex.active_terms}
    assert by_term["全网第一"].suggestion and by_term["稳赚不赔"].suggestion == "收益与风险并存"
    assert by_term["根治"].suggestion is None and by_term["根治"].no_suggestion_reason.startswith("删除")
    assert by_term["糖尿病"].suggestion is None and "非医疗商品" in by_term["糖尿病"].no_suggestion_reason


def test_claim_classes_added_in_2026_12_2(engine) -> None:
    """Political events as sales hooks, prescription injectables in aesthetics ads, traditional-
    medicine syndromes next to an efficacy word, efficacy against common sense, beauty eaten or
    drunk, negative-ion health claims and a count of efficacies: each class is caught, and the same
    words in lawful copy are not."""
    claims = [
        ("喜迎二十大 全店满199减30", "general"), ("建党100周年纪念款白酒 限量发售", "alcohol"),
        ("深入学习讲话精神 本店茶叶八折", "food"),
        ("瘦脸针限时特价 一针见效", "medical_service"), ("肉毒素除皱 周末预约立减", "medical_service"),
        ("每天两袋 调理气血两虚", "food"), ("改善阴阳失调的养生茶", "food"),
        ("这款防晒霜越用越白", "cosmetics"), ("代餐奶昔 想瘦就瘦", "food"),
        ("胶原蛋白饮 喝出水光肌", "food"), ("硅藻泥墙面 释放负氧离子 呼吸更健康", "general"),
        ("一支精华 12种功效 全面护肤", "cosmetics"),
    ]
    for text, pc in claims:
        assert engine.screen(text, product_category=pc).findings, text
    lawful = [
        ("气血两虚的人群请遵医嘱食用", "food"),  # a syndrome named for a warning, no efficacy word
        ("负离子吹风机 速干不伤发", "general"),  # negative ions of a hair dryer, not 负氧离子 health claims
        ("三种口味可选 独立小包装", "food"), ("这款面霜越用越喜欢", "cosmetics"),
    ]
    for text, pc in lawful:
        assert not engine.screen(text, product_category=pc).findings, text


# 2026.12.3: classes of claims no list held (lexicons/SOURCES.md §10). Each case is this project's
# own wording of the class, with the lawful copy that shares its words.
CLAIMS_2026_12_3 = [
    # oral care that changes teeth (牙膏监督管理办法)
    ("儿童牙膏 促进宝宝长牙 草莓味", "cosmetics", "长牙"),
    ("美白牙贴 七天闭合牙缝", "cosmetics", "闭合牙缝"),
    ("含氟漱口水 修复牙釉质", "cosmetics", "闭合牙缝"),
    # injections and fillers promoted to the public
    ("玻尿酸填充 春季特惠 三天消肿", "medical_service", "注射瘦脸"),
    ("肉毒全脸随便打 一口价", "medical_service", "肉毒毒素"),
    ("热玛吉抗衰 告别苹果肌下垂", "medical_service", "咬肌肥大"),
    ("做完一次 眼下囊袋消失", "medical_service", "苹果肌复位"),
    # height promised in numbers
    ("儿童奶粉 坚持喝三个月长高5厘米", "food", "长高X厘米"),
    ("成长钙片 孩子身高140冲向150", "health_food", "X冲向X"),
    # named experts and state bodies as endorsers
    ("张文宏推荐的早餐奶 整箱特价", "food", "钟南山"),
    ("卫健委指定 家用消毒液", "general", "建设部"),
    ("国家重点推广产品 节能灯泡", "general", "国家知名企业"),
    # luck changed by goods
    ("手机壁纸换上就能破霉运", "general", "破霉运"),
    # miracle learning
    ("量子速读班 孩子蒙眼识字", "education", "量子速读"),
    ("速读课 3分钟读完一本书", "education", "X分钟看完一本书"),
    ("寒假冲刺班 助你轻松拿高分", "education", "拿下高分"),
    # sexual function for food
    ("男士草本压片糖 重振雄风", "food", "勃起"),
    ("玛咖片 一夜三次", "food", "一夜X次"),
    # goods that may not be sold or advertised
    ("车载防身甩棍 女生自卫", "general", "伸缩棍"),
    ("手游吃鸡辅助 透视自瞄一键开启", "general", "游戏外挂"),
    # formula likened to breast milk
    ("二段奶粉 母乳般温和好吸收", "infant_formula", "妈妈般"),
    # lungs, detox and functional disorders
    ("戒烟糖 帮老烟民清洗黑肺", "food", "黑肺"),
    ("罗汉果茶 清肺润喉", "food", "清肺"),
    ("果蔬酵素 排出体内重金属", "food", "重金属"),
    ("安神枕 改善植物神经紊乱", "general", "自主神经失调"),
    ("这款米酒 睡前一杯改善睡眠", "alcohol", "改善睡眠"),
    # layered guarantees in finance, diagnosis by a wristband
    ("稳健理财 三重保障 安心投资", "finance", "X重保障"),
    ("智能手环 24小时测血压心率", "general", "测血压"),
    # lottery predictions, cosmetics below the skin, government-backed investments
    ("双色球杀号软件 老师带你稳中", "general", "彩票计划"),
    ("玻尿酸精华 直达真皮层 深层补水", "cosmetics", "真皮层"),
    ("政信理财 政府兜底 年化8%", "finance", "政府兜底"),
]

LAWFUL_2026_12_3 = [
    ("婴儿牙胶 长牙期适用 食品级硅胶", "general"),  # an age, not a growth promise
    ("牙线棒 轻松清洁牙缝", "cosmetics"),
    ("罐头食品变质可能导致肉毒杆菌中毒", "general"),  # a food-safety warning
    ("女儿这一年长了5公分，去年的裤子都短了", "general"),  # a parent's note, no product taken
    ("男款T恤 身高170-175建议L码", "general"),  # a size chart
    ("张文宏医生在发布会上提醒大家勤洗手", "general"),  # news naming an expert
    ("卫健委发布新版膳食指南", "general"),
    ("本批次重金属检测合格 附检测报告", "food"),
    ("外挂式空调支架 加厚不锈钢", "general"),
    ("三重过滤 净水器滤芯", "general"),  # 重保障 is a finance claim only
    ("十五分钟看完一集动画", "education"),
    ("这本小说三小时就读完了，停不下来", "general"),
    ("电子血压计", "device"),  # a registered device may state what it measures
    ("头层牛皮真皮沙发 三人位", "general"),  # leather
    ("皮肤分为表皮层和真皮层，护肤品作用于表皮", "cosmetics"),  # anatomy, no claim of reaching it
]


@pytest.mark.parametrize(("text", "pc", "term"), CLAIMS_2026_12_3)
def test_claim_classes_added_in_2026_12_3(engine, text: str, pc: str, term: str) -> None:
    found = {f.term for f in engine.screen(text, content_type="ad", product_category=pc).findings}
    assert term in found, (text, found)


@pytest.mark.parametrize(("text", "pc"), LAWFUL_2026_12_3)
def test_lawful_copy_sharing_the_2026_12_3_words_is_not_flagged(engine, text: str, pc: str) -> None:
    result = engine.screen(text, content_type="post", product_category=pc)
    assert not [f for f in result.findings if f.severity != "low"], (text, result.findings)


def test_a_praising_word_holding_a_negative_cue_keeps_the_ranking(engine) -> None:
    """突破 holds 破 and 除臭 holds 臭; neither speaks ill of the goods, so 全国首家 stays a claim."""
    def terms(text: str) -> set[str]:
        return {f.term for f in engine.screen(text, product_category="general").findings}

    assert "全国首家" in terms("全国首家突破三百家门店的连锁茶饮")
    assert "最好用" in terms("最好用的除臭鞋垫")
    assert not terms("绝对是破的，别买")  # 破 alone still speaks ill


@pytest.mark.parametrize("text", ["专治关某炎 一贴见效", "关某炎", "糖某病人群专用", "高某压克星"])
def test_a_masked_disease_name_is_a_claim_without_an_efficacy_word(engine, text: str) -> None:
    """Lawful copy names a disease or does not; 关某炎 for 关节炎 is written to evade review."""
    findings = engine.screen(text, content_type="ad", product_category="food").findings
    assert [f for f in findings if f.category == "medical_claim"], text


def test_a_word_ending_in_a_negator_negates_nothing(engine) -> None:
    """告别 ends in 别 but says goodbye to the condition: 告别咬肌肥大 is a claim; 不 still negates."""
    def findings(text: str) -> list:
        return engine.screen(text, content_type="ad", product_category="medical_service").findings

    assert findings("瘦脸项目 告别咬肌肥大")
    assert not findings("瘦脸项目 不能改善咬肌肥大")


def test_a_mask_outside_a_medical_word_is_plain_language(engine) -> None:
    assert not engine.screen("某品牌同款 关节处加厚", product_category="general").findings


def test_a_term_made_of_the_ends_of_two_words_is_no_term(engine) -> None:
    """jieba cuts 交通|便利 and 独特|效果: 通便 and 特效 are not written there, and the claim written
    across two words keeps its own form (治疗效果, 神奇效果)."""
    def terms(text: str, pc: str) -> set[str]:
        return {f.term for f in engine.screen(text, content_type="ad", product_category=pc).findings}

    assert "通便" not in terms("酒店交通便利 早餐丰富", "food")
    assert "特效" not in terms("独特效果的补水面膜", "cosmetics")
    assert "通便" in terms("西梅汁 润肠通便", "food") or "润肠通便" in terms("西梅汁 润肠通便", "food")
    assert "奇效" in terms("背单词有神奇效果", "education")
    assert "疗效" in terms("对失眠有很好的治疗效果", "food")
