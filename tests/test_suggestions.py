"""The tool never recommends copy it would flag.

Every medium/high term of the packaged lexicons has a lawful alternative (``suggestion``) or an
explicit ``"suggestion": null`` with a ``no_suggestion_reason``. Each suggestion is put in place of
its term in carrier sentences of the term's sector and screened: the engine must report nothing on
the suggestion and the default pipeline (lexicons, rules, model, policy) must decide "pass".
"""

from __future__ import annotations

from typing import Any

from screening.engine.lexicon import Term

# Carrier sentences per sector: (product_category passed to the screener, templates). The first
# template of a sector is the one the whole pipeline must pass; the engine must be silent on the
# suggestion in every template.
CARRIERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "general": ("general", ("这款双肩包{}，通勤出游都合适。", "这款T恤{}，面料柔软。")),
    "cosmetics": ("cosmetics", ("这款面霜{}，适合日常护肤。", "这支洗面奶{}，早晚都能用。")),
    "food": ("food", ("这款零食{}，适合办公室分享。", "这款挂耳咖啡{}，冲泡方便。")),
    "health_food": ("health_food", ("这款维生素C咀嚼片{}，请按标签建议量食用。", "这款蛋白粉{}，冲调方便。")),
    "fsmp": ("general", ("这款特殊医学用途配方食品{}，请在医生或临床营养师指导下使用。",)),
    "infant_formula": ("infant_formula", ("这款婴儿配方奶粉{}，冲调方便。", "这款较大婴儿配方奶粉{}，罐装密封。")),
    "drug": ("drug", ("这款维生素片{}，请按说明书服用。", "这款感冒药{}，请按药品说明书使用。")),
    "device": ("device", ("这款电子血压计{}，请仔细阅读产品说明书。", "这款额温枪{}，操作简单。")),
    "medical_service": ("medical_service", ("本口腔诊所{}，欢迎预约咨询。", "本体检中心{}，周末也开放。")),
    "finance": ("finance", ("这款理财产品{}，理财有风险，投资需谨慎。", "这张信用卡{}，欢迎到网点咨询。")),
    "education": ("education", ("这门英语课程{}，欢迎预约试听。", "这套编程网课{}，可随时回看。")),
    "real_estate": ("real_estate", ("这个楼盘{}，欢迎到售楼处咨询。", "这个小区{}，周末可预约看房。")),
    "alcohol": ("alcohol", ("这款白酒{}，未成年人请勿饮酒。", "这款精酿啤酒{}，请适量饮用。")),
    "tobacco": ("general", ("这款打火机{}，外观简洁。",)),
}
SECTOR_OF = {"all": "general", "non_medical": "general"}


def sectors(term: Term) -> list[str]:
    """The carrier sectors a term is tested in: each sector it applies to (all → general)."""
    return sorted({SECTOR_OF.get(a, a) for a in term.applies_to})


def carrier_jobs(term: Term) -> list[tuple[str, str, int, int, bool]]:
    """(sentence, product_category, start, end, pipeline_must_pass) for the term's suggestion."""
    assert term.suggestion
    out = []
    for sector in sectors(term):
        pc, templates = CARRIERS[sector]
        for n, template in enumerate(templates):
            start = template.index("{}")
            out.append((template.format(term.suggestion), pc, start, start + len(term.suggestion), n == 0))
    return out


def suggestion_problems(screener: Any, engine: Any, terms: list[Term]) -> list[str]:
    """Every way a suggestion fails in its carriers: an engine finding on it, or no "pass"."""
    cases = [(t, *job) for t in terms if t.suggestion for job in carrier_jobs(t)]
    batch = [(text, "listing", pc, None) for _, text, pc, _, _, _ in cases]
    by_engine = engine.screen_batch(batch)
    by_pipeline = screener.screen_batch(batch)
    problems = []
    for (t, text, pc, start, end, must_pass), er, pr in zip(cases, by_engine, by_pipeline):
        hits = [f for f in er.findings if f.start < end and f.end > start]
        if hits:
            problems.append(f"{t.id} {t.term} → {t.suggestion}: engine flags "
                            f"{[(f.text, f.term_id) for f in hits]} in {text!r} ({pc})")
        if must_pass and pr.decision != "pass":
            problems.append(f"{t.id} {t.term} → {t.suggestion}: pipeline decides {pr.decision} "
                            f"(risk {pr.risk:.2f}, {[(f.text, f.term_id) for f in pr.findings]}) on {text!r} ({pc})")
    return problems


def test_every_medium_and_high_term_has_an_alternative_or_a_reason(screener) -> None:
    missing = [f"{t.source} {t.id} {t.term}" for t in screener.lexicon.active_terms
               if t.lacks_alternative]
    assert missing == []


def test_a_suggestion_is_never_the_term_or_a_form_of_it(screener) -> None:
    bad = [t.id for t in screener.lexicon.active_terms
           if t.needs_alternative and t.suggestion and any(f in t.suggestion for f in t.forms if "X" not in f)]
    assert bad == []


def test_every_suggestion_passes_in_place_of_its_term(screener, engine) -> None:
    terms = [t for t in screener.lexicon.active_terms if t.needs_alternative and t.suggestion]
    assert len(terms) >= 300
    assert suggestion_problems(screener, engine, terms) == []


def test_no_reason_beside_a_suggestion_and_every_reason_says_what_to_do(screener) -> None:
    terms = screener.lexicon.active_terms
    assert [t.id for t in terms if t.suggestion and t.no_suggestion_reason] == []
    reasons = [t for t in terms if t.needs_alternative and not t.suggestion]
    assert len(reasons) >= 100
    assert all(len(t.no_suggestion_reason) >= 8 for t in reasons)


def test_a_treatment_term_is_not_replaced_by_an_efficacy_cue(engine) -> None:
    """根治 → 改善 turned 根治鼻炎 into 改善鼻炎, still a disease claim: the alternative of a
    treatment word must leave a disease name beside it unflagged."""
    terms = [t for t in engine.lexicon.active_terms
             if t.category == "medical_claim" and t.suggestion and t.applies_to & {"all", "non_medical"}]
    assert terms
    flagged = []
    for t in terms:
        for disease in ("鼻炎", "湿疹", "失眠"):
            r = engine.screen(f"{t.suggestion}{disease}", product_category="general")
            if r.findings:
                flagged.append((t.id, t.suggestion, disease, [f.term_id for f in r.findings]))
    assert flagged == []
    assert engine.screen("改善鼻炎", product_category="general").findings  # the cue the old suggestion was


def test_carriers_alone_pass(screener) -> None:
    """The carriers the pipeline must pass are innocuous: a neutral filler passes in each."""
    jobs = [(templates[0].format("做工扎实"), "listing", pc, None) for pc, templates in CARRIERS.values()]
    results = screener.screen_batch(jobs)
    assert [(j[0], r.decision) for j, r in zip(jobs, results) if r.decision != "pass"] == []
