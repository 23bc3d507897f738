"""Package version, reported in every result's ``versions.screening``."""

__version__ = "0.1.0"
