"""``get_readiness``: green / amber / red for today from ``GET /athlete/{id}/wellness`` (the
60 days before today and today, intervals-api.md §2.4) and today's planned workouts from ``GET
/athlete/{id}/events`` (§2.5): two upstream requests. The rules and their sources are in
app/analytics/readiness.py and docs/analytics.md "Readiness". Today is the athlete's local day;
a wellness row without today's morning measures is reported as not synced, never filled in
from an older day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.analytics.baselines import MIN_BASELINE_DAYS
from app.analytics.readiness import (
    BASELINE_DAYS,
    SUBJECTIVE,
    MeasureVsBaseline,
    Morning,
    Signal,
    against_baselines,
    assess,
)
from app.intervals.models import Event, Wellness
from app.mcp.tools.catalog.get_wellness_data import form
from app.mcp.tools.kit import Answer, AthleteContext, join, rounded, tool, upstream_errors

WELLNESS_FIELDS = [
    "hrv",
    "restingHR",
    "sleepSecs",
    "sleepQuality",
    *SUBJECTIVE,
    "injury",
    "ctl",
    "atl",
    "updated",
]
MORNING_FIELDS = ("hrv", "resting_hr", "sleep_secs", "sleep_quality")


class Reason(Answer):
    """One measure's level and why."""

    measure: str
    level: str
    reason: str

    @classmethod
    def from_signal(cls, signal: Signal) -> Reason:
        return cls(measure=signal.measure, level=signal.level, reason=signal.reason)


class VsBaseline(Answer):
    """Today's value, the mean of the 7 days before and the 60-day mean and SD before today."""

    today: float | None = None
    mean_7d: float | None = None
    mean_60d: float | None = None
    sd_60d: float | None = None
    days_60d: int | None = None

    @classmethod
    def of(cls, measure: MeasureVsBaseline) -> VsBaseline | None:
        base = measure.baseline_60d
        if measure.today is None and measure.mean_7d is None and base is None:
            return None
        return cls(
            today=measure.today,
            mean_7d=rounded(measure.mean_7d),
            mean_60d=rounded(base.mean) if base else None,
            sd_60d=rounded(base.sd) if base else None,
            days_60d=base.days if base else None,
        )


class Planned(Answer):
    """A workout planned today."""

    name: str | None = None
    type: str | None = None
    moving_time_s: int | None = None
    load: int | None = None

    @classmethod
    def from_upstream(cls, event: Event) -> Planned:
        load = event.icu_training_load
        return cls(
            name=event.name,
            type=event.type,
            moving_time_s=event.moving_time,
            load=round(load) if load is not None else None,
        )

    def part(self) -> str:
        extra = join(self.unit_parts((("moving_time_s", ""), ("load", "load"))))
        return join([self.type, self.name]) + (f" ({extra})" if extra else "")


class Readiness(Answer):
    """The verdict and its reasons first, then the measures behind them."""

    schema_note = (
        "level: green/amber/red; reasons worst first; synced_today false = no morning "
        "measures yet today; synced_at: upstream's last update (UTC); hrv in ms, "
        "resting_hr in bpm; sleep_quality 1-4, 1 best."
    )

    date: str
    timezone: str
    level: str
    reasons: list[Reason]
    synced_today: bool
    last_synced: str | None = None
    synced_at: str | None = None
    hrv: VsBaseline | None = None
    resting_hr: VsBaseline | None = None
    sleep_s: int | None = None
    sleep_quality: int | None = None
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = None
    planned: list[Planned] | None = None
    note: str | None = None

    def text(self) -> str:
        worst = [r.reason for r in self.reasons if r.level != "green"]
        fine = [r.reason for r in self.reasons if r.level == "green"]
        lines = [f"readiness {self.date} ({self.timezone}): {self.level.upper()}"]
        if worst:
            lines.append("because: " + "; ".join(worst))
        if fine:
            lines.append("fine: " + "; ".join(fine))
        if self.planned:
            lines.append("planned today: " + "; ".join(p.part() for p in self.planned))
        else:
            lines.append("nothing planned today")
        return "\n".join(lines + ([self.note] if self.note else []))


def has_morning(row: Wellness) -> bool:
    """True when the row holds any morning measure (HRV, resting HR, sleep)."""
    return any(getattr(row, name) is not None for name in MORNING_FIELDS)


def series(rows: list[Wellness], name: str) -> dict[date, float]:
    return {r.id: float(v) for r in rows if (v := getattr(r, name)) is not None}


def freshness_note(today: date, last: date | None, baseline_days: int) -> str | None:
    """What is missing, said plainly: no row today, or too little history for a baseline."""
    notes = []
    if last != today:
        since = f"; latest morning data {last.isoformat()}" if last else ""
        notes.append(
            f"today's wellness is not synced yet, so HRV, resting HR and sleep are "
            f"not judged{since}"
        )
    if baseline_days < MIN_BASELINE_DAYS:
        notes.append(f"fewer than {MIN_BASELINE_DAYS} days of history: no personal baseline yet")
    return ". ".join(notes) + "." if notes else None


@tool(
    title="Readiness today",
    toolset="analytics",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads wellness and today's calendar in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_readiness(ctx: AthleteContext) -> Readiness:
    """Green/amber/red for training today with reasons: HRV and resting HR vs 7- and 60-day
    baselines, sleep, wellness scores, form, today's plan."""
    today = ctx.today()
    async with upstream_errors("readiness data"):
        rows = await ctx.api.list_wellness(
            today - timedelta(days=BASELINE_DAYS), today, fields=WELLNESS_FIELDS, only_fields=True
        )
        events = await ctx.api.list_events(today, datetime_end(today), category=["WORKOUT"])
    rows = sorted((r for r in rows if r.id <= today), key=lambda r: r.id)
    synced = [r for r in rows if has_morning(r)]
    last = synced[-1].id if synced else None
    row = next((r for r in rows if r.id == today), None)
    morning = today_morning(row) if row is not None and last == today else Morning()
    hrv, rhr = series(rows, "hrv"), series(rows, "resting_hr")
    fitness_row = next((r for r in reversed(rows) if r.ctl is not None), None)
    ctl = rounded(fitness_row.ctl) if fitness_row else None
    atl = rounded(fitness_row.atl) if fitness_row else None
    level, signals = assess(hrv, rhr, morning, form(ctl, atl), today)
    planned = [Planned.from_upstream(e) for e in events if e.start_date_local.date() == today]
    return Readiness(
        date=today.isoformat(),
        timezone=str(ctx.timezone),
        level=level,
        reasons=[Reason.from_signal(s) for s in signals],
        synced_today=last == today,
        last_synced=last.isoformat() if last else None,
        synced_at=synced[-1].updated if synced else None,
        hrv=VsBaseline.of(against_baselines(hrv, today)),
        resting_hr=VsBaseline.of(against_baselines(rhr, today)),
        sleep_s=morning.sleep_secs,
        sleep_quality=morning.sleep_quality,
        fitness_ctl=ctl,
        fatigue_atl=atl,
        form_tsb=form(ctl, atl),
        planned=planned or None,
        note=freshness_note(today, last, len(hrv) if hrv else len(rhr)),
    )


def datetime_end(day: date) -> datetime:
    """The day's last second, local, for the events ``newest`` parameter."""
    return datetime.combine(day, time(23, 59, 59))


def today_morning(row: Wellness) -> Morning:
    scores = {name: v for name in SUBJECTIVE if (v := getattr(row, name)) is not None}
    return Morning(
        sleep_secs=row.sleep_secs,
        sleep_quality=row.sleep_quality,
        scores=scores,
        injury=row.injury,
    )
