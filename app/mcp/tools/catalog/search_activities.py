"""``search_activities``: find activities by name text, tag, sport type and local date window.

Two upstream reads, whichever fits the question (intervals-api.md §2.2):

- name text or tag alone: ``GET /athlete/{id}/activities/search?q=&limit=`` (``q`` is a
  case-insensitive name search, or ``#tag`` for an exact tag), all-time, newest first;
- with a window or a type: ``GET /athlete/{id}/activities?oldest=&newest=&fields=`` over
  exactly the local days asked for (no padding), filtered here by name, tag and type.

When the gateway filters after upstream, it asks upstream for every match (no ``limit``) so
that nothing is lost, then keeps ``limit`` and says how many more matched. Strava-imported
activities cannot be searched through the API; the answer counts them when the window holds some.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from app.intervals.models import Activity, ActivitySearchResult
from app.mcp.tools.catalog._activity import SUMMARY_UNITS, ActivitySummary
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.dates import DateWindow
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    ToolFailure,
    join,
    optional_argument_schema,
    rounded,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import PaceUnits, has_pace

MAX_LIMIT = 100
DEFAULT_DAYS_BACK = 90
MAX_WINDOW_DAYS = 366
LIST_READS = ("name", "type", "tags", "distance", "moving_time", "source")
"""The :class:`Activity` attributes a windowed search reads (:func:`hit_from`, :func:`matches`,
:func:`is_stub`), besides ``id`` and ``start_date_local``."""
LIST_FIELDS = upstream_fields(Activity, *LIST_READS)

OPTIONAL = optional_argument_schema
Text = Annotated[str | None, Field(json_schema_extra=OPTIONAL)]
Tag = Annotated[str | None, Field(json_schema_extra=OPTIONAL)]
Sport = Annotated[str | None, Field(json_schema_extra=OPTIONAL)]
MAX_TEXT = 100


class Hit(ActivitySummary):
    """One activity found, with its tags."""

    line_units = SUMMARY_UNITS  # no heart rate: the tags follow the summary's numbers
    tags: list[str] | None = None

    def more_text(self) -> list[str | None]:
        return [f"#{' #'.join(self.tags)}" if self.tags else None]


class ActivitySearch(Answer):
    """Activities matching every filter given, newest first."""

    timezone: str
    oldest: str | None = None
    newest: str | None = None
    count: int
    more_matches: int | None = None
    more_available: bool | None = None
    strava_hidden: int | None = None
    activities: list[Hit]

    def text(self) -> str:
        span = f" {self.oldest}..{self.newest}" if self.oldest and self.newest else " (all time)"
        noun = "activity" if self.count == 1 else "activities"
        head = f"{self.count} {noun} found{span} ({self.timezone})"
        notes = [
            f"{self.more_matches} more matched; narrow the window or raise limit"
            if self.more_matches
            else None,
            "limit reached, more may exist; raise limit" if self.more_available else None,
            f"{self.strava_hidden} Strava imports not searchable" if self.strava_hidden else None,
        ]
        extra = join(notes)
        return "\n".join(
            [f"{head}; {extra}" if extra else head, *(a.line() for a in self.activities)]
        )


def hit_from(item: ActivitySearchResult | Activity, pace: PaceUnits | None) -> Hit:
    """The summary of a search result or a listed activity (pace from distance and time)."""
    speed = None
    if item.distance and item.moving_time:
        speed = item.distance / item.moving_time
    return Hit(
        id=item.id,
        start_date_local=item.start_date_local.replace(tzinfo=None).isoformat(),
        name=item.name,
        type=item.type,
        distance_m=rounded(item.distance),
        moving_time_s=item.moving_time,
        avg_pace=pace.pace(item.type, speed) if pace else None,
        tags=list(item.tags) or None,
    )


def matches(
    item: ActivitySearchResult | Activity, text: str | None, tag: str | None, sport: str | None
) -> bool:
    """Whether one activity passes every filter given (name text ignores case; tags exact)."""
    if text and text.lower() not in (item.name or "").lower():
        return False
    if tag and tag not in item.tags:
        return False
    return not sport or (item.type or "").lower() == sport.lower()


def is_stub(item: Activity) -> bool:
    """A Strava import upstream shares no more of: by ``source`` and no ``type`` (a list asked
    for :data:`LIST_FIELDS` carries no ``_note`` for ``Activity.is_stub``)."""
    return item.source == "STRAVA" and item.type is None


def example(fake: object, athlete: str) -> dict[str, object]:
    return {"type": "Ride", "start_date": "2026-07-01", "end_date": "2026-07-28", "limit": 3}


@tool(
    title="Search activities",
    toolset="activities",
    example=example,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities in the athlete's own Intervals.icu account; changes nothing there or "
        "anywhere public."
    ),
)
async def search_activities(
    ctx: AthleteContext,
    name: Text = None,
    tag: Tag = None,
    type: Sport = None,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20,
) -> ActivitySearch:
    """Activities by name, tag, type or local dates, newest first."""
    text, tag, type = (v.strip() or None if v else None for v in (name, tag, type))
    tag = tag.lstrip("#") or None if tag else None
    if any(len(v) > MAX_TEXT for v in (text, tag, type) if v):
        raise ToolFailure(f"name, tag and type are at most {MAX_TEXT} characters.")
    if not (text or tag or type or start_date or end_date):
        raise ToolFailure("Give a name, tag, type or date window to search by.")
    if (text or tag) and not (type or start_date or end_date):
        return await search_by_name(ctx, text, tag, limit)
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    async with upstream_errors("activities"):
        found = await ctx.api.list_activities(
            window.oldest, window.last_second, fields=LIST_FIELDS, only_fields=True
        )
    listed = [a for a in found if window.contains(a.start_date_local)]
    stubs = sum(1 for a in listed if is_stub(a))
    kept = [a for a in listed if not is_stub(a) and matches(a, text, tag, type)]
    return await answer(ctx, kept, limit, window=window, hidden=stubs if stubs else None)


async def search_by_name(
    ctx: AthleteContext, text: str | None, tag: str | None, limit: int
) -> ActivitySearch:
    """``q`` is the tag (exact) when given, else the name text; both given: filter the rest."""
    query = f"#{tag}" if tag else str(text)
    both = bool(tag and text)
    async with upstream_errors("activity search"):
        found = await ctx.api.search_activities(query, limit=None if both else limit)
    kept = [a for a in found if matches(a, text, tag, None)]
    return await answer(ctx, kept, limit, upstream_full=not both and len(found) >= limit)


async def answer(
    ctx: AthleteContext,
    kept: Sequence[ActivitySearchResult | Activity],
    limit: int,
    *,
    window: DateWindow | None = None,
    hidden: int | None = None,
    upstream_full: bool = False,
) -> ActivitySearch:
    """Newest first, cut at ``limit``; ``upstream_full``: upstream stopped at the limit, so
    more may match (how many is unknown)."""
    ordered = sorted(kept, key=lambda a: a.start_date_local.replace(tzinfo=None), reverse=True)
    shown = ordered[:limit]
    pace = await ctx.pace_units() if any(has_pace(a.type) for a in shown) else None
    return ActivitySearch(
        timezone=str(ctx.timezone),
        oldest=window.oldest.isoformat() if window else None,
        newest=window.newest.isoformat() if window else None,
        count=len(shown),
        more_matches=(len(ordered) - len(shown)) or None,
        more_available=True if upstream_full else None,
        strava_hidden=hidden,
        activities=[hit_from(a, pace) for a in shown],
    )
