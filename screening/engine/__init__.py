"""The engine: text in, findings out.

Owns normalization (with the map back to the caller's offsets), the lexicons and their
validation, the Aho-Corasick matcher and its evasion forms, jieba segmentation for the word check,
the context rules, the adjudication of each hit (:mod:`.adjudicate`), product-category inference,
the decision policy and lexicon curation. Imports only the shared base (``screening.types``,
``errors``, ``cache`` …): it knows nothing of the model, of files or of people.
"""
