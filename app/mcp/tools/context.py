"""What a tool receives: the caller's Intervals.icu session, their timezone and a clock.

A provider (multi-user HTTP: app/mcp/caller.py; single user: app/mcp/stdio.py) opens one
context per tool call; the credential inside the session never leaves that call.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.intervals.session import AthleteSession

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock (timezone-aware UTC)."""
    return datetime.now(UTC)


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The IANA zone for a profile's timezone name; UTC when it is missing or unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class AthleteContext:
    """One tool call's view of the caller: whose data, in which timezone, at what time."""

    api: AthleteSession
    athlete_id: str
    timezone: ZoneInfo
    now: Clock = field(default=utc_now)

    def today(self) -> date:
        """Today's date where the athlete is (not in UTC)."""
        return self.now().astimezone(self.timezone).date()


class AthleteProvider(Protocol):
    """Opens the caller's :class:`AthleteContext` for the duration of one tool call."""

    def open(self) -> AbstractAsyncContextManager[AthleteContext]: ...
