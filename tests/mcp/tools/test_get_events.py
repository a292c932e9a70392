"""get_events: calendar window (today and the next 6 days by default), categories, limit."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    LOS_ANGELES,
    TODAY,
    ToolBench,
    fake_at,
    local,
    no_nulls,
)


async def test_window_limit_and_date_order(bench: ToolBench) -> None:
    result = await bench.call(
        "get_events", {"start_date": "2026-07-29", "end_date": "2026-08-11", "limit": 3}
    )
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}/events"
    assert call.query == {"oldest": "2026-07-29", "newest": "2026-08-11", "limit": "3"}
    answer = result.structured
    assert answer is not None and no_nulls(answer) and answer["count"] == 3
    starts = [e["start_date_local"] for e in answer["events"]]
    assert starts == sorted(starts) and all("2026-07-29" <= s[:10] <= "2026-08-11" for s in starts)
    assert all("end_date_local" not in e for e in answer["events"])  # summary
    assert result.text.startswith("3 events 2026-07-29..2026-08-11 (Pacific/Auckland)")


async def test_categories_are_passed_and_checked(bench: ToolBench) -> None:
    listed = await bench.call("get_events", {"category": ["WORKOUT", "NOTE"]})
    wrong = await bench.call("get_events", {"category": ["PARTY"]})
    assert listed.is_error is False
    assert bench.fake.requests.matching("GET", "/api/v1/athlete/")[0].query["category"] == (
        "WORKOUT,NOTE"
    )
    assert wrong.is_error and wrong.text.startswith("category must be one of WORKOUT, RACE_A")


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_window_starts_on_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    await bench.call("get_events", {})
    (call,) = list(bench.fake.requests)
    assert call.query["oldest"] == TODAY.isoformat()
    assert call.query["newest"] == (TODAY + timedelta(days=6)).isoformat()


async def test_workouts_say_what_their_percentages_are_of(bench: ToolBench) -> None:
    result = await bench.call(
        "get_events",
        {"start_date": "2026-07-29", "end_date": "2026-08-11", "category": ["WORKOUT"]},
    )
    assert result.structured is not None
    by_type = {
        e.get("type"): e for e in result.structured["events"] if "%" in e.get("description", "")
    }
    rides = [e for t, e in by_type.items() if t in ("Ride", "VirtualRide")]
    runs = [e for t, e in by_type.items() if t == "Run"]
    assert rides and all("% = % FTP" in e["targets"] for e in rides)
    assert runs and all("% Pace = % threshold pace" in e["targets"] for e in runs)
    assert "targets % = % FTP" in result.text


def test_percent_targets_follow_the_workout_syntax() -> None:
    from app.mcp.tools.catalog._event import percent_targets

    assert percent_targets("- 10m 95% LTHR\n- 5m 70% HR", "Run", None) == (
        "% HR = % max HR; % LTHR = % threshold HR"
    )
    assert percent_targets("- 4m 105%", "Run", "POWER") == "% = % FTP"
    assert percent_targets("- 4m 105%", "Run", None) == "% = % threshold pace"
    assert percent_targets("easy spin", "Ride", None) is None
