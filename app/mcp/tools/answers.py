"""Base classes of the tools' typed answers (``outputSchema`` / ``structuredContent``).

An answer model owns its text: :meth:`Answer.text` is the compact rendering sent next to the
structured content, and an item model (one activity, one day) has a :meth:`line`. Item models
build themselves from the upstream model with a ``from_upstream`` classmethod. Units are in the
field names (``_m``, ``_s``, ``_w``, ``_bpm``, ``_pct``); nulls are never sent; dates and times
are athlete-local. Published schemas are kept small (app/mcp/tools/schema.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from app.mcp.tools.dates import DateWindow
from app.mcp.tools.schema import compact_model_schema
from app.mcp.tools.units import FORMATTERS_KEPT, Formatter, unit_formatter


class Answer(BaseModel):
    """Base of every answer: unknown fields refused, so the schema is the contract."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    schema_note: ClassVar[str | None] = None
    """The one description published in ``outputSchema`` for this model, if any."""

    def text(self) -> str:
        """The compact text form sent as the result's ``content`` (JSON unless overridden)."""
        return self.model_dump_json(exclude_none=True)

    def unit_parts(self, fields: tuple[tuple[str, str], ...]) -> list[str | None]:
        """``(("avg_power_w", "avg"), ...)`` -> ``["202 W avg", ...]`` for the fields set."""
        return [show(getattr(self, name)) for name, show in unit_formatters(fields)]


class WindowAnswer(Answer):
    """An answer about a window of local days: zone, first and last day, count, truncation."""

    timezone: str
    oldest: str
    newest: str
    count: int
    more_available: bool | None = None

    @classmethod
    def window_fields(
        cls, window: DateWindow, timezone: str, count: int, more: bool = False
    ) -> dict[str, object]:
        """The header fields of a window answer (``more_available`` only when true)."""
        return {
            "timezone": timezone,
            "oldest": window.oldest.isoformat(),
            "newest": window.newest.isoformat(),
            "count": count,
            "more_available": True if more else None,
        }

    def header(self, noun: str) -> str:
        """``4 activities 2026-07-01..2026-07-20 (Europe/Berlin)[; limit reached, ...]``."""
        head = f"{self.count} {noun} {self.oldest}..{self.newest} ({self.timezone})"
        if self.more_available:
            head += "; limit reached, more may exist"
        return head


def join(parts: list[str | None]) -> str:
    """The parts that are set, comma-separated (filtered by ``filter``, with no Python
    function run per part: every answer line joins its parts here; issue 20)."""
    return ", ".join(filter(None, parts))


@lru_cache(maxsize=FORMATTERS_KEPT)
def unit_formatters(fields: tuple[tuple[str, str], ...]) -> tuple[tuple[str, Formatter], ...]:
    """Each ``(field, label)`` of :meth:`Answer.unit_parts` with its formatter, looked up once
    per tuple of fields (they are literals in the tools' code)."""
    return tuple((name, unit_formatter(name, label)) for name, label in fields)


def scale_lines(scales: dict[str, str] | None) -> list[str]:
    """``scale mood: 1-4, 1 best: ...`` lines closing an answer."""
    return [f"scale {key}: {text}" for key, text in (scales or {}).items()]
