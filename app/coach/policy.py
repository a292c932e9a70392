"""What an athlete hides from one coach: the :class:`SharingPolicy` applied to every answer.

The athlete's sharing page (issue 18) stores, per coach, categories to hide and an optional
date until which they stay hidden (app/coach/store.py). The MCP platform applies the policy
of the athlete a call acts for to the answer before it leaves the server
(app/mcp/tools/registry.py ``run_tool``), so no tool filters anything itself. The default is
:data:`EVERYTHING_SHARED`: an athlete acting for themself, or a coach reading an athlete who
chose nothing, sees everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CATEGORIES: Mapping[str, frozenset[str]] = {
    "weight": frozenset({"weight", "icu_weight", "weight_kg", "body_fat", "bodyFat"}),
    "wellness_notes": frozenset({"comments", "wellness_notes", "notes", "injury", "soreness"}),
    "location": frozenset(
        {"city", "state", "country", "location", "latlng", "start_latlng", "end_latlng"}
    ),
}
"""Category -> the answer fields it covers (any depth of an answer's structured content)."""


@dataclass(frozen=True)
class SharingPolicy:
    """The categories hidden from the caller for one athlete, until ``until`` (None: for as
    long as the choice stands). Frozen: one per call, built when the roster is resolved."""

    hidden: frozenset[str] = frozenset()
    until: datetime | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.hidden) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown sharing categories {unknown}; known: {sorted(CATEGORIES)}")

    @classmethod
    def hiding(cls, categories: Iterable[str], until: datetime | None = None) -> SharingPolicy:
        return cls(frozenset(categories), until)

    def hidden_now(self, now: datetime) -> frozenset[str]:
        """The categories hidden at ``now`` (none once ``until`` has passed)."""
        if self.until is not None and now >= self.until:
            return frozenset()
        return self.hidden

    def hidden_fields(self, now: datetime) -> frozenset[str]:
        """Every answer field name hidden at ``now``."""
        return frozenset(f for c in self.hidden_now(now) for f in CATEGORIES[c])

    def filter(self, data: Any, now: datetime) -> Any:
        """``data`` (an answer's structured content: dicts, lists, scalars) with the hidden
        fields set to None at every depth (nulls are never sent); unchanged when nothing is
        hidden."""
        fields = self.hidden_fields(now)
        return _without(data, fields) if fields else data


EVERYTHING_SHARED = SharingPolicy()
"""The default: nothing hidden."""


def _without(data: Any, fields: frozenset[str]) -> Any:
    if isinstance(data, Mapping):
        return {k: None if k in fields else _without(v, fields) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_without(item, fields) for item in data]
    return data
