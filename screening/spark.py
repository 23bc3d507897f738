"""Moved to :mod:`screening.integrations.spark`; this path works until the next release.

``python -m screening.spark ...`` and ``import screening.spark`` still run and import the Spark
integration, with a DeprecationWarning naming the new path.
"""

from __future__ import annotations

import importlib
import runpy
import sys
import warnings

NEW = "screening.integrations.spark"

warnings.warn(f"screening.spark moved to {NEW}; the old path goes in the next release",
              DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    runpy.run_module(NEW, run_name="__main__", alter_sys=True)
else:
    sys.modules[__name__] = importlib.import_module(NEW)
