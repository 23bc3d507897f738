"""Normalization keeps a map back to the caller's text, whatever it changed."""

from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine.normalize import NormalizedBatch, has_visible, normalize, phrase_breaks


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("ＮＯ．１", "no1"),  # full width to half width, case folded, noise dropped
        ("ＴＯＰ１爆款", "top1爆款"),
        ("①号链接", "1号链接"),  # enclosed numerals
        ("最佳療效", "最佳疗效"),  # traditional to simplified
        ("這款麵膜", "这款面膜"),
        ("最\u200b好", "最好"),  # zero-width space
        ("\ufeff最好", "最好"),  # byte-order mark
        ("最\u00ad好", "最好"),  # soft hyphen
        ("最\x07好", "最好"),  # control character
        ("最 好", "最好"),  # space
        ("最\u3000好", "最好"),  # ideographic space
        ("最*好", "最好"),
        ("第-一", "第一"),
        ("最⭐好", "最好"),  # symbol
        ("最😀好", "最好"),  # emoji outside the BMP
        ("“最好”", "最好"),  # quotes
        ("【全网第一】", "全网第一"),
        ("ZUI好", "zui好"),
    ],
)
def test_evasion_classes_normalize_to_the_plain_form(original: str, expected: str) -> None:
    assert normalize(original).text == expected


@pytest.mark.parametrize("sep", ["，", "。", "！", "？", "；", "：", "、", "…", "\n"])
def test_clause_punctuation_is_kept_so_terms_never_span_it(sep: str) -> None:
    n = normalize(f"最{sep}好")
    assert len(n.text) == 3


def test_offsets_point_into_the_original_text() -> None:
    original = "家人们 ＮＯ．１ 的 最 ⭐ 好 面霜"
    n = normalize(original)
    i = n.text.index("最好")
    start, end = n.to_original(i, i + 2)
    # Noise inside the span is part of what the reviewer sees; noise around it is not.
    assert original[start:end] == "最 ⭐ 好"
    j = n.text.index("no1")
    assert original[slice(*n.to_original(j, j + 3))] == "ＮＯ．１"


def test_text_without_noise_maps_identically() -> None:
    n = normalize("这款面霜是最好的选择")
    assert n.to_original(5, 7) == (5, 7)


def test_leading_noise_is_skipped_in_the_map() -> None:
    original = "  ⭐⭐最好"
    n = normalize(original)
    assert n.text == "最好"
    assert n.to_original(0, 2) == (4, 6)


# What renders blank or as an ordinary letter, by property: Hangul fillers, private use, lone
# surrogates (from JSON \\ud800 escapes), tags, variation selectors, format characters.
INVISIBLE = ["\u3164", "\uffa0", "\u115f", "\ue000", "\U000f0001", "\ud800", "\udc80", "\U000e0041",
             "\U000e007f", "\ufe0f", "\U000e0100", "\u200b", "\u2060", "\u00ad", "\u180e", "\x00", "\u202e"]


@pytest.mark.parametrize("ch", INVISIBLE)
def test_what_renders_blank_is_dropped_with_exact_offsets(ch: str) -> None:
    n = normalize(f"最{ch}好的面霜")
    assert n.text == "最好的面霜"
    assert n.to_original(0, 2) == (0, 3)  # the reviewer sees the disguised term whole
    assert n.to_original(2, 5) == (3, 6)


@pytest.mark.parametrize(("styled", "plain"), [("𝐓𝐎𝐏𝟏", "top1"), ("𝕋𝕆ℙ𝟙", "top1"), ("🄰🄱", "ab"), ("①流", "1流")])
def test_styled_letters_and_digits_fold_to_plain_ones(styled: str, plain: str) -> None:
    assert normalize(styled).text == plain


def test_a_text_with_nothing_visible_is_told_apart_from_copy() -> None:
    assert not has_visible("\u200b\u3164\x00\ue000  \ud800")
    assert has_visible("\u200b最好") and has_visible("👍")


def test_normalization_keeps_no_invisible_character_but_the_line_break() -> None:
    # The batch path relies on it: a text that normalizes to more than line breaks shows something,
    # and only the others are searched for a visible character.
    every = "".join(chr(cp) for cp in range(0x110000) if not 0xD800 <= cp < 0xE000)
    kept = {c for c in NormalizedBatch([every]).texts[0]} - {"\n"}
    assert len(kept) > 100_000  # (the batch did normalize the planes)
    assert all(has_visible(c) for c in kept)


def test_empty_and_all_noise_text() -> None:
    assert normalize("").text == ""
    n = normalize(" ⭐ ")
    assert n.text == ""
    assert n.to_original(0, 0) == (3, 3)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("最好第一全网ＮＯ．１ ⭐*-\u200b療效，。abcXYZ😀①")), max_size=40))
def test_map_is_monotonic_and_idempotent(s: str) -> None:
    n = normalize(s)
    positions = [n.position(i) for i in range(len(n.text))]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert all(0 <= p < len(s) for p in positions)
    # Each normalized character comes from the original character it maps to.
    for i, p in enumerate(positions):
        assert normalize(s[p]).text == n.text[i]
    assert normalize(n.text).text == n.text


def test_a_batch_normalizes_each_text_as_one_at_a_time() -> None:
    texts = ["全網第一", "最 好", "", "ＮＯ．１爆款", "最\x00好", "最好\udc80的\ue000", "⭐", "最😀好\r\n第-一"]
    assert NormalizedBatch(texts).texts == [normalize(t).text for t in texts]
    assert NormalizedBatch([]).texts == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("最好第一全网ＮＯ．１ ⭐*-\u200b療效，。abcXYZ😀①\x00\r\n")),
                        max_size=20), max_size=8))
def test_batch_normalization_matches_normalize_on_any_mix(texts: list[str]) -> None:
    assert NormalizedBatch(texts).texts == [normalize(t).text for t in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("最好第一全网ＮＯ．１ ⭐*-\u200b療效，。abcXYZ😀①\x00\r\n")),
                        max_size=20), max_size=8))
def test_a_batch_gives_each_text_the_offset_map_normalize_gives(texts: list[str]) -> None:
    batch = NormalizedBatch(texts)
    assert [batch.get(k) for k in range(len(texts))] == [normalize(t) for t in texts]


def test_an_emoji_inside_a_term_is_noise_and_a_line_break_stays() -> None:
    # Emoji (with a variation selector) inside a term are dropped; a line break ends a clause in
    # normalized text, and the matcher alone joins a term it splits (test_matcher).
    n = normalize("最❤️好\n用")
    assert n.text == "最好\n用"
    assert n.to_original(0, 2) == (0, 4)
    assert normalize("根🔥治").text == "根治"


def test_title_keyword_breaks_are_where_a_space_or_slash_parted_two_words() -> None:
    n = normalize("修护面霜 全网最好用/敏感肌救星")
    assert [n.text[i:] for i in phrase_breaks(n)] == ["全网最好用敏感肌救星", "敏感肌救星"]


@pytest.mark.parametrize("text", ["最 好 用", "最*好", "面霜最好用", "第 一 名 面霜"])
def test_no_break_inside_a_spaced_out_word_or_a_text_without_spaces(text: str) -> None:
    assert phrase_breaks(normalize(text)) == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("最好用第一全网面霜ab12 \t\u3000\xa0/／|｜丨\\【】[]，。")
                                                     + ["⭐", "*", "-", "\u200b", "😀", "\x00", "\n"]),
                        max_size=24), max_size=8))
def test_a_batch_gives_each_text_the_phrase_breaks_normalize_gives(texts: list[str]) -> None:
    # NormalizedBatch.phrase_breaks works the breaks out for the batch as arrays: a separator in
    # a gap, several in one, one (丨) that normalization keeps, noise at either end.
    batch = NormalizedBatch(texts)
    assert [batch.phrase_breaks(k) for k in range(len(texts))] == [phrase_breaks(normalize(t)) for t in texts]


def test_batch_phrase_breaks_of_titles() -> None:
    texts = ["修护面霜 全网最好用/敏感肌救星", "最 好 用", " 保温杯 316不锈钢 ", "面霜丨全网第一", "全网第一"]
    batch = NormalizedBatch(texts)
    assert [batch.phrase_breaks(k) for k in range(len(texts))] == [phrase_breaks(normalize(t)) for t in texts]
    assert batch.phrase_breaks(0) == (4, 9)


@functools.lru_cache(maxsize=1)
def _forms() -> list[str]:
    # (loaded in the test, not at collection: the lexicon cache lives in the tests' directory)
    from screening.engine.lexicon import load_lexicon

    lex = load_lexicon()
    return sorted({f for t in lex.terms.values() for f in t.forms if "X" not in f and len(f) > 1})


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_invisible_insertions_into_any_term_form_normalize_to_the_form(data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(_forms()))
    at = data.draw(st.lists(st.integers(1, len(form) - 1), min_size=1, max_size=3))
    chars = data.draw(st.lists(st.sampled_from(INVISIBLE), min_size=len(at), max_size=len(at)))
    disguised = form
    for i, ch in sorted(zip(at, chars), reverse=True):
        disguised = disguised[:i] + ch + disguised[i:]
    n = normalize(disguised)
    assert n.text == normalize(form).text
    assert n.to_original(0, len(n.text)) == (0, len(disguised))


# --- the tables themselves, built afresh (normalize() reads them from a cache) --------------------
@pytest.fixture(scope="module")
def built():
    from screening.engine.normalize import _build_tables

    table, ranges = _build_tables()
    noise = set()
    for a, b in ranges:
        assert a <= b
        noise.update(range(a, b + 1)) if b - a < 5000 else None
    return table, ranges, noise


def _in_ranges(ranges, cp: int) -> bool:
    return any(a <= cp <= b for a, b in ranges)


def test_built_tables_are_the_cached_ones(built) -> None:
    from screening.engine.normalize import _table_data

    table, ranges, _ = built
    cached_table, cached_ranges = _table_data()
    assert cached_table == table and [tuple(r) for r in cached_ranges] == ranges


@pytest.mark.parametrize(
    ("ch", "to"),
    [("\r", "\n"), ("Ａ", "a"), ("Ｚ", "z"), ("Q", "q"), ("１", "1"), ("①", "1"), ("療", "疗"), ("網", "网"),
     ("𝐓", "t"), ("𝟏", "1"), ("🄰", "a"), ("，", ","), ("！", "!"), ("\u3000", " ")],
)
def test_the_translate_table_folds_one_character_to_one(built, ch: str, to: str) -> None:
    assert built[0][ord(ch)] == to


@pytest.mark.parametrize("ch", ["a", "好", "1", ",", "\n", "⑴", "ß"])
def test_characters_already_plain_or_expanding_are_not_in_the_table(built, ch: str) -> None:
    assert ord(ch) not in built[0]  # ⑴ → (1) and ß → ss would break the one-to-one offset map


@pytest.mark.parametrize(
    "ch", [" ", "\u200b", "\u3164", "\uffa0", "\ufe0f", "\U000e0041", "\ue000", "\ud800", "😀", "⭐", "*", "-",
           "\x00", "\t", "\u00ad", "《", "\U0001f9ea", "\U00010400", "\U000f0000", "\U0010ffff"],
)
def test_noise_covers_what_renders_blank_or_decorates(built, ch: str) -> None:
    table, ranges, _ = built
    assert _in_ranges(ranges, ord(table.get(ord(ch), ch)))  # (what the character translates to)


@pytest.mark.parametrize("ch", ["a", "z", "0", "9", "好", "疗", ",", ";", ":", "!", "?", "。", "、", "…", "\n", "%",
                                "\U00020000", "\U0003134a", "ｱ"])
def test_content_and_clause_punctuation_are_not_noise(built, ch: str) -> None:
    table, ranges, _ = built
    assert not _in_ranges(ranges, ord(table.get(ord(ch), ch)))


def test_noise_ranges_are_sorted_merged_and_minimal(built) -> None:
    _, ranges, _ = built
    assert ranges == sorted(ranges)
    assert all(b + 1 < c for (_, b), (c, _) in itertools.pairwise(ranges))  # adjacent runs are merged
    # Planes 1 and 4-16 drop whole (their styled letters are folded by the table first).
    assert any(a <= 0x10000 and b == 0x1FFFF for a, b in ranges) and any(b == 0x10FFFF for a, b in ranges)
    assert not _in_ranges(ranges, 0x20000) and _in_ranges(ranges, 0x3FFFF)  # (unassigned)


def test_a_carriage_return_is_a_line_break_with_its_offset_kept() -> None:
    n = normalize("最\r好\r\n用")
    assert n.text == "最\n好\n\n用"
    assert n.to_original(0, 3) == (0, 3) and n.to_original(5, 6) == (5, 6)


def test_a_batch_offset_map_holds_plain_integers() -> None:
    n = NormalizedBatch(["最 好", "全网\u200b第一", "好"]).get(1)
    assert n._norm_starts == (0, 2) and n._orig_starts == (0, 3)
    assert all(type(x) is int for x in (*n._norm_starts, *n._orig_starts))
