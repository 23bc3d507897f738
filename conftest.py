"""Doctest collection of optional-dependency modules only where those dependencies are installed."""

import importlib.util

collect_ignore = ["cli.py", "screening/__main__.py"]
if importlib.util.find_spec("spacy") is None:
    collect_ignore.append("screening/integrations/spacy_component.py")
if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
    collect_ignore.append("screening/integrations/service.py")
if any(importlib.util.find_spec(m) is None for m in ("pyspark", "pyarrow", "pandas")):
    collect_ignore.append("screening/integrations/spark.py")
