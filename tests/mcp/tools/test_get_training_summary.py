"""get_training_summary: totals first (volume, load, time by sport), then each week with
fitness and form at its end; the default is whole weeks ending on the athlete's today."""

from __future__ import annotations

from datetime import date, time, timedelta

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


async def test_totals_and_weeks_agree_with_the_activities(bench: ToolBench) -> None:
    window = {"start_date": "2026-07-13", "end_date": "2026-07-26"}
    result = await bench.call("get_training_summary", window)
    call, listing = list(bench.fake.requests)
    assert call.path.endswith(f"/athlete/{bench.athlete.id}/athlete-summary")
    assert listing.query["fields"] == "id,start_date_local,source"
    assert call.query == {"start": "2026-07-13", "end": "2026-07-26"}
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert [w["week"] for w in answer["weeks"]] == ["2026-07-13", "2026-07-20"]
    acts = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("source") != "STRAVA"
        and "2026-07-13" <= a["start_date_local"][:10] <= "2026-07-26"
    ]
    total = answer["total"]
    assert total["count"] == len(acts)
    assert total["moving_time_s"] == sum(a["moving_time"] for a in acts)
    by_sport = {s["sport"]: s["moving_time_s"] for s in total["by_sport"]}
    for sport in {a["type"] for a in acts}:
        assert by_sport[sport] == sum(a["moving_time"] for a in acts if a["type"] == sport)
    times = [s["moving_time_s"] for s in total["by_sport"]]
    assert times == sorted(times, reverse=True)
    wellness = bench.fake.athletes[bench.athlete.id].wellness
    for week in answer["weeks"]:
        end = (date.fromisoformat(week["week"]) + timedelta(days=6)).isoformat()
        assert week["fitness_ctl"] == round(wellness[end]["ctl"], 1)
        assert week["form_tsb"] == round(week["fitness_ctl"] - week["fatigue_atl"], 1)
    lines = result.text.splitlines()
    assert lines[0].startswith(f"summary 2026-07-13..2026-07-26 (Pacific/Auckland): {len(acts)} ")
    assert lines[1].startswith("by sport: ")
    assert lines[2].startswith("week of 2026-07-13: ") and "; end CTL " in lines[2]
    assert "note" not in answer and "Strava" not in result.text


async def test_strava_imports_left_out_of_the_totals_are_counted() -> None:
    moment = local(LOS_ANGELES.timezone, TODAY, time(12))
    bench = ToolBench(fake_at(moment), LOS_ANGELES, moment)
    stubs = [
        a
        for a in bench.fake.athletes[LOS_ANGELES.id].activities.values()
        if a.get("source") == "STRAVA"
        and "2026-06-01" <= a["start_date_local"][:10] <= "2026-07-28"
    ]
    assert stubs
    result = await bench.call(
        "get_training_summary", {"start_date": "2026-06-01", "end_date": "2026-07-28"}
    )
    answer = result.structured
    assert answer is not None
    assert answer["note"].startswith(f"{len(stubs)} activities were imported from Strava")
    assert result.text.endswith(answer["note"])


async def test_an_empty_window_gives_zero_totals(bench: ToolBench) -> None:
    result = await bench.call(
        "get_training_summary", {"start_date": "2020-01-06", "end_date": "2020-01-12"}
    )
    answer = result.structured
    assert answer is not None and answer["total"]["count"] == 0
    assert "by_sport" not in answer["total"]
    assert result.text.startswith("summary 2020-01-06..2020-01-12 (Pacific/Auckland): 0 activities")


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_is_whole_weeks_up_to_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    result = await bench.call("get_training_summary", {})
    call = bench.fake.requests[0]
    first = TODAY - timedelta(days=21)
    monday = first - timedelta(days=first.weekday())
    assert call.query == {"start": monday.isoformat(), "end": TODAY.isoformat()}
    assert result.structured is not None and result.structured["oldest"] == monday.isoformat()
    assert len(result.structured["weeks"]) == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start_date": "2026-07-10", "end_date": "2026-07-01"}, "swap them"),
        ({"start_date": "2024-01-01", "end_date": "2026-01-01"}, "at most 371"),
        ({"start_date": "01/07/2026"}, "start_date must be a date"),
    ],
)
async def test_bad_arguments_are_refused_without_a_request(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_training_summary", arguments)
    assert result.is_error and message in result.text and len(bench.fake.requests) == 0


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    bench.max_attempts = 1
    result = await bench.call("get_training_summary", {})
    assert result.is_error and expected in result.text and len(result.text) < 300
