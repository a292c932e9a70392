"""Load metrics against hand-computed values, with the edge cases (no data, a single
session, a new athlete with less history than the chronic window)."""

from __future__ import annotations

import pytest

from app.analytics.load import acwr_zone, ewma, load_days, monotony


def test_a_rising_week_after_three_quiet_weeks_by_hand() -> None:
    # last 7 days 10..70: mean 40; 28-day mean 280/28 = 10; population SD 20 -> monotony 2.0
    last = load_days([0.0] * 21 + [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0])[-1]
    assert last.acute == 40 and last.chronic == 10 and last.acwr == 4.0
    assert last.monotony == pytest.approx(2.0) and last.strain == pytest.approx(560.0)
    assert acwr_zone(last.acwr) == "danger"


def test_ewma_uses_two_over_n_plus_one() -> None:
    # l = 2/8 = 0.25: 10 * 0.25 = 2.5; then 10 * 0.25 + 0.75 * 2.5 = 4.375
    assert ewma([10.0, 10.0], 7) == [2.5, 4.375]
    steady = load_days([50.0] * 200)[-1]
    assert steady.acwr == 1.0 and steady.acwr_ewma == pytest.approx(1.0, abs=1e-6)


def test_no_data_gives_no_ratios() -> None:
    assert load_days([]) == []
    day = load_days([0.0] * 40)[-1]
    assert day.acwr is None and day.acwr_ewma is None and day.monotony is None
    assert day.strain is None and day.acute == 0


def test_a_single_session_has_a_ratio_but_no_monotony_for_a_constant_week() -> None:
    days = load_days([0.0] * 27 + [84.0])
    assert days[-1].acwr == pytest.approx(12.0 / 3.0)
    assert monotony([5.0] * 7) is None


def test_a_new_athlete_gets_no_ratio_until_28_known_days() -> None:
    loads = [0.0] * 10 + [40.0] * 20  # data starts at index 10
    days = load_days(loads, known_from=10)
    assert days[-1].acwr is None and days[-1].acwr_ewma is None
    assert days[-1].acute == 40 and days[15].acute is None
    assert days[16].monotony is None  # a constant week


@pytest.mark.parametrize(
    ("value", "zone"), [(None, None), (0.5, "low"), (1.0, "sweet spot"), (1.4, "high")]
)
def test_acwr_zones(value: float | None, zone: str | None) -> None:
    assert acwr_zone(value) == zone
