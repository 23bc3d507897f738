"""The packaged lexicons: valid, large enough, covering every category and sector rule."""

from __future__ import annotations

from pathlib import Path

from screening.lexicon import load_lexicon
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
