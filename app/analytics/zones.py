"""Intensity distribution: time in zones summed over a window, folded into three zones, and the
polarisation index.

- Three zones (Seiler & Kjerland 2006, Scand J Med Sci Sports 16:49; Seiler 2010, IJSPP
  5:276): low below the first lactate / ventilatory threshold, moderate between the two,
  high above the second. On Intervals.icu's 7-zone models (power: Coggan % of FTP; HR: % of
  LTHR; pace: % of threshold pace), zones 1-2 (power < 75 % FTP, HR < 89 % LTHR, pace < 87.7 %
  of threshold speed) are low, zones 3-4 (up to threshold) moderate, zones 5 and above high.
  Any other zone count folds the same way: the first two low, the next two moderate, the rest
  high.
- Polarisation index (Treff et al. 2019, Front Physiol 10:707):
  PI = log10(f1 / f2 x f3 x 100), fractions of time in the three zones; f2 = 0 counts as 0.01;
  no index when f3 = 0. Polarised when f1 > f3 > f2 and PI > 2.00.
- "Easy enough": at least 80 % of the time in the low zone (Seiler 2010: about 80 % of
  training below the first threshold in well-trained endurance athletes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOW_ZONES = 2
MODERATE_ZONES = 2
PI_POLARISED = 2.0
F2_FLOOR = 0.01
EASY_TARGET_PCT = 80.0


def add_zone_times(into: list[int], more: Sequence[int | None]) -> list[int]:
    """Element-wise sum; the longer list sets the length; missing values count as 0."""
    size = max(len(into), len(more))
    padded = into + [0] * (size - len(into))
    return [padded[i] + ((more[i] or 0) if i < len(more) else 0) for i in range(size)]


@dataclass(frozen=True)
class ThreeZones:
    """Seconds below the first threshold, between the thresholds, above the second."""

    low_s: int
    moderate_s: int
    high_s: int

    @property
    def total_s(self) -> int:
        return self.low_s + self.moderate_s + self.high_s

    def fractions(self) -> tuple[float, float, float] | None:
        total = self.total_s
        if total == 0:
            return None
        return self.low_s / total, self.moderate_s / total, self.high_s / total

    def pct(self) -> tuple[float, float, float] | None:
        f = self.fractions()
        return (
            None
            if f is None
            else (round(100 * f[0], 1), round(100 * f[1], 1), round(100 * f[2], 1))
        )


def three_zones(zone_secs: Sequence[int]) -> ThreeZones:
    """Fold an athlete zone model into three zones: first two low, next two moderate, rest high."""
    low = sum(zone_secs[:LOW_ZONES])
    moderate = sum(zone_secs[LOW_ZONES : LOW_ZONES + MODERATE_ZONES])
    return ThreeZones(low, moderate, sum(zone_secs[LOW_ZONES + MODERATE_ZONES :]))


def polarisation_index(zones: ThreeZones) -> float | None:
    """Treff et al. 2019: log10(f1 / f2 x f3 x 100); f2 floored at 0.01; None when f3 = 0."""
    f = zones.fractions()
    if f is None or f[2] == 0 or f[0] == 0:
        return None
    return math.log10(f[0] / max(f[1], F2_FLOOR) * f[2] * 100)


def distribution_kind(zones: ThreeZones) -> str | None:
    """Treff et al. 2019 classes: polarised, pyramidal, threshold, high-intensity; else
    "mostly low" (low dominant but not polarised) or "all low"."""
    f = zones.fractions()
    if f is None:
        return None
    low, moderate, high = f
    if moderate == 0 and high == 0:
        return "all low"
    pi = polarisation_index(zones)
    if low > high > moderate and pi is not None and pi > PI_POLARISED:
        return "polarised"
    if low > moderate > high:
        return "pyramidal"
    if moderate >= low and moderate >= high:
        return "threshold"
    if high >= low and high >= moderate:
        return "high-intensity"
    return "mostly low"


def easy_enough(zones: ThreeZones) -> bool | None:
    """At least 80 % of the time in the low zone (Seiler 2010)."""
    f = zones.fractions()
    return None if f is None else 100 * f[0] >= EASY_TARGET_PCT


def total_zone_times(lists: Iterable[Sequence[int | None]]) -> list[int]:
    """The sum of several activities' zone times."""
    total: list[int] = []
    for zone_secs in lists:
        total = add_zone_times(total, zone_secs)
    return total
