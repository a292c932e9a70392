"""Guardrails a write's preview shows (issue 15): warnings, or refusals where the operator says so.

Each check is a plain function of numbers and dates the preview already fetched; each returns
a :class:`Finding` or ``None``. The load model is the usual impulse-response one Intervals.icu
uses for fitness (CTL, 42-day) and fatigue (ATL, 7-day): every day
``CTL += (load - CTL) / 42`` and ``ATL += (load - ATL) / 7``. The weekly ramp is the CTL gained
over the 7 days ending on the changed day (Intervals.icu's ``rampRate``); acute:chronic is
ATL / CTL on that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

CTL_DAYS = 42
ATL_DAYS = 7

RULES = (
    "weekly_ramp",
    "acute_chronic",
    "hard_before_a_race",
    "paired_event",
    "threshold_change",
)
"""Every guardrail, by the name settings and previews use."""


@dataclass(frozen=True)
class Limits:
    """The operator's thresholds (app/settings.py ``guardrail_*``) and the rules that refuse."""

    weekly_ramp: float = 8.0
    acute_chronic: float = 1.5
    hard_intensity_pct: float = 85.0
    hard_load: float = 100.0
    threshold_change_pct: float = 10.0
    refuse: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    """One guardrail that fired: its rule, a sentence for the athlete, and whether it refuses."""

    rule: str
    message: str
    refuses: bool


def _finding(rule: str, message: str, limits: Limits) -> Finding:
    return Finding(rule, message, rule in limits.refuse)


def project(ctl: float, atl: float, loads: Iterable[float]) -> tuple[float, float]:
    """CTL and ATL after the days of ``loads`` (one load per day, in order)."""
    for load in loads:
        ctl += (load - ctl) / CTL_DAYS
        atl += (load - atl) / ATL_DAYS
    return ctl, atl


def weekly_ramp(
    ctl_week_ago: float, ctl_before: float, ctl_after: float, limits: Limits
) -> Finding | None:
    """Warn when the change lifts the CTL gained over the 7 days ending on the changed day
    beyond ``limits.weekly_ramp`` (``ctl_week_ago``: CTL 7 days before that day;
    ``ctl_before``/``ctl_after``: CTL on that day without and with the change, see
    :func:`project`)."""
    before, after = ctl_before - ctl_week_ago, ctl_after - ctl_week_ago
    if after <= limits.weekly_ramp or after <= before:
        return None
    return _finding(
        "weekly_ramp",
        f"Fitness (CTL) would rise {after:.1f} in 7 days (was {before:.1f}), above the "
        f"{limits.weekly_ramp:g} per week this gateway allows without a warning.",
        limits,
    )


def acute_chronic(
    before: tuple[float, float], after: tuple[float, float], limits: Limits
) -> Finding | None:
    """Warn when fatigue/fitness (ATL/CTL) on the changed day goes above
    ``limits.acute_chronic`` because of the change (``before``/``after``: (CTL, ATL) on that
    day without and with the change)."""
    (ctl_before, atl_before), (ctl_after, atl_after) = before, after
    if ctl_after <= 0:
        return None
    ratio = atl_after / ctl_after
    was = atl_before / ctl_before if ctl_before > 0 else 0.0
    if ratio <= limits.acute_chronic or ratio <= was:
        return None
    return _finding(
        "acute_chronic",
        f"Fatigue would reach {ratio:.2f} times fitness (ATL {atl_after:.0f} / CTL "
        f"{ctl_after:.0f}; was {was:.2f}), above the {limits.acute_chronic:g} this gateway "
        "allows without a warning.",
        limits,
    )


def is_hard(intensity_pct: float | None, load: float | None, limits: Limits) -> bool:
    """A hard session: intensity (% of threshold, ``icu_intensity``) or load at the limits."""
    return (intensity_pct is not None and intensity_pct >= limits.hard_intensity_pct) or (
        load is not None and load >= limits.hard_load
    )


def hard_before_a_race(
    day: date,
    intensity_pct: float | None,
    load: float | None,
    a_races: Iterable[tuple[date, str]],
    limits: Limits,
) -> Finding | None:
    """Warn when a hard session lands on the day before an A race (``a_races``: the athlete's
    RACE_A events as (day, name))."""
    if not is_hard(intensity_pct, load, limits):
        return None
    for race_day, name in a_races:
        if race_day - day == timedelta(days=1):
            what = f"intensity {intensity_pct:g}%" if intensity_pct is not None else ""
            what = what or f"load {load:g}"
            return _finding(
                "hard_before_a_race",
                f"A hard session ({what}) on {day.isoformat()} is the day before the A race "
                f"{name!r}.",
                limits,
            )
    return None


def paired_event(
    event_id: int, activities: Iterable[tuple[str, int | None, str]], limits: Limits
) -> Finding | None:
    """Warn when deleting an event an activity is paired with (``activities``: (id,
    ``paired_event_id``, name)); the activity stays, its comparison with the plan goes."""
    for activity_id, paired, name in activities:
        if paired == event_id:
            return _finding(
                "paired_event",
                f"Event {event_id} is paired with activity {activity_id} ({name!r}); deleting "
                "it removes the planned-versus-done comparison.",
                limits,
            )
    return None


def threshold_change(field: str, old: float | None, new: float, limits: Limits) -> Finding | None:
    """Warn when a threshold (FTP, LTHR, max HR, threshold pace) moves by more than
    ``limits.threshold_change_pct`` percent."""
    if old is None or old <= 0:
        return None
    change = (new - old) / old * 100
    if abs(change) <= limits.threshold_change_pct:
        return None
    return _finding(
        "threshold_change",
        f"{field} would change {change:+.1f}% ({old:g} -> {new:g}), more than the "
        f"{limits.threshold_change_pct:g}% this gateway allows without a warning; zones and "
        "the load of past and planned sessions follow it.",
        limits,
    )


def refusal(findings: Iterable[Finding | None]) -> str | None:
    """The message refusing a write when any finding is set to refuse, else ``None``."""
    refusing = [f for f in findings if f is not None and f.refuses]
    if not refusing:
        return None
    reasons = " ".join(f.message for f in refusing)
    return f"This gateway's operator does not allow this change: {reasons}"


def parse_refuse(value: str) -> frozenset[str]:
    """``GATEWAY_GUARDRAILS_REFUSE``: comma-separated rule names (or ``all``); unknown ones fail."""
    names = {name.strip().lower() for name in value.split(",") if name.strip()}
    if "all" in names:
        return frozenset(RULES)
    unknown = sorted(names - set(RULES))
    if unknown:
        raise ValueError(f"unknown guardrail {unknown[0]!r} (known: {', '.join(RULES)}, all)")
    return frozenset(names)
