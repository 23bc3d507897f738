"""Model features: a batch computes what one text at a time computes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engine.lexicon import load_lexicon
from screening.model.features import (
    CHAR_DIM,
    MASK,
    UNIT_MAX,
    Featurizer,
    ModelCues,
    _clause_units,
    char_scores,
    masked,
    unit_texts,
    units,
)
from screening.types import Finding, Suppressed

PIECES = ["血压", "降", "下来了", "三天", "7天", "喝了", "就", "皮肤", "白了", "头疼", "好了", "没有", "，", "。",
          "这款茶", "一个月", "用完", "以后"]


@pytest.fixture(scope="module")
def cues() -> ModelCues:
    # Built inside the test run, not at import: collection happens before the test cache
    # directory is in place, and loading the lexicon then would use the user's real cache.
    return ModelCues.from_rules(load_lexicon().rules)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("喝了三天血压就降下来了", (1.0, 1.0, 1.0)),  # symptom, outcome close after, duration before it
        ("血压高的人群慎用", (1.0, 0.0, 0.0)),  # a symptom word, no outcome
        ("用完皮肤白了两个度", (1.0, 1.0, 0.0)),
        ("温和配方，清爽不油腻", (0.0, 0.0, 0.0)),
    ],
)
def test_cue_counts_of_testimonial_claims(cues: ModelCues, text: str, expected: tuple[float, float, float]) -> None:
    assert cues.counts(text) == expected
    assert cues.counts_many([text]).tolist() == [list(expected)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=10).map("".join), max_size=8))
def test_a_batch_counts_each_text_as_it_would_alone(cues: ModelCues, texts: list[str]) -> None:
    # Joined texts must not lend a symptom in one text an outcome at the start of the next.
    assert cues.counts_many(texts).tolist() == [list(cues.counts(t)) for t in texts]


def test_engine_rows_of_a_batch_are_the_rows_of_each_text_alone(cues: ModelCues) -> None:
    fz = Featurizer(cues)
    finding = Finding(start=0, end=4, text="全网第一", term="全网第一", term_id="ABS-0003", category="absolute_claim",
                      severity="high", basis="广告法第九条", suggestion=None, detector="lexicon", confidence=0.9,
                      explanation="")
    exempt = replace(finding, rule="title", severity="low")
    dropped = Suppressed(0, 2, "第一", "第一", "ABS-0002", "time_ordinal", "序数")
    texts = ["全网第一的面霜", "第一次用，喝了三天血压就降下来了", "温和"]
    findings = [[finding, exempt], [], []]
    suppressed = [[], [dropped, dropped], []]
    pcs, cts = ["cosmetics", "food", "general"], ["listing", "live_script", "listing"]
    rows = fz.engine_rows(texts, findings, suppressed, pcs, cts)
    idx = {name: i for i, name in enumerate(fz.engine_names)}
    for r in range(3):
        assert rows[r].tolist() == fz.engine_part(texts[r], findings[r], suppressed[r], pcs[r], cts[r]).tolist()
    assert rows[0, idx["cat:absolute_claim"]] == pytest.approx(np.log1p(2))
    assert rows[0, idx["sev:high"]] == rows[0, idx["sev:low"]] == pytest.approx(np.log1p(1))
    assert rows[0, idx["exempt"]] == pytest.approx(np.log1p(1))
    assert rows[1, idx["rule:time_ordinal"]] == pytest.approx(np.log1p(2))
    assert rows[1, idx["symptom_near_outcome"]] == pytest.approx(np.log1p(1))
    assert rows[1, idx["pc:food"]] == rows[1, idx["ct:live_script"]] == rows[1, idx["bias_term"]] == 1.0
    assert rows[2, : idx["log_len"]].sum() == 0.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES + ["全网第一", "最好", "a", "1"]), max_size=12).map("".join), max_size=8))
def test_char_scores_of_a_batch_are_each_text_scored_alone(cues: ModelCues, texts: list[str]) -> None:
    weights = np.random.default_rng(7).normal(size=CHAR_DIM)
    fz = Featurizer(cues)
    alone = [float(weights[idx] @ vals) for idx, vals in map(fz.text_part, texts)]
    assert char_scores(texts, weights).tolist() == pytest.approx(alone, abs=1e-12)


def test_the_test_run_reads_and_writes_only_its_own_cache_directory() -> None:
    # A guard for the collection-time leak: the cache directory is the test run's from the start
    # (tests/conftest.py), and the normalization tables this process uses were written there,
    # not read from the user's cache by something built while test modules were imported.
    import os
    import tempfile
    from pathlib import Path

    from screening.cache import cache_dir
    from screening.engine.normalize import normalize

    where = cache_dir()
    assert os.environ["SCREENING_CACHE_DIR"] == str(where)
    assert where.name.startswith("screening-test-cache-") and where.parent == Path(tempfile.gettempdir())
    normalize("全网第一")
    assert list(where.glob("tables-*.json")), "normalization tables came from outside the test cache"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES + ["全网第一", "最好", "a", "1", ""]), max_size=12).map("".join),
                min_size=1, max_size=8))
def test_a_texts_char_score_does_not_depend_on_its_batch(texts: list[str]) -> None:
    # Not merely close: the same float, whatever else the batch holds (a clean text the model
    # flags keeps the score its batch gave it; it is not scored again).
    weights = np.random.default_rng(7).normal(size=CHAR_DIM)
    assert char_scores(texts, weights).tolist() == [char_scores([t], weights)[0] for t in texts]


# Clause pieces for units: short and long clauses, commas, sentence marks, and runs long enough
# (over 2 * UNIT_MAX) to be read in windows.
UNIT_PIECES = ["一", "二三", "四五六七八", "九" * 17, "十" * 39, "甲" * 41, "乙" * 79, "丙" * 80, "丁" * 81, "戊" * 150,
               ",", ":", "、", "。", "!", "?", ";", "\n", "…", " ", ",,", "a"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(UNIT_PIECES), max_size=30).map("".join))
def test_units_in_one_regex_pass_are_the_clause_by_clause_packing(text: str) -> None:
    # units packs clauses with one regex (_UNIT) and keeps the clause loop for long clauses
    # only: both must give what the loop gives for every text.
    expected = [(a, b) for a, b in _clause_units(text) if b - a > 2 or text[a:b].strip(",:、 ")] or [(0, len(text))]
    if len(text) <= UNIT_MAX and not any(m in text for m in "。!?;\n…"):
        expected = [(0, len(text))]
    assert units(text) == expected


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(UNIT_PIECES), max_size=30).map("".join))
def test_unit_texts_are_the_texts_of_the_units(text: str) -> None:
    # Scoring a clean text reads its units' texts straight from the regex; they must be the
    # units' texts, in order, or the model would score other units than it was trained on.
    assert unit_texts(text) == [text[a:b] for a, b in units(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="第一次用,最好冷藏", max_size=20),
       st.lists(st.tuples(st.integers(0, 22), st.integers(0, 6)), max_size=4))
def test_masking_by_slices_masks_what_masking_character_by_character_masks(
        text: str, spans: list[tuple[int, int]]) -> None:
    spans = [(a, a + n) for a, n in spans]  # overlapping, or reaching past the end, alike
    chars = list(text)
    for a, b in spans:
        chars[a:b] = MASK * (b - a)
    assert masked(text, spans) == "".join(chars)
