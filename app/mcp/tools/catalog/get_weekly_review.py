"""``get_weekly_review``: one Monday-Sunday week reviewed from three upstream requests: the
week's activities (``GET /athlete/{id}/activities``, intervals-api.md §2.2), its planned
workouts (``GET /athlete/{id}/events?category=WORKOUT``, §2.5) and wellness from 60 days before
the week to its end (``GET /athlete/{id}/wellness``, §2.4: HRV, resting HR, sleep, fitness).
Definitions and sources: app/analytics/weekly.py and docs/analytics.md "Weekly review"."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.analytics import weekly
from app.analytics.weekly import BASELINE_DAYS, Compliance, IntensityMix, Trend
from app.intervals.models import Activity, Event, Wellness
from app.mcp.tools.catalog.get_training_summary import is_strava, strava_note
from app.mcp.tools.catalog.get_wellness_data import form
from app.mcp.tools.dates import DateWindow, parse_day
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    ToolFailure,
    WindowAnswer,
    duration,
    join,
    rounded,
    tool,
    upstream_errors,
)

ACTIVITY_FIELDS = [
    "type",
    "name",
    "moving_time",
    "distance",
    "icu_training_load",
    "icu_intensity",
    "race",
    "paired_event_id",
    "source",
]
WELLNESS_FIELDS = ["hrv", "restingHR", "sleepSecs", "ctl", "atl"]
BANDS = ("easy", "moderate", "hard", "unknown")


class SportLine(Answer):
    """One sport's week."""

    sport: str
    count: int
    moving_time_s: int
    distance_m: float | None = None
    load: int

    def part(self) -> str:
        parts = self.unit_parts((("moving_time_s", ""), ("distance_m", ""), ("load", "load")))
        return f"{self.sport} x{self.count} " + join(parts)


class Mix(Answer):
    """Moving time and sessions per intensity band, with the share of time."""

    band: str
    sessions: int
    moving_time_s: int
    share_pct: float | None = None


class KeySession(Answer):
    """A race or one of the week's highest loads."""

    date: str
    activity_id: str
    sport: str
    name: str | None = None
    load: int
    intensity_pct: float | None = None
    race: bool | None = None

    def part(self) -> str:
        intensity = f" IF {self.intensity_pct / 100:.2f}" if self.intensity_pct else ""
        race = " (race)" if self.race else ""
        return f"{self.date} {join([self.sport, self.name])}{race}: load {self.load}{intensity}"


class PlanCompliance(Answer):
    """Planned workouts done, and load done against load planned."""

    planned: int
    done: int
    completion_pct: float | None = None
    planned_load: int
    done_load: int
    load_pct: float | None = None
    missed: list[str] | None = None
    unplanned: int

    @classmethod
    def of(cls, c: Compliance) -> PlanCompliance:
        return cls(
            planned=c.planned,
            done=c.done,
            completion_pct=c.completion_pct,
            planned_load=round(c.planned_load),
            done_load=round(c.done_load),
            load_pct=c.load_pct,
            missed=[f"{p.day} {join([p.sport, p.name])}" for p in c.missed] or None,
            unplanned=len(c.unplanned),
        )

    def line(self) -> str:
        if self.planned == 0:
            return "plan: nothing was planned" + (
                f"; {self.unplanned} unplanned" if self.unplanned else ""
            )
        text = f"plan: {self.done} of {self.planned} workouts done"
        if self.load_pct is not None:
            text += f", load {self.done_load} of {self.planned_load} ({self.load_pct:g}%)"
        if self.missed:
            text += "; missed " + "; ".join(self.missed)
        if self.unplanned:
            text += f"; {self.unplanned} unplanned"
        return text


class WellnessTrend(Answer):
    """A measure's week mean against its mean over the 60 days before the week."""

    measure: str
    week_mean: float | None = None
    baseline_60d: float | None = None
    change_pct: float | None = None

    @classmethod
    def of(cls, measure: str, t: Trend) -> WellnessTrend | None:
        if t.week_mean is None:
            return None
        return cls(
            measure=measure,
            week_mean=rounded(t.week_mean),
            baseline_60d=rounded(t.baseline.mean) if t.baseline else None,
            change_pct=rounded(t.change_pct),
        )

    def part(self) -> str:
        value = duration(self.week_mean) if self.measure == "sleep_s" else f"{self.week_mean:g}"
        change = f" ({self.change_pct:+g}% vs 60 days)" if self.change_pct is not None else ""
        return f"{self.measure} {value}{change}"


class FitnessChange(Answer):
    """Fitness, fatigue and form before the week and at its end."""

    fitness_ctl_start: float | None = None
    fitness_ctl_end: float | None = None
    fatigue_atl_start: float | None = None
    fatigue_atl_end: float | None = None
    form_tsb_start: float | None = None
    form_tsb_end: float | None = None

    def line(self) -> str | None:
        def span(name: str, label: str) -> str | None:
            a, b = getattr(self, f"{name}_start"), getattr(self, f"{name}_end")
            if a is None or b is None:
                return None
            return f"{label} {a:g} -> {b:g} ({b - a:+.1f})"

        parts = join(
            [
                span("fitness_ctl", "CTL"),
                span("fatigue_atl", "ATL"),
                span("form_tsb", "form"),
            ]
        )
        return f"fitness: {parts}" if parts else None


class WeeklyReview(WindowAnswer):
    """Totals and by sport first, then intensity, key sessions, plan, wellness, fitness."""

    schema_note = (
        "count = activities; intensity bands by IF: easy <0.85, moderate <0.95, hard; "
        "wellness change_pct vs the 60 days before the week."
    )

    moving_time_s: int
    distance_m: float
    load: int
    by_sport: list[SportLine]
    intensity: list[Mix]
    key_sessions: list[KeySession]
    compliance: PlanCompliance
    wellness: list[WellnessTrend] | None = None
    fitness: FitnessChange | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"week {self.oldest}..{self.newest} ({self.timezone}): "
        if self.count == 0:
            lines = [head + "no activities"]
        else:
            total = join(
                [f"{self.count} activities", duration(self.moving_time_s), f"load {self.load}"]
            )
            lines = [head + total, "by sport: " + "; ".join(s.part() for s in self.by_sport)]
            mix = [f"{m.band} {m.share_pct:g}%" for m in self.intensity if m.share_pct]
            lines.append("intensity (time): " + ", ".join(mix))
            lines.append("key: " + "; ".join(k.part() for k in self.key_sessions))
        lines.append(self.compliance.line())
        if self.wellness:
            lines.append("wellness: " + "; ".join(w.part() for w in self.wellness))
        fitness = self.fitness.line() if self.fitness else None
        return "\n".join(lines + [x for x in (fitness, self.note) if x])


def session_of(a: Activity) -> weekly.Session:
    return weekly.Session(
        id=a.id,
        day=a.start_date_local.date(),
        sport=a.type or "Other",
        name=a.name,
        moving_s=a.moving_time or 0,
        distance_m=a.distance or 0.0,
        load=a.icu_training_load or 0.0,
        intensity=a.icu_intensity,
        race=bool(a.race),
        event_id=a.paired_event_id,
    )


def planned_of(e: Event) -> weekly.PlannedSession:
    return weekly.PlannedSession(
        id=e.id,
        day=e.start_date_local.date(),
        sport=e.type,
        name=e.name,
        moving_s=e.moving_time,
        load=e.icu_training_load,
    )


def mix_lines(mix: IntensityMix) -> list[Mix]:
    return [
        Mix(
            band=b,
            sessions=mix.sessions[b],
            moving_time_s=mix.seconds[b],
            share_pct=mix.share_pct(b),
        )
        for b in BANDS
        if b in mix.sessions
    ]


def fitness_change(rows: list[Wellness], window: DateWindow) -> FitnessChange | None:
    """CTL/ATL on the latest day before the week and the latest day in it."""
    known = [r for r in rows if r.ctl is not None and r.atl is not None]
    before = [r for r in known if r.id < window.oldest]
    inside = [r for r in known if window.oldest <= r.id <= window.newest]
    if not inside:
        return None
    end = inside[-1]
    start = before[-1] if before else None
    start_ctl = rounded(start.ctl) if start else None
    start_atl = rounded(start.atl) if start else None
    end_ctl, end_atl = rounded(end.ctl), rounded(end.atl)
    return FitnessChange(
        fitness_ctl_start=start_ctl,
        fitness_ctl_end=end_ctl,
        fatigue_atl_start=start_atl,
        fatigue_atl_end=end_atl,
        form_tsb_start=form(start_ctl, start_atl),
        form_tsb_end=form(end_ctl, end_atl),
    )


def wellness_trends(rows: list[Wellness], window: DateWindow) -> list[WellnessTrend]:
    found = []
    for measure, attr in (
        ("hrv_ms", "hrv"),
        ("resting_hr_bpm", "resting_hr"),
        ("sleep_s", "sleep_secs"),
    ):
        values = {r.id: float(v) for r in rows if (v := getattr(r, attr)) is not None}
        line = WellnessTrend.of(measure, weekly.trend(values, window.oldest, window.newest))
        if line is not None:
            found.append(line)
    return found


def key_line(s: weekly.Session) -> KeySession:
    return KeySession(
        date=s.day.isoformat(),
        activity_id=s.id,
        sport=s.sport,
        name=s.name,
        load=round(s.load),
        intensity_pct=rounded(s.intensity),
        race=True if s.race else None,
    )


@tool(
    title="Weekly review",
    toolset="analytics",
    example={"week_of": "2026-07-20"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities, wellness and the calendar in the athlete's own Intervals.icu account; "
        "changes nothing there or anywhere public."
    ),
)
async def get_weekly_review(ctx: AthleteContext, week_of: IsoDate = None) -> WeeklyReview:
    """A Monday-Sunday week: volume and load by sport, intensity mix, key sessions, plan
    compliance, wellness vs baseline, fitness change; default last week."""
    today = ctx.today()
    day = parse_day(week_of, "week_of") if week_of else None
    if day is not None and day > today:
        raise ToolFailure("week_of is in the future; a review covers days that have passed.")
    window = DateWindow(*weekly.review_week(today, day))
    last_second = datetime.combine(window.newest, time(23, 59, 59))
    async with upstream_errors("the weekly review"):
        activities = await ctx.api.list_activities(
            window.oldest, last_second, fields=ACTIVITY_FIELDS, only_fields=True
        )
        events = await ctx.api.list_events(window.oldest, last_second, category=["WORKOUT"])
        rows = await ctx.api.list_wellness(
            window.oldest - timedelta(days=BASELINE_DAYS),
            window.newest,
            fields=WELLNESS_FIELDS,
            only_fields=True,
        )
    inside = [a for a in activities if window.contains(a.start_date_local)]
    stubs = sum(1 for a in inside if is_strava(a))
    sessions = sorted(
        (session_of(a) for a in inside if not is_strava(a)),
        key=lambda s: (s.day, s.id),
    )
    planned = [planned_of(e) for e in events if window.contains(e.start_date_local)]
    rows = sorted(rows, key=lambda r: r.id)
    return WeeklyReview(
        **WeeklyReview.window_fields(window, str(ctx.timezone), len(sessions)),
        moving_time_s=sum(s.moving_s for s in sessions),
        distance_m=round(sum(s.distance_m for s in sessions), 1),
        load=round(sum(s.load for s in sessions)),
        by_sport=[
            SportLine(
                sport=v.sport,
                count=v.count,
                moving_time_s=v.moving_s,
                distance_m=round(v.distance_m, 1) or None,
                load=round(v.load),
            )
            for v in weekly.volume_by_sport(sessions)
        ],
        intensity=mix_lines(weekly.intensity_mix(sessions)),
        key_sessions=[key_line(s) for s in weekly.key_sessions(sessions)],
        compliance=PlanCompliance.of(weekly.compliance(planned, sessions)),
        wellness=wellness_trends(rows, window) or None,
        fitness=fitness_change(rows, window),
        note=strava_note(stubs),
    )
