"""``compare_sessions``: one activity against the earlier sessions of the same kind. Requests:
the activity with its intervals (``GET /activity/{id}?intervals=true``), the athlete's
activities over the look-back window (``GET /athlete/{id}/activities``, only the fields that
match them), the matched ones with intervals (``GET /athlete/{id}/activities/{ids}``), and for
runs and swims the cached pace units: at most four (intervals-api.md §2.2). Matching and
formulas: app/analytics/progression.py, docs/analytics.md "Progression"."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from app.analytics import progression
from app.analytics.progression import Candidate
from app.intervals.models import Activity
from app.mcp.tools.catalog._activity import ActivityId, fetch_own_activity, local_iso
from app.mcp.tools.catalog.get_training_summary import is_strava
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    duration,
    join,
    rounded,
    tool,
    upstream_errors,
)
from app.mcp.tools.units import PaceUnits, has_pace

DEFAULT_DAYS_BACK = 90
COMPARED = 5
MATCH_FIELDS = ["type", "name", "interval_summary", "source"]


class SessionRow(Answer):
    """One session: output, HR, efficiency and work-interval averages; changes are this
    session against the reference (the first row)."""

    date: str
    activity_id: str
    name: str | None = None
    matched_by: str | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    heartrate_bpm: int | None = None
    power_w: int | None = None
    pace: str | None = None
    speed_mps: float | None = None
    efficiency: float | None = None
    at_reference_hr: str | None = None
    work_power_w: int | None = None
    work_pace: str | None = None
    work_heartrate_bpm: int | None = None
    efficiency_change_pct: float | None = None
    work_output_change_pct: float | None = None

    def line(self) -> str:
        output = f"{self.power_w} W" if self.power_w is not None else self.pace
        work = f"{self.work_power_w} W" if self.work_power_w is not None else self.work_pace
        return join(
            [
                f"{self.date} {self.name or ''}".rstrip(),
                duration(self.moving_time_s),
                f"{output} at {self.heartrate_bpm} bpm" if output and self.heartrate_bpm else None,
                f"work {work} at {self.work_heartrate_bpm} bpm"
                if work and self.work_heartrate_bpm
                else None,
                f"at the same HR {self.at_reference_hr}" if self.at_reference_hr else None,
                f"now {self.efficiency_change_pct:+g}% EF"
                if self.efficiency_change_pct is not None
                else None,
            ]
        )


class SessionComparison(Answer):
    """The reference session first, then the earlier ones of the same kind, newest first."""

    schema_note = (
        "efficiency = output/HR (NP W or m/s per bpm); *_change_pct: the reference vs that "
        "session; matched_by: workout (name) or structure."
    )

    reference: SessionRow
    oldest: str
    earlier: list[SessionRow]
    note: str | None = None

    def text(self) -> str:
        count = len(self.earlier)
        head = f"{self.reference.line()}; compared with {count} earlier since {self.oldest}"
        lines = [head] + [f"- {r.line()}" for r in self.earlier]
        return "\n".join(lines + ([self.note] if self.note else []))


def output_of(a: Activity) -> float | None:
    """NP (else average power) for rides with power, else average speed."""
    if not has_pace(a.type) and (a.icu_weighted_avg_watts or a.icu_average_watts):
        return a.icu_weighted_avg_watts or a.icu_average_watts
    return a.average_speed


def work_averages(a: Activity, power: bool) -> tuple[float | None, float | None]:
    """Time-weighted mean output and HR of the work intervals."""
    work = [i for i in a.icu_intervals if (i.type or "").upper() == "WORK" and i.moving_time]
    out = [(i.average_watts if power else i.average_speed, i) for i in work]
    known = [(o, i) for o, i in out if o is not None]
    if not known:
        return None, None
    secs = sum(i.moving_time or 0 for _, i in known)
    output = sum(o * (i.moving_time or 0) for o, i in known) / secs
    hrs = [(i.average_heartrate, i.moving_time or 0) for _, i in known if i.average_heartrate]
    hr = sum(h * s for h, s in hrs) / sum(s for _, s in hrs) if hrs else None
    return output, hr


def row(
    a: Activity,
    matched_by: str | None,
    units: PaceUnits | None,
    reference: tuple[float | None, float | None, float | None] | None,
) -> SessionRow:
    """``reference`` = (EF, average HR, work output) of the reference session."""
    power = not has_pace(a.type)
    output = output_of(a)
    ef = progression.efficiency(output, a.average_heartrate)
    work_out, work_hr = work_averages(a, power)

    def show(speed: float | None) -> str | None:
        return units.pace(a.type, speed) if units else None

    same_hr = None
    if reference is not None and ef is not None and reference[1]:
        value = progression.at_heartrate(ef, reference[1])
        same_hr = f"{round(value)} W" if power and value else show(value)
    return SessionRow(
        date=local_iso(a)[:10],
        activity_id=a.id,
        name=a.name,
        matched_by=matched_by,
        moving_time_s=a.moving_time,
        distance_m=rounded(a.distance),
        heartrate_bpm=round(a.average_heartrate) if a.average_heartrate else None,
        power_w=round(output) if power and output else None,
        pace=show(output) if not power else None,
        speed_mps=rounded(output, 2) if not power and units is None else None,
        efficiency=rounded(ef, 4),
        at_reference_hr=same_hr,
        work_power_w=round(work_out) if power and work_out else None,
        work_pace=show(work_out) if not power else None,
        work_heartrate_bpm=round(work_hr) if work_hr else None,
        efficiency_change_pct=rounded(progression.change_pct(reference[0], ef))
        if reference
        else None,
        work_output_change_pct=rounded(progression.change_pct(reference[2], work_out))
        if reference
        else None,
    )


def listed_whole(a: Activity) -> Activity:
    """A listed activity (read for :data:`MATCH_FIELDS` only) as a whole :class:`Activity`
    with what upstream sent: for an earlier session the detail fetch did not return."""
    return Activity.model_validate(a.model_dump(by_alias=True, exclude_unset=True))


def candidate(a: Activity) -> Candidate:
    summary = a.interval_summary[0] if a.interval_summary else None
    return Candidate(id=a.id, sport=a.type, name=a.name, structure=summary)


def latest_long_run(fake: object, athlete: str) -> str:
    """The athlete's most recent run in the fake named like an earlier one."""
    acts = [a for a in fake.athletes[athlete].activities.values() if a.get("type") == "Run"]  # type: ignore[attr-defined]
    return str(max(acts, key=lambda a: a["start_date_local"])["id"])


@tool(
    title="Compare sessions",
    toolset="analytics",
    example=lambda fake, athlete: {"activity_id": latest_long_run(fake, athlete)},
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities and their intervals in the athlete's own Intervals.icu account; changes"
        " nothing there or anywhere public."
    ),
)
async def compare_sessions(
    ctx: AthleteContext,
    activity_id: ActivityId,
    days_back: Annotated[int, Field(ge=7, le=365)] = DEFAULT_DAYS_BACK,
) -> SessionComparison:
    """An activity vs earlier ones of its workout or structure: output at equal HR, intervals."""
    activity = await fetch_own_activity(ctx, activity_id, intervals=True)
    start = activity.start_date_local.replace(tzinfo=None)
    oldest = (start - timedelta(days=days_back)).date()
    async with upstream_errors("earlier sessions"):
        listed = await ctx.api.list_activities(
            oldest, start - timedelta(seconds=1), fields=MATCH_FIELDS, only_fields=True
        )
    ref = candidate(activity)
    matched = [
        (a, kind)
        for a in sorted(listed, key=lambda a: a.start_date_local.replace(tzinfo=None), reverse=True)
        if not is_strava(a)
        and a.start_date_local.replace(tzinfo=None) < start
        and (kind := progression.match_kind(ref, candidate(a)))
    ][:COMPARED]
    details: dict[str, Activity] = {}
    if matched:
        async with upstream_errors("earlier sessions"):
            fetched = await ctx.api.get_activities([a.id for a, _ in matched], intervals=True)
        details = {a.id: a for a in fetched}
    units = await ctx.pace_units() if has_pace(activity.type) else None
    first = row(activity, None, units, None)
    power = not has_pace(activity.type)
    reference = (
        progression.efficiency(output_of(activity), activity.average_heartrate),
        activity.average_heartrate,
        work_averages(activity, power)[0],
    )
    earlier = [
        row(details[a.id] if a.id in details else listed_whole(a), kind, units, reference)
        for a, kind in matched
    ]
    note = (
        None if earlier else f"no earlier {activity.type or 'session'} of this kind since {oldest}"
    )
    return SessionComparison(reference=first, oldest=oldest.isoformat(), earlier=earlier, note=note)
