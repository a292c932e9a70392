"""Activity tools: ``get_activities``, ``get_activity_details``, ``get_activity_intervals``.

Upstream: ``GET /athlete/{id}/activities`` (``oldest``, ``newest``, ``limit``; newest first),
``GET /activity/{id}`` and ``GET /activity/{id}?intervals=true`` (intervals-api.md §2.2).
Activities fetched by id are checked to belong to the caller's athlete before they are returned.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.intervals.models import Activity, Interval, IntervalGroup
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import IsoDate, resolve_window
from app.mcp.tools.errors import EXPECTED_ERRORS, describe, not_found
from app.mcp.tools.models import (
    SCALES,
    ActivityDetails,
    ActivityIntervals,
    ActivityList,
    ActivityOut,
    IntervalGroupOut,
    IntervalOut,
)
from app.mcp.tools.numbers import rounded, whole

DEFAULT_DAYS_BACK = 30
MAX_WINDOW_DAYS = 366
MAX_LIMIT = 100
STUB_NOTE = "Imported from Strava: Intervals.icu does not share its details through the API."

ActivityId = Annotated[
    str,
    Field(
        pattern=r"^i?[0-9]{1,20}$",
        description="From get_activities, e.g. i170317118",
    ),
]
Detail = Annotated[bool, Field(description="Add all fields, not only the summary")]


def _scales(activities: list[ActivityOut]) -> dict[str, str] | None:
    used = {key for a in activities for key in ("feel", "rpe") if getattr(a, key) is not None}
    return {key: SCALES[key] for key in sorted(used)} or None


def activity_out(activity: Activity, *, detail: bool) -> ActivityOut:
    """The compact form of an upstream activity (summary fields, all fields with ``detail``)."""
    out = ActivityOut(
        id=activity.id,
        start_date_local=activity.start_date_local.replace(tzinfo=None).isoformat(),
        name=activity.name,
        type=activity.type,
        distance_m=rounded(activity.distance),
        moving_time_s=activity.moving_time,
        elevation_gain_m=rounded(activity.total_elevation_gain),
        training_load=rounded(activity.icu_training_load),
        avg_hr_bpm=whole(activity.average_heartrate),
        avg_power_w=whole(activity.icu_average_watts),
        note=STUB_NOTE if activity.is_stub else None,
    )
    if not detail:
        return out
    return out.model_copy(
        update={
            "elapsed_time_s": activity.elapsed_time,
            "avg_speed_mps": rounded(activity.average_speed, 2),
            "max_hr_bpm": whole(activity.max_heartrate),
            "avg_cadence_rpm": whole(activity.average_cadence),
            "normalized_power_w": whole(activity.icu_weighted_avg_watts),
            "ftp_w": whole(activity.icu_ftp),
            "intensity_pct": rounded(activity.icu_intensity),
            "calories_kcal": whole(activity.calories),
            "fitness_ctl": rounded(activity.icu_ctl),
            "fatigue_atl": rounded(activity.icu_atl),
            "rpe": activity.icu_rpe,
            "feel": activity.feel,
            "trainer": activity.trainer,
            "commute": activity.commute,
            "race": activity.race,
            "source": activity.source,
            "description": activity.description or None,
            "tags": activity.tags or None,
            "interval_summary": activity.interval_summary or None,
            "paired_event_id": activity.paired_event_id,
        }
    )


async def get_activities(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 10,
    detail: Detail = False,
) -> ActivityList:
    """List your activities between two dates (default: the last 30 days), newest first."""
    window = resolve_window(
        start_date,
        end_date,
        today=ctx.today(),
        days_back=DEFAULT_DAYS_BACK,
        max_days=MAX_WINDOW_DAYS,
    )
    try:
        found = await ctx.api.list_activities(window.oldest, window.last_second, limit=limit)
    except EXPECTED_ERRORS as error:
        raise describe(error, "activities") from None
    kept = [a for a in found if window.contains(a.start_date_local)][:limit]
    activities = [activity_out(a, detail=detail) for a in kept]
    return ActivityList(
        timezone=str(ctx.timezone),
        oldest=window.oldest.isoformat(),
        newest=window.newest.isoformat(),
        count=len(activities),
        more_available=True if len(found) >= limit else None,
        activities=activities,
        scales=_scales(activities),
    )


async def fetch_own_activity(
    ctx: AthleteContext, activity_id: str, *, intervals: bool = False
) -> Activity:
    """``GET /activity/{id}``, refused unless the activity belongs to the caller's athlete."""
    what = f"activity {activity_id}"
    try:
        activity = await ctx.api.get_activity(activity_id, intervals=intervals)
    except EXPECTED_ERRORS as error:
        raise describe(error, what) from None
    if activity.icu_athlete_id != ctx.athlete_id:
        raise not_found(what)
    return activity


async def get_activity_details(ctx: AthleteContext, activity_id: ActivityId) -> ActivityDetails:
    """One activity with all its fields: power, heart rate, load, feel, description."""
    activity = await fetch_own_activity(ctx, activity_id)
    out = activity_out(activity, detail=True)
    return ActivityDetails(activity=out, scales=_scales([out]))


def interval_out(interval: Interval, *, detail: bool) -> IntervalOut:
    """The compact form of one upstream interval."""
    out = IntervalOut(
        id=interval.id,
        type=interval.type,
        label=interval.label,
        start_time_s=interval.start_time,
        moving_time_s=interval.moving_time,
        avg_power_w=whole(interval.average_watts),
        intensity_pct=rounded(interval.intensity, 0),
        zone=interval.zone,
        avg_hr_bpm=whole(interval.average_heartrate),
    )
    if not detail:
        return out
    return out.model_copy(
        update={
            "distance_m": rounded(interval.distance),
            "normalized_power_w": whole(interval.weighted_average_watts),
            "max_power_w": whole(interval.max_watts),
            "max_hr_bpm": whole(interval.max_heartrate),
            "avg_cadence_rpm": whole(interval.average_cadence),
            "avg_speed_mps": rounded(interval.average_speed, 2),
            "training_load": rounded(interval.training_load),
        }
    )


def group_out(group: IntervalGroup) -> IntervalGroupOut:
    """The compact form of one upstream interval group."""
    return IntervalGroupOut(
        id=group.id,
        count=group.count,
        moving_time_s=group.moving_time,
        avg_power_w=whole(group.average_watts),
        normalized_power_w=whole(group.weighted_average_watts),
        intensity_pct=rounded(group.intensity, 0),
        avg_hr_bpm=whole(group.average_heartrate),
        avg_cadence_rpm=whole(group.average_cadence),
    )


async def get_activity_intervals(
    ctx: AthleteContext, activity_id: ActivityId, detail: Detail = False
) -> ActivityIntervals:
    """The intervals (work and recovery laps) of one activity, in order."""
    activity = await fetch_own_activity(ctx, activity_id, intervals=True)
    intervals = [interval_out(i, detail=detail) for i in activity.icu_intervals]
    groups = [group_out(g) for g in activity.icu_groups] if detail else None
    return ActivityIntervals(
        activity_id=activity.id,
        start_date_local=activity.start_date_local.replace(tzinfo=None).isoformat(),
        name=activity.name,
        count=len(intervals),
        intervals=intervals,
        groups=groups or None,
    )
