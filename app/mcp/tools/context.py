"""What a tool receives: the acting athlete's Intervals.icu session, timezone and a clock.

A provider (multi-user HTTP: app/mcp/caller.py; single user: app/mcp/stdio.py) opens one
context per tool call; the credential inside the session never leaves that call. The acting
athlete is resolved on the server from the caller's identity: the caller themself, or, for a
coach, an athlete on their roster named by the platform's ``athlete`` argument (checked against
the roster on the server for every call, app/coach/roster.py); no tool takes an athlete id.
Every object a tool fetches by an id the model gave is checked with
:meth:`AthleteContext.owned`, the one ownership check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.clock import utc_now
from app.coach.policy import EVERYTHING_SHARED, SharingPolicy
from app.coach.roster import RosterEntry
from app.intervals.session import AthleteSession
from app.mcp.tools.dates import DateWindow, resolve_window
from app.mcp.tools.errors import not_found, upstream_errors
from app.mcp.tools.units import PaceUnits
from app.training.guardrails import Limits
from app.writes.changes import WriteStore

Clock = Callable[[], datetime]

requested_athlete: ContextVar[str | None] = ContextVar("requested_athlete", default=None)
"""The roster athlete the current tool call names (the platform's ``athlete`` argument, set by
app/mcp/server.py GatewayServer; None: the caller themself). Providers resolve it against the
caller's roster; a tool never reads it."""


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
    """One tool call's view: whose data (the acting athlete), in which timezone, at what time."""

    api: AthleteSession
    athlete_id: str
    timezone: ZoneInfo
    now: Clock = field(default=utc_now)
    writes: WriteStore | None = field(default=None, repr=False, compare=False)
    """The caller's confirmation handles and journal (app/writes); None: writes unavailable."""
    guardrails: Limits = field(default_factory=Limits, repr=False, compare=False)
    """The operator's write guardrail thresholds and refusals (app/training/guardrails.py)."""
    about: str | None = None
    """When a coach acts for a roster athlete: who (``Lena Vogel (i100002)``); answers say so."""
    sharing: SharingPolicy = field(default=EVERYTHING_SHARED, compare=False)
    """What the acting athlete hides from the caller; the platform filters every answer."""
    squad: Squad | None = field(default=None, repr=False, compare=False)
    """The caller's roster with a session per athlete (coach tools); None: not a coach."""
    reached: set[str] = field(default_factory=set, repr=False, compare=False)
    """Roster athletes this call covered through the squad (triage): the access log records
    the call in each one's log too."""

    def today(self) -> date:
        """Today's date where the athlete is (not in UTC)."""
        return self.now().astimezone(self.timezone).date()

    def window(
        self,
        start_date: str | None,
        end_date: str | None,
        *,
        days_back: int,
        max_days: int,
        days_ahead: int = 0,
    ) -> DateWindow:
        """The local-day window asked for (both ends inclusive), defaults relative to the
        athlete's today; see :func:`app.mcp.tools.dates.resolve_window`."""
        return resolve_window(
            start_date,
            end_date,
            today=self.today(),
            days_back=days_back,
            days_ahead=days_ahead,
            max_days=max_days,
        )

    def owned(self, owner_id: str | None, what: str) -> None:
        """Refuse (as "not found") an object that does not belong to the acting athlete, even
        when Intervals.icu returned it (a coach's or follower's key may read others' data)."""
        if owner_id != self.athlete_id:
            raise not_found(what)

    async def pace_units(self) -> PaceUnits:
        """The athlete's pace units, from ``GET /athlete/{id}``. Kept only by the answer cache
        (app/intervals/answer_cache.py), so a sport-settings webhook or a write through the
        gateway changes them at once, like every other answer."""
        async with upstream_errors("your athlete profile"):
            profile = await self.api.get_athlete()
        sports = [(s.types, s.pace_units) for s in profile.sport_settings]
        return PaceUnits.from_profile(profile.measurement_preference, sports)


class Squad(Protocol):
    """A coach's roster, and an Intervals.icu session for each athlete on it (with the
    credential that may read them: the coach's own, or the athlete's when they shared here)."""

    async def members(self) -> Sequence[RosterEntry]:
        """The athletes on the caller's roster (checked on the server, cached briefly)."""
        ...

    async def session(self, entry: RosterEntry) -> AthleteSession: ...


class AthleteProvider(Protocol):
    """Opens the caller's :class:`AthleteContext` for the duration of one tool call."""

    def open(self) -> AbstractAsyncContextManager[AthleteContext]: ...


@dataclass(frozen=True)
class ToolCall:
    """What the access log records of one finished tool call (issue 18): never its arguments.
    ``outcome`` is "ok", "refused" (a clear error for the caller) or "failed" (unexpected)."""

    tool: str
    categories: tuple[str, ...]
    mode: str
    outcome: str
    athlete_id: str | None = None
    """The athlete the call acted for (its context's), None when no context was opened."""
    also_for: tuple[str, ...] = ()
    """Other athletes whose data the call read (a coach's roster triage)."""


@runtime_checkable
class CallRecorder(Protocol):
    """A provider that records each finished tool call (the HTTP gateway's access log)."""

    async def record_call(self, call: ToolCall) -> None: ...
