"""The human half: the review queue, its SQLite store and what reviewers teach back.

Owns intake of screened records, atomic claims (leases), verdicts, escalation, merchant grading,
KPIs, allow-phrase proposals (:mod:`.proposals`) and training-data export. Imports the engine
(policy for deadlines and grades, segmentation for proposals) and the base; it reads results as
plain dicts and never screens by itself.
"""
