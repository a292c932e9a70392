"""Personal baselines: the mean and spread of a daily measure over the days before today.

The "normal range" approach of Plews et al. (2012, Int J Sports Physiol Perform 7:202) and
Altini's HRV4Training guidance: compare today's value (and the 7-day rolling mean) with the
mean +/- standard deviation of the preceding 60 days, never including today in its own
baseline. Days without a value are skipped, not filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, pstdev

MIN_BASELINE_DAYS = 7
"""Fewer values than this and there is no baseline (a new athlete is said, not guessed)."""


@dataclass(frozen=True)
class Baseline:
    """Mean and population standard deviation of ``days`` values."""

    mean: float
    sd: float
    days: int

    def z(self, value: float) -> float | None:
        """How many standard deviations ``value`` lies from the mean (None when sd is 0)."""
        return None if self.sd == 0 else (value - self.mean) / self.sd

    def pct(self, value: float) -> float | None:
        """Relative difference from the mean, in percent."""
        return None if self.mean == 0 else 100.0 * (value - self.mean) / self.mean


def values_before(values: Mapping[date, float], today: date, days: int) -> list[float]:
    """The known values on the ``days`` days before ``today`` (today excluded)."""
    return [
        v
        for offset in range(1, days + 1)
        if (v := values.get(today - timedelta(days=offset))) is not None
    ]


def baseline(
    values: Mapping[date, float], today: date, days: int, minimum: int = MIN_BASELINE_DAYS
) -> Baseline | None:
    """Mean and SD over the ``days`` days before ``today``; None with fewer than ``minimum``
    known values (a 7-day baseline needs ``minimum`` <= 7)."""
    known = values_before(values, today, days)
    if len(known) < min(minimum, days):
        return None
    return Baseline(mean=fmean(known), sd=pstdev(known), days=len(known))


def rolling_mean(values: Mapping[date, float], last: date, days: int) -> float | None:
    """Mean of the known values on the ``days`` days ending on ``last`` (inclusive)."""
    known = [
        v for offset in range(days) if (v := values.get(last - timedelta(days=offset))) is not None
    ]
    return fmean(known) if known else None
