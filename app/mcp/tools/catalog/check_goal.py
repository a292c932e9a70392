"""``check_goal``: an FTP or race-time target by a date against the current trend and the
plan. FTP: eFTP history from ``GET /athlete/{id}/wellness`` (``sportInfo`` Ride ``eftp``,
last 13 weeks) with ``ctl``/``atl``; race time (running): best efforts of the last 6 weeks and
the 6 before from ``GET /athlete/{id}/pace-curves`` with Riegel's model; the plan's loads from
``GET /athlete/{id}/events`` (intervals-api.md §2.3-2.5). Formulas: app/analytics/goal.py."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from pydantic import Field

from app.analytics.fitness import daily_loads
from app.analytics.goal import needed_per_week, predict_race, trend, verdict
from app.analytics.load import RAMP_HIGH
from app.analytics.projection import project
from app.intervals.ids import curve_range
from app.intervals.models import Wellness
from app.mcp.tools.dates import parse_day
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    ToolFailure,
    duration,
    join,
    optional_argument_schema,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_AHEAD = 84
MAX_DAYS_AHEAD = 365
HISTORY_DAYS = 91
PERIOD_DAYS = 42
TIME = re.compile(r"^(?:(\d{1,2}):)?([0-5]?\d):([0-5]\d)$")

Optional = Field(json_schema_extra=optional_argument_schema)


class GoalPoint(Answer):
    """One dated value of the trend (W for FTP, seconds for a race prediction)."""

    date: str
    value: float


class PlanFitness(Answer):
    """Fitness (CTL) now, projected over the planned calendar to the goal date, and the
    weekly ramps planned and of the last 13 weeks."""

    fitness_ctl_now: float
    fitness_ctl_by_date: float
    planned_ramp_per_week: float
    recent_ramp_per_week: float | None = None
    planned_until: str | None = None


class GoalCheck(Answer):
    """The goal, the current value and trend, the projection, the verdict, what must change."""

    schema_note = "values in W (FTP) or seconds (race time); per_week = change per week."

    timezone: str
    goal: str
    unit: str
    by_date: str
    days_left: int
    target: float
    current: float | None = None
    trend_per_week: float | None = None
    needed_per_week: float | None = None
    projected: float | None = None
    verdict: str
    changes: list[str]
    plan: PlanFitness | None = None
    history: list[GoalPoint]

    def text(self) -> str:
        head = f"goal {self.goal} by {self.by_date} ({self.days_left} days, {self.timezone})"
        values = [
            f"now {self.show(self.current)}" if self.current is not None else None,
            f"trend reaches {self.show(self.projected)}" if self.projected is not None else None,
        ]
        return "\n".join([f"{head}: {self.verdict}", join(values), *self.changes]).replace(
            "\n\n", "\n"
        )

    def show(self, value: float | None) -> str:
        if value is None:
            return "?"
        return f"{value:g} W" if self.unit == "W" else duration(value) or "?"


def parse_time(value: str) -> int:
    """``h:mm:ss`` or ``mm:ss`` as seconds."""
    found = TIME.fullmatch(value.strip())
    if not found:
        raise ToolFailure("race_time must look like 1:45:00 or 42:30.")
    hours, minutes, secs = (int(g) if g else 0 for g in found.groups())
    return hours * 3600 + minutes * 60 + secs


def eftp_points(records: list[Wellness]) -> list[tuple[date, float]]:
    """(day, Ride eFTP) from each wellness record's ``sportInfo``."""
    out = []
    for r in records:
        for info in r.sport_info:
            if info.get("type") == "Ride" and info.get("eftp"):
                out.append((r.id, float(info["eftp"])))
    return out


def plan_fitness(
    records: list[Wellness], loads: list[float], first: date, days_left: int
) -> PlanFitness | None:
    """The plan's effect on fitness: today's CTL projected over the planned loads."""
    known = sorted(
        (r for r in records if r.ctl is not None and r.atl is not None), key=lambda r: r.id
    )
    if not known:
        return None
    now = known[-1]
    ctl_now, atl_now = now.ctl or 0.0, now.atl or 0.0
    end = project(first, ctl_now, atl_now, loads)[-1].ctl if loads else ctl_now
    span = (now.id - known[0].id).days
    return PlanFitness(
        fitness_ctl_now=round(ctl_now, 1),
        fitness_ctl_by_date=round(end, 1),
        planned_ramp_per_week=round((end - ctl_now) / max(days_left, 1) * 7, 1),
        recent_ramp_per_week=round((ctl_now - (known[0].ctl or 0.0)) / span * 7, 1)
        if span >= 7
        else None,
        planned_until=last_planned(loads, first),
    )


def last_planned(loads: list[float], first: date) -> str | None:
    """The last day with a planned load."""
    days = [i for i, load in enumerate(loads) if load > 0]
    return (first + timedelta(days=days[-1])).isoformat() if days else None


def what_to_change(
    unit: str,
    verdict_: str,
    trend_per_week: float | None,
    needed: float | None,
    plan: PlanFitness | None,
) -> list[str]:
    """Plain lines: the rate needed against the trend, and what the plan does to fitness."""
    lines = []
    if needed is not None and verdict_ != "reached":
        observed = f"{trend_per_week:+.1f}" if trend_per_week is not None else "unknown"
        lines.append(f"needs {needed:+.1f} {unit}/week; trend {observed} {unit}/week")
    if plan is not None:
        recent = plan.recent_ramp_per_week
        lines.append(
            f"plan: CTL {plan.fitness_ctl_now:g} -> {plan.fitness_ctl_by_date:g} "
            f"({plan.planned_ramp_per_week:+g}/week"
            + (f"; last 13 weeks {recent:+g}/week)" if recent is not None else ")")
            + (
                f"; planned only to {plan.planned_until}"
                if plan.planned_until
                else "; nothing planned"
            )
        )
        if verdict_ in ("behind", "no trend") and (
            recent is None or plan.planned_ramp_per_week <= recent
        ):
            lines.append(
                "the plan builds fitness no faster than recent weeks: more planned load "
                f"(a higher CTL ramp, up to {RAMP_HIGH:g}/week) or a later date is needed"
            )
    return lines


@tool(
    title="Goal check",
    toolset="analytics",
    example={"ftp_w": 300},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads fitness, curves and the planned calendar in the athlete's own Intervals.icu "
        "account; changes nothing there or anywhere public."
    ),
)
async def check_goal(
    ctx: AthleteContext,
    ftp_w: Annotated[int | None, Optional] = None,
    race_km: Annotated[float | None, Optional] = None,
    race_time: Annotated[str | None, Optional] = None,
    by_date: IsoDate = None,
) -> GoalCheck:
    """An FTP or run race-time target by a date (default 12 weeks) against trend and plan."""
    today = ctx.today()
    by = parse_day(by_date, "by_date") if by_date else today + timedelta(days=DEFAULT_DAYS_AHEAD)
    if not today < by <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ToolFailure(f"by_date must be after today and within {MAX_DAYS_AHEAD} days.")
    race = race_km is not None or race_time is not None
    if (ftp_w is None) == (not race) or (race and (race_km is None or race_time is None)):
        raise ToolFailure("Give ftp_w, or race_km with race_time.")
    if ftp_w is not None and not 50 <= ftp_w <= 700:
        raise ToolFailure("ftp_w must be between 50 and 700.")
    if race_km is not None and not 0.4 <= race_km <= 250:
        raise ToolFailure("race_km must be between 0.4 and 250.")
    target_s = parse_time(race_time) if race_time else None
    days_left = (by - today).days
    async with upstream_errors("goal data"):
        records = await ctx.api.list_wellness(
            today - timedelta(days=HISTORY_DAYS - 1),
            today,
            fields=["ctl", "atl"] if race else ["ctl", "atl", "sportInfo"],
            only_fields=True,
        )
        events = await ctx.api.list_events(today + timedelta(days=1), by, category=["WORKOUT"])
        curves = (
            await ctx.api.get_pace_curves(
                "Run",
                curves=[
                    curve_range(today - timedelta(days=PERIOD_DAYS - 1), today),
                    curve_range(
                        today - timedelta(days=2 * PERIOD_DAYS - 1),
                        today - timedelta(days=PERIOD_DAYS),
                    ),
                ],
            )
            if race
            else None
        )
    latest = max((r.id for r in records if r.ctl is not None), default=today)
    first = latest + timedelta(days=1)
    loads = daily_loads(
        ((e.start_date_local.date(), e.icu_training_load) for e in events), first, by
    )
    plan = plan_fitness(records, loads, first, days_left)
    if ftp_w is not None:
        points = eftp_points(records)
        goal, unit, target, higher = f"FTP {ftp_w} W", "W", float(ftp_w), True
        found = trend(points)
        current = found.current if found else None
        per_week = found.per_week if found else None
        projected = found.at(days_left) if found else None
        history = [GoalPoint(date=d.isoformat(), value=v) for d, v in points[::-7][::-1]]
    else:
        assert race_km is not None and target_s is not None and curves is not None
        race_m = race_km * 1000
        goal, unit, target, higher = (
            f"{race_km:g} km in {duration(target_s)}",
            "s",
            float(target_s),
            False,
        )
        predictions = [(c, predict_race(c.distance, c.values, race_m)) for c in curves.curves[:2]]
        recent, prior = (p for _, p in predictions) if len(predictions) == 2 else (None, None)
        current = recent if recent is not None else prior
        per_week = (recent - prior) / (PERIOD_DAYS / 7) if recent and prior else None
        projected = current + per_week * days_left / 7 if current and per_week is not None else None
        history = [
            GoalPoint(date=(c.end_date_local or "")[:10], value=round(p))
            for c, p in reversed(predictions)
            if p is not None
        ]
    result = "no data" if current is None else verdict(current, target, projected, higher)
    needed = needed_per_week(current, target, days_left) if current is not None else None
    changes = what_to_change(unit, result, per_week, needed, plan)
    if current is None:
        changes.insert(
            0, "no eFTP history in the last 13 weeks" if ftp_w else "no runs in 12 weeks"
        )
    return GoalCheck(
        timezone=str(ctx.timezone),
        goal=goal,
        unit=unit,
        by_date=by.isoformat(),
        days_left=days_left,
        target=target,
        current=round(current, 1) if current is not None else None,
        trend_per_week=round(per_week, 1) if per_week is not None else None,
        needed_per_week=round(needed, 1) if needed is not None else None,
        projected=round(projected, 1) if projected is not None else None,
        verdict=result,
        changes=changes,
        plan=plan,
        history=history,
    )
