"""Projection and taper solver against hand-computed values and edge cases."""

from __future__ import annotations

from datetime import date

import pytest

from app.analytics.projection import FORM_TOLERANCE, project, solve_taper, what_if

DAY = date(2026, 8, 1)


def test_a_flat_week_and_a_taper_by_hand() -> None:
    assert what_if([0.0] * 7, weekly_load=350) == [50.0] * 7
    assert what_if([60.0] * 5, taper_days=2, taper_pct=50) == [60.0, 60.0, 60.0, 30.0, 30.0]
    assert what_if([60.0] * 2, taper_days=9, taper_pct=0) == [0.0, 0.0]


def test_projection_of_rest_days_by_hand() -> None:
    # 50 * e^(-1/42) = 48.8236; 70 * e^(-1/7) = 60.6815: form -11.858
    (day,) = project(DAY, 50.0, 70.0, [0.0])
    assert (round(day.ctl, 4), round(day.atl, 4)) == (48.8236, 60.6815)
    assert day.day == DAY


def test_no_days_to_project() -> None:
    assert project(DAY, 50.0, 60.0, []) == []
    assert solve_taper(DAY, 50.0, 60.0, [], target_form=5) is None


def test_the_solver_prefers_an_evidence_band_taper_keeping_the_most_fitness() -> None:
    planned = [80.0] * 21
    taper = solve_taper(DAY, 60.0, 75.0, planned, target_form=5.0)
    assert taper is not None and abs(taper.race_day.form - 5.0) <= FORM_TOLERANCE
    assert 8 <= taper.days <= 14 and 40 <= taper.load_pct <= 60
    # no other evidence-band option within tolerance keeps more fitness
    for days in range(8, 15):
        for pct in (40, 50, 60):
            race = project(DAY, 60.0, 75.0, what_if(planned, None, days, pct))[-1]
            if abs(race.form - 5.0) <= FORM_TOLERANCE:
                assert race.ctl <= taper.race_day.ctl + 1e-9


def test_outside_the_band_the_solver_keeps_the_most_fitness() -> None:
    # two days to race: no 8-14 day taper exists, the best close option is kept
    planned = [80.0] * 2
    taper = solve_taper(DAY, 60.0, 62.0, planned, target_form=0.0)
    assert taper is not None and abs(taper.race_day.form) <= FORM_TOLERANCE
    for days in range(3):
        for pct in range(0, 101, 10):
            race = project(DAY, 60.0, 62.0, what_if(planned, None, days, pct))[-1]
            if abs(race.form) <= FORM_TOLERANCE:
                assert race.ctl <= taper.race_day.ctl + 1e-9


def test_an_unreachable_target_gives_the_closest_option() -> None:
    taper = solve_taper(DAY, 40.0, 90.0, [60.0] * 3, target_form=30.0)
    assert taper is not None and taper.load_pct == 0 and taper.days == 3
    assert taper.race_day.form < 30.0


@pytest.mark.parametrize("weekly", [None, 420.0])
def test_a_what_if_weekly_load_replaces_the_plan(weekly: float | None) -> None:
    loads = what_if([10.0, 0.0, 30.0], weekly_load=weekly)
    assert loads == ([10.0, 0.0, 30.0] if weekly is None else [60.0] * 3)
