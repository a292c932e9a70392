"""``get_activities_around``: ``GET /athlete/{id}/activities-around?activity_id=&limit=``
(intervals-api.md §2.2: activities before and after one activity). The answer is in time
order, split into the ones before and after the given activity; every activity returned must
belong to the acting athlete."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.intervals.models import Activity
from app.mcp.tools.catalog._activity import (
    ActivityIdShort,
    ActivitySummary,
    latest_ride,
    pace_units_for,
)
from app.mcp.tools.errors import not_found
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors

MAX_LIMIT = 30


class ActivitiesAround(Answer):
    """The activities just before and just after one activity, oldest first in each list."""

    activity_id: str
    before: list[ActivitySummary]
    activity: ActivitySummary | None = None
    after: list[ActivitySummary]
    more_available: bool | None = None

    def text(self) -> str:
        head = f"{len(self.before)} before, {len(self.after)} after [{self.activity_id}]"
        if self.more_available:
            head += "; limit reached, raise limit for more"
        lines = [f"before: {a.line()}" for a in self.before]
        if self.activity is not None:
            lines.append(f"this: {self.activity.line()}")
        lines += [f"after: {a.line()}" for a in self.after]
        return "\n".join([head, *lines])


def split_around(
    found: list[Activity], activity_id: str
) -> tuple[list[Activity], Activity | None, list[Activity]]:
    """Upstream's list (closest first) as (before, the activity, after), each oldest first."""
    ordered = sorted(found, key=lambda a: (a.start_date_local.replace(tzinfo=None), a.id))
    index = next((i for i, a in enumerate(ordered) if a.id == activity_id), None)
    if index is None:
        return [], None, []
    return ordered[:index], ordered[index], ordered[index + 1 :]


@tool(
    title="Activities around one",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "limit": 4},
    owned={"activity_id": "activity"},
)
async def get_activities_around(
    ctx: AthleteContext,
    activity_id: ActivityIdShort,
    limit: Annotated[int, Field(ge=2, le=MAX_LIMIT)] = 6,
) -> ActivitiesAround:
    """The activities just before and after one activity, in time order."""
    what = f"activity {activity_id}"
    async with upstream_errors(what):
        found = await ctx.api.activities_around(activity_id, limit=limit)
    for item in found:
        ctx.owned(item.icu_athlete_id, what)
    before, this, after = split_around(found, activity_id)
    if this is None:
        raise not_found(what)
    pace = await pace_units_for(ctx, [a.type for a in found])
    return ActivitiesAround(
        activity_id=this.id,
        before=[ActivitySummary.from_upstream(a, pace) for a in before],
        activity=ActivitySummary.from_upstream(this, pace),
        after=[ActivitySummary.from_upstream(a, pace) for a in after],
        more_available=True if len(found) >= limit else None,
    )
