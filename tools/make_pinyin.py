"""Write screening/data/pinyin.tsv: toneless pinyin of the common characters and of every
character in the packaged lexicons, for the matcher's pinyin-evasion forms (``zhi疗``, ``z疗``).

Needs pypinyin (a build-time tool only; the package reads the TSV):

    pip install --target /tmp/pyp pypinyin && PYTHONPATH=/tmp/pyp python tools/make_pinyin.py

Characters: GB2312 level 1 (the 3,755 most common) plus every CJK character of lexicons/*.jsonl.
Readings: the character's most common toneless reading, then any other reading it takes inside a
lexicon word (pypinyin's phrase readings: 长 is zhang, and chang in 长效); ü is written ``v`` (as
typed on a keyboard: ``lv``). Rare readings (最 cuo) are left out: each reading is one more
automaton key per form the character is in.
"""

from __future__ import annotations

import json
from pathlib import Path

from pypinyin import Style, pinyin

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screening" / "data" / "pinyin.tsv"


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _clean(r: str) -> str | None:
    r = r.replace("ü", "v")
    return r if r.isascii() and r.isalpha() else None


def lexicon_words() -> list[str]:
    words = []
    for path in sorted((ROOT / "lexicons").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                words += [obj.get("term") or "", *(obj.get("variants") or []), *(obj.get("allow_contexts") or [])]
    return [w for w in words if w]


def characters() -> list[str]:
    chars: set[str] = set()
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            chars.add(ch)
    for path in sorted((ROOT / "lexicons").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            obj = json.loads(line)
            for key in ("term", "phrase"):
                chars.update(obj.get(key) or "")
            for key in ("variants", "allow_contexts"):
                for v in obj.get(key) or []:
                    chars.update(v)
    return sorted(c for c in chars if _cjk(c))


def main() -> None:
    in_words: dict[str, list[str]] = {}
    for word in lexicon_words():
        hanzi = [c for c in word if _cjk(c)]
        readings = pinyin("".join(hanzi), style=Style.NORMAL)
        if len(readings) != len(hanzi):
            continue
        for ch, (r,) in zip(hanzi, readings):
            r = _clean(r)
            if r and r not in in_words.setdefault(ch, []):
                in_words[ch].append(r)
    rows = []
    for ch in characters():
        first = next((c for c in map(_clean, pinyin(ch, style=Style.NORMAL, heteronym=True)[0]) if c), None)
        readings = [first] if first else []
        readings += [r for r in in_words.get(ch, []) if r not in readings]
        if readings:
            rows.append(f"{ch}\t{','.join(readings)}")
    OUT.write_text("# character<TAB>toneless readings: most common, then others used in lexicon words (tools/make_pinyin.py)\n"
                   + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} characters -> {OUT}")


if __name__ == "__main__":
    main()
