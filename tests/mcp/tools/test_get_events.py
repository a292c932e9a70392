"""get_events: calendar window (today and the next 6 days by default), categories, limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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
    listed = await bench.call("get_events", {"category": ["workout", "NOTE"]})
    wrong = await bench.call("get_events", {"category": ["PARTY"]})
    assert listed.is_error is False
    assert bench.fake.requests.matching("GET", "/api/v1/athlete/")[0].query["category"] == (
        "WORKOUT,NOTE"
    )
    assert wrong.is_error and wrong.text.startswith("category must be one of workout, race")
    assert len(bench.fake.requests) == 1  # the wrong call never reached Intervals.icu


@pytest.mark.parametrize(
    ("chosen", "upstream"),
    [
        (["race"], "RACE_A,RACE_B,RACE_C"),
        (["RACE_B"], "RACE_A,RACE_B,RACE_C"),
        (["target", "plan", "season"], "TARGET,PLAN,SEASON_START"),
        (["holiday", "sick", "injured"], "HOLIDAY,SICK,INJURED"),
        (["fitness"], "SET_EFTP,FITNESS_DAYS,SET_FITNESS"),
    ],
)
async def test_category_groups_ask_for_every_upstream_category(
    bench: ToolBench, chosen: list[str], upstream: str
) -> None:
    result = await bench.call("get_events", {"category": chosen})
    assert result.is_error is False
    (call,) = list(bench.fake.requests)
    assert call.query["category"] == upstream


async def test_weekly_targets_sick_days_and_plans_show_their_values() -> None:
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), BERLIN, moment)  # Berlin has a plan applied
    window = {"start_date": "2026-06-20", "end_date": "2026-08-04"}
    result = await bench.call("get_events", {**window, "category": ["target", "sick", "plan"]})
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert {e["category"] for e in answer["events"]} <= {"TARGET", "SICK", "PLAN"}
    targets = [e for e in answer["events"] if e["category"] == "TARGET"]
    assert targets and all(e["load_target"] > 0 and e["time_target_s"] > 0 for e in targets)
    (sick,) = [e for e in answer["events"] if e["category"] == "SICK"]
    start = sick["start_date_local"][:10]
    assert sick["last_day"] == (date.fromisoformat(start) + timedelta(days=2)).isoformat()
    assert f"until {sick['last_day']}" in result.text
    assert f"target {targets[0]['load_target']} load" in result.text
    assert all("last_day" not in e for e in targets)  # one-day events have none
    (plan,) = [e for e in answer["events"] if e["category"] == "PLAN"]
    folder = bench.fake.athletes[bench.athlete.id].training_plan["training_plan_id"]
    assert plan["plan_folder_id"] == folder and f"plan folder [{folder}]" in result.text


async def test_an_empty_category_window_says_so(bench: ToolBench) -> None:
    result = await bench.call(
        "get_events", {"start_date": "2026-07-29", "end_date": "2026-07-29", "category": ["sick"]}
    )
    assert result.structured is not None and result.structured["events"] == []
    assert result.text.startswith("0 events 2026-07-29..2026-07-29")


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    bench.max_attempts = 1
    result = await bench.call("get_events", {"category": ["workout"]})
    assert result.is_error and expected in result.text and len(result.text) < 300


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
