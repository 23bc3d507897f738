"""Category and content type names: the bundled file, matching, and users' files that extend it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening.batch.vocabulary import (
    FIELDS,
    Vocabulary,
    VocabularyError,
    bundled_vocabulary,
    load_vocabulary,
    name_key,
    parse_vocabulary,
)
from screening.types import CONTENT_TYPES, PRODUCT_CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("field", "name", "code"),
    [
        ("product_category", "化妆品", "cosmetics"),
        ("product_category", "美妆", "cosmetics"),
        ("product_category", "护肤", "cosmetics"),
        ("product_category", "Cosmetics", "cosmetics"),
        ("product_category", "普通食品", "food"),
        ("product_category", "食品", "food"),
        ("product_category", "保健食品", "health_food"),
        ("product_category", "保健品", "health_food"),
        ("product_category", "婴幼儿配方乳粉", "infant_formula"),
        ("product_category", "药品", "drug"),
        ("product_category", "医疗器械", "device"),
        ("product_category", "医美", "medical_service"),
        ("product_category", "理财", "finance"),
        ("product_category", "教育培训", "education"),
        ("product_category", "房地产", "real_estate"),
        ("product_category", "白酒", "alcohol"),
        ("product_category", "服装", "general"),
        ("content_type", "直播脚本", "live_script"),
        ("content_type", "直播", "live_script"),
        ("content_type", "短视频", "short_video"),
        ("content_type", "种草", "post"),
        ("content_type", "笔记", "post"),
        ("content_type", "帖子", "post"),
        ("content_type", "商品", "listing"),
        ("content_type", "标题", "listing"),
        ("content_type", "详情", "listing"),
        ("content_type", "广告", "ad"),
    ],
)
def test_bundled_names_map_to_the_contract_codes(field: str, name: str, code: str) -> None:
    assert bundled_vocabulary().code(field, name) == code


@pytest.mark.parametrize("name", [" 化妆品 ", "化 妆 品", "COSMETICS", "ｃｏｓｍｅｔｉｃｓ", "Ｃｏｓｍｅｔｉｃｓ\u3000"])
def test_names_match_whatever_their_case_width_and_spacing(name: str) -> None:
    assert bundled_vocabulary().code("product_category", name) == "cosmetics"


@pytest.mark.parametrize("code", ["health_food", "Health Food", "health-food", "ＨＥＡＬＴＨ＿ＦＯＯＤ"])
def test_every_spelling_of_a_code_is_the_code(code: str) -> None:
    assert bundled_vocabulary().code("product_category", code) == "health_food"


def test_every_code_names_itself_and_has_a_chinese_name() -> None:
    v = bundled_vocabulary()
    for field, codes in (("product_category", PRODUCT_CATEGORIES), ("content_type", CONTENT_TYPES)):
        for code in codes:
            assert v.code(field, code) == code
            names = [k for k, c in v.names[field].items() if c == code]
            assert any(HAN.search(n) for n in names), f"{field} {code} has no Chinese name"


def test_unknown_names_and_empty_values_name_nothing() -> None:
    v = bundled_vocabulary()
    assert v.code("product_category", "宠物用品") is None
    assert v.code("content_type", "电视购物") is None
    assert v.code("product_category", None) is None
    assert v.code("no_such_field", "化妆品") is None


def test_a_name_belongs_to_one_field_only() -> None:
    # 直播 is a content type, not a product category: a category column holding it is unknown.
    assert bundled_vocabulary().code("product_category", "直播") is None


def test_name_key_folds_width_case_and_spacing() -> None:
    assert name_key("  保健\u3000食品 ") == "保健食品"
    assert name_key("Live_Script") == name_key("live script") == name_key("ＬＩＶＥ－ＳＣＲＩＰＴ") == "livescript"


def test_bundled_file_is_versioned_and_shipped_as_package_data() -> None:
    v = bundled_vocabulary()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", v.version)
    assert (ROOT / "screening" / "data" / "category_names.toml").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"screening.data" = ["*.toml"' in pyproject


def test_a_user_file_adds_names_and_wins(tmp_path: Path) -> None:
    p = tmp_path / "店铺类目.toml"
    p.write_text('version = "shop-1"\n[product_category]\nhealth_food = ["滋补营养"]\nfood = ["保健品"]\n'
                 '[content_type]\npost = ["买家秀"]\n', encoding="utf-8")
    v = load_vocabulary(p)
    assert v.version == f"{bundled_vocabulary().version}+shop-1"
    assert v.code("product_category", "滋补营养") == "health_food"  # added
    assert v.code("product_category", "保健品") == "food"  # overridden
    assert v.code("product_category", "化妆品") == "cosmetics"  # the bundled names stay
    assert v.code("content_type", "买家秀") == "post"
    assert bundled_vocabulary().code("product_category", "保健品") == "health_food"  # the bundled one is untouched


def test_a_user_file_without_a_version_is_named_by_its_file(tmp_path: Path) -> None:
    p = tmp_path / "names.toml"
    p.write_text('[product_category]\ncosmetics = ["美容仪器"]\n', encoding="utf-8-sig")
    v = load_vocabulary(p)
    assert v.version.endswith("+names.toml") and v.code("product_category", "美容仪器") == "cosmetics"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[product_category\n", "not valid TOML"),
        ('version = "1"\n[product_category]\npets = ["宠物用品"]\n', "'pets' is not a product_category; one of general"),
        ('version = "1"\n[product_category]\ncosmetics = "化妆品"\n', "cosmetics must be a list of names"),
        ('version = "1"\n[product_category]\ncosmetics = ["美妆"]\nfood = ["美 妆"]\n',
         "'美 妆' is listed under both cosmetics and food"),
        ('version = "1"\n[product_category]\ncosmetics = [" "]\n', "cosmetics has an empty name"),
        ('version = "1"\n[categories]\ncosmetics = ["美妆"]\n', "unknown table or key 'categories'"),
        ('version = "1"\nproduct_category = 3\n', "product_category must be a table"),
        ('[product_category]\ncosmetics = ["美妆"]\n', "needs a version"),
    ],
)
def test_invalid_files_name_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(VocabularyError) as e:
        parse_vocabulary(text, "my_names.toml")
    assert str(e.value).startswith("my_names.toml: ") and problem in str(e.value)


def test_an_unreadable_user_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="cannot read the category names file .*missing.toml"):
        load_vocabulary(tmp_path / "missing.toml")


def test_vocabulary_is_a_plain_value() -> None:
    v = parse_vocabulary('version = "1"\n[content_type]\nlive_script = ["直播"]\n', "x.toml")
    assert v == parse_vocabulary('version = "1"\n[content_type]\nlive_script = ["直 播"]\n', "y.toml")
    assert isinstance(v, Vocabulary) and set(v.names) == set(FIELDS)
