"""Curve shapes shared by ``get_curves`` and ``get_activity_curve``: the standard points of a
power / heart-rate curve (best for a duration) and of a pace curve (best time for a distance),
picked from what Intervals.icu sends (intervals-api.md §2.2, ``DataCurve`` / ``PowerCurve`` /
``PaceCurve``: ``secs`` or ``distance`` (m) with ``values`` aligned, ``activity_id`` for the
athlete curves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from app.mcp.tools.kit import Answer, join, rounded, whole, with_unit
from app.mcp.tools.units import SWIM_TYPES, PaceUnits

CurveKind = Literal["power", "hr", "pace"]

DURATION_POINTS: tuple[tuple[int, str], ...] = (
    (5, "5s"),
    (60, "1min"),
    (300, "5min"),
    (1200, "20min"),
    (3600, "60min"),
)
RUN_POINTS: tuple[tuple[float, str], ...] = (
    (400.0, "400m"),
    (1000.0, "1km"),
    (1609.34, "1mi"),
    (5000.0, "5km"),
    (10000.0, "10km"),
)
SWIM_POINTS: tuple[tuple[float, str], ...] = (
    (100.0, "100m"),
    (200.0, "200m"),
    (400.0, "400m"),
    (1500.0, "1500m"),
)
DISTANCE_TOLERANCE = 0.02
"""A pace point is taken from the upstream distance within 2 % of the standard one."""


class CurvePoint(Answer):
    """The best effort at one standard point: watts (and W/kg), bpm, or time and pace for a
    distance; ``activity_id`` is the activity that set it, when upstream says."""

    at: str
    power_w: int | None = None
    power_w_kg: float | None = None
    hr_bpm: int | None = None
    time_s: int | None = None
    pace: str | None = None
    activity_id: str | None = None

    def value_text(self) -> str:
        if self.time_s is not None:
            return join([with_unit("time_s", self.time_s), self.pace])
        if self.hr_bpm is not None:
            return with_unit("hr_bpm", self.hr_bpm) or ""
        kg = f"{self.power_w_kg:g} W/kg" if self.power_w_kg is not None else None
        return join([with_unit("power_w", self.power_w), kg])

    def line(self) -> str:
        where = f" [{self.activity_id}]" if self.activity_id else ""
        return f"{self.at}: {self.value_text()}{where}"


def _index(axis: Sequence[float], target: float, exact: bool) -> int | None:
    for i, value in enumerate(axis):
        if exact and value == target:
            return i
        if not exact and abs(value - target) <= target * DISTANCE_TOLERANCE:
            return i
    return None


def standard_points(
    kind: str,
    *,
    secs: Sequence[int],
    distance: Sequence[float],
    values: Sequence[float | None],
    per_kg: Sequence[float | None] = (),
    activity_ids: Sequence[str | None] = (),
    sport: str | None = None,
    pace: PaceUnits | None = None,
) -> list[CurvePoint]:
    """The curve at the standard points that upstream covers (a point the curve does not
    reach, e.g. 60 min in a 45 min ride, is left out, never invented)."""
    if kind == "pace":
        wanted: Sequence[tuple[float, str]] = SWIM_POINTS if sport in SWIM_TYPES else RUN_POINTS
        axis: Sequence[float] = distance
    else:
        wanted, axis = DURATION_POINTS, secs
    points = []
    for target, label in wanted:
        i = _index(axis, target, exact=kind != "pace")
        value = values[i] if i is not None and i < len(values) else None
        if i is None or value is None:
            continue
        fields: dict[str, object] = {"at": label}
        if i < len(activity_ids) and activity_ids[i]:
            fields["activity_id"] = activity_ids[i]
        if kind == "power":
            fields["power_w"] = whole(value)
            fields["power_w_kg"] = rounded(per_kg[i], 2) if i < len(per_kg) else None
        elif kind == "hr":
            fields["hr_bpm"] = whole(value)
        else:
            fields["time_s"] = whole(value)
            speed = axis[i] / value if value > 0 else None
            fields["pace"] = (pace or PaceUnits()).pace(sport or "Run", speed)
        points.append(CurvePoint.model_validate(fields))
    return points
