"""Goal checks: a target against the current trend (docs/analytics.md, "Goal check").

- Trend: the least-squares line through dated values (ordinary least squares, slope per
  week); the projection extends it to the target date. Used for eFTP history.
- Race time: Riegel's endurance model, T2 = T1 * (D2 / D1) ** 1.06 (Riegel 1981, American
  Scientist 69:285), from the best effort at the distance nearest the race (log ratio).
- Verdict: "reached" when the current value already meets the target, "on track" when the
  trend's projection meets it by the date, otherwise "behind" with the rate needed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

RIEGEL_EXPONENT = 1.06
MIN_TREND_POINTS = 2


@dataclass(frozen=True)
class Trend:
    """The least-squares trend of dated values: ``per_week`` change and the latest value."""

    current: float
    per_week: float | None

    def at(self, days_ahead: int) -> float | None:
        """The trend's value ``days_ahead`` days after the latest point."""
        if self.per_week is None:
            return None
        return self.current + self.per_week * days_ahead / 7


def trend(points: Sequence[tuple[date, float]]) -> Trend | None:
    """The trend through ``points`` (None without any point; no slope from fewer than two
    distinct days). ``current`` is the latest point's value."""
    if not points:
        return None
    ordered = sorted(points)
    days = [d.toordinal() for d, _ in ordered]
    values = [v for _, v in ordered]
    if len(set(days)) < MIN_TREND_POINTS:
        return Trend(values[-1], None)
    slope = statistics.linear_regression(days, values).slope
    return Trend(values[-1], slope * 7)


def riegel(time_s: float, distance_m: float, race_m: float) -> float:
    """Riegel 1981: predicted time over ``race_m`` from ``time_s`` over ``distance_m``."""
    return float(time_s * (race_m / distance_m) ** RIEGEL_EXPONENT)


def predict_race(
    distances_m: Sequence[float], times_s: Sequence[float | None], race_m: float
) -> float | None:
    """The Riegel prediction from the best effort at the distance nearest ``race_m``."""
    known = [(d, t) for d, t in zip(distances_m, times_s, strict=False) if t and d > 0]
    if not known:
        return None
    d, t = min(known, key=lambda dt: abs(math.log(dt[0] / race_m)))
    return riegel(t, d, race_m)


def verdict(current: float, target: float, projected: float | None, higher_is_better: bool) -> str:
    """``reached`` / ``on track`` / ``behind`` / ``no trend``."""

    def meets(value: float) -> bool:
        return value >= target if higher_is_better else value <= target

    if meets(current):
        return "reached"
    if projected is None:
        return "no trend"
    return "on track" if meets(projected) else "behind"


def needed_per_week(current: float, target: float, days_left: int) -> float:
    """The steady weekly change that reaches ``target`` in ``days_left`` days."""
    return (target - current) / max(days_left, 1) * 7
