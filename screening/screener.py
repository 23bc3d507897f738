"""The screener: normalize → match → context rules → word check → decision.

``Screener`` is the public entry point. It is safe to share between threads: the automaton and
lexicon are read-only after construction and the word segmenter initialises under a lock.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import heap
from .about import __version__
from .engine.adjudicate import MAX_HITS, Adjudicator, Pass
from .engine.categorize import Inference
from .engine.lexicon import Lexicon, load_lexicon
from .engine.matcher import TermMatcher
from .engine.normalize import Normalized, NormalizedBatch, has_visible, normalize
from .engine.policy import Policy
from .engine.rules import RuleSet
from .engine.segment import Segmenter
from .errors import InputError
from .model.classifier import ModelLoadError, RiskModel, load_model
from .model.features import Featurizer, ModelCues, char_scores, masked, unit_texts, units
from .types import (
    CONTENT_TYPES,
    PRODUCT_CATEGORIES,
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




# Bounded work per text. A text longer than MAX_TEXT_CHARS is an error for its record (a 1 MB
# document is screened; an 840 MB spreadsheet cell is not). Past MAX_HITS lexicon hits the rest is
# not adjudicated: each hit costs its context rules, and a text of nothing but claims (an attack,
# or a pasted word list) would otherwise cost minutes of CPU and a response of tens of MB. Such a
# result says where it stopped (``truncated``) and goes to a person.
MAX_TEXT_CHARS = 2_000_000

_INVISIBLE = "text has nothing visible (only zero-width, control, filler or private-use characters)"
# No answer worked out yet (None is an answer: no category).
_UNSEEN: Any = object()


def model_text(p: Pass) -> str:
    """A pass's normalized text as the model reads it: hits a rule found lawful masked."""
    return masked(p.norm.text, p.lawful) if p.lawful else p.norm.text

def unit_rows(p: Pass) -> list[tuple[tuple[int, int], str, list[Finding], list[Suppressed]]]:
    """The units the model scores (features.units), each as (normalized span, text as the model
    reads it, its findings, its suppressed hits): the rows of :func:`pass_units` without the
    span in the caller's text, which costs two binary searches a unit. Scoring a batch
    (:meth:`Screener._risks`) shares the hits out to the units the same way, as arrays
    (Featurizer.unit_engine_rows), not as a list per unit."""
    text = model_text(p)
    us = units(text)
    if len(us) == 1 or not (p.findings or p.suppressed):  # one unit, or nothing to share out among them
        fs, ss = p.findings, p.suppressed
        return [((a, b), text[a:b], fs, ss) for a, b in us]
    # Findings and suppressed hits are compared with a unit in normalized offsets, as the pass
    # keeps them (to_original is strictly increasing, so a finding overlaps a unit there exactly
    # where it does in the caller's text): no two binary searches a unit.
    fs = list(zip(p.finding_spans, p.findings))
    ss = list(zip(p.suppressed_spans, p.suppressed))
    return [((a, b), text[a:b], [f for (s, e), f in fs if s < b and e > a],
             [x for (s, e), x in ss if s < b and e > a]) for a, b in us]


def pass_units(p: Pass) -> list[tuple[tuple[int, int], tuple[int, int], str, list[Finding], list[Suppressed]]]:
    """The units the model scores (features.units), each as (normalized span, span in the
    caller's text, text as the model reads it, its findings, its suppressed hits). Training
    (screening.evaluation.train.Design) reads these rows; scoring builds the same rows for a
    whole batch as arrays (Featurizer.unit_engine_rows), and a test holds the two equal, so
    both see the same units."""
    return [(span, p.norm.to_original(*span), text, fs, ss) for span, text, fs, ss in unit_rows(p)]


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
        self.adjudicator = Adjudicator(self.lexicon, self.matcher, self.segmenter, self.rules, max_hits=max_hits)
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
        # inferred from its text, for sector rules (capped) and routing (screening/engine/categorize.py).
        self.categories = self.lexicon.categories
        self.versions["categories"] = self.categories.version if self.categories is not None else "none"

    def warm(self) -> Screener:
        """Load now what screening otherwise loads on first need — jieba's dictionary, the word
        index, the batch path's tables — e.g. before forking workers, so that they share it.
        Returns the screener."""
        _ = self.adjudicator.word_index, self.matcher.find_many(["预热"])
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
        early = self.adjudicator.sector_hit(hits)
        inferred = self._infer([norm], product_category) if early else None
        p = self.adjudicator.adjudicate(norm, product_category, content_type, hits=hits, inferred=inferred)
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
                and len(text) <= self.max_text_chars and not text.isspace()]
        batch = NormalizedBatch([jobs[i][0] for i in todo])
        # Normalization keeps no invisible character but the line break, so a text that normalizes
        # to anything else shows something; only the rest (emoji, punctuation, or hostile input of
        # zero-width characters alone) are searched for a visible one, and those without are left
        # to screen(), which says why.
        hidden = {k for k, t in enumerate(batch.texts) if not t.strip("\n") and not has_visible(jobs[todo[k]][0])}
        if hidden:
            todo = [i for k, i in enumerate(todo) if k not in hidden]
            batch = NormalizedBatch([jobs[i][0] for i in todo])
        normed = batch.texts
        found = self.matcher.find_many(normed)
        clean = [k for k, hits in enumerate(found) if not hits]
        risks_clean: list[float] | None = None
        if self.model is not None and clean:
            assert self._engine_w is not None
            scored, riskiest = self._clean_scores([normed[k] for k in clean], [jobs[todo[k]][2] for k in clean],
                                                  [jobs[todo[k]][1] for k in clean])
            risks_clean = self.model.probabilities(scored.tolist())
        decided: dict[tuple[str, str], Any] = {}
        # Clean texts the model sends to a person, with their risk and riskiest unit: scored
        # above, they need only the full pass's offset map below (where the finding is), not a
        # second scoring of their units in _risks.
        flagged: dict[int, tuple[float, tuple[int, int]]] = {}
        model_flags, decide, versions = self.policy.model_flags, self.policy.decide, self.versions
        for j, k in enumerate(clean):
            i = todo[k]
            _, ct, pc, rid = jobs[i]
            if risks_clean is None:
                d = decided.get((ct, pc))
                if d is None:
                    d = decided[ct, pc] = decide((), content_type=ct, product_category=pc, now=now)
            else:
                risk = risks_clean[j]
                if model_flags(risk, ()):
                    flagged[k] = (risk, riskiest(j))
                    continue
                d = decide((), risk=risk, content_type=ct, product_category=pc, now=now)
            if d.decision != "pass":
                continue  # routed: its category is inferred there, as screen() does
            out[i] = ScreeningResult(rid, d.decision, d.risk, d.severity, (), d.route, dict(versions))
        # Texts with a hit, and clean ones the model flagged, take the full pass each; the model
        # scores all passes of texts with a hit at once.
        passes: list[tuple[int, Pass]] = []
        batch_index: list[int] = []  # each pass's text in the batch
        risks: list[tuple[float, tuple[int, int]] | None] = []  # known already (flagged), else None
        inferences: dict[int, Inference | None] = {}
        order = sorted([*flagged, *(k for k, hits in enumerate(found) if hits)])
        # Each text's offset map, built once: the category cues' evidence and the pass both read it.
        norms = {k: batch.get(k) for k in order}
        # The category of every text with a hit that depends on it, the cue walk one for all.
        sector = self._infer_batch(
            norms, [(k, jobs[todo[k]][2]) for k in order if self.adjudicator.sector_hit(found[k])])
        for k in order:
            i = todo[k]
            _, ct, pc, _ = jobs[i]
            try:
                norm = norms[k]
                if k in sector:
                    inferences[i] = sector[k]
                passes.append((i, self.adjudicator.adjudicate(norm, pc, ct, hits=found[k], inferred=inferences.get(i),
                                                              breaks=batch.phrase_breaks(k))))
                risks.append(flagged.get(k))
                batch_index.append(k)
            except Exception:  # isolated below, one by one
                pass
        unscored = [n for n, risk in enumerate(risks) if risk is None]
        if self.model is not None and unscored:
            scored_now = self._risks([passes[n][1] for n in unscored], [jobs[passes[n][0]][2] for n in unscored],
                                     [jobs[passes[n][0]][1] for n in unscored])
            for n, risk in zip(unscored, scored_now):
                risks[n] = risk
        # A high finding sent to a person is routed by the category inferred for a record given as
        # general (_result): the texts that may need it are inferred here as one batch, where
        # _result would walk each whole text alone.
        high_model = self.model is not None and self.policy.model_severity == "high"
        routing = self._infer_batch(norms, [
            (k, jobs[i][2]) for k, (i, p) in zip(batch_index, passes)
            if i not in inferences and (high_model or any(f.severity == "high" for f in p.findings))])
        for k, (i, p), risk in zip(batch_index, passes, risks):
            _, ct, pc, rid = jobs[i]
            out[i] = self._result(rid, [p], ct, pc, now, None if risk is None else [risk], inferred=inferences.get(i),
                                  infer_from=None if i in inferences else ([p.norm], None),
                                  routing=routing.get(k, _UNSEEN))
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
        early = any(self.adjudicator.sector_hit(hits) for hits in found)
        inferred = self._infer(infer_from[0], product_category, infer_from[1]) if early else None
        passes = [self.adjudicator.adjudicate(n, product_category, content_type, field=name, hits=hits, inferred=inferred)
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
        passes: list[Pass],
        content_type: str,
        product_category: str,
        now: datetime | None,
        risks: Sequence[tuple[float, tuple[int, int]]] | None = None,
        inferred: Inference | None = None,
        infer_from: tuple[Sequence[Normalized], Sequence[str] | None] | None = None,
        routing: Any = _UNSEEN,
    ) -> ScreeningResult:
        """The result of a record's passes. ``infer_from`` (texts and field names) is given when
        the category was not inferred yet because no hit depended on it: it is inferred then only
        where it can change the route, a high finding going to a person (policy.route), unless
        ``routing`` holds what that inference gives already (an Inference or None)."""
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
            inferred = (self._infer(infer_from[0], product_category, infer_from[1]) if routing is _UNSEEN
                        else routing)
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

    def _infer(self, norms: Sequence[Normalized], product_category: str,
               fields: Sequence[str] | None = None) -> Inference | None:
        """The category inferred from the text(s) of a record given as ``general``, else None."""
        if product_category != "general" or self.categories is None:
            return None
        if fields is None:
            return self.categories.infer(norms[0])
        return self.categories.infer_fields(list(zip(fields, norms)))

    def _infer_batch(self, norms: Mapping[int, Normalized], texts: Sequence[tuple[int, str]],
                     ) -> dict[int, Inference | None]:
        """:meth:`_infer` of texts ``k`` of a batch (``norms[k]``), given as ``(k, product_category)``."""
        out: dict[int, Inference | None] = {k: None for k, _ in texts}
        if self.categories is None:
            return out
        general = [k for k, pc in texts if pc == "general"]
        for k, found in zip(general, self.categories.find_many([norms[k].text for k in general])):
            if found is not None:
                out[k] = self.categories.inference(found, norms[k])
        return out

    def _unit_decisions(self, texts: Sequence[str], engine: np.ndarray) -> np.ndarray:
        """The model's uncalibrated score of each unit text, given its engine features' dot product."""
        model = self.model
        assert model is not None
        return char_scores(texts, model.weights) + engine + model.bias

    def _clean_scores(self, texts: Sequence[str], product_categories: Sequence[str], content_types: Sequence[str],
                      ) -> tuple[np.ndarray, Callable[[int], tuple[int, int]]]:
        """The uncalibrated score of each text the lexicon found nothing in: its riskiest unit's,
        every unit of the batch scored as one array; and where text ``j``'s riskiest unit is (its
        normalized span: the first unit with the highest score, as :meth:`_risks` picks it)."""
        assert self._engine_w is not None
        # Scoring reads the units' texts only; the few texts the model flags ask for spans.
        parts = [unit_texts(t) for t in texts]
        counts = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        owner = np.repeat(np.arange(len(texts)), counts)
        flat = list(itertools.chain.from_iterable(parts))
        engine = self.featurizer.clean_engine_scores(flat, product_categories, content_types, self._engine_w, owner)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        d = self._unit_decisions(flat, engine)
        best = np.maximum.reduceat(d, starts)

        def riskiest(j: int) -> tuple[int, int]:
            return units(texts[j])[int(np.argmax(d[starts[j]:starts[j] + counts[j]]))]

        return best, riskiest

    def _risks(self, passes: Sequence[Pass], product_categories: Sequence[str],
               content_types: Sequence[str]) -> list[tuple[float, tuple[int, int]]]:
        """Each pass's calibrated risk, its riskiest unit's, with that unit's span in the normalized
        text; every unit of every pass scored as one batch."""
        model, fz, w = self.model, self.featurizer, self._engine_w
        assert model is not None and w is not None
        if not passes:
            return []
        # unit_rows' units and rows, as arrays for the batch rather than a row of lists per unit.
        texts = [model_text(p) for p in passes]
        spans = [units(t) for t in texts]
        flat = [t[a:b] for t, u in zip(texts, spans) for a, b in u]
        hits = [(p.findings, p.finding_spans, p.suppressed, p.suppressed_spans) for p in passes]
        d = self._unit_decisions(flat, fz.unit_engine_rows(flat, spans, hits, product_categories, content_types) @ w)
        counts = np.fromiter(map(len, spans), dtype=np.intp, count=len(spans))
        first = np.cumsum(counts) - counts
        best = np.maximum.reduceat(d, first)
        # The first unit with the highest score (unit_rows' order), by pass.
        top = np.flatnonzero(d == np.repeat(best, counts))
        top = top[np.searchsorted(top, first)]
        at = list(itertools.chain.from_iterable(spans))
        return list(zip(model.probabilities(best.tolist()), [at[u] for u in top.tolist()]))

    def _model_finding(self, p: Pass, risk: float, unit: tuple[int, int]) -> Finding:
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

