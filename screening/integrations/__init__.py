"""Doors into the screener for other systems: the HTTP service, the spaCy component, Spark.

Each wraps :class:`screening.screener.Screener` (and, for Spark, the batch scan) without
changing what a result is. May import every wing below it; nothing imports it but the CLI.
"""
