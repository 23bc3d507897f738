"""The screener as a spaCy pipeline component (optional extra: ``pip install "screening[spacy]"``).

Teams that already run their copy through spaCy can add compliance screening as one more pipe
instead of calling :class:`~screening.Screener` by hand::

    import spacy
    import screening.integrations.spacy_component  # registers the "compliance_screen" factory

    nlp = spacy.blank("zh")
    nlp.add_pipe("compliance_screen", config={"product_category": "cosmetics"})
    doc = nlp("全网第一的面霜，7天美白")
    doc.spans["compliance"]      # one span per finding, labelled with its category
    doc._.compliance             # the contract result dict (docs/contract.md)

The component screens ``doc.text`` with its own normalization and matcher and only maps the
character offsets onto tokens, so it works with any tokenizer (``spacy.blank("zh")`` splits per
character). ``content_type``, ``product_category`` and ``id`` come from the config and can be
overridden per document through ``doc.user_data``.

Everything it writes lives in ``doc.user_data``, so it survives ``Doc.to_bytes`` and therefore
``nlp.pipe(..., n_process=N)``. ``span._.finding`` is a getter that looks a span's finding up in
``doc._.compliance``: values set on spans would be keyed by character offsets only, and two
findings on the same characters would overwrite each other.

``screening/__init__.py`` never imports this module, so ``import screening`` does not need spaCy.
"""

# No ``from __future__ import annotations`` here: spaCy validates the factory's config against
# its signature at runtime and needs real annotation objects, not strings.

import itertools
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

try:
    from spacy.language import Language
    from spacy.tokens import Doc, Span
except ImportError:
    raise ImportError('screening.integrations.spacy_component needs spaCy: pip install "screening[spacy]"') from None

from ..screener import DEFAULT_MODEL, Screener
from ..types import CONTENT_TYPES, PRODUCT_CATEGORIES

logger = logging.getLogger(__name__)

__all__ = ["FACTORY", "ComplianceScreen", "make_compliance_screen"]

FACTORY = "compliance_screen"
NO_MODEL = "none"
USER_DATA_KEYS = ("content_type", "product_category", "id")

DEFAULT_CONFIG: dict[str, Any] = {
    "lexicon_dir": None,
    "user_lexicon": None,
    "policy_path": None,
    "model": DEFAULT_MODEL,
    "content_type": "listing",
    "product_category": "general",
    "spans_key": "compliance",
}


def _finding_of(span: Span) -> dict[str, Any] | None:
    """The contract finding a span stands for, looked up in ``doc._.compliance``."""
    doc = span.doc
    result = doc._.compliance
    if not result:
        return None
    for f in result.get("findings", ()):
        if f["category"] != span.label_ or (f["term_id"] or "") != span.kb_id_:
            continue
        aligned = doc.char_span(f["start"], f["end"], alignment_mode="expand")
        if aligned is None or len(aligned) == 0:
            continue
        if (aligned.start_char, aligned.end_char) == (span.start_char, span.end_char):
            return dict(f)
    return None


def _register_extensions() -> None:
    # At import, not in the component's constructor: worker processes of nlp.pipe(n_process=...)
    # and code that only loads Docs from bytes must see the extensions too.
    Doc.set_extension("compliance", default=None, force=True)
    Span.set_extension("finding", getter=_finding_of, force=True)


_register_extensions()


def _model_arg(model: str | None) -> str | None:
    """Config value → ``Screener.from_paths(model=...)``."""
    if model is None or model.strip().lower() == NO_MODEL:
        return None
    if model == DEFAULT_MODEL:
        # The pipeline tests the default by identity; a string read back from a config is equal
        # to it but not the same object, and would be taken for a directory named "default".
        return DEFAULT_MODEL
    return model


class ComplianceScreen:
    """Screen each Doc for advertising-law risk and record the findings on it.

    Writes ``doc.spans[spans_key]`` (one span per finding that maps onto tokens, label = category,
    ``id_`` and ``kb_id_`` = term id) and ``doc._.compliance`` (the full contract result, every
    finding included). The :class:`~screening.Screener` is built on first use, so adding the pipe
    is cheap; it is never pickled, so worker processes rebuild it from the config.
    """

    def __init__(
        self,
        nlp: Language | None = None,
        name: str = FACTORY,
        *,
        lexicon_dir: str | Path | None = None,
        user_lexicon: str | Path | None = None,
        policy_path: str | Path | None = None,
        model: str | None = DEFAULT_MODEL,
        content_type: str = "listing",
        product_category: str = "general",
        spans_key: str = "compliance",
    ) -> None:
        """Check the settings; the screener itself is built on first use.

        Args:
            nlp: The pipeline (unused; spaCy passes it to every factory).
            name: The component's name in the pipeline.
            lexicon_dir: Lexicon directory (``None``: the packaged lexicons).
            user_lexicon: User lexicon directory layered over the lexicons (extra terms and an
                allow-list); ``None`` falls back to ``SCREENING_USER_LEXICON``.
            policy_path: Decision policy file (``None``: the packaged policy).
            model: ``"default"`` (packaged risk model), a model directory, or ``"none"``/``None``
                to screen lexicon-only.
            content_type: Default content type of the documents (contract vocabulary).
            product_category: Default product category of the documents (contract vocabulary).
            spans_key: The ``doc.spans`` key the findings are written to.

        Raises:
            ValueError: ``content_type`` or ``product_category`` is not in the contract's vocabulary.
        """
        if content_type not in CONTENT_TYPES:
            raise ValueError(f"content_type {content_type!r} is not one of {list(CONTENT_TYPES)}")
        if product_category not in PRODUCT_CATEGORIES:
            raise ValueError(f"product_category {product_category!r} is not one of {list(PRODUCT_CATEGORIES)}")
        self.name = name
        self.lexicon_dir = None if lexicon_dir is None else str(lexicon_dir)
        self.user_lexicon = None if user_lexicon is None else str(user_lexicon)
        self.policy_path = None if policy_path is None else str(policy_path)
        self.model = model
        self.content_type = content_type
        self.product_category = product_category
        self.spans_key = spans_key
        self._screener: Screener | None = None
        self._lock = threading.Lock()

    @property
    def screener(self) -> Screener:
        """The screener, built from the settings on first access."""
        if self._screener is None:
            with self._lock:
                if self._screener is None:
                    self._screener = Screener.from_paths(
                        self.lexicon_dir,
                        self.policy_path,
                        user_lexicon=self.user_lexicon,
                        model=_model_arg(self.model),
                    )
        return self._screener

    def initialize(self, get_examples: Any = None, *, nlp: Language | None = None) -> None:
        """Build the screener now (``nlp.initialize()``), so the first document is not slow."""
        self.screener  # noqa: B018 - the property builds and caches it

    def __call__(self, doc: Doc) -> Doc:
        """Screen ``doc.text`` and write the findings to the Doc.

        ``doc.user_data`` keys ``content_type``, ``product_category`` and ``id`` override the
        config for this Doc. A text that cannot be screened (empty, unknown content type) gets the
        screener's error result (decision ``review``) instead of an exception, as in batch scans.
        """
        return self._annotate(doc, self.screener.screen_record(self._record(doc)).to_dict())

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 256) -> Iterator[Doc]:
        """``nlp.pipe``'s path: Docs screened ``batch_size`` at a time (``Screener.screen_batch``:
        the same results as one by one, most of the per-text cost shared)."""
        stream = iter(stream)
        while docs := list(itertools.islice(stream, batch_size)):
            results = self.screener.screen_many([self._record(d) for d in docs], require_id=False,
                                                batch_size=batch_size)
            for doc, result in zip(docs, results):
                yield self._annotate(doc, result.to_dict())

    def _record(self, doc: Doc) -> dict[str, Any]:
        record: dict[str, Any] = {
            "text": doc.text,
            "content_type": self.content_type,
            "product_category": self.product_category,
        }
        for key in USER_DATA_KEYS:
            if doc.user_data.get(key) is not None:
                record[key] = doc.user_data[key]
        return record

    def _annotate(self, doc: Doc, result: dict[str, Any]) -> Doc:
        spans = []
        for f in result["findings"]:
            term_id = f["term_id"] or ""
            span = doc.char_span(
                f["start"], f["end"], label=f["category"], kb_id=term_id, span_id=term_id, alignment_mode="expand"
            )
            if span is None or len(span) == 0:
                # A finding on characters no token covers (only whitespace): it stays in
                # doc._.compliance, only the token view lacks it.
                logger.debug("finding %s at %d:%d covers no token", term_id, f["start"], f["end"])
                continue
            spans.append(span)
        doc.spans[self.spans_key] = spans
        doc._.compliance = result
        return doc

    def __getstate__(self) -> dict[str, Any]:
        # Only the settings: the screener (automaton, model arrays) is large, and a lock cannot be
        # pickled. Worker processes rebuild the screener on first use.
        return {k: v for k, v in self.__dict__.items() if k not in ("_screener", "_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._screener = None
        self._lock = threading.Lock()


@Language.factory(
    FACTORY,
    assigns=["doc.spans", "doc._.compliance"],
    default_config=DEFAULT_CONFIG,
)
def make_compliance_screen(
    nlp: Language,
    name: str,
    lexicon_dir: str | None,
    user_lexicon: str | None,
    policy_path: str | None,
    model: str | None,
    content_type: str,
    product_category: str,
    spans_key: str,
) -> ComplianceScreen:
    """Create the ``compliance_screen`` component (spaCy calls this from ``nlp.add_pipe``).

    Args:
        nlp: The pipeline.
        name: The component's name.
        lexicon_dir: Lexicon directory, or ``None`` for the packaged lexicons.
        user_lexicon: User lexicon directory, or ``None``.
        policy_path: Decision policy file, or ``None`` for the packaged policy.
        model: ``"default"``, a model directory, or ``"none"`` (or ``None``) for lexicon-only.
        content_type: Default content type (``listing``, ``ad``, ``live_script``, ...).
        product_category: Default product category (``general``, ``cosmetics``, ...).
        spans_key: The ``doc.spans`` key for the findings.

    Returns:
        The component; its screener is built on first use.
    """
    return ComplianceScreen(
        nlp,
        name,
        lexicon_dir=lexicon_dir,
        user_lexicon=user_lexicon,
        policy_path=policy_path,
        model=model,
        content_type=content_type,
        product_category=product_category,
        spans_key=spans_key,
    )
