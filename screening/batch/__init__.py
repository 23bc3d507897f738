"""Catalogue files: reading exports, scanning them, writing results and the HTML report.

Owns the readers (JSONL, CSV/TSV, XLSX, Parquet; encodings, column checks), the category-name
vocabulary of exports, the parallel and resumable scan, the writers, the tally and the report.
Imports the screener, the engine, the model and the base; never the review workflow (a scan hands
results to a queue through a callable) nor the integrations.
"""
