"""The impulse-response fitness model as Intervals.icu computes it (docs/analytics.md, "Fitness
model"): fitness (CTL) and fatigue (ATL) are exponentially weighted averages of the daily
training load with time constants of 42 and 7 days. Each day, yesterday's value decays by
``exp(-1/T)`` and the day's summed load adds ``1 - exp(-1/T)`` of itself:

    CTL_d = CTL_(d-1) * exp(-1/42) + load_d * (1 - exp(-1/42))
    ATL_d = ATL_(d-1) * exp(-1/7) + load_d * (1 - exp(-1/7))

Form (TSB) = CTL - ATL; ramp rate = CTL today - CTL seven days earlier (per week)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

FITNESS_DAYS = 42
FATIGUE_DAYS = 7
RAMP_DAYS = 7


def decay(days: int) -> float:
    """The fraction of yesterday's value kept today for time constant ``days``: exp(-1/T)."""
    return math.exp(-1 / days)


@dataclass(frozen=True)
class FitnessDay:
    """Fitness, fatigue and form at the end of one local day, with that day's load."""

    day: date
    load: float
    ctl: float
    atl: float

    @property
    def form(self) -> float:
        """Form (TSB) = fitness - fatigue."""
        return self.ctl - self.atl


def next_day(ctl: float, atl: float, load: float) -> tuple[float, float]:
    """One day of the model: yesterday's CTL/ATL and today's summed load -> today's."""
    kc, ka = decay(FITNESS_DAYS), decay(FATIGUE_DAYS)
    return ctl * kc + load * (1 - kc), atl * ka + load * (1 - ka)


def simulate(first_day: date, ctl: float, atl: float, loads: Sequence[float]) -> list[FitnessDay]:
    """Day-by-day values from ``first_day`` for consecutive daily ``loads``, starting from the
    CTL/ATL at the end of the day before ``first_day``."""
    out: list[FitnessDay] = []
    for offset, load in enumerate(loads):
        ctl, atl = next_day(ctl, atl, load)
        out.append(FitnessDay(first_day + timedelta(days=offset), load, ctl, atl))
    return out


def daily_loads(
    dated: Iterable[tuple[date, float | None]], oldest: date, newest: date
) -> list[float]:
    """The summed load of each local day ``oldest..newest`` (a rest day is 0; several
    activities on one day add up, as Intervals.icu sums them into the day's load)."""
    days = (newest - oldest).days + 1
    out = [0.0] * max(days, 0)
    for day, load in dated:
        if load is not None and oldest <= day <= newest:
            out[(day - oldest).days] += load
    return out


def ramp_rates(series: Sequence[FitnessDay]) -> list[float | None]:
    """CTL change over the previous ``RAMP_DAYS`` days for each day (None until a week is
    known)."""
    return [
        None if i < RAMP_DAYS else series[i].ctl - series[i - RAMP_DAYS].ctl
        for i in range(len(series))
    ]
