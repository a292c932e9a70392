"""``get_fitness``: fitness (CTL), fatigue (ATL), form and ramp rate from ``GET
/athlete/{id}/wellness`` (intervals-api.md §2.4, local days, ``newest`` inclusive; only the
``ctl``, ``atl`` and ``rampRate`` fields are asked for). Weekly points are the values on the
window's last day and every 7th day before it, so the latest value is always a point."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from app.intervals.models import Wellness
from app.mcp.tools.catalog.get_wellness_data import form
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    ToolFailure,
    WindowAnswer,
    join,
    rounded,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_BACK = 83
MAX_WINDOW_DAYS = 731
MAX_DAILY_DAYS = 92


class FitnessPoint(Answer):
    """Fitness, fatigue, form (= fitness - fatigue as shown) and ramp rate on one local day."""

    date: str
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = None
    ramp_rate: float | None = None

    @classmethod
    def from_upstream(cls, day: Wellness) -> FitnessPoint:
        fitness, fatigue = rounded(day.ctl), rounded(day.atl)
        return cls(
            date=day.id.isoformat(),
            fitness_ctl=fitness,
            fatigue_atl=fatigue,
            form_tsb=form(fitness, fatigue),
            ramp_rate=rounded(day.ramp_rate),
        )

    def values(self) -> str:
        return join(
            [
                f"CTL {self.fitness_ctl:g}" if self.fitness_ctl is not None else None,
                f"ATL {self.fatigue_atl:g}" if self.fatigue_atl is not None else None,
                f"form {self.form_tsb:g}" if self.form_tsb is not None else None,
                f"ramp {self.ramp_rate:+g}/wk" if self.ramp_rate is not None else None,
            ]
        )

    def line(self) -> str:
        return f"{self.date}: {self.values()}"


class FitnessChange(Answer):
    """Change from the first to the last point of the window."""

    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = None


def change(first: FitnessPoint, last: FitnessPoint) -> FitnessChange:
    def delta(name: str) -> float | None:
        a, b = getattr(first, name), getattr(last, name)
        return None if a is None or b is None else round(b - a, 1)

    return FitnessChange(
        fitness_ctl=delta("fitness_ctl"),
        fatigue_atl=delta("fatigue_atl"),
        form_tsb=delta("form_tsb"),
    )


class FitnessSeries(WindowAnswer):
    """The latest values and the change over the window first, then the points, oldest first."""

    schema_note = (
        "form_tsb = fitness_ctl - fatigue_atl; ramp_rate: CTL change per week; "
        "change = last - change_since day."
    )

    step: str
    change_since: str | None = None
    last: FitnessPoint | None = None
    change: FitnessChange | None = None
    points: list[FitnessPoint]

    def text(self) -> str:
        head = f"fitness {self.oldest}..{self.newest} ({self.timezone})"
        if self.last is None:
            return f"{head}: no fitness data"
        lines = [f"{head}, {self.step}ly points; last {self.last.line()}"]
        if self.change is not None:
            parts = [
                f"{label} {value:+g}"
                for label, value in (
                    ("CTL", self.change.fitness_ctl),
                    ("ATL", self.change.fatigue_atl),
                    ("form", self.change.form_tsb),
                )
                if value is not None
            ]
            lines.append(f"change since {self.change_since}: {', '.join(parts)}")
        return "\n".join(lines + [p.line() for p in self.points])


def point_days(oldest: date, newest: date, step: int) -> list[date]:
    days, day = [], newest
    while day >= oldest:
        days.append(day)
        day -= timedelta(days=step)
    return days[::-1]


@tool(
    title="Fitness and form",
    toolset="core",
    example={"start_date": "2026-06-01", "end_date": "2026-07-28"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads fitness and form in the athlete's own Intervals.icu account; changes nothing there"
        " or anywhere public."
    ),
)
async def get_fitness(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    step: Literal["week", "day"] = "week",
) -> FitnessSeries:
    """Fitness (CTL), fatigue (ATL), form and ramp rate; default last 12 weeks."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    if step == "day" and window.days > MAX_DAILY_DAYS:
        raise ToolFailure(
            f"Daily points cover at most {MAX_DAILY_DAYS} days; this window is {window.days}."
            " Use weekly points or a shorter window."
        )
    async with upstream_errors("fitness data"):
        records = await ctx.api.list_wellness(
            window.oldest, window.newest, fields=["ctl", "atl", "rampRate"], only_fields=True
        )
    known = sorted(
        (r for r in records if window.oldest <= r.id <= window.newest and r.ctl is not None),
        key=lambda r: r.id,
    )
    points: list[FitnessPoint] = []
    for day in point_days(window.oldest, window.newest, 7 if step == "week" else 1):
        latest = [r for r in known if r.id <= day]
        if latest and (not points or points[-1].date != latest[-1].id.isoformat()):
            points.append(FitnessPoint.from_upstream(latest[-1]))
    first = FitnessPoint.from_upstream(known[0]) if len(known) > 1 else None
    return FitnessSeries(
        **FitnessSeries.window_fields(window, str(ctx.timezone), len(points)),
        step=step,
        last=points[-1] if points else None,
        change_since=first.date if first else None,
        change=change(first, points[-1]) if first and points else None,
        points=points,
    )
