"""Screen Chinese e-commerce copy for advertising-law risk.

>>> from screening import Screener
>>> r = Screener().screen("国家级品质，最佳选择")
>>> r.decision
'block'
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .about import __version__
from .errors import InputError, LexiconError, PolicyError, ScreeningError
from .screener import Screener
from .types import Finding, Route, ScreeningResult, Suppressed

logging.getLogger("screening").addHandler(logging.NullHandler())

__all__ = [
    "Finding",
    "InputError",
    "LexiconError",
    "PolicyError",
    "Route",
    "ScreeningError",
    "ScreeningResult",
    "Screener",
    "Suppressed",
    "__version__",
    "screen",
]

_default: Screener | None = None
_default_lock = threading.Lock()


def screen(text: str, **kwargs: Any) -> ScreeningResult:
    """Screen one text with a lazily built, shared default :class:`Screener`."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Screener()
    return _default.screen(text, **kwargs)
