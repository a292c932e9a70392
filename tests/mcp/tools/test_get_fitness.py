"""get_fitness: weekly points by default (the last day always a point), daily on request, the
latest values and the change over the window first, form as displayed."""

from __future__ import annotations

import itertools
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


async def test_weekly_points_end_on_the_last_day_with_latest_and_change_first(
    bench: ToolBench,
) -> None:
    result = await bench.call("get_fitness", {"start_date": "2026-06-01", "end_date": "2026-07-28"})
    (call,) = list(bench.fake.requests)
    assert call.query["fields"] == "id,ctl,atl,rampRate"
    answer = result.structured
    assert answer is not None and no_nulls(answer) and answer["step"] == "week"
    dates = [p["date"] for p in answer["points"]]
    assert dates[-1] == "2026-07-28" and dates[0] == "2026-06-02"
    assert all(
        (date.fromisoformat(b) - date.fromisoformat(a)).days == 7
        for a, b in itertools.pairwise(dates)
    )
    days = bench.fake.athletes[bench.athlete.id].wellness
    last, first = days["2026-07-28"], days["2026-06-01"]
    assert answer["last"]["fitness_ctl"] == round(last["ctl"], 1)
    assert answer["change_since"] == "2026-06-01"
    assert answer["change"]["fitness_ctl"] == round(
        round(last["ctl"], 1) - round(first["ctl"], 1), 1
    )
    for p in answer["points"]:
        assert p["form_tsb"] == round(p["fitness_ctl"] - p["fatigue_atl"], 1)
    lines = result.text.splitlines()
    assert lines[0].startswith("fitness 2026-06-01..2026-07-28") and "last 2026-07-28" in lines[0]
    assert lines[1].startswith("change since 2026-06-01: CTL ")
    assert len(lines) == 2 + len(dates)


async def test_daily_points_on_request(bench: ToolBench) -> None:
    result = await bench.call(
        "get_fitness", {"start_date": "2026-07-01", "end_date": "2026-07-28", "step": "day"}
    )
    answer = result.structured
    assert answer is not None and answer["count"] == 28
    assert [p["date"] for p in answer["points"]][:2] == ["2026-07-01", "2026-07-02"]


async def test_daily_points_over_a_long_window_are_refused_not_cut(bench: ToolBench) -> None:
    result = await bench.call(
        "get_fitness", {"start_date": "2026-01-01", "end_date": "2026-07-28", "step": "day"}
    )
    assert result.is_error and "at most 92 days" in result.text and "weekly" in result.text
    assert len(bench.fake.requests) == 0


async def test_a_window_without_data_says_so(bench: ToolBench) -> None:
    result = await bench.call("get_fitness", {"start_date": "2020-01-01", "end_date": "2020-03-01"})
    answer = result.structured
    assert answer is not None and answer["points"] == [] and answer["count"] == 0
    assert "last" not in answer and "no fitness data" in result.text


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_twelve_weeks_end_on_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    result = await bench.call("get_fitness", {})
    (call,) = list(bench.fake.requests)
    assert call.query["newest"] == TODAY.isoformat()
    assert call.query["oldest"] == (TODAY - timedelta(days=83)).isoformat()
    assert result.structured is not None
    assert result.structured["points"][-1]["date"] == TODAY.isoformat()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"step": "month"}, "step"),
        ({"start_date": "2026-07-10", "end_date": "2026-07-01"}, "swap them"),
        ({"end_date": "2026-13-01"}, "end_date must be a date"),
    ],
)
async def test_bad_arguments_are_refused_without_a_request(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_fitness", arguments)
    assert result.is_error and message in result.text and len(bench.fake.requests) == 0


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    bench.max_attempts = 1
    result = await bench.call("get_fitness", {})
    assert result.is_error and expected in result.text and len(result.text) < 300
