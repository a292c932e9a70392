"""Roster triage (issue 18): who on a coach's roster needs attention, from two upstream reads
per athlete (``GET /athlete/{id}/wellness`` over 42 days and ``GET /athlete/{id}/events`` from
7 days back to 28 ahead; intervals-api.md §2.4, §2.5). Pure functions over the fetched rows.

Signals, each with the points it adds to the attention score (docs/clubs.md "Roster triage"):

- acute:chronic load (fatigue / fitness, ATL / CTL): above 1.5 = 3 ("load spike"), above 1.3 = 1;
- form (fitness - fatigue) as a share of fitness: below -30 % = 3, below -20 % = 1 (Intervals.icu
  shows below -30 % as its high-risk zone);
- HRV of the latest of the last 3 days against the mean of the 28 days before: 10 % or more
  below = 2;
- missed planned workouts in the 7 days before today (a planned workout on a day with no
  training load): 1 each, at most 3;
- last day with training load: 5 or more days ago (or none in 42 days) = 2;
- a race within 7 days = 1 (worth a look, not a worry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean

WELLNESS_DAYS = 42
EVENTS_BACK_DAYS = 7
EVENTS_AHEAD_DAYS = 28
HRV_BASELINE_DAYS = 28
RACE_CATEGORIES = frozenset({"RACE_A", "RACE_B", "RACE_C"})


@dataclass(frozen=True)
class Day:
    """One wellness row as triage reads it."""

    day: date
    ctl: float | None = None
    atl: float | None = None
    load: float | None = None
    hrv: float | None = None


@dataclass(frozen=True)
class Planned:
    """One calendar event as triage reads it."""

    day: date
    category: str
    name: str | None = None


@dataclass
class Triage:
    """One athlete's row: the measures, the reasons for attention and the score."""

    acwr: float | None = None
    form_pct: float | None = None
    hrv_vs_baseline_pct: float | None = None
    missed_workouts: int = 0
    last_load_day: date | None = None
    next_race: Planned | None = None
    reasons: list[str] = field(default_factory=list)
    score: int = 0

    def flag(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


def assess(days: Sequence[Day], events: Sequence[Planned], today: date) -> Triage:
    """The triage row from the athlete's wellness ``days`` (any order) and ``events``."""
    ordered = sorted(days, key=lambda d: d.day)
    row = Triage()
    _load(row, ordered)
    _hrv(row, ordered, today)
    _missed(row, ordered, events, today)
    _uploads(row, ordered, today)
    _race(row, events, today)
    return row


def _latest(days: Sequence[Day]) -> Day | None:
    with_fitness = [d for d in days if d.ctl is not None and d.atl is not None]
    return with_fitness[-1] if with_fitness else None


def _load(row: Triage, days: Sequence[Day]) -> None:
    latest = _latest(days)
    if latest is None or not latest.ctl or latest.atl is None:
        return
    row.acwr = round(latest.atl / latest.ctl, 2)
    row.form_pct = round((latest.ctl - latest.atl) / latest.ctl * 100)
    if row.acwr > 1.5:
        row.flag(3, f"load spike (acute:chronic {row.acwr})")
    elif row.acwr > 1.3:
        row.flag(1, f"load rising (acute:chronic {row.acwr})")
    if row.form_pct < -30:
        row.flag(3, f"very fatigued (form {row.form_pct} %)")
    elif row.form_pct < -20:
        row.flag(1, f"fatigued (form {row.form_pct} %)")


def _hrv(row: Triage, days: Sequence[Day], today: date) -> None:
    recent = [d for d in days if d.hrv is not None and (today - d.day).days < 3]
    if not recent:
        return
    latest = recent[-1]
    start = latest.day - timedelta(days=HRV_BASELINE_DAYS)
    base = [d.hrv for d in days if d.hrv is not None and start <= d.day < latest.day]
    if len(base) < 7:
        return
    baseline = mean(base)
    assert latest.hrv is not None
    row.hrv_vs_baseline_pct = round((latest.hrv - baseline) / baseline * 100)
    if row.hrv_vs_baseline_pct <= -10:
        row.flag(2, f"HRV {row.hrv_vs_baseline_pct} % vs 28-day baseline")


def _missed(row: Triage, days: Sequence[Day], events: Sequence[Planned], today: date) -> None:
    trained = {d.day for d in days if d.load}
    window = today - timedelta(days=EVENTS_BACK_DAYS)
    row.missed_workouts = sum(
        1
        for e in events
        if e.category == "WORKOUT" and window <= e.day < today and e.day not in trained
    )
    if row.missed_workouts:
        row.flag(min(row.missed_workouts, 3), f"{row.missed_workouts} planned workouts missed")


def _uploads(row: Triage, days: Sequence[Day], today: date) -> None:
    loaded = [d.day for d in days if d.load and d.day <= today]
    row.last_load_day = loaded[-1] if loaded else None
    if row.last_load_day is None:
        row.flag(2, f"no training in {WELLNESS_DAYS} days")
    elif (today - row.last_load_day).days >= 5:
        row.flag(2, f"no training for {(today - row.last_load_day).days} days")


def _race(row: Triage, events: Sequence[Planned], today: date) -> None:
    races = sorted(
        (e for e in events if e.category in RACE_CATEGORIES and e.day >= today),
        key=lambda e: e.day,
    )
    if not races:
        return
    row.next_race = races[0]
    days = (races[0].day - today).days
    if days <= 7:
        row.flag(1, f"race in {days} days")
