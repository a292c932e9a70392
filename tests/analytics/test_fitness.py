"""The fitness model: hand-computed days, and agreement with the values the fake Intervals.icu
reports (generated from its activities' loads the way Intervals.icu documents) over a year."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from app.analytics.fitness import FitnessDay, daily_loads, next_day, ramp_rates, simulate
from tests.fake_intervals.data import DEMO_ATHLETES, generate

TODAY = date(2026, 7, 29)
YEAR = 365


def test_one_load_then_a_rest_day_by_hand() -> None:
    # 100 * (1 - e^(-1/42)) = 2.3528; 100 * (1 - e^(-1/7)) = 13.3122; then each decays overnight
    first, rest = simulate(date(2026, 1, 1), 0.0, 0.0, [100.0, 0.0])
    assert (round(first.ctl, 4), round(first.atl, 4)) == (2.3528, 13.3122)
    assert (round(rest.ctl, 4), round(rest.atl, 4)) == (2.2975, 11.5401)
    assert round(rest.form, 4) == round(2.2975 - 11.5401, 4)
    assert rest.day == date(2026, 1, 2) and rest.load == 0.0


def test_a_steady_load_converges_to_that_load_and_form_to_zero() -> None:
    days = simulate(date(2026, 1, 1), 0.0, 0.0, [60.0] * 400)
    assert abs(days[-1].ctl - 60) < 0.01 and abs(days[-1].atl - 60) < 1e-6
    assert abs(days[-1].form) < 0.01


def test_no_loads_give_no_days_and_rest_keeps_decaying() -> None:
    assert simulate(date(2026, 1, 1), 50.0, 40.0, []) == []
    assert next_day(50.0, 40.0, 0.0)[0] < 50.0


def test_daily_loads_sum_a_day_and_fill_gaps_with_rest() -> None:
    d = date(2026, 3, 1)
    loads = daily_loads(
        [(d, 40.0), (d, 25.0), (d + timedelta(days=2), 10.0), (d, None), (d - timedelta(1), 9.0)],
        d,
        d + timedelta(days=3),
    )
    assert loads == [65.0, 0.0, 10.0, 0.0]
    assert daily_loads([], d, d - timedelta(days=1)) == []


def test_ramp_rate_is_the_ctl_change_over_seven_days() -> None:
    series = [FitnessDay(date(2026, 1, 1) + timedelta(i), 0.0, float(i), 0.0) for i in range(9)]
    assert ramp_rates(series) == [None] * 7 + [7.0, 7.0]


@pytest.mark.parametrize("athlete", [a for a in DEMO_ATHLETES if not a.strava_imports], ids=str)
def test_the_model_reproduces_the_fakes_fitness_over_a_year(athlete: object) -> None:
    data = generate(1, TODAY, history_days=YEAR)[athlete.id]  # type: ignore[attr-defined]
    wellness = {date.fromisoformat(k): v for k, v in data.wellness.items()}
    first, last = min(wellness), TODAY
    assert (last - first).days >= YEAR
    starts = [
        (datetime.fromisoformat(a["start_date_local"]).date(), a.get("icu_training_load"))
        for a in data.activities.values()
    ]
    per_day = Counter(day for day, _ in starts if first < day <= last)
    assert max(per_day.values()) >= 2, "a day with several activities"
    assert (last - first).days > len(per_day), "rest days"
    seed = wellness[first]
    model = simulate(
        first + timedelta(days=1),
        seed["ctl"],
        seed["atl"],
        daily_loads(starts, first + timedelta(days=1), last),
    )
    assert len(model) == YEAR
    for day in model:
        reported = wellness[day.day]
        assert abs(day.ctl - reported["ctl"]) <= 0.5, day
        assert abs(day.atl - reported["atl"]) <= 0.5, day
    assert abs(model[-1].form - (wellness[last]["ctl"] - wellness[last]["atl"])) <= 0.5
