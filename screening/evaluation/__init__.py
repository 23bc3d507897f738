"""Measuring and training: metrics, error analysis, thresholds, robustness, model training.

Sits above the screener it measures (cross-validated screeners are built per fold) and may use
the engine, the model and the batch readers; nothing below imports it.
"""
