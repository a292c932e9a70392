"""Intensity distribution against hand-computed fixtures (app/analytics/zones.py)."""

from __future__ import annotations

import pytest

from app.analytics.zones import (
    ThreeZones,
    distribution_kind,
    easy_enough,
    polarisation_index,
    three_zones,
    total_zone_times,
)


def test_seven_zones_fold_into_three() -> None:
    assert three_zones([100, 200, 30, 40, 5, 6, 7]) == ThreeZones(300, 70, 18)
    assert three_zones([]) == ThreeZones(0, 0, 0)
    assert three_zones([10, 20, 30]) == ThreeZones(30, 30, 0)  # a 3-zone model


def test_zone_times_add_up_with_gaps_and_different_lengths() -> None:
    assert total_zone_times([[1, 2, 3], [10, None], [], [0, 0, 0, 4]]) == [11, 2, 3, 4]
    assert total_zone_times([]) == []


def test_polarisation_index_by_hand() -> None:
    # 80 / 5 / 15 %: log10(0.80 / 0.05 x 0.15 x 100) = log10(240) = 2.380
    polarised = ThreeZones(80, 5, 15)
    assert polarisation_index(polarised) == pytest.approx(2.3802, abs=1e-4)
    assert distribution_kind(polarised) == "polarised"
    # 75 / 20 / 5 %: log10(3.75 x 0.05 x 100) = log10(18.75) = 1.273, pyramidal
    pyramidal = ThreeZones(75, 20, 5)
    assert polarisation_index(pyramidal) == pytest.approx(1.2730, abs=1e-4)
    assert distribution_kind(pyramidal) == "pyramidal"


def test_no_moderate_time_floors_f2_and_no_high_time_has_no_index() -> None:
    # 90 / 0 / 10 %: log10(0.9 / 0.01 x 0.1 x 100) = log10(900) = 2.954
    assert polarisation_index(ThreeZones(90, 0, 10)) == pytest.approx(2.9542, abs=1e-4)
    assert polarisation_index(ThreeZones(90, 10, 0)) is None
    assert distribution_kind(ThreeZones(50, 0, 0)) == "all low"


@pytest.mark.parametrize(
    ("zones", "kind", "easy"),
    [
        (ThreeZones(40, 45, 15), "threshold", False),
        (ThreeZones(30, 20, 50), "high-intensity", False),
        (ThreeZones(85, 5, 10), "polarised", True),
        (ThreeZones(0, 0, 0), None, None),
    ],
)
def test_kinds_and_easy_enough(zones: ThreeZones, kind: str | None, easy: bool | None) -> None:
    assert distribution_kind(zones) == kind
    assert easy_enough(zones) is easy


def test_percentages() -> None:
    assert ThreeZones(1, 1, 2).pct() == (25.0, 25.0, 50.0)
    assert ThreeZones(0, 0, 0).pct() is None
