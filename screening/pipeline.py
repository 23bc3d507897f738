"""The screener: normalize → match → context rules → word check → decision.

``Screener`` is the public entry point. It is safe to share between threads: the automaton and
lexicon are read-only after construction and the word segmenter initialises under a lock.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import heap
from .about import __version__
from .classifier import ModelLoadError, RiskModel, load_model
from .categorize import Inference
from .errors import InputError
from .features import Featurizer, ModelCues, char_scores, masked, units
from .lexicon import Lexicon, Term, load_lexicon
from .matcher import Hit, Key, TermMatcher
from .normalize import Normalized, NormalizedBatch, has_visible, normalize, phrase_breaks, tables
from .policy import Policy
from .rules import EXEMPT, HitContext, RuleSet
from .segment import Segmenter, WordIndex, containing_token
from .types import (
    CATEGORY_ZH,
    CONTENT_TYPES,
    PRODUCT_CATEGORIES,
    SEVERITY_RANK,
    Finding,
    ScreeningResult,
    Suppressed,
)

logger = logging.getLogger(__name__)
_UNSEEN = object()

MODEL_NONE = "none (lexicon-only)"
DEFAULT_MODEL = "default"


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(timezone.utc)


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    term: Term
    severity: str
    rule: str | None = None
    rule_reason: str = ""
    # The span in the caller's text, which the checks, the finding and the explain view all need.
    original: tuple[int, int] = (0, 0)


# Bounded work per text. A text longer than MAX_TEXT_CHARS is an error for its record (a 1 MB
# document is screened; an 840 MB spreadsheet cell is not). Past MAX_HITS lexicon hits the rest is
# not adjudicated: each hit costs its context rules, and a text of nothing but claims (an attack,
# or a pasted word list) would otherwise cost minutes of CPU and a response of tens of MB. Such a
# result says where it stopped (``truncated``) and goes to a person.
MAX_TEXT_CHARS = 2_000_000
MAX_HITS = 2_000

_INVISIBLE = "text has nothing visible (only zero-width, control, filler or private-use characters)"


def _phrase(breaks: Sequence[int], start: int, end: int, length: int) -> tuple[int, int]:
    """The keyword (between two of a title's ``breaks``) holding ``start:end``; the whole text
    for a hit that straddles a break (全网 最好 as one evasion)."""
    k = bisect.bisect_right(breaks, start)
    lo = breaks[k - 1] if k else 0
    hi = breaks[k] if k < len(breaks) else length
    return (lo, hi) if end <= hi else (0, length)


def _crosses(breaks: Sequence[int], a: int, b: int, start: int, end: int) -> bool:
    """Whether ``a:b`` runs across a break outside the hit ``start:end``."""
    k = bisect.bisect_right(breaks, a)
    while k < len(breaks) and breaks[k] < b:
        if not start < breaks[k] < end:
            return True
        k += 1
    return False


@dataclass
class _Pass:
    norm: Normalized
    field: str | None
    findings: list[Finding]
    suppressed: list[Suppressed]
    # Normalized spans of hits a rule found lawful: the model reads them masked (features.masked).
    lawful: tuple[tuple[int, int], ...] = ()
    # Where in the caller's text adjudication stopped at the hit limit (None: it did not).
    cut_at: int | None = None

    @property
    def model_text(self) -> str:
        """The normalized text as the model reads it."""
        return masked(self.norm.text, self.lawful) if self.lawful else self.norm.text

    def units(self) -> list[tuple[tuple[int, int], tuple[int, int], str, list[Finding], list[Suppressed]]]:
        """The units the model scores (features.units), each as (normalized span, span in the
        caller's text, text as the model reads it, its findings, its suppressed hits). Training
        (screening.train.Design) and scoring share this, so they see the same rows."""
        text = self.model_text
        us = units(text)
        whole = len(us) == 1 or not (self.findings or self.suppressed)
        out = []
        for a, b in us:
            oa, ob = self.norm.to_original(a, b)
            if whole:  # one unit, or nothing to share out among them
                fs, ss = self.findings, self.suppressed
            else:  # findings carry the caller's offsets: compare with the unit's there
                fs = [f for f in self.findings if f.start < ob and f.end > oa]
                ss = [x for x in self.suppressed if x.start < ob and x.end > oa]
            out.append(((a, b), (oa, ob), text[a:b], fs, ss))
        return out


class _Cover:
    """Spans answering "which span covers [s, e)?" by binary search over starts and a running
    maximum of ends, so a long text with thousands of hits stays linear-logarithmic."""

    def __init__(self, spans: list[tuple[int, int, str]]) -> None:
        self.spans = sorted(spans)
        self.starts = [a for a, _, _ in self.spans]
        self.best: list[int] = []
        top = -1
        for i, (_, b, _) in enumerate(self.spans):
            if top < 0 or b > self.spans[top][1]:
                top = i
            self.best.append(top)

    def covering(self, start: int, end: int) -> tuple[int, int, str] | None:
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0:
            return None
        span = self.spans[self.best[i]]
        return span if span[1] >= end else None


def _glued(left: str, right: str) -> bool:
    """Two ASCII letters or two digits side by side belong to one token (desktop1, top10);
    a letter next to a digit does not (SPF30, 5G)."""
    if len(left) != 1 or len(right) != 1 or not (left.isascii() and right.isascii()):
        return False
    return (left.isalpha() and right.isalpha()) or (left.isdigit() and right.isdigit())


class Screener:
    """Screen Chinese e-commerce copy for advertising-law risk.

    >>> s = Screener()
    >>> r = s.screen("全网第一的面霜", product_category="cosmetics")
    >>> [(f.text, f.category) for f in r.findings]
    [('全网第一', 'absolute_claim')]
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        policy: Policy | None = None,
        *,
        matcher: TermMatcher | None = None,
        segmenter: Segmenter | None = None,
        clock: Callable[[], datetime] = utc_now,
        use_cache: bool = True,
        model: RiskModel | str | Path | None = DEFAULT_MODEL,
        max_text_chars: int = MAX_TEXT_CHARS,
        max_hits: int = MAX_HITS,
    ) -> None:
        if max_text_chars < 1 or max_hits < 1:
            raise ValueError("max_text_chars and max_hits must be positive")
        self.max_text_chars = max_text_chars
        self.max_hits = max_hits
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.policy = policy if policy is not None else Policy.load()
        self.matcher = matcher if matcher is not None else TermMatcher(self.lexicon, use_cache=use_cache)
        self.segmenter = segmenter if segmenter is not None else Segmenter()
        self.rules = RuleSet(self.lexicon.rules, self.segmenter)
        self.clock = clock
        self._lawful = {lp.id: lp for lp in self.lexicon.lawful}
        self._forms = {k.text for k in self.matcher.keys if k.term_ids}
        # Forms whose finding can depend on the product category: only a hit of one of them needs
        # the category inferred before the lexicon pass.
        terms = self.lexicon.terms
        self._sector_forms = frozenset(
            k.text for k in self.matcher.keys
            if any(terms[t].applies_to != {"all"} or terms[t].sector_severity for t in k.term_ids))
        self._term_choice: dict[tuple[str, str], tuple[Term, str] | None] = {}
        self._fold = tables()[0]
        self._word_index_cache: WordIndex | None = None
        self.featurizer = Featurizer(ModelCues.from_rules(self.lexicon.rules))
        self.model, model_label = self._load_model(model)
        self._engine_w = self.model.engine_weights(self.featurizer) if self.model is not None else None
        self.versions = {
            "screening": __version__,
            "lexicon": self.lexicon.version,
            "rules": self.rules.version,
            "model": model_label,
            "policy": self.policy.label,
        }
        # Product-category cues (lexicons/categories.toml): a "general" record gets its category
        # inferred from its text, for sector rules (capped) and routing (screening/categorize.py).
        self.categories = self.lexicon.categories
        self.versions["categories"] = self.categories.version if self.categories is not None else "none"

    def warm(self) -> Screener:
        """Load now what screening otherwise loads on first need — jieba's dictionary, the word
        index, the batch path's tables — e.g. before forking workers, so that they share it.
        Returns the screener."""
        _ = self._word_index, self.matcher.find_many(["预热"])
        self.segmenter.warm()
        NormalizedBatch(["预热"])
        return self

    @staticmethod
    def _load_model(model: RiskModel | str | Path | None) -> tuple[RiskModel | None, str]:
        """The model and its version label; any loading problem degrades to lexicon-only."""
        if model is None:
            return None, MODEL_NONE
        if isinstance(model, RiskModel):
            return model, model.label
        try:
            loaded = load_model(None if isinstance(model, str) and model == DEFAULT_MODEL else model)
        except ModelLoadError as e:
            logger.warning("risk model unavailable, screening lexicon-only: %s", e)
            return None, f"unavailable ({e}); lexicon-only"
        return loaded, loaded.label

    @classmethod
    def from_paths(
        cls,
        lexicon_dir: str | Path | None = None,
        policy_path: str | Path | None = None,
        *,
        user_lexicon: str | Path | None = None,
        use_cache: bool = True,
        model: str | Path | None = DEFAULT_MODEL,
    ) -> Screener:
        """Build a screener from lexicon files, a policy file and a model (defaults: packaged).

        ``user_lexicon`` (or the ``SCREENING_USER_LEXICON`` environment variable) names a user
        lexicon directory layered over the lexicons: extra terms and an allow-list. ``model``
        is a model directory, or ``None`` to screen lexicon-only.
        """
        user = user_lexicon or os.environ.get("SCREENING_USER_LEXICON") or None
        return cls(load_lexicon(lexicon_dir, user), Policy.load(policy_path), use_cache=use_cache, model=model)

    # ------------------------------------------------------------------ public API
    def screen(
        self,
        text: str,
        *,
        content_type: str = "listing",
        product_category: str = "general",
        id: str | None = None,
        now: datetime | None = None,
    ) -> ScreeningResult:
        """Screen one text.

        Raises:
            InputError: ``text`` is not a non-empty string, or a field has an unknown value.
        """
        if not isinstance(text, str):
            raise InputError(f"text must be a string, got {type(text).__name__}")
        if not text.strip():
            raise InputError("text is empty")
        self._check_length(text)
        if not has_visible(text):
            raise InputError(_INVISIBLE)
        self._check_fields(content_type, product_category)
        norm = normalize(text)
        hits = self.matcher.find(norm.text)
        # The category is inferred where it can change the outcome: before the lexicon pass for a
        # hit whose finding depends on the sector, else in _result for the route of a high finding.
        early = self._sector_hit(hits)
        inferred = self._infer([norm], product_category) if early else None
        p = self._pass(norm, product_category, content_type, hits=hits, inferred=inferred)
        return self._result(id, [p], content_type, product_category, now, inferred=inferred,
                            infer_from=None if early else ([norm], None))

    def screen_batch(
        self, jobs: Sequence[tuple[Any, Any, Any, str | None]], *, now: datetime | None = None
    ) -> list[ScreeningResult | InputError]:
        """Screen many texts at once, each given as ``(text, content_type, product_category, id)``.

        The results are :meth:`screen`'s for each text (with one clock reading for the batch),
        but the batch is normalized and matched as arrays (:class:`NormalizedBatch`,
        :meth:`TermMatcher.find_many`), and the texts with no hit — most of a catalogue — share
        one vectorized model score instead of paying the per-text path each;
        only texts with a hit, or that the model flags, take it. Where :meth:`screen` would
        raise, an :class:`InputError` stands in the text's place (an unexpected failure too, its
        message starting "internal error"): one bad record never costs the batch. While it
        runs, what existed before is left out of garbage collection (:func:`screening.heap.frozen`).
        """
        with heap.frozen():
            return self._screen_batch(jobs, now or self.clock())

    def _screen_batch(
        self, jobs: Sequence[tuple[Any, Any, Any, str | None]], now: datetime
    ) -> list[ScreeningResult | InputError]:
        out: list[ScreeningResult | InputError | None] = [None] * len(jobs)
        # (isspace: what strip() would say, without copying every text)
        todo = [i for i, (text, ct, pc, _) in enumerate(jobs)
                if isinstance(text, str) and ct in CONTENT_TYPES and pc in PRODUCT_CATEGORIES and text
                and len(text) <= self.max_text_chars and not text.isspace() and has_visible(text)]
        batch = NormalizedBatch([jobs[i][0] for i in todo])
        normed = batch.texts
        found = self.matcher.find_many(normed)
        clean = [k for k, hits in enumerate(found) if not hits]
        scores = None
        if self.model is not None and clean:
            assert self._engine_w is not None
            scores = self._clean_scores([normed[k] for k in clean], [jobs[todo[k]][2] for k in clean],
                                        [jobs[todo[k]][1] for k in clean])
        decided: dict[tuple[str, str], Any] = {}
        flagged: list[int] = []  # clean texts the model sends to a person: scored with the hits below
        for j, k in enumerate(clean):
            i = todo[k]
            _, ct, pc, rid = jobs[i]
            if scores is None:
                d = decided.get((ct, pc))
                if d is None:
                    d = decided[ct, pc] = self.policy.decide((), content_type=ct, product_category=pc, now=now)
            else:
                risk = self.model.probability(float(scores[j]))  # type: ignore[union-attr]
                if self.policy.model_flags(risk, ()):
                    flagged.append(k)  # its model finding needs the unit-by-unit pass below
                    continue
                d = self.policy.decide((), risk=risk, content_type=ct, product_category=pc, now=now)
            if d.decision != "pass":
                continue  # routed: its category is inferred there, as screen() does
            out[i] = ScreeningResult(rid, d.decision, d.risk, d.severity, (), d.route, dict(self.versions))
        # Texts with a hit, and clean ones the model flagged, take the full pass each; the model
        # scores all their passes at once.
        passes: list[tuple[int, _Pass]] = []
        inferences: dict[int, Inference | None] = {}
        for k in sorted(flagged + [k for k, hits in enumerate(found) if hits]):
            i = todo[k]
            _, ct, pc, _ = jobs[i]
            try:
                norm = batch.get(k)
                if self._sector_hit(found[k]):
                    inferences[i] = self._infer([norm], pc)
                passes.append((i, self._pass(norm, pc, ct, hits=found[k], inferred=inferences.get(i))))
            except Exception:  # isolated below, one by one
                pass
        risks: Sequence[tuple[float, tuple[int, int]] | None] = [None] * len(passes)
        if self.model is not None and passes:
            risks = self._risks([p for _, p in passes], [jobs[i][2] for i, _ in passes], [jobs[i][1] for i, _ in passes])
        for (i, p), risk in zip(passes, risks):
            _, ct, pc, rid = jobs[i]
            out[i] = self._result(rid, [p], ct, pc, now, None if risk is None else [risk], inferred=inferences.get(i),
                                  infer_from=None if i in inferences else ([p.norm], None))
        for i, job in enumerate(jobs):
            if out[i] is None:
                out[i] = self._one(job, now)
        return out  # type: ignore[return-value]

    def screen_fields(
        self,
        texts: Mapping[str, Any],
        *,
        content_type: str = "listing",
        product_category: str = "general",
        id: str | None = None,
        now: datetime | None = None,
    ) -> ScreeningResult:
        """Screen several text fields of one record together (标题 + 详情).

        Each finding's ``field`` names its field and its offsets point into that field's text;
        the decision covers all fields. Empty fields are skipped; all empty is an error.

        Raises:
            InputError: a field is not text, every field is empty, or a value is unknown.
        """
        self._check_fields(content_type, product_category)
        fields: list[tuple[str, Normalized]] = []
        for name, text in texts.items():
            if text is None:
                continue
            if not isinstance(text, str):
                raise InputError(f"field {name!r} is not text ({type(text).__name__})")
            self._check_length(text, name)
            if text.strip():
                fields.append((name, normalize(text)))
        if not fields:
            names = ", ".join(texts) or "none given"
            raise InputError("text is empty" if len(texts) == 1 else f"all text fields are empty ({names})")
        if not any(has_visible(n.original) for _, n in fields):
            raise InputError(_INVISIBLE)
        # One category for the record, from all its fields together (evidence names its field),
        # inferred where it can change the outcome, as in screen().
        found = [self.matcher.find(n.text) for _, n in fields]
        infer_from = ([n for _, n in fields], [name for name, _ in fields])
        early = any(self._sector_hit(hits) for hits in found)
        inferred = self._infer(infer_from[0], product_category, infer_from[1]) if early else None
        passes = [self._pass(n, product_category, content_type, field=name, hits=hits, inferred=inferred)
                  for (name, n), hits in zip(fields, found)]
        return self._result(id, passes, content_type, product_category, now, inferred=inferred,
                            infer_from=None if early else infer_from)

    def _check_fields(self, content_type: Any, product_category: Any) -> None:
        if content_type not in CONTENT_TYPES:
            raise InputError(f"content_type {content_type!r} is not one of {list(CONTENT_TYPES)}")
        if product_category not in PRODUCT_CATEGORIES:
            raise InputError(f"product_category {product_category!r} is not one of {list(PRODUCT_CATEGORIES)}")

    def _result(
        self,
        rid: str | None,
        passes: list[_Pass],
        content_type: str,
        product_category: str,
        now: datetime | None,
        risks: Sequence[tuple[float, tuple[int, int]]] | None = None,
        inferred: Inference | None = None,
        infer_from: tuple[Sequence[Normalized], Sequence[str] | None] | None = None,
    ) -> ScreeningResult:
        """The result of a record's passes. ``infer_from`` (texts and field names) is given when
        the category was not inferred yet because no hit depended on it: it is inferred then only
        where it can change the route, a high finding going to a person (policy.route)."""
        findings = [f for p in passes for f in p.findings]
        suppressed = [s for p in passes for s in p.suppressed]
        risk = None
        if self.model is not None:
            if risks is None:
                risks = self._risks(passes, [product_category] * len(passes), [content_type] * len(passes))
            (risk, unit), riskiest = max(zip(risks, passes), key=lambda x: x[0][0])
            if self.policy.model_flags(risk, findings):
                findings.append(self._model_finding(riskiest, risk, unit))
        # An inferred category routes like a given one (high findings of a regulated sector go to
        # risk_control); the model above still sees the category the caller gave.
        route_pc = inferred.category if inferred is not None else product_category
        now = now or self.clock()
        d = self.policy.decide(findings, risk=risk, content_type=content_type, product_category=route_pc, now=now)
        if d.severity == "high" and d.decision != "pass" and infer_from is not None:
            inferred = self._infer(infer_from[0], product_category, infer_from[1])
            if inferred is not None:
                d = self.policy.decide(findings, risk=risk, content_type=content_type,
                                       product_category=inferred.category, now=now)
        cut = [p for p in passes if p.cut_at is not None]
        truncated = None
        if cut:
            where = ", ".join(f"{p.field + ' ' if p.field else ''}from character {p.cut_at:,}" for p in cut)
            truncated = (f"more than {self.max_hits:,} lexicon hits in one text: the rest was not checked ({where}); "
                         "a person must read it")
            if d.decision == "pass":  # what was not read is no pass
                d = self.policy.error_decision(content_type=content_type, product_category=route_pc, now=now)
        return ScreeningResult(
            id=rid,
            decision=d.decision,
            risk=d.risk,
            severity=d.severity,
            findings=tuple(findings),
            route=d.route,
            versions=dict(self.versions),
            error=None,
            suppressed=tuple(suppressed),
            inferred_category=inferred,
            truncated=truncated,
        )

    def screen_record(self, record: Any, *, require_id: bool = False, now: datetime | None = None) -> ScreeningResult:
        """Screen one input record (contract fields); never raises for a bad record.

        A bad record gets a result with ``error`` set and decision ``review``, so nothing bad
        slips through as ``pass``.
        """
        return self._records([record], require_id, now)[0]

    def screen_many(
        self, records: Iterable[Any], *, on_error: str = "flag", require_id: bool = True, batch_size: int = 1024
    ) -> Iterator[ScreeningResult]:
        """Screen records in input order, one result per record.

        Records are screened ``batch_size`` at a time (see :meth:`screen_batch`); results are
        the same as one by one. Until the results are all taken (or the iterator is closed), what
        existed before is left out of garbage collection (:func:`screening.heap.frozen`).

        Args:
            records: mappings with the contract's input fields.
            on_error: ``flag`` puts the error in the record's result; ``raise`` raises it.
            require_id: a record without an id is an error for that record (batch input).
        """
        if on_error not in ("flag", "raise"):
            raise ValueError("on_error must be 'flag' or 'raise'")
        it = iter(records)
        n = 0
        # Frozen for the whole run, the caller's work between batches included (heap.py).
        with heap.frozen():
            while chunk := list(itertools.islice(it, batch_size)):
                for result in self._records(chunk, require_id, None):
                    if result.error and on_error == "raise":
                        raise InputError(f"record {n} ({result.id or 'no id'}): {result.error}")
                    n += 1
                    yield result

    def _records(self, records: list[Any], require_id: bool, now: datetime | None) -> list[ScreeningResult]:
        now = now or self.clock()
        jobs: list[tuple[Any, Any, Any, str | None]] = []
        where: list[int] = []
        out: list[ScreeningResult | None] = [None] * len(records)
        for i, record in enumerate(records):
            rid = None
            try:
                if type(record) is not dict and not isinstance(record, Mapping):
                    raise InputError(f"record must be an object, got {type(record).__name__}")
                rid = record.get("id")
                if rid is not None and not isinstance(rid, str):
                    rid = str(rid)
                if require_id and not rid:
                    raise InputError("record has no id")
                if "text" not in record:
                    raise InputError("record has no text field")
            except InputError as e:
                fields = record if isinstance(record, Mapping) else {}
                ct, pc = fields.get("content_type") or "listing", fields.get("product_category") or "general"
                out[i] = self.error_result(rid, str(e), ct, pc, now)
                continue
            jobs.append((record["text"], record.get("content_type") or "listing",
                         record.get("product_category") or "general", rid))
            where.append(i)
        try:
            results = self.screen_batch(jobs, now=now)
        except Exception:  # a bug must not lose the batch: screen one by one to isolate it
            logger.exception("batch screening failed; screening its records one by one")
            results = [self._one(job, now) for job in jobs]
        for i, job, r in zip(where, jobs, results):
            out[i] = r if isinstance(r, ScreeningResult) else self.error_result(job[3], str(r), job[1], job[2], now)
        return out  # type: ignore[return-value]

    def _one(self, job: tuple[Any, Any, Any, str | None], now: datetime) -> ScreeningResult | InputError:
        text, ct, pc, rid = job
        try:
            return self.screen(text, content_type=ct, product_category=pc, id=rid, now=now)
        except InputError as e:
            return e
        except Exception as e:  # a bug must not lose the record: report it and go on
            logger.exception("screening failed for record %r", rid)
            return InputError(f"internal error: {type(e).__name__}: {e}")

    # ------------------------------------------------------------------ internals
    def _check_length(self, text: str, name: str | None = None) -> None:
        if len(text) > self.max_text_chars:
            what = "text" if name is None else f"field {name!r}"
            raise InputError(f"{what} is {len(text):,} characters; the limit is {self.max_text_chars:,} per text")

    def error_result(
        self,
        rid: str | None,
        message: str,
        content_type: Any = "listing",
        product_category: Any = "general",
        now: datetime | None = None,
    ) -> ScreeningResult:
        """The result for a record that could not be screened: ``error`` set, decision review."""
        ct = content_type if content_type in CONTENT_TYPES else "listing"
        pc = product_category if product_category in PRODUCT_CATEGORIES else "general"
        d = self.policy.error_decision(content_type=ct, product_category=pc, now=now or self.clock())
        return ScreeningResult(
            id=rid,
            decision=d.decision,
            risk=d.risk,
            severity=d.severity,
            findings=(),
            route=d.route,
            versions=dict(self.versions),
            error=message,
        )

    def _severity(self, term: Term, product_category: str) -> str:
        sev = term.severity_for(product_category)
        if product_category == "general" and term.sector_specific():
            cap = self.rules.unknown_category_cap
            if SEVERITY_RANK[sev] > SEVERITY_RANK[cap]:
                sev = cap
        return sev

    def _sector_hit(self, hits: Sequence[Hit]) -> bool:
        """Whether a hit's finding could depend on the product category."""
        forms = self._sector_forms
        return any(h.key.text in forms for h in hits)

    def _infer(self, norms: Sequence[Normalized], product_category: str,
               fields: Sequence[str] | None = None) -> Inference | None:
        """The category inferred from the text(s) of a record given as ``general``, else None."""
        if product_category != "general" or self.categories is None:
            return None
        if fields is None:
            return self.categories.infer(norms[0])
        return self.categories.infer_fields(list(zip(fields, norms)))

    def _inferred_severity(self, term: Term, inferred: str, general: str | None) -> str:
        """A term's severity for an inferred category: the category's, but never above the
        unknown-category cap unless the record as general already said so (inference alone
        never raises a finding above medium), and never below the general severity."""
        sev = term.severity_for(inferred)
        cap = self.rules.unknown_category_cap
        ceiling = general if general is not None and SEVERITY_RANK[general] > SEVERITY_RANK[cap] else cap
        if SEVERITY_RANK[sev] > SEVERITY_RANK[ceiling]:
            sev = ceiling
        if general is not None and SEVERITY_RANK[general] > SEVERITY_RANK[sev]:
            sev = general
        return sev

    def _candidates(
        self, text: str, hits: list[Hit], product_category: str, inferred: str | None = None
    ) -> tuple[list[_Candidate], dict[str, list[tuple[int, int, str]]], list[tuple[int, int, str]]]:
        allow: dict[str, list[tuple[int, int, str]]] = {}
        lawful: list[tuple[int, int, str]] = []
        candidates = []
        for h in hits:
            key = h.key
            for tid in key.allow_for:
                allow.setdefault(tid, []).append((h.start, h.end, key.text))
            for lid in key.lawful_ids:
                if self._lawful[lid].applies(product_category):
                    lawful.append((h.start, h.end, lid))
            if key.term_ids:
                ck = (key.text, product_category if inferred is None else f"{product_category}>{inferred}")
                choice = self._term_choice.get(ck, _UNSEEN)
                if choice is _UNSEEN:
                    choice = self._term_choice[ck] = self._choose_term(key, product_category, inferred)
                if choice is not None:
                    candidates.append(_Candidate(h.start, h.end, *choice))
        return candidates, allow, lawful

    def _choose_term(self, key: Key, product_category: str, inferred: str | None = None) -> tuple[Term, str] | None:
        # A form can belong to several terms: the one of highest severity for the category
        # speaks for the hit. The same for every hit of the form, so worked out once per pair.
        # With an inferred category, a term of that sector applies too (capped: _inferred_severity).
        best: tuple[Term, str] | None = None
        for tid in key.term_ids:
            term = self.lexicon.terms[tid]
            general = self._severity(term, product_category) if term.applies(product_category) else None
            if inferred is not None and term.applies(inferred):
                sev = self._inferred_severity(term, inferred, general)
            elif general is None:
                continue
            else:
                sev = general
            if best is None or SEVERITY_RANK[sev] > SEVERITY_RANK[best[1]]:
                best = (term, sev)
        return best

    def _covers(
        self, allow: dict[str, list[tuple[int, int, str]]], lawful: list[tuple[int, int, str]]
    ) -> tuple[dict[str, _Cover], _Cover, dict[str, _Cover]]:
        by_term: dict[str, list[tuple[int, int, str]]] = {}
        general = []
        for span in lawful:
            lp = self._lawful[span[2]]
            if lp.term_ids:
                for tid in lp.term_ids:
                    by_term.setdefault(tid, []).append(span)
            else:
                general.append(span)
        return ({tid: _Cover(spans) for tid, spans in allow.items()}, _Cover(general),
                {tid: _Cover(spans) for tid, spans in by_term.items()})

    def _pass(self, norm: Normalized, product_category: str, content_type: str, field: str | None = None,
              hits: list[Hit] | None = None, inferred: Inference | None = None) -> _Pass:
        """The lexicon pass over one text: findings and suppressed hits (``hits``: the matcher's,
        when a batch has found them already)."""
        text = norm.text
        if hits is None:
            hits = self.matcher.find(text)
        if not hits:
            return _Pass(norm, field, [], [])
        cut_at = None
        if len(hits) > self.max_hits:
            hits = sorted(hits, key=lambda h: (h.start, -h.end))[: self.max_hits]
            cut_at = norm.position(hits[-1].start)
        inferred_pc = inferred.category if inferred is not None else None
        candidates, allow, lawful = self._candidates(text, hits, product_category, inferred_pc)
        covers = self._covers(allow, lawful) if allow or lawful else None
        suppressed: list[tuple[_Candidate, str, str]] = []
        kept: list[_Candidate] = []
        # Context rules read a hit's neighbours within its keyword, not across a title's spaces.
        breaks = phrase_breaks(norm)
        for c in candidates:
            c.original = norm.to_original(c.start, c.end)
            why = self._lawful_reason(norm, c, covers, breaks)
            if why is None:
                ctx = HitContext(text, c.start, c.end, c.term, product_category, content_type, norm.original,
                                 c.original)
                if breaks:
                    ctx.phrase_start, ctx.phrase_end = _phrase(breaks, c.start, c.end, len(text))
                out = self.rules.apply(ctx)
                if out is not None and out.verdict != EXEMPT:
                    why = (out.rule, out.reason)
                elif out is not None:
                    c.rule, c.rule_reason, c.severity = out.rule, out.reason, "low"
            if why is None:
                kept.append(c)
            else:
                suppressed.append((c, *why))
        kept = self._word_check(text, kept, suppressed, breaks)
        if len(kept) + len(suppressed) > 1:  # one hit alone is inside no other
            kept = self._drop_contained(kept, [c for c, _, _ in suppressed], suppressed)
        findings = [self._finding(norm, c, product_category, field, inferred_pc) for c in kept]
        # A hit inside a longer reported term is not lawful, only spoken for by that term.
        lawful_spans = tuple((c.start, c.end) for c, rule, _ in suppressed if rule != "contained")
        return _Pass(
            norm, field, findings, [self._suppressed(norm, c, rule, reason) for c, rule, reason in suppressed],
            lawful_spans, cut_at,
        )

    # ------------------------------------------------------------------ the model
    def _unit_decisions(self, texts: Sequence[str], engine: np.ndarray) -> np.ndarray:
        """The model's uncalibrated score of each unit text, given its engine features' dot product."""
        model = self.model
        assert model is not None
        return char_scores(texts, model.weights) + engine + model.bias

    def _clean_scores(self, texts: Sequence[str], product_categories: Sequence[str],
                      content_types: Sequence[str]) -> np.ndarray:
        """The uncalibrated score of each text the lexicon found nothing in: its riskiest unit's,
        every unit of the batch scored as one array."""
        assert self._engine_w is not None
        spans = [units(t) for t in texts]
        counts = np.fromiter(map(len, spans), dtype=np.int64, count=len(spans))
        owner = np.repeat(np.arange(len(texts)), counts)
        flat = [t[a:b] for t, u in zip(texts, spans) for a, b in u]
        engine = self.featurizer.clean_engine_scores(flat, product_categories, content_types, self._engine_w, owner)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return np.maximum.reduceat(self._unit_decisions(flat, engine), starts)

    def _risks(self, passes: Sequence[_Pass], product_categories: Sequence[str],
               content_types: Sequence[str]) -> list[tuple[float, tuple[int, int]]]:
        """Each pass's calibrated risk, its riskiest unit's, with that unit's span in the normalized
        text; every unit of every pass scored as one batch."""
        model, fz, w = self.model, self.featurizer, self._engine_w
        assert model is not None and w is not None
        flat: list[str] = []
        spans: list[tuple[int, int]] = []
        owner: list[int] = []
        fs: list[list[Finding]] = []
        ss: list[list[Suppressed]] = []
        for k, p in enumerate(passes):
            for span, _, text, unit_findings, unit_suppressed in p.units():
                flat.append(text)
                spans.append(span)
                owner.append(k)
                fs.append(unit_findings)
                ss.append(unit_suppressed)
        pcs = [product_categories[k] for k in owner]
        cts = [content_types[k] for k in owner]
        d = self._unit_decisions(flat, fz.engine_rows(flat, fs, ss, pcs, cts) @ w)
        best: list[tuple[float, tuple[int, int]]] = [(-math.inf, (0, 0))] * len(passes)
        for k, score, span in zip(owner, d.tolist(), spans):
            if score > best[k][0]:
                best[k] = (score, span)
        return [(model.probability(score), span) for score, span in best]

    def _model_finding(self, p: _Pass, risk: float, unit: tuple[int, int]) -> Finding:
        """A model_risk finding on the unit the model scored highest."""
        start, end = p.norm.to_original(*unit)
        return Finding(
            start=start,
            end=end,
            text=p.norm.original[start:end],
            term="",
            term_id="",
            category="model_risk",
            severity=self.policy.model_severity,
            basis="广告法第四条、第二十八条（疑似虚假或引人误解的宣传，需人工判断）",
            suggestion=None,
            detector="model",
            confidence=round(risk, 4),
            explanation=f"未命中词库，模型判断此句风险最高（违规概率 {risk:.0%}），请人工复核",
            field=p.field,
        )

    def _lawful_reason(
        self, norm: Normalized, c: _Candidate, covers: tuple[dict[str, _Cover], _Cover, dict[str, _Cover]] | None,
        breaks: Sequence[int] = (),
    ) -> tuple[str, str] | None:
        form = norm.text[c.start : c.end]
        # Letters and digits glued to the hit in the ORIGINAL text make it part of a longer
        # token (desktop1); noise between them (SPF50+ 100%) keeps them apart.
        start, end = c.original
        original = norm.original
        table = self._fold
        # (isascii first: most forms are Chinese at both ends, and then nothing can be glued)
        if (form[0].isascii() and start > 0
                and _glued(table.get(ord(original[start - 1]), original[start - 1]), form[0])) or (
            form[-1].isascii() and end < len(original)
                and _glued(form[-1], table.get(ord(original[end]), original[end]))
        ):
            return "ascii_boundary", f"“{form}”是更长字母数字串的一部分"
        if covers is None:
            return None
        allow, general, by_term = covers
        if c.term.id in allow:
            span = allow[c.term.id].covering(c.start, c.end)
            # 第一次 is a time sense, but 面膜 第一 次元周边 are two keywords: a context phrase
            # read across a title's break is no context of the hit.
            if span is not None and not (breaks and _crosses(breaks, span[0], span[1], c.start, c.end)):
                return "allow_context", f"允许语境“{span[2]}”"
        span = general.covering(c.start, c.end)
        if span is None and c.term.id in by_term:
            span = by_term[c.term.id].covering(c.start, c.end)
        if span is not None:
            lp = self._lawful[span[2]]
            return "lawful_phrase", f"合规表述“{lp.phrase}”：{lp.reason}"
        return None

    @property
    def _word_index(self) -> WordIndex:
        # Loaded on first use: the dictionary is only needed once a hit needs a word check.
        if self._word_index_cache is None:
            self._word_index_cache = self.segmenter.word_index(self._forms, self.rules.min_frequency)
        return self._word_index_cache

    def _word_check(
        self, text: str, kept: list[_Candidate], suppressed: list[tuple[_Candidate, str, str]],
        breaks: Sequence[int] = (),
    ) -> list[_Candidate]:
        """Drop hits that jieba sees inside a longer everyday word (首饰, 安全网)."""
        # Segmenting costs more than the rest of a hit's checks; skip it wherever no longer word
        # of the dictionary can hold a hit: first by the form (祛斑 is in no longer word), then
        # by the words actually around it (第一 is in 第一次, but is 第一次 here?).
        index = self._word_index
        if not any(c.term.is_pattern or text[c.start : c.end] in index for c in kept):
            return kept
        spans = [(c.start, c.end) for c in kept]
        if not self.segmenter.inside_a_word(text, spans, self.rules.min_frequency, index):
            return kept
        tokens = self.segmenter.tokens_around(text, spans)
        starts = [t.start for t in tokens]
        keep_suffixes = self.rules.cue("part_of_word", "keep_suffixes")
        keep_prefixes = self.rules.cue("part_of_word", "keep_prefixes")
        out = []
        for c in kept:
            tok = containing_token(tokens, c.start, c.end, starts)
            # jieba reads 第一次 in 面膜 第一 次元周边, where the title's space ends the word
            if tok is not None and breaks and _crosses(breaks, tok.start, tok.end, c.start, c.end):
                tok = None
            if tok is not None and tok.text not in self._forms:
                head = tok.text[: c.start - tok.start]
                tail = tok.text[c.end - tok.start :]
                claim_kept = (
                    tok.text.startswith("最")
                    or (not head and tail.startswith(keep_suffixes))
                    or (not tail and head.endswith(keep_prefixes))
                )
                if not claim_kept and self.segmenter.word_frequency(tok.text) >= self.rules.min_frequency:
                    suppressed.append((c, "part_of_word", f"属于词语“{tok.text}”，非独立用语"))
                    continue
            out.append(c)
        return out

    @staticmethod
    def _drop_contained(
        kept: list[_Candidate], lawful: list[_Candidate], suppressed: list[tuple[_Candidate, str, str]]
    ) -> list[_Candidate]:
        """The longest term wins: a hit inside a longer hit (第一 in 全网第一, 降糖 in 降糖药) is its
        part, reported or suppressed with it; partial overlaps (最好第一) both stay.

        One sweep in (start, longest first) order with the furthest-reaching span so far.
        """
        order = sorted([(c, True) for c in kept] + [(c, False) for c in lawful],
                       key=lambda x: (x[0].start, -x[0].end))
        out: list[_Candidate] = []
        reach: _Candidate | None = None
        for c, is_kept in order:
            if is_kept:
                if reach is not None and reach.end >= c.end and reach.end - reach.start > c.end - c.start:
                    suppressed.append((c, "contained", f"包含在“{reach.term.term}”中"))
                    continue
                out.append(c)
            if reach is None or c.end > reach.end:
                reach = c
        return out

    def _finding(self, norm: Normalized, c: _Candidate, product_category: str, field: str | None,
                 inferred: str | None = None) -> Finding:
        start, end = c.original
        t = c.term
        explanation = t.explanation or f"{CATEGORY_ZH[t.category]}（{t.basis}）"
        if c.rule:
            explanation = f"{explanation}；{c.rule_reason}"
        elif product_category == "general" and t.sector_specific():
            guess = f"，按文案推断的类目 {inferred} 判断" if inferred is not None and t.applies(inferred) else ""
            explanation = f"{explanation}；行业规则（{'/'.join(sorted(t.applies_to))}）{guess}，请确认商品类目"
        return Finding(
            start=start,
            end=end,
            text=norm.original[start:end],
            term=t.term,
            term_id=t.id,
            category=t.category,
            severity=c.severity,
            basis=t.basis,
            suggestion=t.suggestion,
            detector="pattern" if t.is_pattern else "lexicon",
            confidence=0.5 if c.rule else 0.9,
            explanation=explanation,
            rule=c.rule,
            field=field,
            suggestion_reason=t.no_suggestion_reason,
        )

    @staticmethod
    def _suppressed(norm: Normalized, c: _Candidate, rule: str, reason: str) -> Suppressed:
        start, end = c.original
        return Suppressed(start, end, norm.original[start:end], c.term.term, c.term.id, rule, reason)
