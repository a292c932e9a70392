"""Calendar tools: ``get_events`` and ``get_event_by_id``.

Upstream: ``GET /athlete/{id}/events`` (``oldest``, ``newest`` inclusive local days, ``limit``,
``category``) and ``GET /athlete/{id}/events/{eventId}`` (plural ``events``: the original server
used ``/event/`` and got 404s). An event fetched by id is checked to belong to the caller.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.intervals.models import Event
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import IsoDate, resolve_window
from app.mcp.tools.errors import EXPECTED_ERRORS, describe, not_found
from app.mcp.tools.models import EventDetails, EventList, EventOut
from app.mcp.tools.numbers import rounded
from app.mcp.tools.schema import optional_argument_schema

DEFAULT_DAYS_AHEAD = 6
MAX_WINDOW_DAYS = 366
MAX_LIMIT = 200
SUMMARY_DESCRIPTION_CHARS = 160

Category = Literal[
    "WORKOUT",
    "RACE_A",
    "RACE_B",
    "RACE_C",
    "NOTE",
    "PLAN",
    "HOLIDAY",
    "SICK",
    "INJURED",
    "SET_EFTP",
    "FITNESS_DAYS",
    "SEASON_START",
    "TARGET",
    "SET_FITNESS",
]


def _local(moment: object) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=None).isoformat()  # type: ignore[attr-defined, no-any-return]


def _short(text: str | None) -> str | None:
    if not text:
        return None
    if len(text) <= SUMMARY_DESCRIPTION_CHARS:
        return text
    return text[: SUMMARY_DESCRIPTION_CHARS - 1].rstrip() + "…"


def event_out(event: Event, *, detail: bool) -> EventOut:
    """The compact form of an upstream event; the description is shortened unless ``detail``."""
    return EventOut(
        id=event.id,
        category=event.category,
        start_date_local=event.start_date_local.replace(tzinfo=None).isoformat(),
        end_date_local=_local(event.end_date_local) if detail else None,
        name=event.name,
        type=event.type,
        moving_time_s=event.moving_time or None,
        distance_m=rounded(event.distance) or None,
        training_load=rounded(event.icu_training_load),
        intensity_pct=rounded(event.icu_intensity) if detail else None,
        indoor=event.indoor,
        description=(event.description or None) if detail else _short(event.description),
        tags=(event.tags or None) if detail else None,
    )


async def get_events(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    category: Annotated[
        list[Category] | None,
        Field(description="Only these categories", json_schema_extra=optional_argument_schema),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50,
    detail: Annotated[bool, Field(description="Full descriptions and all fields")] = False,
) -> EventList:
    """Your calendar between two dates (default: today and the next 6 days): planned
    workouts, races, notes."""
    window = resolve_window(
        start_date,
        end_date,
        today=ctx.today(),
        days_back=DEFAULT_DAYS_AHEAD,
        days_ahead=DEFAULT_DAYS_AHEAD,
        max_days=MAX_WINDOW_DAYS,
    )
    try:
        found = await ctx.api.list_events(
            window.oldest, window.newest, category=category, limit=limit
        )
    except EXPECTED_ERRORS as error:
        raise describe(error, "calendar events") from None
    kept = [e for e in found if window.overlaps(e.start_date_local, e.end_date_local)]
    kept.sort(key=lambda e: (e.start_date_local.replace(tzinfo=None), e.id))
    events = [event_out(e, detail=detail) for e in kept[:limit]]
    return EventList(
        timezone=str(ctx.timezone),
        oldest=window.oldest.isoformat(),
        newest=window.newest.isoformat(),
        count=len(events),
        more_available=True if len(found) >= limit else None,
        events=events,
    )


async def get_event_by_id(
    ctx: AthleteContext,
    event_id: Annotated[int, Field(ge=1, description="From get_events")],
) -> EventDetails:
    """One calendar event in full, including the workout text."""
    what = f"event {event_id}"
    try:
        event = await ctx.api.get_event(event_id)
    except EXPECTED_ERRORS as error:
        raise describe(error, what) from None
    if event.athlete_id != ctx.athlete_id:
        raise not_found(what)
    return EventDetails(event=event_out(event, detail=True))
