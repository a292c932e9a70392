"""``get_training_summary``: ``GET /athlete/{id}/athlete-summary`` (intervals-api.md §2.1, §4:
``SummaryWithCats``, one row per week from its Monday, totals per sport in ``byCategory``,
fitness / fatigue / form as of the week's last activity). ``start`` / ``end`` are the window's
first and last athlete-local days."""

from __future__ import annotations

from datetime import timedelta

from app.intervals.models import Activity, WeekSummary
from app.mcp.tools.catalog.get_wellness_data import form
from app.mcp.tools.dates import DateWindow
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    WindowAnswer,
    join,
    rounded,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_BACK = 21
MAX_WINDOW_DAYS = 371


class SportTime(Answer):
    """One sport's share: activities, moving time, distance, load."""

    sport: str
    count: int | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    load: int | None = None

    def part(self) -> str:
        values = join(
            self.unit_parts((("moving_time_s", ""), ("distance_m", ""), ("load", "load")))
        )
        return f"{self.sport} {values}".rstrip()


class Volume(Answer):
    """Totals: activities, moving time, distance, climbing, load, time by sport."""

    count: int = 0
    moving_time_s: int = 0
    distance_m: float = 0
    elevation_gain_m: float = 0
    load: int = 0
    by_sport: list[SportTime] | None = None

    def totals(self) -> str:
        return join(
            [
                f"{self.count} activities",
                *self.unit_parts(
                    (
                        ("moving_time_s", ""),
                        ("distance_m", ""),
                        ("elevation_gain_m", "up"),
                        ("load", "load"),
                    )
                ),
            ]
        )


class Week(Volume):
    """One week from its Monday (``week``), with fitness and form at its end."""

    week: str
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = None
    ramp_rate: float | None = None

    @classmethod
    def from_upstream(cls, row: WeekSummary) -> Week:
        fitness, fatigue = rounded(row.fitness), rounded(row.fatigue)
        sports = [
            SportTime(
                sport=c.category,
                count=c.count,
                moving_time_s=c.moving_time,
                distance_m=rounded(c.distance),
                load=c.training_load,
            )
            for c in row.by_category
            if c.count
        ]
        return cls(
            week=row.date.isoformat(),
            count=row.count or 0,
            moving_time_s=row.moving_time or 0,
            distance_m=rounded(row.distance) or 0,
            elevation_gain_m=rounded(row.total_elevation_gain) or 0,
            load=row.training_load or 0,
            by_sport=sports or None,
            fitness_ctl=fitness,
            fatigue_atl=fatigue,
            form_tsb=form(fitness, fatigue),
            ramp_rate=rounded(row.ramp_rate),
        )

    def line(self) -> str:
        fit = join(
            [
                f"CTL {self.fitness_ctl:g}" if self.fitness_ctl is not None else None,
                f"ATL {self.fatigue_atl:g}" if self.fatigue_atl is not None else None,
                f"form {self.form_tsb:g}" if self.form_tsb is not None else None,
            ]
        )
        sports = "; ".join(s.part() for s in self.by_sport or [])
        return (
            f"week of {self.week}: {self.totals()}"
            + (f" ({sports})" if sports else "")
            + (f"; end {fit}" if fit else "")
        )


def total(weeks: list[Week]) -> Volume:
    """The window's totals, summed from the weeks."""
    sports: dict[str, SportTime] = {}
    for week in weeks:
        for s in week.by_sport or []:
            into = sports.setdefault(s.sport, SportTime(sport=s.sport, count=0, moving_time_s=0))
            into.count = (into.count or 0) + (s.count or 0)
            into.moving_time_s = (into.moving_time_s or 0) + (s.moving_time_s or 0)
            if s.distance_m:
                into.distance_m = round((into.distance_m or 0) + s.distance_m, 1)
            if s.load:
                into.load = (into.load or 0) + s.load
    ranked = sorted(sports.values(), key=lambda s: -(s.moving_time_s or 0))
    return Volume(
        count=sum(w.count for w in weeks),
        moving_time_s=sum(w.moving_time_s for w in weeks),
        distance_m=round(sum(w.distance_m for w in weeks), 1),
        elevation_gain_m=round(sum(w.elevation_gain_m for w in weeks), 1),
        load=sum(w.load for w in weeks),
        by_sport=ranked or None,
    )


class TrainingSummary(WindowAnswer):
    """The window's totals first, then each week (oldest first)."""

    schema_note = "week = its Monday; fitness at the week's end; form_tsb = CTL - ATL."

    total: Volume
    weeks: list[Week]
    note: str | None = None

    def text(self) -> str:
        head = f"summary {self.oldest}..{self.newest} ({self.timezone}): {self.total.totals()}"
        sports = "; ".join(s.part() for s in self.total.by_sport or [])
        lines = [head] + ([f"by sport: {sports}"] if sports else [])
        lines += [w.line() for w in self.weeks]
        return "\n".join(lines + ([self.note] if self.note else []))


STUB_FIELDS = ("source",)
"""What the summary reads of each activity: whether it is a Strava import (:func:`is_strava`)."""


def is_strava(activity: Activity) -> bool:
    """A Strava import, by ``source`` alone: a list asked for ``fields`` does not carry the
    ``_note`` that ``Activity.is_stub`` reads (intervals-api.md §2.2)."""
    return activity.source == "STRAVA"


def strava_note(count: int) -> str | None:
    """Strava imports are stubs in the API (intervals-api.md §2.2) and not in the totals."""
    if not count:
        return None
    noun = "activity was" if count == 1 else "activities were"
    return (
        f"{count} {noun} imported from Strava: Intervals.icu does not share them through the "
        "API, so these totals leave them out."
    )


@tool(
    title="Training summary",
    toolset="core",
    example={"start_date": "2026-07-13", "end_date": "2026-07-26"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities and wellness in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_training_summary(
    ctx: AthleteContext, start_date: IsoDate = None, end_date: IsoDate = None
) -> TrainingSummary:
    """Totals and weeks: time, distance, load by sport, fitness and form at week end; default last
    4 weeks."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    if start_date is None:  # whole weeks: from a Monday
        monday = window.oldest - timedelta(days=window.oldest.weekday())
        window = DateWindow(monday, window.newest)
    async with upstream_errors("training summary"):
        rows = await ctx.api.get_athlete_summary(window.oldest, window.newest)
        listed = await ctx.api.list_activities(
            window.oldest, window.last_second, fields=STUB_FIELDS, only_fields=True
        )
    stubs = sum(1 for a in listed if is_strava(a))
    weeks = [Week.from_upstream(r) for r in rows]
    return TrainingSummary(
        **TrainingSummary.window_fields(window, str(ctx.timezone), len(weeks)),
        total=total(weeks),
        weeks=weeks,
        note=strava_note(stubs),
    )
