"""``get_best_efforts``: ``GET /activity/{id}/best-efforts`` (``stream``, one of ``duration``
s or ``distance`` m, ``count``; intervals-api.md §2.2) once per standard duration or distance,
after ``GET /activity/{id}`` proves the activity is the acting athlete's. Durations longer than
the activity and distances longer than it are not asked for (one request fewer each)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from app.intervals.models import Activity, BestEffort, BestEfforts
from app.mcp.tools.catalog._activity import (
    STUB_NOTE,
    ActivityIdShort,
    fetch_own_activity,
    latest_ride,
)
from app.mcp.tools.kit import Answer, AthleteContext, join, tool, upstream_errors, whole, with_unit
from app.mcp.tools.units import SWIM_TYPES, PaceUnits, has_pace

Metric = Literal["power", "hr", "pace"]
STREAM = {"power": "watts", "hr": "heartrate", "pace": "velocity_smooth"}
DURATIONS_S = (5, 30, 60, 300, 1200, 3600)
YARD_M = 0.9144
Distances = tuple[tuple[float, str], ...]
RUN_DISTANCES: Distances = (
    (400.0, "400 m"),
    (1000.0, "1 km"),
    (1609.344, "1 mi"),
    (5000.0, "5 km"),
    (10000.0, "10 km"),
    (21097.5, "half marathon"),
    (42195.0, "marathon"),
)
SWIM_DISTANCES: Distances = tuple((float(m), f"{m} m") for m in (50, 100, 200, 400, 1500))
YARD_SWIM_DISTANCES: Distances = tuple((y * YARD_M, f"{y} yd") for y in (50, 100, 200, 500, 1650))
"""Short-course yards events, for athletes who swim in yards."""

Target = tuple[int | None, float | None, str]
"""(duration in seconds or None, distance in metres or None, label)."""


def duration_label(seconds: int) -> str:
    """``5 s``, ``20 min``."""
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"


class Effort(Answer):
    """The best stretch over one duration or distance."""

    over: str
    duration_s: int | None = None
    distance_m: float | None = None
    avg_power_w: int | None = None
    avg_hr_bpm: int | None = None
    pace: str | None = None

    def line(self) -> str:
        value = join(
            [
                *self.unit_parts((("avg_power_w", ""), ("avg_hr_bpm", ""))),
                self.pace,
                with_unit("duration_s", self.duration_s) if self.distance_m else None,
            ]
        )
        return f"{self.over}: {value}"


class BestEffortsAnswer(Answer):
    """The best efforts of one activity, shortest first."""

    activity_id: str
    name: str | None = None
    metric: str
    efforts: list[Effort] | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"Best {self.metric} efforts of {self.name or 'activity'} [{self.activity_id}]"
        if self.note:
            return f"{head}: {self.note}"
        return "\n".join([head, *(e.line() for e in self.efforts or [])])


def targets(activity: Activity, metric: Metric, pace: PaceUnits | None) -> list[Target]:
    """The standard durations or distances this activity is long enough to hold."""
    if metric == "pace":
        if activity.type not in SWIM_TYPES:
            distances = RUN_DISTANCES
        elif pace is not None and pace.swim == "SECS_100Y":
            distances = YARD_SWIM_DISTANCES
        else:
            distances = SWIM_DISTANCES
        total = activity.distance or 0.0
        return [(None, metres, label) for metres, label in distances if metres <= total + 0.5]
    length = activity.elapsed_time or activity.moving_time or 0
    return [(s, None, duration_label(s)) for s in DURATIONS_S if s <= length]


def effort_of(
    found: BestEffort, metric: Metric, label: str, sport: str | None, pace: PaceUnits | None
) -> Effort:
    fields: dict[str, Any] = {"over": label}
    if metric == "power":
        fields["avg_power_w"] = whole(found.average)
    elif metric == "hr":
        fields["avg_hr_bpm"] = whole(found.average)
    else:
        speed = found.average
        if found.distance and found.duration:
            speed = found.distance / found.duration
        fields |= {
            "duration_s": found.duration,
            "distance_m": found.distance,
            "pace": pace.pace(sport, speed) if pace else None,
        }
    return Effort.model_validate(fields)


def stream_missing(activity: Activity, metric: Metric) -> bool:
    return bool(activity.stream_types) and STREAM[metric] not in activity.stream_types


async def best_of_each(
    ctx: AthleteContext, activity_id: str, stream: str, wanted: list[Target]
) -> list[BestEffort | None]:
    """The best effort for each target, asked concurrently (the client caps how many of one
    athlete's requests run at once); the first failure is raised once all have finished."""
    results = await asyncio.gather(
        *(
            ctx.api.get_best_efforts(
                activity_id, stream, duration=seconds, distance=metres, count=1
            )
            for seconds, metres, _ in wanted
        ),
        return_exceptions=True,
    )
    failure = next((r for r in results if isinstance(r, BaseException)), None)
    if failure is not None:
        raise failure
    return [r.efforts[0] if r.efforts else None for r in results if isinstance(r, BestEfforts)]


@tool(
    title="Best efforts",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete)},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity's best efforts in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_best_efforts(
    ctx: AthleteContext, activity_id: ActivityIdShort, metric: Metric = "power"
) -> BestEffortsAnswer:
    """One activity's best power or HR (5s-60min) or pace (400m-marathon)."""
    activity = await fetch_own_activity(ctx, activity_id)
    base: dict[str, Any] = {"activity_id": activity.id, "name": activity.name, "metric": metric}
    if activity.is_stub:
        return BestEffortsAnswer(**base, note=STUB_NOTE)
    if stream_missing(activity, metric):
        return BestEffortsAnswer(**base, note=f"No {metric} recorded in this activity.")
    if metric == "pace" and not has_pace(activity.type):
        return BestEffortsAnswer(**base, note="Pace efforts exist for runs and swims only.")
    pace = await ctx.pace_units() if metric == "pace" else None
    wanted = targets(activity, metric, pace)
    if not wanted:
        return BestEffortsAnswer(**base, note="The activity is shorter than every standard.")
    async with upstream_errors(f"best efforts of activity {activity_id}"):
        found = await best_of_each(ctx, activity.id, STREAM[metric], wanted)
    efforts = [
        effort_of(best, metric, label, activity.type, pace)
        for (_, _, label), best in zip(wanted, found, strict=True)
        if best is not None
    ]
    if not efforts:
        return BestEffortsAnswer(**base, note=f"No {metric} efforts found in this activity.")
    return BestEffortsAnswer(**base, efforts=efforts)
