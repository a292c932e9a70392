"""Readiness signals against hand-computed baselines (app/analytics/readiness.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.analytics.baselines import baseline, rolling_mean
from app.analytics.readiness import (
    Morning,
    Signal,
    assess,
    form_signal,
    hrv_signal,
    resting_hr_signal,
    sleep_signal,
    subjective_signals,
    verdict,
)

TODAY = date(2026, 7, 29)


def days_before(values: list[float]) -> dict[date, float]:
    """values[0] is yesterday, values[1] the day before, ..."""
    return {TODAY - timedelta(days=i + 1): v for i, v in enumerate(values)}


ALTERNATING = days_before([50.0 if i % 2 else 60.0 for i in range(60)])  # mean 55, sd 5


def test_baseline_is_mean_and_sd_of_the_days_before_today_only() -> None:
    history = {**ALTERNATING, TODAY: 1000.0}
    base = baseline(history, TODAY, 60)
    assert base is not None and base.days == 60
    assert base.mean == pytest.approx(55.0) and base.sd == pytest.approx(5.0)
    assert base.z(45.0) == pytest.approx(-2.0) and base.pct(44.0) == pytest.approx(-20.0)


def test_a_new_athlete_has_no_baseline_and_no_hrv_verdict() -> None:
    history = {**days_before([50.0] * 5), TODAY: 30.0}
    assert baseline(history, TODAY, 60) is None
    assert hrv_signal(history, TODAY) is None


def test_gaps_are_skipped_not_filled() -> None:
    history = days_before([50.0, 0.0, 60.0])
    del history[TODAY - timedelta(days=2)]
    assert rolling_mean(history, TODAY - timedelta(days=1), 7) == pytest.approx(55.0)


@pytest.mark.parametrize(
    ("today_hrv", "level"), [(56.0, "green"), (50.0, "amber"), (45.0, "red"), (44.0, "red")]
)
def test_hrv_against_the_60_day_normal_range(today_hrv: float, level: str) -> None:
    signal = hrv_signal({**ALTERNATING, TODAY: today_hrv}, TODAY)
    assert signal is not None and signal.level == level


def test_a_suppressed_hrv_week_is_amber_even_when_today_is_normal() -> None:
    # 6 days of 50 then 54 alternating 50/60 days: mean 54.5, sd 4.975 (hand computed);
    # today 52 is -0.5 SD (fine) but the 7-day mean 50.29 < 54.5 - 0.5 * 4.975 = 52.01.
    history = {**days_before([50.0] * 6 + [50.0 if i % 2 else 60.0 for i in range(54)])}
    history[TODAY] = 52.0
    signal = hrv_signal(history, TODAY)
    assert signal is not None and signal.level == "amber" and "7-day" in signal.reason


@pytest.mark.parametrize(("rhr", "level"), [(54.0, "green"), (60.0, "amber"), (65.0, "red")])
def test_resting_hr_raised_above_baseline(rhr: float, level: str) -> None:
    signal = resting_hr_signal({**ALTERNATING, TODAY: rhr}, TODAY)
    assert signal is not None and signal.level == level


@pytest.mark.parametrize(
    ("secs", "quality", "level"),
    [
        (8 * 3600, 2, "green"),
        (5 * 3600 + 1800, 1, "amber"),
        (4 * 3600, 1, "red"),
        (None, 4, "amber"),
    ],
)
def test_sleep(secs: int | None, quality: int | None, level: str) -> None:
    signal = sleep_signal(secs, quality)
    assert signal is not None and signal.level == level
    assert sleep_signal(None, None) is None


def test_subjective_scores_and_injury() -> None:
    signals = subjective_signals({"soreness": 4, "mood": 3}, injury=4)
    assert [(s.measure, s.level) for s in signals] == [("soreness", "amber"), ("injury", "red")]


def test_form_below_minus_30_is_red() -> None:
    assert form_signal(-31.0) == Signal("form", "red", "form -31: high-risk fatigue (below -30)")
    low = form_signal(-20.0)
    assert low is not None and low.level == "green"
    assert form_signal(None) is None


def test_three_ambers_make_red_and_no_data_is_green() -> None:
    amber = Signal("x", "amber", "x")
    assert verdict([amber, amber]) == "amber"
    assert verdict([amber, amber, amber]) == "red"
    assert verdict([]) == "green"


def test_assess_puts_the_worst_reasons_first() -> None:
    level, signals = assess(
        {**ALTERNATING, TODAY: 44.0},
        {**ALTERNATING, TODAY: 55.0},
        Morning(sleep_secs=8 * 3600),
        form=-5.0,
        today=TODAY,
    )
    assert level == "red" and signals[0].measure == "hrv"
    assert {s.level for s in signals[1:]} == {"green"}
