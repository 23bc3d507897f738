"""Evasion forms of a lexicon form: one character as pinyin, as its initial, or as a homophone,
look-alike or digit (``zhi疗``, ``z疗``, ``冶疗``, ``第1``, ``1流``), and disease names with an
inner character masked (``关某炎``).

The matcher adds these to the automaton next to the written forms, generated from two small
tables instead of written by hand into ``variants``: ``data/pinyin.tsv`` (toneless readings of
the common characters and of every lexicon character; ``tools/make_pinyin.py``) and
``data/lookalikes.tsv``. Only one character of a form is replaced at a time, and a pinyin or an
initial only stands for a Chinese character; the matcher also requires a form's Latin edge not to
run on into more Latin letters (``最h`` is not found in ``最hot``).

>>> evasion_forms("治疗")
['zhi疗', 'z疗', '冶疗', '治liao', '治l']
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
          "九": "9", "十": "10", "零": "0"}
# Forms shorter than this get no evasion forms: one character is too little to recognise.
MIN_LENGTH = 2
# What case notices show merchants writing in place of a character of a disease name (关某炎).
# Symbols (关*炎) are dropped by normalization and leave a different word (关炎, 高压), so only
# a character can stand as a mask.
MASK = "某"


def _read(name: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    with resources.files("screening").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            ch, subs = line.rstrip("\n").split("\t")
            out[ch] = tuple(s for s in subs.split(",") if s)
    return out


@lru_cache(maxsize=1)
def substitutes() -> dict[str, tuple[str, ...]]:
    """Per character, what an evasion writes for it: pinyin readings, their initials, look-alikes."""
    table: dict[str, list[str]] = {}
    for ch, readings in _read("pinyin.tsv").items():
        subs = table.setdefault(ch, [])
        for r in readings:
            for s in (r, r[0]):
                if s not in subs:
                    subs.append(s)
    for ch, subs in _read("lookalikes.tsv").items():
        own = table.setdefault(ch, [])
        own.extend(s for s in subs if s not in own)
    return {ch: tuple(v) for ch, v in table.items()}


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def evasion_forms(form: str, within: Iterable[str] = ()) -> list[str]:
    """The forms of normalized ``form`` with one Chinese character replaced (see the module doc).

    A form must keep at least one Chinese character, so ``第一`` gives ``第1`` and ``di一`` but a
    two-character form never becomes all Latin (``zl``): that would be found in English words.
    With ``within`` (the term forms an allow context holds), only characters inside one of them
    are replaced: 第1次 is the allow context 第一次 for 第1, and 第一ci needs none.
    """
    if len(form) < MIN_LENGTH:
        return []
    table = substitutes()
    cjk = [i for i, c in enumerate(form) if _cjk(c)]
    if len(cjk) < 2:
        return []
    within = [w for w in within if w]
    if within:
        inside = set()
        for w in within:
            i = form.find(w)
            while i >= 0:
                inside.update(range(i, i + len(w)))
                i = form.find(w, i + 1)
        cjk = [i for i in cjk if i in inside]
    out: list[str] = []
    for i in cjk:
        for s in table.get(form[i], ()):
            out.append(form[:i] + s + form[i + 1:])
    # Numbers are written as digits all at once (独1无2), not one at a time.
    if sum(c in DIGITS for c in form) > 1:
        digits = "".join(DIGITS.get(c, c) for c in form)
        if any(_cjk(c) for c in digits):
            out.append(digits)
    return out


def masked_forms(form: str) -> list[str]:
    """``form`` with one inner Chinese character written as :data:`MASK`: 关节炎 → 关某炎.

    The first and last characters stay, so the name is still recognisable, and a form needs
    three Chinese characters (鼻炎 has no inner one).

    >>> masked_forms("糖尿病")
    ['糖某病']
    """
    if len(form) < 3 or not all(_cjk(c) for c in form):
        return []
    return [form[:i] + MASK + form[i + 1:] for i in range(1, len(form) - 1) if form[i] != MASK]
