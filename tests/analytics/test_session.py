"""Session analysis against hand-computed fixtures (app/analytics/session.py)."""

from __future__ import annotations

import pytest

from app.analytics.session import (
    Rep,
    Target,
    decoupling,
    fade,
    grade_adjusted_speed,
    judge,
    planned_steps,
    running_cost,
    splits,
)

DOC = {
    "steps": [
        {"text": "Warm-up", "duration": 600, "power": {"value": 60, "units": "%ftp"}},
        {
            "reps": 3,
            "steps": [
                {
                    "text": "On",
                    "duration": 300,
                    "power": {"start": 105, "end": 110, "units": "%ftp"},
                },
                {"text": "Off", "duration": 180, "power": {"value": 50, "units": "%ftp"}},
            ],
        },
    ]
}


def test_repeats_are_expanded_in_order() -> None:
    steps = planned_steps(DOC)
    assert [s.label for s in steps] == ["Warm-up"] + ["On", "Off"] * 3
    assert (steps[1].low, steps[1].high, steps[1].units) == (105.0, 110.0, "%ftp")
    assert planned_steps(None) == [] and planned_steps({}) == []


@pytest.mark.parametrize(
    ("low", "high", "actual", "expected"),
    [
        (100.0, 100.0, 95.0, "hit"),  # within 5 % of a single value
        (100.0, 100.0, 94.9, "under"),
        (100.0, 100.0, 105.1, "over"),
        (105.0, 110.0, 104.0, "under"),  # a range is hit only inside it
        (105.0, 110.0, 107.0, "hit"),
        (100.0, 100.0, None, None),
    ],
)
def test_targets(low: float, high: float, actual: float | None, expected: str | None) -> None:
    assert judge(Target("x", 60, "%ftp", low, high), actual) == expected


def test_fade_last_rep_against_the_first() -> None:
    faded = fade([Rep(300, 160), Rep(295, 165), Rep(285, 170)])
    assert faded is not None and faded.output_change_pct == pytest.approx(-5.0)
    assert faded.hr_change_bpm == 10 and faded.faded and faded.reps == 3
    held = fade([Rep(300, 160), Rep(300, 162)])
    assert held is not None and not held.faded
    # same output but HR up 10 / 160 = 6.25 % > 5 %: the cost of holding it rose
    assert fade([Rep(300, 160), Rep(300, 170)]).faded  # type: ignore[union-attr]
    assert fade([Rep(300, 160)]) is None and fade([]) is None


def test_decoupling_by_hand() -> None:
    # first half 200 W at 140 bpm (EF 1.4286), second half 200 W at 150 bpm (EF 1.3333):
    # (1.4286 - 1.3333) / 1.4286 = 6.67 %
    power = [200.0] * 600
    hr = [140.0] * 300 + [150.0] * 300
    assert decoupling(power, hr) == pytest.approx(100 / 15, abs=1e-6)
    assert decoupling([200.0] * 60, [140.0] * 60) is None  # too short to say
    stops = [0.0] * 100 + power  # zero output (stops) is left out
    assert decoupling(stops, [100.0] * 100 + hr) == pytest.approx(100 / 15, abs=1e-6)


def test_minetti_cost_and_grade_adjustment() -> None:
    assert running_cost(0.0) == 3.6
    # +10 %: 0.001554 - 0.00304 - 0.0433 + 0.463 + 1.95 + 3.6 = 5.968214
    assert running_cost(0.1) == pytest.approx(5.968214, abs=1e-6)
    assert grade_adjusted_speed(3.0, 0.1) == pytest.approx(3.0 * 5.968214 / 3.6, abs=1e-5)
    assert running_cost(0.9) == running_cost(0.45)  # clamped to the measured range


def test_splits_by_distance_with_grade() -> None:
    n = 801  # 4 m/s for 800 s = 3200 m, climbing 10 m per km
    streams = {
        "time": list(range(n)),
        "distance": [4.0 * t for t in range(n)],
        "altitude": [100 + 0.04 * t for t in range(n)],
        "heartrate": [150] * n,
    }
    found = splits(streams, 1000.0)
    assert [s.distance_m for s in found] == [1000.0, 1000.0, 1000.0, 200.0]
    assert [s.time_s for s in found] == [250, 250, 250, 50]
    assert found[0].speed == 4.0 and found[0].grade_pct == pytest.approx(1.0)
    assert found[0].gap_speed == pytest.approx(grade_adjusted_speed(4.0, 0.01))
    assert splits({"time": [0]}, 1000.0) == []


def test_splits_in_quarters_without_distance() -> None:
    streams = {"time": list(range(401)), "watts": [100] * 200 + [200] * 201}
    found = splits(streams, None)
    assert [s.time_s for s in found] == [100, 100, 100, 100]
    assert [s.power for s in found] == [100, 100, 200, 200]
    assert found[0].speed is None and found[0].grade_pct is None


def test_decoupling_skips_gaps_in_the_streams() -> None:
    power: list[float | None] = [200.0] * 300 + [None] * 50 + [200.0] * 300
    hr: list[float | None] = [140.0] * 300 + [145.0] * 50 + [150.0] * 300
    assert decoupling(power, hr) == pytest.approx(100 / 15, abs=1e-6)
