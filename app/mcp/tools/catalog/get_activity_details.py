"""``get_activity_details``: ``GET /activity/{id}`` (intervals-api.md §2.2), refused unless the
activity belongs to the acting athlete."""

from __future__ import annotations

from app.mcp.tools.catalog._activity import (
    ActivityDetail,
    ActivityId,
    fetch_own_activity,
    latest_ride,
    pace_units_for,
)
from app.mcp.tools.kit import Answer, AthleteContext, legends, scale_lines, tool


class ActivityDetails(Answer):
    """One activity in full."""

    activity: ActivityDetail
    scales: dict[str, str] | None = None

    def text(self) -> str:
        return "\n".join([self.activity.line(), *scale_lines(self.scales)])


@tool(
    title="Activity details",
    toolset="core",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete)},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity in the athlete's own Intervals.icu account; changes nothing there or "
        "anywhere public."
    ),
)
async def get_activity_details(ctx: AthleteContext, activity_id: ActivityId) -> ActivityDetails:
    """One activity in full: power, HR, pace, load, feel, description."""
    activity = await fetch_own_activity(ctx, activity_id)
    out = ActivityDetail.from_upstream(activity, await pace_units_for(ctx, [activity.type]))
    return ActivityDetails(activity=out, scales=legends(out.scales_used()))
