"""The allow phrase a false-positive verdict proposes: the shortest stretch of words around the
false hit that names the lawful use (the store name holding 第一, the setting holding 最大).

The whole clause was proposed before, so an accepted phrase cleared the hit in that one title
only: 上海第一百货 羊绒大衣 and 上海第一百货 真丝围巾 share the store name, not the clause. The
hit alone would switch the term off everywhere, so a phrase is never just the hit.
"""

from __future__ import annotations

from functools import lru_cache

from ..engine.rules import CLAUSE_END
from ..engine.segment import Segmenter

# Where a phrase stops: clause punctuation, and what parts a title's keywords.
_STOPS = frozenset(CLAUSE_END | set("，。！？；：、 \t\u3000/／|｜丨【】[]［］"))
# Each side of the hit takes whole words until it has this many characters of context.
_CONTEXT = 2
# A word that ends the thought right after the hit (最大也不破音, 最好了) is no context of it; a
# linking 的 is, with the word it links (最好的老师).
_ENDS = frozenset("也了吗呢吧啊呀哦嘛")
_LINKS = frozenset("的地得之")


@lru_cache(maxsize=1)
def _segmenter() -> Segmenter:
    return Segmenter()


def shortest_phrase(text: str, start: int, end: int) -> str | None:
    """The allow phrase for the false hit ``text[start:end]``, or None when the hit stands alone
    in its clause (only switching the term off would clear it: a lead's decision, not a phrase).

    >>> shortest_phrase("上海第一百货 羊绒大衣 冬季新款", 2, 4)
    '上海第一百货'
    >>> shortest_phrase("音量开到最大也不破音", 4, 6)
    '开到最大'
    >>> shortest_phrase("我们学校是第一中学，最好的老师", 10, 12)
    '最好的老师'
    >>> shortest_phrase("第一", 0, 2) is None
    True
    """
    if not 0 <= start < end <= len(text):
        return None
    lo = start
    while lo > 0 and text[lo - 1] not in _STOPS:
        lo -= 1
    hi = end
    while hi < len(text) and text[hi] not in _STOPS:
        hi += 1
    bounds = []  # (start, end) of each word of the clause
    at = lo
    for word in _segmenter().cut(text[lo:hi]):
        bounds.append((at, at + len(word)))
        at += len(word)
    a, b = start, end
    for ws, we in reversed([w for w in bounds if w[1] <= start]):
        if start - a >= _CONTEXT:
            break
        a = ws
    right = [w for w in bounds if w[0] >= end]
    if right and text[right[0][0]] not in _ENDS:
        got = 0
        for ws, we in right:
            if got >= _CONTEXT:
                break
            b = we
            if text[ws:we] not in _LINKS:
                got += we - ws
    # a word that straddles the hit (jieba's 第一百 in 第一百货) stays whole
    for ws, we in bounds:
        if ws < start < we:
            a = min(a, ws)
        if ws < end < we:
            b = max(b, we)
    phrase = text[a:b].strip()
    return phrase if phrase and phrase != text[start:end] else None
