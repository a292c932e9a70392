"""``get_activity_curve``: ``GET /activity/{id}/{power,hr,pace}-curve`` (intervals-api.md §2.2)
at the standard points, after ``GET /activity/{id}`` proves the activity is the acting
athlete's (the curve itself does not say whose it is)."""

from __future__ import annotations

from app.mcp.tools.catalog._activity import (
    STUB_NOTE,
    ActivityId,
    fetch_own_activity,
    latest_ride,
    local_iso,
)
from app.mcp.tools.catalog._curves import CurveKind, CurvePoint, standard_points
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors
from app.mcp.tools.units import PaceUnits, has_pace


class ActivityCurveAnswer(Answer):
    """One activity's best efforts at the standard points."""

    activity_id: str
    start_date_local: str
    name: str | None = None
    type: str | None = None
    kind: str
    points: list[CurvePoint]
    note: str | None = None

    def text(self) -> str:
        head = f"{self.kind} curve of {self.name or 'activity'} [{self.activity_id}]"
        head += f" {self.start_date_local[:16].replace('T', ' ')}"
        lines = [p.line() for p in self.points]
        return "\n".join([head, *lines, *([self.note] if self.note else [])])


@tool(
    title="Activity curve",
    toolset="analytics",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "kind": "power"},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity's curve in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_activity_curve(
    ctx: AthleteContext, activity_id: ActivityId, kind: CurveKind = "power"
) -> ActivityCurveAnswer:
    """One activity's best power, HR or pace (5s-60min; 400m-10km)."""
    activity = await fetch_own_activity(ctx, activity_id)
    answer = {
        "activity_id": activity.id,
        "start_date_local": local_iso(activity),
        "name": activity.name,
        "type": activity.type,
        "kind": kind,
    }
    if activity.is_stub:
        return ActivityCurveAnswer(**answer, points=[], note=STUB_NOTE)
    async with upstream_errors(f"{kind} curve of activity {activity.id}"):
        curve = await ctx.api.get_activity_curve(activity.id, kind)
    pace = await ctx.pace_units() if kind == "pace" and has_pace(activity.type) else PaceUnits()
    points = standard_points(
        kind,
        secs=curve.secs,
        distance=curve.distance,
        values=curve.values,
        per_kg=curve.watts_per_kg,
        sport=activity.type,
        pace=pace,
    )
    note = None if points else f"No {kind} data in this activity."
    return ActivityCurveAnswer(**answer, points=points, note=note)
