"""Where derived data is cached between runs (compiled automata, normalization tables), and
derived data built only when first needed (:class:`OnFirstUse`).

Everything cached is rebuilt from the packaged files when missing or unreadable: the cache only
makes start-up shorter, and it never holds pickled objects.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class OnFirstUse(dict[K, V]):
    """A mapping whose value for a key is ``build(key)``, built on the key's first lookup and kept.

    For tables a one-off ``check`` needs few entries of, such as regexes: building them all would
    lengthen every start-up. Two threads may both build a missing value; either result is kept.
    """

    def __init__(self, build: Callable[[K], V]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: K) -> V:
        value = self[key] = self._build(key)
        return value


def cache_dir() -> Path:
    """``SCREENING_CACHE_DIR``, else the user cache directory."""
    env = os.environ.get("SCREENING_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "screening"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the new one, never half of it.

    Raises:
        OSError: the directory cannot be created or written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(name: str, build: Callable[[], str], parse: Callable[[str], T]) -> T:
    """``parse`` of the text cached under ``name``; when it is missing or does not parse, the
    text ``build`` makes, written to the cache if the cache can be written."""
    path = cache_dir() / name
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    text = build()
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError:
        pass  # an unwritable cache is only a slower start
    return parse(text)
