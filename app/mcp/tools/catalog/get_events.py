"""``get_events``: ``GET /athlete/{id}/events`` (``oldest``, ``newest`` inclusive local days,
``limit``, ``category``; intervals-api.md §2.5). Events overlapping the window's local days are
kept, in date order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from app.mcp.tools.catalog._event import EventDetail, EventSummary
from app.mcp.tools.dates import ISO_DATE_PATTERN
from app.mcp.tools.kit import (
    AthleteContext,
    WindowAnswer,
    optional_argument_schema,
    tool,
    upstream_errors,
)
from app.mcp.tools.schema import date_argument_schema

LocalDay = Annotated[
    str | None, Field(pattern=ISO_DATE_PATTERN, json_schema_extra=date_argument_schema)
]
"""A ``YYYY-MM-DD`` athlete-local day (the tool description says so once for both ends)."""

DEFAULT_DAYS_AHEAD = 6
MAX_WINDOW_DAYS = 366
MAX_LIMIT = 200
DEFAULT_LIMIT = 50

Category = Literal[
    "workout", "race", "note", "target", "plan", "season", "holiday", "sick", "injured", "fitness"
]
CATEGORIES: dict[str, tuple[str, ...]] = {
    "workout": ("WORKOUT",),
    "race": ("RACE_A", "RACE_B", "RACE_C"),
    "note": ("NOTE",),
    "target": ("TARGET",),
    "plan": ("PLAN",),
    "season": ("SEASON_START",),
    "holiday": ("HOLIDAY",),
    "sick": ("SICK",),
    "injured": ("INJURED",),
    "fitness": ("SET_EFTP", "FITNESS_DAYS", "SET_FITNESS"),
}
"""Each category argument and the upstream ``Event.category`` values it stands for."""
UPSTREAM_CATEGORY = {name.lower(): group for group, names in CATEGORIES.items() for name in names}


def category_group(value: object) -> object:
    """Upstream names (``RACE_A``, ``SEASON_START``) and any case are accepted as their group."""
    if not isinstance(value, str):
        return value
    key = value.strip().lower()
    return UPSTREAM_CATEGORY.get(key, key)


def upstream_categories(chosen: list[Category] | None) -> list[str] | None:
    """The ``category`` query of ``GET /athlete/{id}/events`` for the chosen groups."""
    if not chosen:
        return None
    return [name for group in dict.fromkeys(chosen) for name in CATEGORIES[group]]


class EventList(WindowAnswer):
    """Calendar events in a local date window, in date order."""

    events: list[EventDetail | EventSummary]

    def text(self) -> str:
        return "\n".join([self.header("events"), *(e.line() for e in self.events)])


@tool(
    title="Calendar",
    toolset="core",
    example={"start_date": "2026-07-29", "end_date": "2026-08-04", "limit": 3},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads calendar events in the athlete's own Intervals.icu account; changes nothing there "
        "or anywhere public."
    ),
)
async def get_events(
    ctx: AthleteContext,
    start_date: LocalDay = None,
    end_date: LocalDay = None,
    category: Annotated[
        list[Annotated[Category, BeforeValidator(category_group)]] | None,
        Field(json_schema_extra=optional_argument_schema),
    ] = None,
    limit: Annotated[
        int | None, Field(ge=1, le=MAX_LIMIT, json_schema_extra=optional_argument_schema)
    ] = None,
    detail: bool = False,
) -> EventList:
    """Calendar events by local day, default today + 6 days."""
    limit = limit or DEFAULT_LIMIT
    window = ctx.window(
        start_date,
        end_date,
        days_back=DEFAULT_DAYS_AHEAD,
        days_ahead=DEFAULT_DAYS_AHEAD,
        max_days=MAX_WINDOW_DAYS,
    )
    async with upstream_errors("calendar events"):
        found = await ctx.api.list_events(
            window.oldest, window.newest, category=upstream_categories(category), limit=limit
        )
    kept = [e for e in found if window.overlaps(e.start_date_local, e.end_date_local)]
    kept.sort(key=lambda e: (e.start_date_local.replace(tzinfo=None), e.id))
    shape = EventDetail if detail else EventSummary
    events = [shape.from_upstream(e) for e in kept[:limit]]
    return EventList(
        **EventList.window_fields(window, str(ctx.timezone), len(events), len(found) >= limit),
        events=events,
    )
