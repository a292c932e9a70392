"""Load metrics over daily training loads (docs/analytics.md, "Load metrics").

- Acute:chronic workload ratio, rolling: mean load of the last 7 days / mean of the last 28
  (Hulin et al. 2016, Br J Sports Med 50:231; Gabbett 2016, Br J Sports Med 50:273).
- Acute:chronic ratio, exponentially weighted: EWMA_d = load_d * l + (1 - l) * EWMA_(d-1) with
  l = 2 / (N + 1), N = 7 (acute) and 28 (chronic) (Williams et al. 2017, Br J Sports Med 51:209).
- Monotony: mean daily load of the last 7 days / its standard deviation (population SD);
  strain: the 7-day total load * monotony (Foster 1998, Med Sci Sports Exerc 30:1164).
- Ramp rate: fitness (CTL) change per 7 days (see app.analytics.fitness).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
ACWR_LOW = 0.8  # below: under-training (Gabbett 2016)
ACWR_HIGH = 1.3  # 0.8-1.3: "sweet spot" (Gabbett 2016)
ACWR_DANGER = 1.5  # above: "danger zone", injury risk rises (Gabbett 2016)
MONOTONY_HIGH = 2.0  # above: monotonous training (Foster 1998)
RAMP_HIGH = 8.0  # CTL points per week: a steep build (common PMC guideline)

THRESHOLDS = {
    "acwr": f"{ACWR_LOW}-{ACWR_HIGH} sweet spot, >{ACWR_DANGER} high risk (Gabbett 2016)",
    "monotony": f">{MONOTONY_HIGH} high (Foster 1998)",
    "ramp_rate": f">{RAMP_HIGH:g} CTL/week steep (PMC guideline)",
}


def ewma_factor(days: int) -> float:
    """Williams et al. 2017: the weight of today's load, 2 / (N + 1)."""
    return 2 / (days + 1)


def ewma(loads: Sequence[float], days: int) -> list[float]:
    """The exponentially weighted moving average of daily ``loads`` (seeded with 0 before the
    first day, so a new athlete's average builds up from nothing)."""
    factor, value, out = ewma_factor(days), 0.0, []
    for load in loads:
        value = load * factor + (1 - factor) * value
        out.append(value)
    return out


def ratio(acute: float, chronic: float) -> float | None:
    """acute / chronic, or None when there is no chronic load to compare with."""
    return acute / chronic if chronic > 0 else None


@dataclass(frozen=True)
class LoadDay:
    """The load metrics at the end of one day (None where the history is too short)."""

    load: float
    acute: float | None
    chronic: float | None
    acwr: float | None
    acwr_ewma: float | None
    monotony: float | None
    strain: float | None


def monotony(week: Sequence[float]) -> float | None:
    """Foster 1998: mean / SD of the 7 daily loads; None for a constant week (SD 0)."""
    sd = statistics.pstdev(week)
    return statistics.fmean(week) / sd if sd > 0 else None


def load_days(loads: Sequence[float], known_from: int = 0) -> list[LoadDay]:
    """Metrics for every day of ``loads`` (consecutive days, oldest first). Days before index
    ``known_from`` are before the athlete's first data: a ratio needs a full chronic window
    of known days, a monotony a full known week."""
    acute_ewma, chronic_ewma = ewma(loads, ACUTE_DAYS), ewma(loads, CHRONIC_DAYS)
    out = []
    for i, load in enumerate(loads):
        known = i - known_from + 1
        week = loads[i - ACUTE_DAYS + 1 : i + 1] if known >= ACUTE_DAYS else None
        month = loads[i - CHRONIC_DAYS + 1 : i + 1] if known >= CHRONIC_DAYS else None
        acute = statistics.fmean(week) if week else None
        chronic = statistics.fmean(month) if month else None
        mono = monotony(week) if week else None
        out.append(
            LoadDay(
                load=load,
                acute=acute,
                chronic=chronic,
                acwr=ratio(acute, chronic) if acute is not None and chronic is not None else None,
                acwr_ewma=ratio(acute_ewma[i], chronic_ewma[i]) if month else None,
                monotony=mono,
                strain=sum(week) * mono if week and mono is not None else None,
            )
        )
    return out


def acwr_zone(value: float | None) -> str | None:
    """The named band of an acute:chronic ratio (Gabbett 2016)."""
    if value is None:
        return None
    if value < ACWR_LOW:
        return "low"
    if value <= ACWR_HIGH:
        return "sweet spot"
    return "high" if value <= ACWR_DANGER else "danger"
