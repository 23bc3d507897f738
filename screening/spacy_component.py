"""Moved to :mod:`screening.integrations.spacy_component`; this path works until the next release.

``import screening.spacy_component`` still registers the ``compliance_screen`` factory, with a
DeprecationWarning naming the new path.
"""

from __future__ import annotations

import importlib
import sys
import warnings

NEW = "screening.integrations.spacy_component"

warnings.warn(f"screening.spacy_component moved to {NEW}; the old path goes in the next release",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = importlib.import_module(NEW)
