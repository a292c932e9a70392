"""Athlete-local date windows for the list tools.

Intervals.icu takes and returns athlete-local dates (intervals-api.md §3.6): a window is a pair
of local calendar days, both inclusive, and "today" is today where the athlete is. A window is
never widened beyond what was asked; results are kept to it even if upstream sends more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import Field

from app.mcp.tools.errors import ToolFailure
from app.mcp.tools.schema import date_argument_schema

ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

IsoDate = Annotated[
    str | None,
    Field(
        pattern=ISO_DATE_PATTERN,
        json_schema_extra=date_argument_schema,
    ),
]


@dataclass(frozen=True)
class DateWindow:
    """Local calendar days ``oldest`` .. ``newest``, both inclusive."""

    oldest: date
    newest: date

    @property
    def days(self) -> int:
        return (self.newest - self.oldest).days + 1

    @property
    def starts(self) -> datetime:
        """Local midnight opening the window (naive: athlete-local)."""
        return datetime.combine(self.oldest, time())

    @property
    def ends(self) -> datetime:
        """Local midnight after the last day (exclusive bound)."""
        return datetime.combine(self.newest + timedelta(days=1), time())

    @property
    def last_second(self) -> datetime:
        """The last second of the window, for upstream ``newest`` date-time parameters."""
        return datetime.combine(self.newest, time(23, 59, 59))

    def contains(self, moment: datetime) -> bool:
        """Whether a local date-time falls on one of the window's days (its wall-clock date,
        compared without building the window's bounds)."""
        return self.oldest <= moment.date() <= self.newest

    def overlaps(self, start: datetime, end: datetime | None) -> bool:
        """Whether ``start`` .. ``end`` (exclusive, local) shares time with the window."""
        start = start.replace(tzinfo=None)
        if end is None or end.replace(tzinfo=None) <= start:
            return self.contains(start)
        return start < self.ends and end.replace(tzinfo=None) > self.starts


def date_message(name: str) -> str:
    """The one message for a date argument that is not a real ``YYYY-MM-DD`` day."""
    return f"{name} must be a date like 2026-11-30."


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` argument as a date, with a message naming the argument."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ToolFailure(date_message(name)) from None


def resolve_window(
    start_date: str | None,
    end_date: str | None,
    *,
    today: date,
    days_back: int,
    days_ahead: int = 0,
    max_days: int,
) -> DateWindow:
    """The window asked for; a missing end defaults relative to the start (or today), a
    missing start to ``days_back`` days before the end. Refuses reversed or too long windows."""
    newest = parse_day(end_date, "end_date") if end_date else None
    oldest = parse_day(start_date, "start_date") if start_date else None
    if oldest is None:
        anchor = newest or today + timedelta(days=days_ahead)
        oldest = anchor - timedelta(days=days_back)
    if newest is None:
        newest = max(oldest, today + timedelta(days=days_ahead))
        if (newest - oldest).days + 1 > max_days:
            newest = oldest + timedelta(days=max_days - 1)
    window = DateWindow(oldest, newest)
    if window.newest < window.oldest:
        raise ToolFailure("end_date is before start_date; swap them.")
    if window.days > max_days:
        raise ToolFailure(
            f"The window is {window.days} days; ask for at most {max_days} at a time."
        )
    return window
