"""Compliance staff extend the lexicons without code: a user layer of terms and an allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TINY
from screening import LexiconError, Screener
from screening.engine.curate import add_allow, add_term, lookup
from screening.engine.lexicon import load_lexicon


def test_lookup_shows_entries_and_hits_inside_a_string(tiny_lexicon) -> None:
    info = lookup(tiny_lexicon, "全网第一")
    assert [t["id"] for t in info["terms"]] == ["ABS-0003"]
    assert {e["id"] for h in info["hits"] for e in h["entries"] if e["kind"] == "term"} == {
        "ABS-0003", "ABS-0006", "ABS-0002"}
    assert lookup(tiny_lexicon, "ABS-0001")["terms"][0]["term"] == "最好"
    assert lookup(tiny_lexicon, "ＮＯ．１")["terms"][0]["id"] == "ABS-0002"


def test_added_terms_are_found_and_versioned(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    tid = add_term(user, "宇宙第一", category="absolute_claim", severity="high", basis="广告法第九条第三项",
                   suggestion="口碑好", lexicon_dir=TINY)
    assert tid == "U-ABS-0001"
    assert add_term(user, "天下无敌", category="absolute_claim", severity="medium", basis="广告法第九条第三项",
                    lexicon_dir=TINY) == "U-ABS-0002"
    lex = load_lexicon(TINY, user)
    assert lex.version.startswith("0.0.1-test+user.")
    r = Screener(lex, model=None).screen("宇宙第一的口碑")
    assert [(f.text, f.term_id, f.suggestion) for f in r.findings] == [("宇宙第一", "U-ABS-0001", "口碑好")]
    assert r.decision == "block"


def test_a_bad_addition_is_rejected_and_nothing_is_written(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    add_term(user, "宇宙第一", category="absolute_claim", severity="high", basis="b", lexicon_dir=TINY)
    before = (user / "terms.jsonl").read_text(encoding="utf-8")
    with pytest.raises(LexiconError, match="duplicates a form of ABS-0001"):
        add_term(user, "最 好", category="absolute_claim", severity="high", basis="b", lexicon_dir=TINY)
    with pytest.raises(LexiconError, match="severity 'huge'"):
        add_term(user, "天下第一", category="absolute_claim", severity="huge", basis="b", lexicon_dir=TINY)
    assert (user / "terms.jsonl").read_text(encoding="utf-8") == before


def test_allow_list_phrase_and_disabled_term(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    assert add_allow(user, phrase="第一中学", reason="校名", lexicon_dir=TINY) == "U-ALW-0001"
    add_allow(user, term_id="ABS-0006", disable=True, reason="本平台不限制“全网”", lexicon_dir=TINY)
    s = Screener(load_lexicon(TINY, user), model=None)
    r = s.screen("第一中学门口的文具店，全网同款")
    assert r.findings == ()
    assert {x.rule for x in r.suppressed} == {"lawful_phrase"}
    assert s.screen("销量第一").findings  # the allow-list is a phrase, not a blanket exemption


def test_allow_entry_limited_to_one_term(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    add_allow(user, phrase="最好的时光", term_id="ABS-0001", reason="歌名", lexicon_dir=TINY)
    s = Screener(load_lexicon(TINY, user), model=None)
    assert s.screen("最好的时光").findings == ()


def test_allow_entry_for_an_unknown_term_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="term_id 'ABS-9999' is not a term"):
        add_allow(tmp_path / "mine", term_id="ABS-9999", disable=True, reason="x", lexicon_dir=TINY)
    assert not (tmp_path / "mine" / "allow.jsonl").exists()
