"""``project_fitness``: day-by-day fitness/fatigue/form from today's values over the planned
calendar (or a what-if weekly load / taper) to a target date, and the taper that reaches a
target form on race day. Two upstream requests: ``GET /athlete/{id}/wellness`` for the latest
``ctl``/``atl`` and ``GET /athlete/{id}/events`` for planned loads (``icu_training_load``) and
the next race (intervals-api.md §2.4, §2.5). Model and solver: app/analytics/projection.py."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from app.analytics.fitness import FitnessDay, daily_loads
from app.analytics.projection import Taper, project, solve_taper, what_if
from app.intervals.models import Event
from app.mcp.tools.dates import parse_day
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    ToolFailure,
    join,
    optional_argument_schema,
    tool,
    upstream_errors,
)

MAX_DAYS_AHEAD = 182
TAPER_PCT = 50  # a what-if taper keeps half the load (the solver searches 0-100 %)
PLANNED = ("WORKOUT", "RACE_A", "RACE_B", "RACE_C")
RACES = PLANNED[1:]
START_LOOKBACK_DAYS = 7

Optional = Field(json_schema_extra=optional_argument_schema)
WeeklyLoad = Annotated[float | None, Optional]
TaperDays = Annotated[int | None, Optional]
TargetForm = Annotated[float | None, Optional]
LIMITS = {"weekly_load": (0, 5000), "taper_days": (0, 42), "target_form": (-60, 60)}


def check_limits(**values: float | None) -> None:
    """Refuse an argument outside its range (checked here to keep the schema short)."""
    for name, value in values.items():
        low, high = LIMITS[name]
        if value is not None and not low <= value <= high:
            raise ToolFailure(f"{name} must be between {low} and {high}.")


class ProjectedDay(Answer):
    """One local day: the load counted and the values at its end."""

    date: str
    load: float
    fitness_ctl: float
    fatigue_atl: float
    form_tsb: float

    @classmethod
    def of(cls, day: FitnessDay) -> ProjectedDay:
        return cls(
            date=day.day.isoformat(),
            load=round(day.load, 1),
            fitness_ctl=round(day.ctl, 1),
            fatigue_atl=round(day.atl, 1),
            form_tsb=round(day.form, 1),
        )

    def line(self) -> str:
        values = f"CTL {self.fitness_ctl:g}, ATL {self.fatigue_atl:g}, form {self.form_tsb:g}"
        return f"{self.date}: {values}"


class TaperPlan(Answer):
    """The solved taper: its last days at ``taper_load_pct`` % of the daily load before it."""

    target_form: float
    taper_days: int
    taper_load_pct: int
    load_per_day_before: float
    load_per_day_taper: float
    race_day: ProjectedDay


class PlannedRace(Answer):
    """A race on the calendar (``RACE_A``/``B``/``C``): its local day, name and priority."""

    date: str
    name: str | None = None
    priority: str

    def line(self) -> str:
        return f"{self.name or 'race'} ({self.priority}) {self.date}"


class FitnessProjection(Answer):
    """The start values, the scenario, race day, the taper (when a form was asked), the races
    up to the target date, the days."""

    schema_note = "form_tsb = fitness_ctl - fatigue_atl; loads per day; dates athlete-local."

    timezone: str
    start: ProjectedDay
    target_date: str
    target_name: str | None = None
    scenario: str
    race_day: ProjectedDay
    taper: TaperPlan | None = None
    races: list[PlannedRace] = []
    points: list[ProjectedDay]

    def text(self) -> str:
        target = f"{self.target_name} {self.target_date}" if self.target_name else self.target_date
        lines = [
            f"projection ({self.timezone}) from {self.start.line()}",
            f"to {target} with {self.scenario}: race day {self.race_day.line()}",
        ]
        if self.taper is not None:
            t = self.taper
            lines.append(
                f"form {t.target_form:+g} on race day: taper {t.taper_days} days at "
                f"{t.taper_load_pct}% load ({t.load_per_day_before:g}/day before, "
                f"{t.load_per_day_taper:g}/day in taper): race day {t.race_day.line()}"
            )
        if self.races:
            lines.append("races: " + "; ".join(r.line() for r in self.races))
        weekly = self.points[::-7][::-1]
        return "\n".join([*lines, "weekly: " + "; ".join(p.line() for p in weekly)])


def next_race(events: list[Event], after: dt.date) -> Event | None:
    """The first race (RACE_A/B/C) after ``after``."""
    races = [e for e in events if e.category in RACES and e.start_date_local.date() > after]
    return min(races, key=lambda e: e.start_date_local, default=None)


def planned_races(events: list[Event], after: dt.date, until: dt.date) -> list[PlannedRace]:
    """The races (RACE_A/B/C) on days after ``after`` up to ``until``, soonest first."""
    races = sorted((e for e in events if e.category in RACES), key=lambda e: e.start_date_local)
    return [
        PlannedRace(date=day.isoformat(), name=e.name, priority=e.category.removeprefix("RACE_"))
        for e in races
        if after < (day := e.start_date_local.date()) <= until
    ]


def scenario_text(weekly_load: float | None, taper_days: int | None, planned: float) -> str:
    base = (
        f"{weekly_load:g} load/week"
        if weekly_load is not None
        else f"the planned calendar (load {planned:g})"
    )
    return join([base, f"a {taper_days}-day taper at {TAPER_PCT}%" if taper_days else None])


def taper_plan(taper: Taper, target_form: float, base: list[float]) -> TaperPlan:
    before = base[: len(base) - taper.days] or base
    per_day = sum(before) / len(before)
    return TaperPlan(
        target_form=target_form,
        taper_days=taper.days,
        taper_load_pct=taper.load_pct,
        load_per_day_before=round(per_day, 1),
        load_per_day_taper=round(per_day * taper.load_pct / 100, 1),
        race_day=ProjectedDay.of(taper.race_day),
    )


@tool(
    title="Projection and taper",
    toolset="analytics",
    example={"target_form": 5},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads fitness and the planned calendar in the athlete's own Intervals.icu account; "
        "changes nothing there or anywhere public."
    ),
)
async def project_fitness(
    ctx: AthleteContext,
    target_date: IsoDate = None,
    weekly_load: WeeklyLoad = None,
    taper_days: TaperDays = None,
    target_form: TargetForm = None,
) -> FitnessProjection:
    """Daily fitness/form to a date (default next race) on plan or what-if; taper solver."""
    check_limits(weekly_load=weekly_load, taper_days=taper_days, target_form=target_form)
    today = ctx.today()
    target = parse_day(target_date, "target_date") if target_date else None
    if target is not None and not today < target <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ToolFailure(f"target_date must be after today and within {MAX_DAYS_AHEAD} days.")
    horizon = target or today + timedelta(days=MAX_DAYS_AHEAD)
    async with upstream_errors("fitness and calendar"):
        records = await ctx.api.list_wellness(
            today - timedelta(days=START_LOOKBACK_DAYS),
            today,
            fields=["ctl", "atl"],
            only_fields=True,
        )
        events = await ctx.api.list_events(
            today - timedelta(days=START_LOOKBACK_DAYS - 1), horizon, category=PLANNED
        )
    race = next_race(events, today)
    if target is None:
        if race is None:
            raise ToolFailure("No race on the calendar in the next 26 weeks; give target_date.")
        target = race.start_date_local.date()
    name = race.name if race is not None and race.start_date_local.date() == target else None
    known = [r for r in records if r.ctl is not None and r.atl is not None and r.id <= today]
    latest = max(known, key=lambda r: r.id, default=None)
    ctl, atl = (latest.ctl or 0.0, latest.atl or 0.0) if latest else (0.0, 0.0)
    start_day = latest.id if latest else today
    first = start_day + timedelta(days=1)
    planned = daily_loads(
        ((e.start_date_local.date(), e.icu_training_load) for e in events), first, target
    )
    base_weekly = weekly_load
    if base_weekly is None and not any(planned):
        base_weekly = round(ctl * 7, 1)  # nothing planned: the load that holds today's fitness
    loads = what_if(planned, base_weekly, taper_days or 0, TAPER_PCT)
    days = project(first, ctl, atl, loads)
    taper = None
    if target_form is not None:
        solved = solve_taper(first, ctl, atl, planned, target_form, base_weekly)
        if solved is not None:
            taper = taper_plan(solved, target_form, what_if(planned, base_weekly))
    return FitnessProjection(
        timezone=str(ctx.timezone),
        start=ProjectedDay.of(FitnessDay(start_day, 0.0, ctl, atl)),
        target_date=target.isoformat(),
        target_name=name,
        scenario=scenario_text(base_weekly, taper_days, sum(planned))
        + ("" if weekly_load is not None or any(planned) else " (nothing planned: holds CTL)"),
        race_day=ProjectedDay.of(days[-1]),
        taper=taper,
        races=planned_races(events, today, target),
        points=[ProjectedDay.of(d) for d in days],
    )
