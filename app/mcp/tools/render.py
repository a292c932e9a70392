"""Compact text renderings of the answers, for hosts that pass only text to the model.

One line per item; units after values; ids in brackets so follow-up calls can use them.
"""

from __future__ import annotations

from functools import singledispatch

from pydantic import BaseModel

from app.mcp.tools.models import (
    ActivityDetails,
    ActivityIntervals,
    ActivityList,
    ActivityOut,
    EventDetails,
    EventList,
    EventOut,
    IntervalOut,
    WellnessDayOut,
    WellnessList,
)


def duration(seconds: int | None) -> str | None:
    """``h:mm:ss`` (or ``m:ss`` under an hour)."""
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _join(parts: list[str | None]) -> str:
    return ", ".join(p for p in parts if p)


def _unit(value: float | int | None, unit: str) -> str | None:
    if value is None:
        return None
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {unit}"


def _km(metres: float | None) -> str | None:
    return None if metres is None else f"{metres / 1000:.1f} km"


def _scales(scales: dict[str, str] | None) -> list[str]:
    return [f"scale {key}: {text}" for key, text in (scales or {}).items()]


def activity_line(a: ActivityOut) -> str:
    """One activity on one line; detail fields follow when present."""
    when = a.start_date_local.replace("T", " ")[:16]
    head = f"{when} {a.type or 'Activity'} {a.name or ''}".rstrip() + f" [{a.id}]"
    body = _join(
        [
            a.note,
            _km(a.distance_m),
            duration(a.moving_time_s),
            _unit(a.elevation_gain_m, "m up"),
            _unit(a.training_load, "load"),
            _unit(a.avg_power_w, "W avg"),
            _unit(a.normalized_power_w, "W NP"),
            _unit(a.avg_hr_bpm, "bpm avg"),
            _unit(a.max_hr_bpm, "bpm max"),
            _unit(a.intensity_pct, "% intensity"),
            _unit(a.rpe, "RPE"),
            _unit(a.feel, "feel"),
        ]
    )
    line = f"{head}: {body}" if body else head
    if a.description:
        line += f"\n  {a.description}"
    return line


def interval_line(i: IntervalOut) -> str:
    """One interval on one line."""
    start = duration(i.start_time_s)
    label = i.label or i.type or "interval"
    body = _join(
        [
            duration(i.moving_time_s),
            _unit(i.avg_power_w, "W"),
            _unit(i.avg_hr_bpm, "bpm"),
            _unit(i.intensity_pct, "%"),
            f"Z{i.zone}" if i.zone is not None else None,
            _km(i.distance_m),
        ]
    )
    return f"#{i.id} {label} at {start}: {body}"


def wellness_line(d: WellnessDayOut) -> str:
    """One wellness day on one line."""
    body = _join(
        [
            _unit(d.fitness_ctl, "CTL"),
            _unit(d.fatigue_atl, "ATL"),
            _unit(d.form_tsb, "form"),
            _unit(d.weight_kg, "kg"),
            _unit(d.resting_hr_bpm, "bpm rest"),
            _unit(d.hrv_rmssd_ms, "ms HRV"),
            _unit(d.sleep_hours, "h sleep"),
            f"sleep quality {d.sleep_quality}/4" if d.sleep_quality is not None else None,
            f"soreness {d.soreness}/4" if d.soreness is not None else None,
            f"fatigue {d.fatigue}/4" if d.fatigue is not None else None,
            f"stress {d.stress}/4" if d.stress is not None else None,
            f"mood {d.mood}/4" if d.mood is not None else None,
            f"motivation {d.motivation}/4" if d.motivation is not None else None,
            _unit(d.steps, "steps"),
            d.comments,
        ]
    )
    return f"{d.date}: {body}"


def event_line(e: EventOut) -> str:
    """One calendar event on one line; the description follows indented."""
    when = e.start_date_local.replace("T00:00:00", "").replace("T", " ")
    head = f"{when} {e.category} {e.type or ''} {e.name or ''}".replace("  ", " ").rstrip()
    body = _join(
        [
            duration(e.moving_time_s),
            _km(e.distance_m),
            _unit(e.training_load, "load"),
            "indoor" if e.indoor else None,
        ]
    )
    line = f"{head} [{e.id}]" + (f": {body}" if body else "")
    if e.description:
        line += "\n  " + e.description.replace("\n", "\n  ")
    return line


@singledispatch
def render(answer: BaseModel) -> str:
    """The text form of any answer (JSON when no renderer is registered)."""
    return answer.model_dump_json(exclude_none=True)


@render.register
def _(answer: ActivityList) -> str:
    head = f"{answer.count} activities {answer.oldest}..{answer.newest} ({answer.timezone})"
    if answer.more_available:
        head += "; limit reached, more may exist"
    return "\n".join([head, *map(activity_line, answer.activities), *_scales(answer.scales)])


@render.register
def _(answer: ActivityDetails) -> str:
    return "\n".join([activity_line(answer.activity), *_scales(answer.scales)])


@render.register
def _(answer: ActivityIntervals) -> str:
    head = f"{answer.count} intervals of {answer.name or 'activity'} [{answer.activity_id}]"
    groups = [
        f"group {g.id}: {g.count} x, {_unit(g.avg_power_w, 'W') or ''}".rstrip(", ")
        for g in answer.groups or []
    ]
    return "\n".join([head, *map(interval_line, answer.intervals), *groups])


@render.register
def _(answer: WellnessList) -> str:
    head = f"wellness {answer.oldest}..{answer.newest} ({answer.timezone}): {answer.count} days"
    return "\n".join([head, *map(wellness_line, answer.days), *_scales(answer.scales)])


@render.register
def _(answer: EventList) -> str:
    head = f"{answer.count} events {answer.oldest}..{answer.newest} ({answer.timezone})"
    if answer.more_available:
        head += "; limit reached, more may exist"
    return "\n".join([head, *map(event_line, answer.events)])


@render.register
def _(answer: EventDetails) -> str:
    return event_line(answer.event)
