"""Infer a record's product category from its text when the caller gave ``general``.

Most catalogue rows carry no category, and sector rules (化妆品, 保健食品, 药械, 金融 …) then
apply only capped (``rules.toml [sector] unknown_category_cap``). The cue words in
``lexicons/categories.toml`` (versioned data; the file's format is documented there) name the
category a text most likely belongs to: one Aho-Corasick pass over the normalized text,
leftmost-longest, so that a neutral word (茶几, 火药, 防晒衣) hides the cue inside it. A
category's score is the sum of the weights of its distinct cues; it is inferred only when the
score reaches ``min_score`` and beats the runner-up by ``min_margin``; weak or mixed evidence
leaves the record general.

>>> inf = infer_category("玻尿酸补水面霜 50ml")
>>> inf.category, [(e.text, e.start, e.end) for e in inf.evidence]
('cosmetics', [('补水', 3, 5), ('面霜', 5, 7)])
>>> infer_category("实木茶几 客厅") is None
True
"""

from __future__ import annotations

import bisect
import itertools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import numpy as np

from ..errors import LexiconError
from ..types import PRODUCT_CATEGORIES
from .normalize import Normalized, joined, normalize

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_FILE = "categories.toml"
NO_CUES = "none"


class Evidence(NamedTuple):
    """One cue found: ``text == original[start:end]`` (offsets into the caller's text, or into
    field ``field``'s text when a record's fields were screened together)."""

    text: str
    start: int
    end: int
    field: str | None = None


@dataclass(frozen=True)
class Inference:
    """The category inferred for a text, its score, confidence and the cues that say so."""

    category: str
    score: float
    confidence: float  # the winner's share of all categories' scores, 0..1
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """The result's ``inferred_category`` object (kept small: catalogue rows carry it)."""
        return {
            "category": self.category,
            "score": self.score,
            "evidence": [{"text": e.text, "start": e.start, "end": e.end, **({"field": e.field} if e.field else {})}
                         for e in self.evidence],
        }


def _glued(a: str, b: str) -> bool:
    """Two ASCII letters or two ASCII digits side by side belong to one token."""
    if not (a.isascii() and b.isascii()):
        return False
    return (a.isalpha() and b.isalpha()) or (a.isdigit() and b.isdigit())


class CategoryCues:
    """The compiled cue file: ``infer`` on a :class:`Normalized` text, ``find`` on normalized text."""

    def __init__(self, raw: dict[str, Any], source: str = "<categories>") -> None:
        problems: list[str] = []
        self.source = source
        self.version = str(raw.get("version") or "")
        if not self.version:
            problems.append(f"{source}: missing version")
        try:
            self.min_score = float(raw.get("min_score", 3.0))
            self.min_margin = float(raw.get("min_margin", 2.0))
            self.max_evidence = int(raw.get("max_evidence", 4))
        except (TypeError, ValueError) as e:
            problems.append(f"{source}: min_score, min_margin and max_evidence must be numbers ({e})")
            self.min_score, self.min_margin, self.max_evidence = 3.0, 2.0, 4
        # normalized cue -> ((category, weight), ...); neutral words map to ()
        table: dict[str, list[tuple[str, float]]] = {}
        self.labels: dict[str, str] = {}
        cats = raw.get("category")
        if not isinstance(cats, dict) or not cats:
            problems.append(f"{source}: no [category.*] tables")
            cats = {}
        for cat, spec in cats.items():
            where = f"{source}: [category.{cat}]"
            if cat not in PRODUCT_CATEGORIES or cat == "general":
                problems.append(f"{where}: unknown product category (allowed: {list(PRODUCT_CATEGORIES[1:])})")
                continue
            cues = spec.get("cues") if isinstance(spec, dict) else None
            if not isinstance(cues, dict) or not cues:
                problems.append(f"{where}: no cues")
                continue
            self.labels[cat] = str(spec.get("label") or cat)
            for word, weight in cues.items():
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
                    problems.append(f"{where}: cue {word!r} needs a positive number weight, got {weight!r}")
                    continue
                form = normalize(word).text
                if not form:
                    problems.append(f"{where}: cue {word!r} is empty once normalized")
                    continue
                table.setdefault(form, []).append((cat, float(weight)))
        neutral = raw.get("neutral", {}).get("words", []) if isinstance(raw.get("neutral", {}), dict) else None
        if not isinstance(neutral, list) or not all(isinstance(w, str) for w in neutral):
            problems.append(f"{source}: [neutral] words must be a list of strings")
            neutral = []
        for word in neutral:
            form = normalize(word).text
            if form in table:
                problems.append(f"{source}: neutral word {word!r} is also a cue")
            elif form:
                table[form] = []
        if problems:
            raise LexiconError(problems)
        self.cues = {form: tuple(v) for form, v in table.items()}
        self._automaton = ahocorasick.Automaton()
        for form, v in self.cues.items():
            ascii_ends = (form[0].isascii(), form[-1].isascii())
            self._automaton.add_word(form, (form, v, ascii_ends))
        self._automaton.make_automaton()
        # For find_many: which code points some cue (or neutral word) holds, and the cues' first
        # two code points (one-character cues apart), as sorted pair numbers.
        self._cue_chars = np.zeros(0x110000, dtype=bool)
        self._cue_chars[sorted({ord(ch) for form in self.cues for ch in form})] = True
        self._openings = np.array(sorted({ord(f[0]) << 21 | ord(f[1]) for f in self.cues if len(f) > 1}),
                                  dtype=np.uint64)
        self._singles = np.zeros(0x110000, dtype=bool)
        self._singles[[ord(f) for f in self.cues if len(f) == 1]] = True

    @classmethod
    def load(cls, path: str | Path) -> CategoryCues:
        """Read and validate a cue file.

        Raises:
            LexiconError: the file cannot be read or is invalid (every problem listed).
        """
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise LexiconError([f"{p}: cannot read category cues: {e}"]) from None
        return cls(raw, str(p))

    @classmethod
    def for_lexicon(cls, lexicon_dir: str | Path) -> CategoryCues | None:
        """The cues a lexicon directory's manifest names (``categories_file``), or None."""
        d = Path(lexicon_dir)
        try:
            manifest = tomllib.loads((d / "manifest.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        name = manifest.get("categories_file")
        return cls.load(d / name) if name else None

    def find(self, text: str) -> tuple[str, float, float, list[tuple[int, int]]] | None:
        """On normalized ``text``: (category, score, confidence, its cues' normalized spans), or None."""
        if not text:
            return None
        return self._score(text, self._automaton.iter_long(text))

    def find_many(self, texts: Sequence[str]) -> list[tuple[str, float, float, list[tuple[int, int]]] | None]:
        """:meth:`find` of each normalized text, the automaton walking only the stretches where
        a cue can be.

        The walk costs the same for every character, and most characters of copy are in no
        cue. Such a character sends the automaton back to its root with nothing pending (it
        reports what it had first, then rereads from there up to it), so the texts fall apart
        into runs of cue characters walked each on its own, followed by any character of no
        cue (NUL here: normalized text holds none); a run holding no cue's first two characters
        holds no cue either. The end of a text is no such character (a cue's prefix pending
        there is dropped, not reported: 国药准 ends without 药), so a run ending its text is
        walked alone; the others all as one string.
        """
        out: list[tuple[str, float, float, list[tuple[int, int]]] | None] = [None] * len(texts)
        if not texts:
            return out
        batch, ends = joined(texts)
        code = np.frombuffer(batch.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        cue_char = self._cue_chars[code]
        inside = np.concatenate(([False], cue_char, [False]))
        edge = np.diff(inside.view(np.int8))
        run_starts, run_ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
        may = self._singles[code]
        if self._openings.size and code.size > 1:
            # A cue's first two characters are both cue characters: only where two stand side by
            # side (a fifth of copy) is the pair looked up, a binary search each.
            at = np.flatnonzero(cue_char[:-1] & cue_char[1:])
            pair = code[at].astype(np.uint64) << np.uint64(21) | code[at + 1].astype(np.uint64)
            slot = np.minimum(np.searchsorted(self._openings, pair), self._openings.size - 1)
            may[at] |= self._openings[slot] == pair
        before = np.concatenate(([0], np.cumsum(may)))
        held = before[run_ends] > before[run_starts]
        last = np.zeros(code.size + 1, dtype=bool)
        last[ends] = True  # the NUL after each text, or the batch's end
        tail = last[run_ends[held]]
        starts, stops = run_starts[held], run_ends[held]
        inner_starts, inner_stops = starts[~tail].tolist(), stops[~tail].tolist()
        text_starts = [0, *(ends[:-1] + 1).tolist()]
        ends_list = ends.tolist()
        found: dict[int, list[tuple[int, Any]]] = {}
        walked = "".join(batch[a:b] + "\x00" for a, b in zip(inner_starts, inner_stops))
        at = list(itertools.accumulate((b - a + 1 for a, b in zip(inner_starts, inner_stops)), initial=0))
        for end, value in self._automaton.iter_long(walked):
            r = bisect.bisect_right(at, end) - 1
            g = inner_starts[r] + end - at[r]  # in the joined batch
            k = bisect.bisect_left(ends_list, g)
            found.setdefault(k, []).append((g - text_starts[k], value))
        for a, b in zip(starts[tail].tolist(), stops[tail].tolist()):  # (each its text's last run)
            k = bisect.bisect_left(ends_list, a)
            found.setdefault(k, []).extend((a + end - text_starts[k], value)
                                           for end, value in self._automaton.iter_long(batch[a:b]))
        for k, matches in found.items():
            out[k] = self._score(texts[k], matches)
        return out

    def _score(
        self, text: str, matches: Iterable[tuple[int, Any]]
    ) -> tuple[str, float, float, list[tuple[int, int]]] | None:
        """:meth:`find`'s answer from the automaton's leftmost-longest matches in ``text``."""
        seen: dict[str, tuple[int, int, tuple[tuple[str, float], ...]]] = {}
        n = len(text)
        for end, (form, cats, (a_ascii, z_ascii)) in matches:
            if not cats or form in seen:
                continue
            start = end - len(form) + 1
            if (a_ascii and start > 0 and _glued(text[start - 1], form[0])) or (
                z_ascii and end + 1 < n and _glued(form[-1], text[end + 1])
            ):
                continue
            seen[form] = (start, end + 1, cats)
        if not seen:
            return None
        scores: dict[str, float] = {}
        for _, _, cats in seen.values():
            for cat, w in cats:
                scores[cat] = scores.get(cat, 0.0) + w
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best, score = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        if score < self.min_score or score - runner < self.min_margin:
            return None
        mine = [(s, e, dict(cats)[best]) for s, e, cats in seen.values() if any(c == best for c, _ in cats)]
        mine.sort(key=lambda x: (-x[2], x[0]))
        spans = sorted((s, e) for s, e, _ in mine[: self.max_evidence])
        return best, score, round(score / sum(scores.values()), 4), spans

    def infer(self, norm: Normalized) -> Inference | None:
        """The category of a normalized text, with evidence offsets into its original text."""
        found = self.find(norm.text)
        return None if found is None else self.inference(found, norm)

    @staticmethod
    def inference(found: tuple[str, float, float, list[tuple[int, int]]], norm: Normalized) -> Inference:
        """:meth:`find`'s answer on ``norm.text`` as an :class:`Inference` with original offsets."""
        cat, score, confidence, spans = found
        ev = []
        for s, e in spans:
            a, b = norm.to_original(s, e)
            ev.append(Evidence(norm.original[a:b], a, b))
        return Inference(cat, score, confidence, tuple(ev))

    def infer_fields(self, fields: list[tuple[str, Normalized]]) -> Inference | None:
        """One category for several text fields of a record (标题 + 详情), judged together; each
        evidence names its field and points into that field's text."""
        if len(fields) == 1:
            name, norm = fields[0]
            inf = self.infer(norm)
            return None if inf is None else Inference(inf.category, inf.score, inf.confidence,
                                                      tuple(e._replace(field=name) for e in inf.evidence))
        # Newline separates the fields: no cue holds one, so no match spans two fields.
        starts, pos = [], 0
        for _, norm in fields:
            starts.append(pos)
            pos += len(norm.text) + 1
        found = self.find("\n".join(norm.text for _, norm in fields))
        if found is None:
            return None
        cat, score, confidence, spans = found
        ev = []
        for s, e in spans:
            k = bisect.bisect_right(starts, s) - 1
            name, norm = fields[k]
            a, b = norm.to_original(s - starts[k], e - starts[k])
            ev.append(Evidence(norm.original[a:b], a, b, name))
        return Inference(cat, score, confidence, tuple(ev))


@lru_cache(maxsize=1)
def default_cues() -> CategoryCues:
    """The packaged cue file (``lexicons/categories.toml``)."""
    from .lexicon import default_lexicon_dir

    return CategoryCues.load(default_lexicon_dir() / DEFAULT_FILE)


def infer_category(text: str, cues: CategoryCues | None = None) -> Inference | None:
    """Infer the product category of ``text`` (the caller's text, any width or script).

    Returns None when the evidence is weak or mixed: the record then stays ``general``.
    """
    return (cues or default_cues()).infer(normalize(text))
