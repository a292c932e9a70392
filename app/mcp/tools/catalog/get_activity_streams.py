"""``get_activity_streams``: ``GET /activity/{id}/streams.json?types=`` (intervals-api.md §2.2;
full 1 Hz resolution), after ``GET /activity/{id}`` proves the activity is the acting
athlete's, downsampled here to a few hundred points.

Downsampling: the samples are cut into ``points`` consecutive buckets of (nearly) equal sample
count; each bucket gives its start time and, per channel, the mean of its recorded values, and
with ``detail`` also the minimum and maximum. Means keep the shape of the effort and the
time-weighted average of the whole activity; min/max keep sprints and spikes that a mean would
flatten. A bucket with nothing recorded is listed in the channel's ``gaps`` (never a made-up
value). Pace is computed from the bucket's mean moving speed, in the athlete's own pace unit;
distance, which only grows, is given at each point's start like the time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, field_serializer

from app.intervals.models import Activity, ActivityStream
from app.mcp.tools.catalog._activity import (
    STUB_NOTE,
    ActivityIdShort,
    fetch_own_activity,
    latest_ride,
)
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    duration,
    optional_argument_schema,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import RUN_PACE_UNITS, SWIM_PACE_UNITS, SWIM_TYPES, has_pace

Channel = Literal["watts", "hr", "cadence", "pace", "speed", "altitude", "distance"]
UPSTREAM = {"hr": "heartrate", "speed": "velocity_smooth", "pace": "velocity_smooth"}
UNITS = {
    "watts": "W",
    "hr": "bpm",
    "cadence": "rpm",
    "speed": "m/s",
    "altitude": "m",
    "distance": "m",
}
DIGITS = {"speed": 2, "altitude": 1}
CUMULATIVE = frozenset({"distance"})
MAX_POINTS = 500
MOVING_MPS = 0.05
MAX_VALUES = 3000
"""Numbers in one answer at most (about 25 kB): more points are cut down, and the answer says so."""


class ChannelSeries(Answer):
    """One channel per point: mean (and with detail min, max). Points listed in ``gaps``
    (indices into ``time_s``) recorded nothing and are left out of the lists."""

    channel: str
    unit: str
    mean: list[float]
    min: list[float] | None = None
    max: list[float] | None = None
    gaps: list[int] | None = None

    @field_serializer("mean", "min", "max")
    def whole_numbers(self, values: list[float] | None) -> list[float | int] | None:
        """``164`` rather than ``164.0`` (the schema says number; both are)."""
        return None if values is None else [int(v) if v.is_integer() else v for v in values]

    def values_at(self, index: int) -> list[float] | None:
        """(mean,) or (min, mean, max) at one point of ``time_s``; None in a gap."""
        if self.gaps and index in self.gaps:
            return None
        at = index - sum(1 for g in self.gaps or [] if g < index)
        if self.min is not None and self.max is not None:
            return [self.min[at], self.mean[at], self.max[at]]
        return [self.mean[at]]


class ActivityStreams(Answer):
    """One activity's streams downsampled to ``points`` buckets starting at ``time_s``."""

    schema_note = "Bucket means (min/max with detail) of the 1 Hz streams; pace in seconds."

    activity_id: str
    name: str | None = None
    samples: int | None = None
    points: int | None = None
    time_s: list[int] | None = None
    channels: list[ChannelSeries] | None = None
    missing: list[str] | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"Streams of {self.name or 'activity'} [{self.activity_id}]"
        if not self.channels:
            return f"{head}: {self.note or 'no data'}" + self.missing_text()
        head += f": {self.samples} samples as {self.points} bucket means"
        head += ", min/mean/max" if self.channels[0].min is not None else ""
        if self.note:
            head += f"; {self.note}"
        columns = ["time"] + [f"{c.channel} {c.unit.removeprefix('s')}" for c in self.channels]
        rows = [
            ",".join([duration(t) or "0:00", *self.cells(i)])
            for i, t in enumerate(self.time_s or [])
        ]
        return "\n".join([head + self.missing_text(), ",".join(columns), *rows])

    def missing_text(self) -> str:
        return f"; not recorded: {', '.join(self.missing)}" if self.missing else ""

    def cells(self, index: int) -> list[str]:
        out = []
        for series in self.channels or []:
            values = series.values_at(index)
            if values is None:
                out.append("")
            elif series.unit.startswith("s/"):
                out.append("/".join(duration(v) or "" for v in values))
            else:
                out.append("/".join(f"{v:g}" for v in values))
        return out


def default_channels(activity: Activity) -> list[Channel]:
    """Power (when recorded, or when upstream did not say what was), heart rate, and pace
    for runs and swims or speed for other sports."""
    kinds = activity.stream_types
    power: list[Channel] = ["watts"] if not kinds or "watts" in kinds else []
    return [*power, "hr", "pace" if has_pace(activity.type) else "speed"]


def bucket_bounds(samples: int, points: int) -> list[tuple[int, int]]:
    """``points`` consecutive [start, end) index ranges covering ``samples`` (fewer when
    there are fewer samples than points)."""
    count = min(samples, points)
    return [(i * samples // count, (i + 1) * samples // count) for i in range(count)]


def numbers(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def summarise(
    values: Sequence[Any], bounds: list[tuple[int, int]], cumulative: bool = False
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Mean, min and max of each bucket (None where nothing was recorded). A cumulative
    channel (distance) gives its value at the bucket's first sample instead of a mean, like
    ``time_s``."""
    means: list[float | None] = []
    lows: list[float | None] = []
    highs: list[float | None] = []
    for start, end in bounds:
        found = numbers(values[start:end])
        if cumulative:
            means.append(found[0] if found else None)
        else:
            means.append(sum(found) / len(found) if found else None)
        lows.append(min(found) if found else None)
        highs.append(max(found) if found else None)
    return means, lows, highs


def pace_unit(sport: str | None, run: str, swim: str) -> tuple[float, str]:
    """Metres per pace unit and the unit's name (``s/km``, ``s/mi``, ``s/100m``, ``s/100yd``)."""
    if sport in SWIM_TYPES:
        metres, suffix = SWIM_PACE_UNITS[swim]
    else:
        metres, suffix = RUN_PACE_UNITS[run]
    return metres, "s" + suffix


def to_pace(speed: float | None, metres: float) -> float | None:
    """Seconds per pace unit; None when standing still."""
    return float(round(metres / speed)) if speed and speed > MOVING_MPS else None


def series_of(
    channel: str,
    values: Sequence[Any],
    bounds: list[tuple[int, int]],
    detail: bool,
    pace: tuple[float, str] | None,
) -> ChannelSeries:
    """One channel's points; pace from speed (the fastest pace is the highest speed)."""
    if channel == "pace":  # standing still has no pace: only moving samples count
        values = [v if isinstance(v, int | float) and v > MOVING_MPS else None for v in values]
    means, lows, highs = summarise(values, bounds, cumulative=channel in CUMULATIVE)
    unit = UNITS.get(channel, "")
    if channel == "pace" and pace is not None:
        metres, unit = pace
        means = [to_pace(v, metres) for v in means]
        lows, highs = [to_pace(v, metres) for v in highs], [to_pace(v, metres) for v in lows]
    digits = DIGITS.get(channel, 0)
    gaps = [i for i, v in enumerate(means) if v is None]

    def kept(vals: list[float | None]) -> list[float]:
        return [round(v, digits) if digits else round(v) for v in vals if v is not None]

    return ChannelSeries(
        channel=channel,
        unit=unit,
        mean=kept(means),
        min=kept(lows) if detail else None,
        max=kept(highs) if detail else None,
        gaps=gaps or None,
    )


def recorded(streams: list[ActivityStream]) -> dict[str, list[Any]]:
    return {s.type: list(s.data) for s in streams if s.data and not s.all_null and numbers(s.data)}


def second_at(times: Sequence[Any], index: int) -> int:
    """The ``time`` stream's second at a sample (the index itself at 1 Hz when missing)."""
    value = times[index] if index < len(times) else None
    return int(value) if isinstance(value, int | float) else index


def fitting_points(points: int, channels: int, detail: bool) -> int:
    """The points that keep the answer under :data:`MAX_VALUES` numbers."""
    per_point = 1 + channels * (3 if detail else 1)
    return max(1, min(points, MAX_VALUES // per_point))


@tool(
    title="Streams",
    toolset="activities",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "points": 12},
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
async def get_activity_streams(
    ctx: AthleteContext,
    activity_id: ActivityIdShort,
    channels: Annotated[
        list[Channel] | None,
        Field(json_schema_extra=optional_argument_schema),
    ] = None,
    points: Annotated[int, Field(ge=1, le=MAX_POINTS)] = 200,
    detail: bool = False,
) -> ActivityStreams:
    """An activity's data over time as point means (detail: +min, max)."""
    activity = await fetch_own_activity(ctx, activity_id)
    if activity.is_stub:
        return ActivityStreams(activity_id=activity.id, name=activity.name, note=STUB_NOTE)
    wanted = list(dict.fromkeys(channels or default_channels(activity)))
    types = sorted({UPSTREAM.get(c, c) for c in wanted} | {"time"})
    async with upstream_errors(f"streams of activity {activity_id}"):
        streams = await ctx.api.get_streams(activity.id, types)
    return await streams_answer(ctx, activity, wanted, recorded(streams), points, detail)


async def streams_answer(
    ctx: AthleteContext,
    activity: Activity,
    wanted: list[Channel],
    data: dict[str, list[Any]],
    points: int,
    detail: bool,
) -> ActivityStreams:
    present = [c for c in wanted if UPSTREAM.get(c, c) in data]
    missing = [c for c in wanted if c not in present] or None
    samples = max((len(data[UPSTREAM.get(c, c)]) for c in present), default=0)
    base: dict[str, Any] = {"activity_id": activity.id, "name": activity.name, "missing": missing}
    if not present:
        return ActivityStreams(**base, note="None of these channels was recorded")
    fitted = fitting_points(points, len(present), detail)
    bounds = bucket_bounds(samples, fitted)
    times = data.get("time") or list(range(samples))
    pace = None
    if "pace" in present:
        units = await ctx.pace_units()
        pace = pace_unit(activity.type, units.run, units.swim)
    series = [series_of(c, data[UPSTREAM.get(c, c)], bounds, detail, pace) for c in present]
    cut = (
        f"points cut to {fitted} to keep the answer small; ask fewer channels"
        if fitted < points
        else None
    )
    return ActivityStreams(
        **base,
        samples=samples,
        points=len(bounds),
        time_s=[second_at(times, start) for start, _ in bounds],
        channels=series,
        note=cut,
    )
