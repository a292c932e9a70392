"""Weekly review computations against hand-computed fixtures (app/analytics/weekly.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.analytics.weekly import (
    PlannedSession,
    Session,
    band,
    compliance,
    intensity_mix,
    key_sessions,
    review_week,
    trend,
    volume_by_sport,
)

MON = date(2026, 7, 20)


def run(i: int, day: int, load: float, intensity: float | None, **kw: object) -> Session:
    return Session(
        id=f"a{i}",
        day=MON + timedelta(days=day),
        sport=str(kw.pop("sport", "Run")),
        moving_s=int(kw.pop("moving_s", 3600)),
        distance_m=10000.0,
        load=load,
        intensity=intensity,
        **kw,  # type: ignore[arg-type]
    )


WEEK = [
    run(1, 0, 50, 70.0, event_id=11),
    run(2, 2, 90, 97.0, sport="Ride", moving_s=5400),
    run(3, 4, 60, 88.0),
    run(4, 5, 120, 80.0, race=True, moving_s=7200),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "unknown"), (84.9, "easy"), (85.0, "moderate"), (94.9, "moderate"), (95.0, "hard")],
)
def test_intensity_bands(value: float | None, expected: str) -> None:
    assert band(value) == expected


def test_volume_by_sport_longest_first() -> None:
    runs, rides = volume_by_sport(WEEK)
    assert (runs.sport, runs.count, runs.moving_s, runs.load) == ("Run", 3, 14400, 230)
    assert (rides.sport, rides.count, rides.distance_m) == ("Ride", 1, 10000.0)
    assert volume_by_sport([]) == []


def test_intensity_mix_by_sessions_and_time() -> None:
    mix = intensity_mix(WEEK)
    assert mix.sessions == {"easy": 2, "hard": 1, "moderate": 1}
    # easy 3600 + 7200 of 19800 s = 54.5 %, hard 5400 / 19800 = 27.3 %
    assert mix.share_pct("easy") == 54.5 and mix.share_pct("hard") == 27.3
    assert intensity_mix([]).share_pct("easy") is None


def test_key_sessions_put_races_first_then_load() -> None:
    assert [s.id for s in key_sessions(WEEK)] == ["a4", "a2", "a3"]
    assert [s.id for s in key_sessions(WEEK[:1])] == ["a1"]


def test_compliance_by_pairing_then_same_day_and_sport() -> None:
    planned = [
        PlannedSession(11, MON, "Run", load=55),  # paired with a1
        PlannedSession(12, MON + timedelta(days=2), "Ride", load=80),  # same day, same sport
        PlannedSession(13, MON + timedelta(days=3), "Swim", load=40),  # missed
        PlannedSession(14, MON + timedelta(days=4), "Ride", load=25),  # a3 is a run: missed
    ]
    result = compliance(planned, WEEK)
    assert (result.planned, result.done) == (4, 2)
    assert [p.id for p in result.missed] == [13, 14]
    assert [s.id for s in result.unplanned] == ["a3", "a4"]
    assert result.completion_pct == 50.0
    assert result.planned_load == 200 and result.done_load == 140 and result.load_pct == 70.0


def test_compliance_without_a_plan() -> None:
    result = compliance([], WEEK)
    assert result.completion_pct is None and result.load_pct is None
    assert len(result.unplanned) == 4


def test_wellness_trend_against_the_60_days_before_the_week() -> None:
    values = {MON - timedelta(days=i): 50.0 for i in range(1, 61)}
    values.update({MON: 40.0, MON + timedelta(days=1): 45.0})
    result = trend(values, MON, MON + timedelta(days=6))
    assert result.week_mean == 42.5 and result.change_pct == pytest.approx(-15.0)
    assert trend({}, MON, MON + timedelta(days=6)).change_pct is None


@pytest.mark.parametrize(
    ("today", "week_of", "expected"),
    [
        (date(2026, 7, 29), None, (date(2026, 7, 20), date(2026, 7, 26))),  # Wednesday
        (date(2026, 7, 26), None, (date(2026, 7, 20), date(2026, 7, 26))),  # Sunday
        (date(2026, 7, 29), date(2026, 7, 29), (date(2026, 7, 27), date(2026, 7, 29))),
    ],
)
def test_review_week(today: date, week_of: date | None, expected: tuple[date, date]) -> None:
    assert review_week(today, week_of) == expected
