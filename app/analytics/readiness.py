"""Readiness today: green / amber / red from morning measures against the athlete's baselines.

Each measure yields at most one signal with its reason; the verdict is the worst signal, and
three or more ambers make red. Thresholds (docs/analytics.md "Readiness"):

- HRV (rMSSD, ms): today's value against the 60-day baseline (days before today): at or below
  mean - 2 SD red, at or below mean - 1 SD amber; the 7-day mean (today included) below the
  60-day normal range (mean - 0.5 SD) amber. Plews et al. 2012 (IJSPP 7:202), Altini & Plews
  (HRV4Training "normal values", 2021).
- Resting HR (bpm): at or above the 60-day mean + 2 SD red, + 1 SD amber (Buchheit 2014,
  Front Physiol 5:73: a rise in morning HR as a marker of accumulated fatigue).
- Sleep: under 5 h red, under 6 h amber (Hirshkowitz et al. 2015, National Sleep Foundation
  duration recommendations: under 6 h "not recommended" for adults); sleep quality 4 (poor)
  amber.
- Subjective scores (Intervals.icu wellness, 1-4 with 1 best): any of soreness, fatigue,
  stress, mood, motivation at 4 amber; injury 3 (poor) amber, 4 (injured) red.
- Form (TSB = CTL - ATL, Intervals.icu form zones): below -30 ("high risk") red.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from app.analytics.baselines import Baseline, baseline, rolling_mean

Level = Literal["green", "amber", "red"]
ORDER: dict[Level, int] = {"green": 0, "amber": 1, "red": 2}

BASELINE_DAYS = 60
SHORT_DAYS = 7
AMBER_SD = 1.0
RED_SD = 2.0
TREND_SD = 0.5
SLEEP_AMBER_S = 6 * 3600
SLEEP_RED_S = 5 * 3600
FORM_RED = -30.0
SUBJECTIVE = ("soreness", "fatigue", "stress", "mood", "motivation")


@dataclass(frozen=True)
class Signal:
    """One measure's verdict and why."""

    measure: str
    level: Level
    reason: str


@dataclass(frozen=True)
class MeasureVsBaseline:
    """Today's value with its 7-day and 60-day baselines (days before today)."""

    today: float | None
    mean_7d: float | None
    baseline_60d: Baseline | None


@dataclass
class Morning:
    """What today's wellness row says besides HRV and resting HR (None: not recorded)."""

    sleep_secs: int | None = None
    sleep_quality: int | None = None
    scores: dict[str, int] = field(default_factory=dict)
    injury: int | None = None


def against_baselines(history: Mapping[date, float], today: date) -> MeasureVsBaseline:
    """Today's value, the mean of the 7 days before today, the 60-day baseline before today."""
    short = baseline(history, today, SHORT_DAYS, minimum=3)
    return MeasureVsBaseline(
        today=history.get(today),
        mean_7d=short.mean if short else None,
        baseline_60d=baseline(history, today, BASELINE_DAYS),
    )


def hrv_signal(history: Mapping[date, float], today: date) -> Signal | None:
    """HRV against the 60-day normal range (Plews 2012): low today, or a suppressed week."""
    value, base = history.get(today), baseline(history, today, BASELINE_DAYS)
    if value is None or base is None:
        return None
    low_red, low_amber = base.mean - RED_SD * base.sd, base.mean - AMBER_SD * base.sd
    if value <= low_red:
        return Signal("hrv", "red", f"HRV {value:g} ms far below your 60-day {base.mean:.0f}")
    if value <= low_amber:
        return Signal("hrv", "amber", f"HRV {value:g} ms below your 60-day {base.mean:.0f}")
    week = rolling_mean(history, today, SHORT_DAYS)
    if week is not None and week < base.mean - TREND_SD * base.sd:
        return Signal("hrv", "amber", f"7-day HRV {week:.0f} ms under your normal range")
    return Signal("hrv", "green", f"HRV {value:g} ms within your normal range")


def resting_hr_signal(history: Mapping[date, float], today: date) -> Signal | None:
    """Morning resting HR against the 60-day baseline (Buchheit 2014): raised is a warning."""
    value, base = history.get(today), baseline(history, today, BASELINE_DAYS)
    if value is None or base is None:
        return None
    if value >= base.mean + RED_SD * base.sd:
        return Signal("resting_hr", "red", f"resting HR {value:g} well above {base.mean:.0f}")
    if value >= base.mean + AMBER_SD * base.sd:
        return Signal("resting_hr", "amber", f"resting HR {value:g} above {base.mean:.0f}")
    return Signal("resting_hr", "green", f"resting HR {value:g} normal")


def sleep_signal(sleep_secs: int | None, quality: int | None) -> Signal | None:
    """Sleep duration (NSF 2015: under 6 h not recommended) and self-rated quality (4 poor)."""
    if sleep_secs is None and quality is None:
        return None
    hours = f"{sleep_secs / 3600:.1f} h" if sleep_secs is not None else None
    if sleep_secs is not None and sleep_secs < SLEEP_RED_S:
        return Signal("sleep", "red", f"only {hours} sleep")
    if sleep_secs is not None and sleep_secs < SLEEP_AMBER_S:
        return Signal("sleep", "amber", f"short sleep {hours}")
    if quality == 4:
        return Signal("sleep", "amber", "poor sleep quality")
    return Signal("sleep", "green", f"sleep {hours}" if hours else "sleep quality fine")


def subjective_signals(scores: Mapping[str, int], injury: int | None) -> list[Signal]:
    """Wellness scores at their worst (4 of 1-4) and injury (3 poor, 4 injured)."""
    signals = [
        Signal(name, "amber", f"{name} at its worst (4 of 1-4)")
        for name in SUBJECTIVE
        if scores.get(name) == 4
    ]
    if injury is not None and injury >= 4:
        signals.append(Signal("injury", "red", "injured"))
    elif injury == 3:
        signals.append(Signal("injury", "amber", "injury rated poor"))
    return signals


def form_signal(form: float | None) -> Signal | None:
    """Form (TSB) in Intervals.icu's high-risk zone (below -30) is red."""
    if form is None:
        return None
    if form < FORM_RED:
        return Signal("form", "red", f"form {round(form, 1):g}: high-risk fatigue (below -30)")
    return Signal("form", "green", f"form {round(form, 1):g}")


def verdict(signals: list[Signal]) -> Level:
    """The worst signal; three or more ambers make red."""
    if not signals:
        return "green"
    worst = max(signals, key=lambda s: ORDER[s.level]).level
    if worst == "amber" and sum(1 for s in signals if s.level == "amber") >= 3:
        return "red"
    return worst


def assess(
    hrv: Mapping[date, float],
    resting_hr: Mapping[date, float],
    morning: Morning,
    form: float | None,
    today: date,
) -> tuple[Level, list[Signal]]:
    """Every signal available today and the verdict; reasons that are not green come first."""
    found = [
        hrv_signal(hrv, today),
        resting_hr_signal(resting_hr, today),
        sleep_signal(morning.sleep_secs, morning.sleep_quality),
        form_signal(form),
    ]
    signals = [s for s in found if s is not None] + subjective_signals(
        morning.scores, morning.injury
    )
    signals.sort(key=lambda s: -ORDER[s.level])
    return verdict(signals), signals
