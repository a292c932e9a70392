"""``analyze_session``: one activity against its planned workout. Requests: the activity with
its intervals (``GET /activity/{id}?intervals=true``, intervals-api.md §2.2), the paired
planned workout when there is one (``GET /athlete/{id}/events/{eventId}``, §2.5), the 1 Hz
streams (``GET /activity/{id}/streams.json``, §2.2) and, for runs and swims, the athlete's
pace units (cached profile read). Formulas: app/analytics/session.py, docs/analytics.md."""

from __future__ import annotations

from typing import Any

from app.analytics import session as analysis
from app.analytics.session import Rep, Target
from app.intervals.models import Activity, ActivityStream, Event, Interval
from app.mcp.tools.catalog._activity import (
    ActivityId,
    fetch_own_activity,
    latest_ride,
    local_iso,
)
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    duration,
    join,
    rounded,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import RUN_PACE_UNITS, RUN_TYPES, PaceUnits, has_pace

STREAMS = ["time", "watts", "heartrate", "velocity_smooth", "distance", "altitude"]
MAX_SPLITS = 60


class StepCheck(Answer):
    """A planned step against the interval done: target and actual as % of threshold."""

    step: int
    label: str | None = None
    target: str | None = None
    actual_pct: float | None = None
    result: str | None = None

    def part(self) -> str:
        actual = f" did {self.actual_pct:g}%" if self.actual_pct is not None else ""
        return f"{self.step} {self.label or ''} {self.target or ''}{actual} {self.result or ''}"


class FadeOut(Answer):
    """The last work repeat against the first."""

    reps: int
    output_change_pct: float
    hr_change_bpm: float | None = None
    faded: bool


class SplitOut(Answer):
    """One split: time, distance, speed (grade-adjusted for runs), power, HR."""

    split: int
    time_s: int
    distance_m: float | None = None
    pace: str | None = None
    gap_pace: str | None = None
    speed_mps: float | None = None
    grade_pct: float | None = None
    power_w: int | None = None
    heartrate_bpm: int | None = None

    def part(self) -> str:
        return join(
            [
                f"{self.split}: {duration(self.time_s)}",
                self.pace,
                f"GAP {self.gap_pace}" if self.gap_pace else None,
                f"{self.grade_pct:+g}%" if self.grade_pct is not None else None,
                f"{self.power_w} W" if self.power_w is not None else None,
                f"{self.heartrate_bpm} bpm" if self.heartrate_bpm is not None else None,
            ]
        )


class SessionAnalysis(Answer):
    """Plan compliance per step, fade, decoupling and splits of one activity."""

    schema_note = (
        "target/actual_pct: % of FTP or threshold pace; decoupling_pct: Friel Pw:HR or Pa:HR, "
        "<5 coupled; gap_pace: Minetti grade-adjusted."
    )

    activity_id: str
    start_date_local: str
    name: str | None = None
    sport: str | None = None
    planned: str | None = None
    targets_hit: int | None = None
    targets_judged: int | None = None
    steps: list[StepCheck] | None = None
    fade: FadeOut | None = None
    decoupling_pct: float | None = None
    decoupling_basis: str | None = None
    splits: list[SplitOut] | None = None
    note: str | None = None

    def text(self) -> str:
        head = f"{self.name or 'activity'} [{self.activity_id}] {self.start_date_local}"
        lines = [head + (f", planned: {self.planned}" if self.planned else ", no planned workout")]
        if self.targets_judged:
            misses = [s.part() for s in self.steps or [] if s.result in ("under", "over")]
            lines.append(
                f"targets hit {self.targets_hit} of {self.targets_judged}"
                + (": misses " + "; ".join(misses) if misses else "")
            )
        if self.fade is not None:
            verdict = "faded" if self.fade.faded else "held"
            hr = (
                f", HR {self.fade.hr_change_bpm:+g} bpm"
                if self.fade.hr_change_bpm is not None
                else ""
            )
            lines.append(
                f"{verdict} over {self.fade.reps} reps: output "
                f"{self.fade.output_change_pct:+g}%{hr}"
            )
        if self.decoupling_pct is not None:
            state = "coupled" if self.decoupling_pct < analysis.DECOUPLED_PCT else "decoupled"
            lines.append(f"decoupling {self.decoupling_basis} {self.decoupling_pct:g}% ({state})")
        if self.splits:
            lines.append("splits: " + "; ".join(s.part() for s in self.splits))
        return "\n".join(lines + ([self.note] if self.note else []))


def target_text(t: Target) -> str | None:
    if t.low is None or t.high is None:
        return None
    unit = {"%ftp": "% FTP", "%pace": "% pace", "%lthr": "% LTHR"}.get(t.units or "", "")
    value = f"{t.low:g}" if t.low == t.high else f"{t.low:g}-{t.high:g}"
    return f"{value}{unit}"


def actual_pct(t: Target, interval: Interval, activity: Activity) -> float | None:
    """The interval's output as % of the threshold the target refers to."""
    if t.units == "%ftp" and interval.average_watts is not None and activity.icu_ftp:
        return 100.0 * interval.average_watts / activity.icu_ftp
    if t.units == "%pace" and interval.average_speed is not None and activity.threshold_pace:
        return 100.0 * interval.average_speed / activity.threshold_pace
    return None


def check_steps(targets: list[Target], activity: Activity) -> list[StepCheck]:
    checks = []
    for n, (t, interval) in enumerate(zip(targets, activity.icu_intervals, strict=False), 1):
        pct = actual_pct(t, interval, activity)
        checks.append(
            StepCheck(
                step=n,
                label=t.label,
                target=target_text(t),
                actual_pct=rounded(pct),
                result=analysis.judge(t, pct),
            )
        )
    return checks


def work_reps(activity: Activity, power: bool) -> list[Rep]:
    """The repeats of the main work set: the work intervals of one duration (to 10 s) with
    the most time in them, in order."""
    work = [i for i in activity.icu_intervals if (i.type or "").upper() == "WORK"]
    groups: dict[int, list[Interval]] = {}
    for i in work:
        groups.setdefault(round((i.moving_time or 0) / 10), []).append(i)
    repeated = [g for g in groups.values() if len(g) > 1]
    main = max(repeated, key=lambda g: sum(i.moving_time or 0 for i in g)) if repeated else work
    reps = []
    for i in main:
        output = i.average_watts if power else i.average_speed
        if output is not None:
            reps.append(Rep(output=float(output), heartrate=i.average_heartrate))
    return reps


def stream_map(streams: list[ActivityStream]) -> dict[str, list[Any]]:
    return {s.type: list(s.data) for s in streams}


def split_rows(
    found: list[analysis.Split], sport: str | None, units: PaceUnits | None
) -> list[SplitOut]:
    rows = []
    for n, s in enumerate(found[:MAX_SPLITS], 1):
        pace = units.pace(sport, s.speed) if units else None
        rows.append(
            SplitOut(
                split=n,
                time_s=s.time_s,
                distance_m=s.distance_m or None,
                pace=pace,
                gap_pace=units.pace(sport, s.gap_speed)
                if units and s.gap_speed and sport in RUN_TYPES
                else None,
                speed_mps=rounded(s.speed, 2) if pace is None else None,
                grade_pct=(rounded(s.grade_pct) or 0.0)
                if sport in RUN_TYPES and s.grade_pct is not None
                else None,
                power_w=round(s.power) if s.power else None,
                heartrate_bpm=round(s.heartrate) if s.heartrate else None,
            )
        )
    return rows


async def planned_event(ctx: AthleteContext, activity: Activity) -> Event | None:
    if activity.paired_event_id is None:
        return None
    async with upstream_errors("the planned workout"):
        event = await ctx.api.get_event(activity.paired_event_id)
    ctx.owned(event.athlete_id, "planned workout")
    return event


@tool(
    title="Session analysis",
    toolset="analytics",
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete)},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads an activity and its planned workout in the athlete's own Intervals.icu account; "
        "changes nothing there or anywhere public."
    ),
)
async def analyze_session(ctx: AthleteContext, activity_id: ActivityId) -> SessionAnalysis:
    """An activity vs its planned workout: targets hit per step, fade, decoupling, splits."""
    activity = await fetch_own_activity(ctx, activity_id, intervals=True)
    event = await planned_event(ctx, activity)
    async with upstream_errors(f"streams of activity {activity.id}"):
        streams = stream_map(await ctx.api.get_streams(activity.id, STREAMS))
    units = await ctx.pace_units() if has_pace(activity.type) else None
    power = any(streams.get("watts") or []) and activity.icu_ftp is not None
    checks = check_steps(analysis.planned_steps(event.workout_doc if event else None), activity)
    judged = [c for c in checks if c.result is not None]
    reps = work_reps(activity, power)
    faded = analysis.fade(reps)
    output = streams.get("watts") if power else streams.get("velocity_smooth")
    decoupled = analysis.decoupling(output or [], streams.get("heartrate") or [])
    every = None
    if activity.type in RUN_TYPES:
        every = RUN_PACE_UNITS[units.run][0] if units else 1000.0
    notes = []
    if not streams.get("time"):
        notes.append("no streams recorded: no decoupling or splits")
    return SessionAnalysis(
        activity_id=activity.id,
        start_date_local=local_iso(activity),
        name=activity.name,
        sport=activity.type,
        planned=event.name if event else None,
        targets_hit=sum(1 for c in judged if c.result == "hit") if judged else None,
        targets_judged=len(judged) or None,
        steps=checks or None,
        fade=FadeOut(
            reps=faded.reps,
            output_change_pct=round(faded.output_change_pct, 1) or 0.0,
            hr_change_bpm=(rounded(faded.hr_change_bpm) or 0.0)
            if faded.hr_change_bpm is not None
            else None,
            faded=faded.faded,
        )
        if faded
        else None,
        decoupling_pct=rounded(decoupled),
        decoupling_basis=("Pw:HR" if power else "Pa:HR") if decoupled is not None else None,
        splits=split_rows(analysis.splits(streams, every), activity.type, units) or None,
        note="; ".join(notes) or None,
    )
