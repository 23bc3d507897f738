"""Product category and content type names as catalogue exports write them: 化妆品, 保健品, Cosmetics, 直播.

A shop back-end exports its own names, not the contract's codes (../shared/docs/contract.md), and a
``product_category`` of 化妆品 must screen as ``cosmetics`` rather than fail. The names are versioned
data (``data/category_names.toml``) that users extend with a file of the same format
(``scan --category-map FILE``): their names add to the bundled ones and win where both give the
same name different codes.

Names match whatever their case, full/half width and spacing (spaces, underscores and hyphens are
ignored), so ``Health Food``, ``health_food`` and ``ＨＥＡＬＴＨ－ＦＯＯＤ`` are one name; every code
also stands for itself.

>>> v = load_vocabulary()
>>> v.code("product_category", "化妆品"), v.code("product_category", " Cosmetics "), v.code("content_type", "直播")
('cosmetics', 'cosmetics', 'live_script')
>>> v.code("product_category", "宠物用品") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ScreeningError
from ..types import CONTENT_TYPES, PRODUCT_CATEGORIES

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The contract fields whose values are names from this vocabulary, and their codes.
FIELDS: dict[str, tuple[str, ...]] = {"product_category": PRODUCT_CATEGORIES, "content_type": CONTENT_TYPES}
BUNDLED = "data/category_names.toml"

# Spacing that exports add or drop freely; NFKC has already turned full-width forms into these.
_SPACING = re.compile(r"[\s_\-\u200b\ufeff]+")


class VocabularyError(ScreeningError, ValueError):
    """A category names file is invalid; the message names the file and the entry."""


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """The form a name is matched in: NFKC (full width → half width), case-folded, without spacing.

    Cached: a catalogue repeats a handful of names millions of times.

    >>> name_key(" ＨＥＡＬＴＨ＿Food "), name_key("保健 食品")
    ('healthfood', '保健食品')
    """
    return _SPACING.sub("", unicodedata.normalize("NFKC", name).casefold())


@dataclass(frozen=True)
class Vocabulary:
    """Name → code, per contract field; ``version`` says which files the names came from."""

    version: str
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # field → name key → code

    def __hash__(self) -> int:  # a FieldMap holding it stays hashable; equal ones have one version
        return hash(self.version)

    def code(self, field_name: str, value: Any) -> str | None:
        """The contract code ``value`` names for ``field_name``, or ``None`` when it names none."""
        if value is None:
            return None
        return self.names.get(field_name, {}).get(name_key(str(value)))

    def extended(self, other: Vocabulary) -> Vocabulary:
        """These names with ``other``'s added; ``other`` wins where both have a name."""
        merged = {f: {**self.names.get(f, {}), **other.names.get(f, {})} for f in FIELDS}
        return Vocabulary(f"{self.version}+{other.version}", merged)


def parse_vocabulary(text: str, source: str, *, default_version: str | None = None) -> Vocabulary:
    """A vocabulary from the TOML text of a names file; ``source`` names it in errors.

    Raises:
        VocabularyError: not TOML, an unknown table or code, names that are not a list of strings,
            a name listed under two codes, or no ``version`` (unless ``default_version``).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise VocabularyError(f"{source}: not valid TOML: {e}") from None
    unknown = sorted(set(raw) - {"version", *FIELDS})
    if unknown:
        raise VocabularyError(f"{source}: unknown table or key {unknown[0]!r}; expected version, "
                              f"[product_category] and [content_type]")
    version = raw.get("version", default_version)
    if not isinstance(version, str) or not version.strip():
        raise VocabularyError(f"{source}: needs a version, e.g. version = \"2026.12.0\"")
    names: dict[str, dict[str, str]] = {}
    for field_name, codes in FIELDS.items():
        table = raw.get(field_name, {})
        if not isinstance(table, dict):
            raise VocabularyError(f"{source}: {field_name} must be a table: [{field_name}]")
        keys: dict[str, str] = {}
        for code, listed in table.items():
            if code not in codes:
                raise VocabularyError(f"{source}: [{field_name}] {code!r} is not a {field_name}; "
                                      f"one of {', '.join(codes)}")
            if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
                raise VocabularyError(f"{source}: [{field_name}] {code} must be a list of names, "
                                      f"e.g. {code} = [\"名称\"]")
            for name in listed:
                key = name_key(name)
                if not key:
                    raise VocabularyError(f"{source}: [{field_name}] {code} has an empty name")
                if keys.get(key, code) != code:
                    raise VocabularyError(f"{source}: [{field_name}] {name!r} is listed under both "
                                          f"{keys[key]} and {code}")
                keys[key] = code
        # A code names itself, unless the file deliberately gives that spelling to another code.
        for code in codes:
            keys.setdefault(name_key(code), code)
        names[field_name] = keys
    return Vocabulary(version.strip(), names)


@lru_cache(maxsize=1)
def bundled_vocabulary() -> Vocabulary:
    """The names shipped with the package."""
    text = resources.files("screening").joinpath(BUNDLED).read_text(encoding="utf-8")
    return parse_vocabulary(text, f"screening/{BUNDLED}")


def load_vocabulary(extra: str | Path | None = None) -> Vocabulary:
    """The bundled names, extended with those of the user file ``extra`` when given.

    The result's version is the bundled one, plus ``+`` and the user file's version (or, when it
    has none, its file name), so that results say which names mapped them.

    Raises:
        VocabularyError: the user file cannot be read or is invalid.
    """
    base = bundled_vocabulary()
    if extra is None:
        return base
    path = Path(extra)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise VocabularyError(f"cannot read the category names file {path}: {e}") from None
    return base.extended(parse_vocabulary(text, str(path), default_version=path.name))
