"""Goal checks against hand-computed trends and Riegel predictions, with edge cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.analytics.goal import needed_per_week, predict_race, riegel, trend, verdict

D = date(2026, 5, 1)


def test_a_steady_rise_of_two_watts_a_week_by_hand() -> None:
    points = [(D + timedelta(days=7 * i), 250.0 + 2 * i) for i in range(6)]
    t = trend(points)
    assert t is not None and t.current == 260.0 and t.per_week == pytest.approx(2.0)
    assert t.at(14) == pytest.approx(264.0)


def test_no_points_and_a_single_point() -> None:
    assert trend([]) is None
    single = trend([(D, 250.0)])
    assert single is not None and single.per_week is None and single.at(7) is None


def test_riegel_by_hand() -> None:
    # 20:00 for 5 km -> 10 km: 1200 * 2 ** 1.06 = 1200 * 2.08493 = 2501.9 s
    assert riegel(1200, 5000, 10000) == pytest.approx(2501.9, abs=0.1)
    assert predict_race([1000, 5000, 21097], [200, 1200, None], 10000) == pytest.approx(
        2501.9, abs=0.1
    )
    assert predict_race([5000], [None], 10000) is None


@pytest.mark.parametrize(
    ("current", "projected", "higher", "expected"),
    [
        (300, None, True, "reached"),
        (280, None, True, "no trend"),
        (280, 301, True, "on track"),
        (280, 290, True, "behind"),
        (6400, 6250, False, "on track"),
    ],
)
def test_verdicts(current: float, projected: float | None, higher: bool, expected: str) -> None:
    assert verdict(current, 300 if higher else 6300, projected, higher) == expected


def test_needed_rate() -> None:
    assert needed_per_week(280, 300, 70) == pytest.approx(2.0)
    assert needed_per_week(280, 300, 0) == pytest.approx(140.0)
