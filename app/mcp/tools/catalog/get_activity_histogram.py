"""``get_activity_histogram``: ``GET /activity/{id}/{power,hr,pace}-histogram`` (``bucketSize``
in W or bpm for power and heart rate; intervals-api.md §2.2), after ``GET /activity/{id}``
proves the activity is the acting athlete's. Pace buckets arrive in seconds per km and are
written in the athlete's own pace units (per mile, per 100 m or 100 yd)."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Field

from app.intervals.models import Activity, HistogramBucket
from app.mcp.tools.catalog._activity import (
    STUB_NOTE,
    ActivityIdShort,
    fetch_own_activity,
    latest_ride,
)
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    ToolFailure,
    duration,
    optional_argument_schema,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import RUN_PACE_UNITS, SWIM_PACE_UNITS, SWIM_TYPES

Metric = Literal["power", "hr", "pace"]
UPSTREAM_DEFAULT_SIZE = {"power": 25.0, "hr": 5.0}
UNIT = {"power": "W", "hr": "bpm"}


class Bucket(Answer):
    """Time spent from ``low`` up to ``high`` (pace: seconds per pace unit)."""

    low: float
    high: float
    time_s: int
    time_pct: float

    def line(self, unit: str) -> str:
        if unit.startswith("s/"):
            low, high, unit = duration(self.low), duration(self.high), unit[1:]
        else:
            low, high = f"{self.low:g}", f"{self.high:g}"
        return f"{low}-{high} {unit}: {duration(self.time_s)} ({self.time_pct:g} %)"


class ActivityHistogram(Answer):
    """Time in each bucket of one activity's power, heart rate or pace, low to high."""

    schema_note = "time_pct of total_time_s; pace in seconds per unit, fastest first."

    activity_id: str
    name: str | None = None
    metric: str
    unit: str | None = None
    total_time_s: int | None = None
    buckets: list[Bucket] | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"{self.metric} histogram of {self.name or 'activity'} [{self.activity_id}]"
        if self.note:
            return f"{head}: {self.note}"
        head += f": {duration(self.total_time_s)} in {len(self.buckets or [])} buckets"
        return "\n".join([head, *(b.line(self.unit or "") for b in self.buckets or [])])


def bucket_width(
    buckets: list[HistogramBucket], asked: float | None, default: float | None
) -> float:
    """The width of a bucket: the one asked for, else the smallest gap between consecutive
    starts (upstream chose it), else upstream's documented default."""
    if asked:
        return asked
    gaps = [b.start - a.start for a, b in pairwise(buckets) if b.start > a.start]
    return min(gaps) if gaps else default or 1.0


def pace_scale(sport: str | None, run_units: str, swim_units: str) -> tuple[float, str]:
    """Factor from seconds per km to the athlete's pace unit, and that unit's name."""
    if sport in SWIM_TYPES:
        metres, suffix = SWIM_PACE_UNITS[swim_units]
    else:
        metres, suffix = RUN_PACE_UNITS[run_units]
    return metres / 1000.0, "s" + suffix


def shaped(
    buckets: list[HistogramBucket], width: float, scale: float | None
) -> tuple[int, list[Bucket]]:
    """Buckets with time in them, as (total seconds, answer buckets)."""
    timed = [(b, b.moving_secs if b.moving_secs is not None else b.secs or 0) for b in buckets]
    timed = [(b, secs) for b, secs in timed if secs > 0]
    total = sum(secs for _, secs in timed)
    out: list[Bucket] = []
    for bucket, secs in sorted(timed, key=lambda item: item[0].start):
        low, high = bucket.start, bucket.start + width
        pct = round(100 * secs / total, 1) if total else 0.0
        if scale is None:
            out.append(Bucket(low=round(low, 1), high=round(high, 1), time_s=secs, time_pct=pct))
        else:
            fast, slow = round(low * scale), round(high * scale)
            out.append(Bucket(low=fast, high=slow, time_s=secs, time_pct=pct))
    return total, out


@tool(
    title="Activity histogram",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "metric": "power"},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity's streams in the athlete's own Intervals.icu account; changes nothing"
        " there or anywhere public."
    ),
)
async def get_activity_histogram(
    ctx: AthleteContext,
    activity_id: ActivityIdShort,
    metric: Metric = "power",
    bucket_size: Annotated[
        int | None,
        Field(ge=1, le=200, description="W or bpm", json_schema_extra=optional_argument_schema),
    ] = None,
) -> ActivityHistogram:
    """Time per power, HR or pace bucket in one activity."""
    if bucket_size is not None and metric == "pace":
        raise ToolFailure("bucket_size applies to power and hr histograms only.")
    activity = await fetch_own_activity(ctx, activity_id)
    base: dict[str, Any] = {"activity_id": activity.id, "name": activity.name, "metric": metric}
    if activity.is_stub:
        return ActivityHistogram(**base, note=STUB_NOTE)
    async with upstream_errors(f"the {metric} histogram of activity {activity_id}"):
        found = await ctx.api.get_histogram(
            activity.id, metric, bucket_size=float(bucket_size) if bucket_size else None
        )
    return await histogram_answer(ctx, activity, metric, found, bucket_size, base)


async def histogram_answer(
    ctx: AthleteContext,
    activity: Activity,
    metric: Metric,
    found: list[HistogramBucket],
    bucket_size: int | None,
    base: dict[str, Any],
) -> ActivityHistogram:
    width = bucket_width(found, bucket_size, UPSTREAM_DEFAULT_SIZE.get(metric))
    unit = UNIT.get(metric)
    scale = None
    if metric == "pace":
        units = await ctx.pace_units()
        scale, unit = pace_scale(activity.type, units.run, units.swim)
    total, buckets = shaped(found, width, scale)
    if not buckets:
        return ActivityHistogram(**base, note=f"No {metric} data recorded in this activity.")
    return ActivityHistogram(**base, unit=unit, total_time_s=total, buckets=buckets)
