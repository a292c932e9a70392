"""``get_activity_intervals``: ``GET /activity/{id}?intervals=true`` (intervals-api.md §2.2),
refused unless the activity belongs to the acting athlete."""

from __future__ import annotations

from app.mcp.tools.catalog._activity import (
    ActivityId,
    Detail,
    IntervalDetail,
    IntervalGroupOut,
    IntervalSummary,
    fetch_own_activity,
    latest_ride,
    local_iso,
    pace_units_for,
)
from app.mcp.tools.kit import Answer, AthleteContext, tool


class ActivityIntervals(Answer):
    """The intervals of one activity (and with ``detail`` the groups)."""

    activity_id: str
    start_date_local: str
    name: str | None = None
    count: int
    intervals: list[IntervalDetail | IntervalSummary]
    groups: list[IntervalGroupOut] | None = None

    def text(self) -> str:
        noun = "interval" if self.count == 1 else "intervals"
        head = f"{self.count} {noun} of {self.name or 'activity'} [{self.activity_id}]"
        lines = [i.line() for i in self.intervals] + [g.line() for g in self.groups or []]
        return "\n".join([head, *lines])


@tool(
    title="Activity intervals",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete)},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity's intervals in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_activity_intervals(
    ctx: AthleteContext, activity_id: ActivityId, detail: Detail = False
) -> ActivityIntervals:
    """Intervals (work and recovery laps) of one activity."""
    activity = await fetch_own_activity(ctx, activity_id, intervals=True)
    pace = await pace_units_for(ctx, [activity.type])
    shape = IntervalDetail if detail else IntervalSummary
    intervals = [shape.from_upstream(i, activity.type, pace) for i in activity.icu_intervals]
    groups = [IntervalGroupOut.from_upstream(g) for g in activity.icu_groups] if detail else None
    return ActivityIntervals(
        activity_id=activity.id,
        start_date_local=local_iso(activity),
        name=activity.name,
        count=len(intervals),
        intervals=intervals,
        groups=groups or None,
    )
