"""The residual-risk model: features of a text's units and the calibrated scorer.

Owns the featurizer (hashed character n-grams plus engine signals) and loading and scoring the
shipped model without pickle. Imports the engine (for the normalized text and hit spans) and the
base; training lives in :mod:`screening.evaluation.train`, above the screener it uses.
"""
