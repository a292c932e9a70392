"""Fitness projection and the taper solver (docs/analytics.md, "Projection and taper").

The projection runs the fitness model (app.analytics.fitness) forward from today's fitness and
fatigue over the planned daily loads. A what-if replaces the plan with a flat weekly load
(``weekly_load / 7`` a day) and/or cuts the last ``taper_days`` before the target date to
``taper_pct`` % of the load. The solver searches taper lengths 0..MAX_TAPER_DAYS and taper
loads 0..100 % (10 % steps) for the form closest to the target on race day. Among the options
within FORM_TOLERANCE of the target it prefers a taper inside the evidence band of Bosquet et
al. 2007 (Med Sci Sports Exerc 39:1358: 8-14 days, volume cut by 41-60 %, i.e. 40-60 % of the
load kept), then keeps the one with the highest race-day fitness (the least fitness given
away), then the shortest taper; with none close enough, the closest form wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.analytics.fitness import FitnessDay, simulate

MAX_TAPER_DAYS = 21
TAPER_STEPS_PCT = tuple(range(0, 101, 10))
FORM_TOLERANCE = 1.0
EVIDENCE_DAYS = range(8, 15)  # Bosquet et al. 2007
EVIDENCE_LOAD_PCT = range(40, 61)


def what_if(
    planned: Sequence[float],
    weekly_load: float | None = None,
    taper_days: int = 0,
    taper_pct: float = 100.0,
) -> list[float]:
    """The daily loads of a scenario: the plan (or a flat ``weekly_load``), with the last
    ``taper_days`` days at ``taper_pct`` % of it."""
    loads = [weekly_load / 7] * len(planned) if weekly_load is not None else list(planned)
    cut = min(max(taper_days, 0), len(loads))
    for i in range(len(loads) - cut, len(loads)):
        loads[i] *= taper_pct / 100
    return loads


def project(first_day: date, ctl: float, atl: float, loads: Sequence[float]) -> list[FitnessDay]:
    """Day-by-day fitness/fatigue/form from ``first_day`` (the values given are the end of the
    day before it)."""
    return simulate(first_day, ctl, atl, loads)


@dataclass(frozen=True)
class Taper:
    """A solved taper: its length, its load as % of the base load, and race day's values."""

    days: int
    load_pct: int
    race_day: FitnessDay


def solve_taper(
    first_day: date,
    ctl: float,
    atl: float,
    planned: Sequence[float],
    target_form: float,
    weekly_load: float | None = None,
) -> Taper | None:
    """The taper (length, load %) whose race-day form (the last day of ``planned``) is closest
    to ``target_form``; None when there is no day to project."""
    if not planned:
        return None
    options = []
    for days in range(0, min(MAX_TAPER_DAYS, len(planned)) + 1):
        for pct in TAPER_STEPS_PCT:
            race = project(first_day, ctl, atl, what_if(planned, weekly_load, days, pct))[-1]
            options.append(Taper(days, pct, race))

    def miss(t: Taper) -> float:
        return abs(t.race_day.form - target_form)

    close = [t for t in options if miss(t) <= FORM_TOLERANCE]
    if close:
        return max(
            close,
            key=lambda t: (
                t.days in EVIDENCE_DAYS and t.load_pct in EVIDENCE_LOAD_PCT,
                round(t.race_day.ctl, 6),
                -t.days,
                t.load_pct,
            ),
        )
    return min(options, key=lambda t: (miss(t), t.days))
