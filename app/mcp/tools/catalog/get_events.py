"""``get_events``: ``GET /athlete/{id}/events`` (``oldest``, ``newest`` inclusive local days,
``limit``, ``category``; intervals-api.md §2.5). Events overlapping the window's local days are
kept, in date order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.mcp.tools.catalog._event import EventDetail, EventSummary
from app.mcp.tools.kit import (
    AthleteContext,
    IsoDate,
    WindowAnswer,
    optional_argument_schema,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_AHEAD = 6
MAX_WINDOW_DAYS = 366
MAX_LIMIT = 200

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


class EventList(WindowAnswer):
    """Calendar events in a local date window, in date order."""

    events: list[EventDetail | EventSummary]

    def text(self) -> str:
        return "\n".join([self.header("events"), *(e.line() for e in self.events)])


@tool(
    title="Calendar events",
    toolset="core",
    example={"start_date": "2026-07-29", "end_date": "2026-08-04", "limit": 3},
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
    window = ctx.window(
        start_date,
        end_date,
        days_back=DEFAULT_DAYS_AHEAD,
        days_ahead=DEFAULT_DAYS_AHEAD,
        max_days=MAX_WINDOW_DAYS,
    )
    async with upstream_errors("calendar events"):
        found = await ctx.api.list_events(
            window.oldest, window.newest, category=category, limit=limit
        )
    kept = [e for e in found if window.overlaps(e.start_date_local, e.end_date_local)]
    kept.sort(key=lambda e: (e.start_date_local.replace(tzinfo=None), e.id))
    shape = EventDetail if detail else EventSummary
    events = [shape.from_upstream(e) for e in kept[:limit]]
    return EventList(
        **EventList.window_fields(window, str(ctx.timezone), len(events), len(found) >= limit),
        events=events,
    )
