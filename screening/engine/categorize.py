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
import math
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


class _Cue(NamedTuple):
    """What the automaton holds for a cue (or a neutral word: no ``cats``)."""

    form: str
    cats: tuple[tuple[str, float], ...]
    weights: dict[str, float]  # cats by category: the winner's weight is looked up
    ascii_start: bool
    ascii_end: bool
    # find's answer but for the spans in a text holding no other cue, as most texts with one do
    alone: tuple[str, float, float] | None


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
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight < math.inf:
                    problems.append(f"{where}: cue {word!r} needs a positive finite number weight, got {weight!r}")
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
            cue = _Cue(form, v, dict(v), form[0].isascii(), form[-1].isascii(), None)
            alone = self._verdict({form: (0, len(form), cue)}) if v else None
            self._automaton.add_word(form, cue._replace(alone=None if alone is None else alone[:3]))
        self._automaton.make_automaton()
        # For find_many: where a cue may start, as one lookup of each two code points side by side
        # in a dense table, the first's row and the second's column. Row 0 is a code point in no
        # cue (nor neutral word), row 1 one in some but opening none; a one-character cue's row
        # is all set (any code point after it opens it); column 0 is one second in no cue.
        rows = {ch: r for r, ch in enumerate(sorted({ord(f[0]) for f in self.cues}), start=2)}
        cols = {ch: c for c, ch in enumerate(sorted({ord(f[1]) for f in self.cues if len(f) > 1}), start=1)}
        # (Row and column numbers of two bytes each where they fit: the two tables span every code
        # point, and a cue file holds a few hundred distinct characters.)
        self._width = width = len(cols) + 1
        self._rows = np.zeros(0x110000, dtype=np.uint16 if len(rows) + 2 <= 1 << 16 else np.uint32)
        self._rows[sorted({ord(ch) for form in self.cues for ch in form})] = 1
        self._rows[list(rows)] = list(rows.values())
        self._cols = np.zeros(0x110000, dtype=np.uint16 if width <= 1 << 16 else np.uint32)
        self._cols[list(cols)] = list(cols.values())
        self._opens = np.zeros((len(rows) + 2) * width, dtype=bool)
        for f in self.cues:
            at = rows[ord(f[0])] * width
            if len(f) == 1:
                self._opens[at:at + width] = True
            else:
                self._opens[at + cols[ord(f[1])]] = True

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
        # (a NUL after the last text too: every character has one after it, and runs end there)
        code = np.frombuffer((batch + "\x00").encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.intp)
        row = self._rows[code]
        inside = np.zeros(code.size + 1, dtype=bool)
        inside[1:] = row != 0
        edges = np.flatnonzero(inside[1:] != inside[:-1])
        run_starts, run_ends = edges[0::2], edges[1::2]
        pair = row[:-1].astype(np.intp)
        pair *= self._width
        pair += self._cols[code[1:]]
        may = np.flatnonzero(self._opens[pair])
        held = np.zeros(run_starts.size, dtype=bool)
        held[np.searchsorted(run_starts, may, side="right") - 1] = True
        starts, stops = run_starts[held], run_ends[held]
        text_of = np.searchsorted(ends, starts)
        text_start = np.concatenate(([0], ends[:-1] + 1))[text_of]
        tail = stops == ends[text_of]
        found: dict[int, list[tuple[int, _Cue]]] = {}
        # The inner runs, each with the character after it made NUL, gathered into one string; a
        # match is given to its run by where the runs begin there, one search for all of them.
        a, size = starts[~tail], stops[~tail] - starts[~tail] + 1
        at = np.cumsum(size) - size  # where each run begins in the walked string
        chars = code[np.repeat(a - at, size) + np.arange(int(size.sum()))].astype(np.uint32)
        chars[at + size - 1] = 0
        walked = chars.tobytes().decode("utf-32-le", "surrogatepass")
        matches = list(self._automaton.iter_long(walked))
        if matches:
            pos = np.fromiter((end for end, _ in matches), dtype=np.intp, count=len(matches))
            r = np.searchsorted(at, pos, side="right") - 1
            shift = a - at - text_start[~tail]  # from the walked string into the run's text
            for k, end, (_, value) in zip(text_of[~tail][r].tolist(), (pos + shift[r]).tolist(), matches):
                found.setdefault(k, []).append((end, value))
        for k, a0, b0, t0 in zip(text_of[tail].tolist(), starts[tail].tolist(), stops[tail].tolist(),
                                 text_start[tail].tolist()):  # (each its text's last run)
            found.setdefault(k, []).extend((a0 - t0 + end, value)
                                           for end, value in self._automaton.iter_long(batch[a0:b0]))
        for k, group in found.items():
            out[k] = self._score(texts[k], group)
        return out

    def _score(
        self, text: str, matches: Iterable[tuple[int, _Cue]]
    ) -> tuple[str, float, float, list[tuple[int, int]]] | None:
        """:meth:`find`'s answer from the automaton's leftmost-longest matches in ``text``."""
        seen: dict[str, tuple[int, int, _Cue]] = {}
        n = len(text)
        for end, cue in matches:
            form, cats, _, a_ascii, z_ascii, _ = cue
            if not cats or form in seen:
                continue
            start = end - len(form) + 1
            if (a_ascii and start > 0 and _glued(text[start - 1], form[0])) or (
                z_ascii and end + 1 < n and _glued(form[-1], text[end + 1])
            ):
                continue
            seen[form] = (start, end + 1, cue)
        if len(seen) != 1:
            return self._verdict(seen) if seen else None
        ((start, end, cue),) = seen.values()
        return None if cue.alone is None else (*cue.alone, [(start, end)][: self.max_evidence])

    def _verdict(
        self, seen: dict[str, tuple[int, int, _Cue]]
    ) -> tuple[str, float, float, list[tuple[int, int]]] | None:
        """:meth:`_score`'s answer from the distinct cues found (at least one), by form: where
        each is and what it is."""
        scores: dict[str, float] = {}
        for _, _, cue in seen.values():
            for cat, w in cue.cats:
                scores[cat] = scores.get(cat, 0.0) + w
        # The first of the highest scores and the next highest, as a stable sort by score would
        # rank them, in one pass (scores are positive: 0.0 is no runner-up)
        best, score, runner = "", 0.0, 0.0
        for cat, v in scores.items():
            if v > score:
                best, score, runner = cat, v, score
            elif v > runner:
                runner = v
        if score < self.min_score or score - runner < self.min_margin:
            return None
        mine = [(s, e, cue.weights[best]) for s, e, cue in seen.values() if best in cue.weights]
        if len(mine) > self.max_evidence:  # (only then does the ranking matter: spans are sorted)
            mine.sort(key=lambda x: (-x[2], x[0]))
            del mine[self.max_evidence:]
        spans = sorted((s, e) for s, e, _ in mine)
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
