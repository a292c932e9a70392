"""One session analysed: targets hit per interval, fade across repeats, aerobic decoupling and
pacing splits with grade adjustment. Formulas and thresholds (docs/analytics.md "Session
analysis"):

- Planned steps: the workout's ``workout_doc`` steps with repeats expanded, in order; step n
  is compared with the activity's interval n (Intervals.icu builds a planned session's
  intervals from its steps). Power targets are % of FTP (actual = average watts / the
  activity's FTP), pace targets % of threshold pace (actual = average speed / threshold
  speed). A range target is hit inside its range; a single value within +/- 5 % of it
  (relative), else "under" / "over".
- Fade: across the repeats of the main work set (work intervals of the same target), the last
  against the first: output change in % and HR change in bpm; faded when output drops more
  than 3 %, or holds while HR climbs more than 5 %.
- Aerobic decoupling (Friel, *The Cyclist's Training Bible*; "Pa:HR" / "Pw:HR"): efficiency
  factor EF = mean output / mean HR over each half of the moving time;
  decoupling = (EF first - EF second) / EF first x 100. Under 5 % is coupled (aerobically
  fit for that duration).
- Grade adjustment (Minetti et al. 2002, J Appl Physiol 93:1039): energy cost of running
  Cr(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6 J/kg/m at gradient i;
  grade-adjusted speed = speed x Cr(i) / Cr(0), i clamped to +/- 0.45 (the measured range).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Literal

HIT_TOLERANCE = 0.05
FADE_OUTPUT_PCT = -3.0
FADE_HR_PCT = 5.0
DECOUPLED_PCT = 5.0
GRADE_LIMIT = 0.45

Result = Literal["hit", "under", "over"]


@dataclass(frozen=True)
class Target:
    """A planned step: its label, duration, and target (low..high, in ``units``)."""

    label: str | None
    duration_s: int | None
    units: str | None
    low: float | None
    high: float | None

    @property
    def middle(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.low + self.high) / 2


def _target(step: dict[str, Any]) -> Target:
    found: dict[str, Any] = next(
        (step[k] for k in ("power", "pace", "hr") if isinstance(step.get(k), dict)), {}
    )
    low = found.get("start", found.get("value"))
    high = found.get("end", found.get("value"))
    duration = step.get("duration")
    return Target(
        label=step.get("text"),
        duration_s=int(duration) if isinstance(duration, int | float) else None,
        units=found.get("units"),
        low=float(low) if isinstance(low, int | float) else None,
        high=float(high) if isinstance(high, int | float) else None,
    )


def planned_steps(doc: dict[str, Any] | None) -> list[Target]:
    """The workout's steps in order, repeats expanded."""
    steps: list[Target] = []
    for step in (doc or {}).get("steps") or []:
        inner = step.get("steps")
        if isinstance(inner, list) and inner:
            reps = step.get("reps") if isinstance(step.get("reps"), int) else 1
            for _ in range(max(1, reps)):
                steps.extend(_target(s) for s in inner if isinstance(s, dict))
        elif isinstance(step, dict):
            steps.append(_target(step))
    return steps


def judge(target: Target, actual_pct: float | None) -> Result | None:
    """Hit inside a range; a single value within +/- 5 % of it; else under / over."""
    if actual_pct is None or target.low is None or target.high is None:
        return None
    low, high = target.low, target.high
    if low == high:
        low, high = low * (1 - HIT_TOLERANCE), high * (1 + HIT_TOLERANCE)
    if actual_pct < low:
        return "under"
    return "over" if actual_pct > high else "hit"


@dataclass(frozen=True)
class Rep:
    """One work repeat: output (W or m/s) and average HR."""

    output: float
    heartrate: float | None


@dataclass(frozen=True)
class Fade:
    """Last repeat against the first."""

    reps: int
    output_change_pct: float
    hr_change_bpm: float | None
    faded: bool


def fade(reps: Sequence[Rep]) -> Fade | None:
    """Output and HR of the last repeat against the first (two or more repeats)."""
    if len(reps) < 2 or reps[0].output <= 0:
        return None
    first, last = reps[0], reps[-1]
    change = 100.0 * (last.output - first.output) / first.output
    hr_change = (
        None
        if first.heartrate is None or last.heartrate is None
        else last.heartrate - first.heartrate
    )
    hr_pct = (
        100.0 * hr_change / first.heartrate if hr_change is not None and first.heartrate else 0.0
    )
    faded = change < FADE_OUTPUT_PCT or (change <= 0 and hr_pct > FADE_HR_PCT)
    return Fade(len(reps), change, hr_change, faded)


def decoupling(output: Sequence[float | None], heartrate: Sequence[float | None]) -> float | None:
    """Friel's aerobic decoupling over the moving samples (output > 0, HR known), in %."""
    pairs = [
        (o, h)
        for o, h in zip(output, heartrate, strict=False)
        if o is not None and h is not None and o > 0 and h > 0
    ]
    if len(pairs) < 120:  # under two minutes of 1 Hz data says nothing
        return None
    half = len(pairs) // 2
    first, second = pairs[:half], pairs[half:]
    ef1 = fmean(o for o, _ in first) / fmean(h for _, h in first)
    ef2 = fmean(o for o, _ in second) / fmean(h for _, h in second)
    return 100.0 * (ef1 - ef2) / ef1


def running_cost(grade: float) -> float:
    """Minetti et al. 2002: energy cost of running (J/kg/m) at gradient ``grade``."""
    i = max(-GRADE_LIMIT, min(GRADE_LIMIT, grade))
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def grade_adjusted_speed(speed: float, grade: float) -> float:
    """The flat speed with the same energy cost (Minetti 2002)."""
    return speed * running_cost(grade) / running_cost(0.0)


@dataclass(frozen=True)
class Split:
    """One split of the session."""

    start_s: int
    time_s: int
    distance_m: float
    speed: float | None
    gap_speed: float | None
    grade_pct: float | None
    power: float | None
    heartrate: float | None


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return fmean(known) if known else None


def splits(
    streams: Mapping[str, Sequence[Any]], every_m: float | None, parts: int = 4
) -> list[Split]:
    """Splits every ``every_m`` metres of ``distance`` (runs), else ``parts`` equal time parts;
    grade from ``altitude`` over each split's distance when both streams exist."""
    time = list(streams.get("time") or [])
    n = len(time)
    if n < 2:
        return []
    distance = list(streams.get("distance") or [])
    altitude = list(streams.get("altitude") or [])
    bounds: list[int] = [0]
    if every_m and len(distance) == n and distance[-1]:
        mark = every_m
        for i, d in enumerate(distance):
            if d is not None and d >= mark:
                bounds.append(i)
                mark += every_m
        if bounds[-1] != n - 1:
            bounds.append(n - 1)
    else:
        bounds = [round(k * (n - 1) / parts) for k in range(parts + 1)]
    found = []
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        span_s = int(time[b] - time[a])
        dist = float(distance[b] - distance[a]) if len(distance) == n else 0.0
        speed = dist / span_s if dist and span_s else None
        grade = None
        if len(altitude) == n and dist > 0 and altitude[a] is not None and altitude[b] is not None:
            grade = (altitude[b] - altitude[a]) / dist
        found.append(
            Split(
                start_s=int(time[a]),
                time_s=span_s,
                distance_m=round(dist, 1),
                speed=speed,
                gap_speed=grade_adjusted_speed(speed, grade)
                if speed is not None and grade is not None
                else None,
                grade_pct=100 * grade if grade is not None else None,
                power=_mean(list(streams.get("watts") or [])[a:b]),
                heartrate=_mean(list(streams.get("heartrate") or [])[a:b]),
            )
        )
    return found
