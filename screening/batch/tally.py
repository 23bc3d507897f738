"""Running counts over the results of a run: one place for what every summary counts.

The scan's end-of-run summary, the xlsx summary sheet and the HTML report all count records,
records with errors, decisions, categories (records with at least one finding of it) and route
roles; each adds its own extras on top.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any


class Tally:
    """Counts of contract results; tolerant of partial dicts (a report may get hand-made ones).

    >>> t = Tally()
    >>> t.add({"decision": "block", "findings": [{"category": "absolute_claim"}] * 2,
    ...        "route": {"role": "legal"}, "error": None})
    >>> t.records, dict(t.decisions), dict(t.categories), dict(t.roles), t.errors
    (1, {'block': 1}, {'absolute_claim': 1}, {'legal': 1}, 0)
    """

    def __init__(self) -> None:
        self.records = 0
        self.errors = 0
        self.decisions: Counter[str] = Counter()
        self.categories: Counter[str] = Counter()
        self.roles: Counter[str] = Counter()

    def add(self, result: Mapping[str, Any]) -> None:
        """Count one result."""
        self.add_key(self.key(result))

    @staticmethod
    def key(result: Mapping[str, Any]) -> tuple[bool, str, tuple[str, ...], str | None]:
        """What :meth:`add` counts of a result, small enough to send between processes."""
        route = result.get("route")
        return (
            bool(result.get("error")),
            str(result.get("decision")),
            tuple(dict.fromkeys(str(f.get("category") or "other") for f in findings(result))),
            str(route["role"]) if isinstance(route, Mapping) and route.get("role") else None,
        )

    def add_key(self, key: tuple[bool, str, tuple[str, ...], str | None]) -> None:
        """Count one result from its :meth:`key`."""
        error, decision, categories, role = key
        self.records += 1
        self.errors += error
        self.decisions[decision] += 1
        for category in categories:
            self.categories[category] += 1
        if role:
            self.roles[role] += 1

    def merge(self, other: Tally) -> None:
        """Add the counts of another tally in one call (a scan worker's, for a block of records).

        Merging the tallies of consecutive runs of results, in order, gives the same counts in the
        same first-seen order as adding the results one by one.

        >>> a, b = Tally(), Tally()
        >>> a.add({"decision": "pass"})
        >>> b.add({"decision": "block", "findings": [{"category": "absolute_claim"}]})
        >>> a.merge(b)
        >>> a.records, dict(a.decisions), dict(a.categories)
        (2, {'pass': 1, 'block': 1}, {'absolute_claim': 1})
        """
        self.records += other.records
        self.errors += other.errors
        self.decisions.update(other.decisions)
        self.categories.update(other.categories)
        self.roles.update(other.roles)


def findings(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The finding dicts of a result (anything else in the list is ignored)."""
    return [f for f in (result.get("findings") or []) if isinstance(f, Mapping)]
