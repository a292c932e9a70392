"""``get_curves``: ``GET /athlete/{id}/{power,hr,pace}-curves`` (intervals-api.md §2.2) for one
period, or two in one request (``curves=a,b``) so they compare in one answer. Relative periods
(``90d``, ``1y``, seasons) end on the athlete's today, sent as ``newest``; a date range
``2026-01-01..2026-03-31`` is sent as ``r.2026-01-01.2026-03-31`` (local days, inclusive)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from app.intervals.models import CurveSet, DataCurve
from app.mcp.tools.catalog._curves import CurveKind, CurvePoint, standard_points
from app.mcp.tools.dates import parse_day
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    ToolFailure,
    optional_argument_schema,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import PaceUnits, has_pace

PERIOD = re.compile(r"\d{1,4}d|\d{1,2}y|all|s\d|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}")
SPORT = re.compile(r"[A-Za-z]{2,30}")
DEFAULT_SPORT = {"power": "Ride", "hr": None, "pace": "Run"}


def curve_id(period: str, name: str) -> str:
    """The upstream ``curves`` entry for a period (checked here, so a bad one gets a plain
    message and no upstream request)."""
    if not PERIOD.fullmatch(period):
        raise ToolFailure(
            f"{name} is like 90d, 1y, all, s0 (this season), s1 or 2026-01-01..2026-03-31."
        )
    if ".." not in period:
        return period
    first_text, last_text = period.split("..")
    first, last = parse_day(first_text, name), parse_day(last_text, name)
    if last < first:
        raise ToolFailure(f"The period {period} ends before it starts.")
    return f"r.{first.isoformat()}.{last.isoformat()}"


class CurvePeriod(Answer):
    """One period of the curve: what was asked, its first and last local day."""

    period: str
    oldest: str | None = None
    newest: str | None = None
    points: list[CurvePoint]

    @classmethod
    def from_upstream(
        cls, period: str, curve: DataCurve | None, kind: str, sport: str | None, pace: PaceUnits
    ) -> CurvePeriod:
        if curve is None:
            return cls(period=period, points=[])
        points = standard_points(
            kind,
            secs=curve.secs,
            distance=curve.distance,
            values=curve.values,
            per_kg=curve.watts_per_kg,
            activity_ids=curve.activity_id,
            sport=sport,
            pace=pace,
        )
        return cls(
            period=period,
            oldest=(curve.start_date_local or "")[:10] or None,
            newest=(curve.end_date_local or "")[:10] or None,
            points=points,
        )

    def head(self) -> str:
        shown = self.oldest and self.newest and ".." not in self.period
        days = f" ({self.oldest}..{self.newest})" if shown else ""
        return f"{self.period}{days}"


class PointDiff(Answer):
    """``period`` minus ``compared`` at one point (for time: negative is faster)."""

    at: str
    power_w: int | None = None
    hr_bpm: int | None = None
    time_s: int | None = None


def differences(a: list[CurvePoint], b: list[CurvePoint]) -> list[PointDiff]:
    """The difference at every point both periods have."""
    other = {p.at: p for p in b}
    out = []
    for p in a:
        q = other.get(p.at)
        if q is None:
            continue
        fields: dict[str, object] = {"at": p.at}
        for name in ("power_w", "hr_bpm", "time_s"):
            mine, theirs = getattr(p, name), getattr(q, name)
            if mine is not None and theirs is not None:
                fields[name] = mine - theirs
        out.append(PointDiff.model_validate(fields))
    return out


def signed(diff: PointDiff) -> str:
    if diff.time_s is not None:
        return f"{diff.at} {diff.time_s:+d} s"
    if diff.hr_bpm is not None:
        return f"{diff.at} {diff.hr_bpm:+d} bpm"
    return f"{diff.at} {diff.power_w:+d} W"


class Curves(Answer):
    """The best efforts at the standard points of a period and, compared, of a second one."""

    schema_note = "diff = period - compared (time: negative is faster)."

    kind: str
    sport: str | None = None
    period: CurvePeriod
    compared: CurvePeriod | None = None
    diff: list[PointDiff] | None = None
    note: str | None = None

    def text(self) -> str:
        name = {"power": "power", "hr": "heart rate", "pace": "pace"}[self.kind]
        lines = [f"{self.sport or 'all sports'} {name} curve"]
        for label, part in (("period", self.period), ("compared", self.compared)):
            if part is None:
                continue
            lines.append(f"{label} {part.head()}:")
            lines += [f"  {p.line()}" for p in part.points] or ["  no activities"]
        if self.diff:
            lines.append("diff: " + ", ".join(signed(d) for d in self.diff))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def pick(found: CurveSet, wanted: str, index: int) -> DataCurve | None:
    """The curve upstream sent for ``wanted`` (by id, else by position)."""
    by_id = {c.id: c for c in found.curves}
    if wanted in by_id:
        return by_id[wanted]
    return found.curves[index] if index < len(found.curves) else None


@tool(
    title="Curves",
    toolset="analytics",
    example={"kind": "power", "period": "1y", "vs": "42d"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads best-effort curves in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_curves(
    ctx: AthleteContext,
    kind: CurveKind = "power",
    period: Annotated[str, Field(description="90d, 1y, s0 or 2026-01-01..2026-03-31")] = "90d",
    vs: Annotated[
        str | None, Field(description="Second period", json_schema_extra=optional_argument_schema)
    ] = None,
    sport: Annotated[
        str | None,
        Field(description="Default Ride; pace Run", json_schema_extra=optional_argument_schema),
    ] = None,
) -> Curves:
    """Best power, HR or pace (5s-60min; 400m-10km) in a period or two, with each best's
    activity."""
    if sport is not None and not SPORT.fullmatch(sport):
        raise ToolFailure("sport is an activity type such as Ride, Run or Swim.")
    chosen = sport or DEFAULT_SPORT[kind]
    wanted = [curve_id(period, "period")]
    if vs:
        wanted.append(curve_id(vs, "vs"))
    newest = ctx.today()
    async with upstream_errors(f"{kind} curve"):
        if kind == "power":
            found = await ctx.api.get_power_curves(chosen or "Ride", curves=wanted, newest=newest)
        elif kind == "hr":
            found = await ctx.api.get_hr_curves(chosen, curves=wanted, newest=newest)
        else:
            found = await ctx.api.get_pace_curves(chosen or "Run", curves=wanted, newest=newest)
    pace = await ctx.pace_units() if kind == "pace" and has_pace(chosen) else PaceUnits()
    first = CurvePeriod.from_upstream(period, pick(found, wanted[0], 0), kind, chosen, pace)
    second = (
        CurvePeriod.from_upstream(vs, pick(found, wanted[1], 1), kind, chosen, pace) if vs else None
    )
    empty = not first.points and (second is None or not second.points)
    what = f"{chosen} activities" if chosen else "activities"
    return Curves(
        kind=kind,
        sport=chosen,
        period=first,
        compared=second,
        diff=(differences(first.points, second.points) or None) if second else None,
        note=f"No {what} with {kind} data in the period." if empty else None,
    )
