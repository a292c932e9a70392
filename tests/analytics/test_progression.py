"""Progression helpers against hand-computed fixtures (app/analytics/progression.py)."""

from __future__ import annotations

import pytest

from app.analytics.progression import Candidate, at_heartrate, change_pct, efficiency, match_kind

LONG = Candidate("a1", "Run", "Long run", "1x 1h30m")


@pytest.mark.parametrize(
    ("other", "kind"),
    [
        (Candidate("a2", "Run", "long  RUN", None), "workout"),
        (Candidate("a3", "Run", "Sunday run", "1x 1h30m"), "structure"),
        (Candidate("a4", "Ride", "Long run", "1x 1h30m"), None),  # another sport
        (Candidate("a1", "Run", "Long run", "1x 1h30m"), None),  # itself
        (Candidate("a5", "Run", None, None), None),
    ],
)
def test_matching_by_workout_then_structure(other: Candidate, kind: str | None) -> None:
    assert match_kind(LONG, other) == kind


def test_efficiency_and_output_at_the_same_hr() -> None:
    # 3.2 m/s at 150 bpm: EF 0.021333; at 140 bpm that is 2.9867 m/s
    ef = efficiency(3.2, 150)
    assert ef == pytest.approx(0.0213333, abs=1e-6)
    assert at_heartrate(ef, 140) == pytest.approx(2.986667, abs=1e-6)
    assert efficiency(None, 150) is None and efficiency(3.2, 0) is None
    assert change_pct(220, 200) == 10.0 and change_pct(1, 0) is None
