"""``get_activities_around``: ``GET /athlete/{id}/activities-around?activity_id=&limit=``
(intervals-api.md §2.2: activities before and after one activity, closest first). The answer
is in time order, split into the ones before and after the given activity; every activity
returned must belong to the acting athlete. Should upstream leave the activity itself out of
its list, it is read with ``GET /activity/{id}`` (which also checks whose it is)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.intervals.models import Activity
from app.mcp.tools.catalog._activity import (
    SUMMARY_READS,
    ActivityIdShort,
    ActivitySummary,
    fetch_own_activity,
    latest_ride,
    pace_units_for,
)
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors

MAX_LIMIT = 30
AROUND_READS = upstream_fields(Activity, "icu_athlete_id", *SUMMARY_READS)
"""What the answer reads of each activity around: its owner (checked) and its summary."""


class ActivitiesAround(Answer):
    """The activities just before and just after one activity, oldest first in each list."""

    activity_id: str
    before: list[ActivitySummary]
    activity: ActivitySummary
    after: list[ActivitySummary]
    more_available: bool | None = None

    def text(self) -> str:
        head = f"{len(self.before)} before, {len(self.after)} after [{self.activity_id}]"
        if self.more_available:
            head += "; limit reached, raise limit for more"
        lines = [f"before: {a.line()}" for a in self.before]
        lines.append(f"this: {self.activity.line()}")
        lines += [f"after: {a.line()}" for a in self.after]
        return "\n".join([head, *lines])


def split_around(found: list[Activity], this: Activity) -> tuple[list[Activity], list[Activity]]:
    """Upstream's list (closest first) as (before, after) ``this``, each oldest first."""
    moment = this.start_date_local.replace(tzinfo=None)
    others = sorted(
        (a for a in found if a.id != this.id), key=lambda a: a.start_date_local.replace(tzinfo=None)
    )
    before = [a for a in others if a.start_date_local.replace(tzinfo=None) <= moment]
    return before, others[len(before) :]


@tool(
    title="Activities around one",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "limit": 4},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities in the athlete's own Intervals.icu account; changes nothing there or "
        "anywhere public."
    ),
)
async def get_activities_around(
    ctx: AthleteContext,
    activity_id: ActivityIdShort,
    limit: Annotated[int, Field(ge=2, le=MAX_LIMIT)] = 6,
) -> ActivitiesAround:
    """The activities just before and after one, in time order."""
    what = f"activity {activity_id}"
    async with upstream_errors(what):
        found = await ctx.api.activities_around(activity_id, limit=limit, reads=AROUND_READS)
    for item in found:
        ctx.owned(item.icu_athlete_id, what)
    this = next((a for a in found if a.id == activity_id), None)
    if this is None:  # not in upstream's list: read it (and check it is the athlete's)
        this = await fetch_own_activity(ctx, activity_id)
    before, after = split_around(found, this)
    pace = await pace_units_for(ctx, [a.type for a in found])
    return ActivitiesAround(
        activity_id=this.id,
        before=[ActivitySummary.from_upstream(a, pace) for a in before],
        activity=ActivitySummary.from_upstream(this, pace),
        after=[ActivitySummary.from_upstream(a, pace) for a in after],
        more_available=True if len(found) >= limit else None,
    )
