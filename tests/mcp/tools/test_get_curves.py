"""get_curves: one period or two compared in one request, at the standard points, with the
activity that set each best; relative periods end on the athlete's today."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from app.mcp.tools.units import duration
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
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

IMPERIAL = next(a for a in DEMO_ATHLETES if a.id == "i100005")


async def test_two_periods_compare_in_one_request_with_the_difference(bench: ToolBench) -> None:
    result = await bench.call("get_curves", {"kind": "power", "period": "1y", "vs": "42d"})
    (call,) = list(bench.fake.requests)
    assert call.path.endswith(f"/athlete/{bench.athlete.id}/power-curves")
    assert call.query["curves"] == "1y,42d" and call.query["type"] == "Ride"
    answer = result.structured
    assert answer is not None and no_nulls(answer) and not result.is_error
    year, recent = answer["period"], answer["compared"]
    assert [p["at"] for p in year["points"]] == ["5s", "1min", "5min", "20min", "60min"]
    assert [p["at"] for p in recent["points"]] == ["5s", "1min", "5min", "20min", "60min"]
    own = set(bench.fake.athletes[bench.athlete.id].activities)
    for a, b, d in zip(year["points"], recent["points"], answer["diff"], strict=True):
        assert d["power_w"] == a["power_w"] - b["power_w"]
        assert a["activity_id"] in own and "power_w_kg" in a
        assert f"{a['at']}: {a['power_w']} W" in result.text
        assert f"{d['at']} {d['power_w']:+d} W" in result.text
    assert year["oldest"] < recent["oldest"] <= recent["newest"]


async def test_pace_curve_is_in_the_athletes_own_units() -> None:
    moment = datetime(2026, 7, 29, 18, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), IMPERIAL, moment)
    result = await bench.call("get_curves", {"kind": "pace", "period": "1y"})
    answer = result.structured
    assert answer is not None and answer["sport"] == "Run"
    points = answer["period"]["points"]
    assert [p["at"] for p in points] == ["400m", "1km", "1mi", "5km", "10km"]
    assert all(p["pace"].endswith(" /mi") and p["time_s"] > 0 for p in points)
    times = [p["time_s"] for p in points]
    assert times == sorted(times)
    last = points[-1]
    assert f"10km: {duration(last['time_s'])}, {last['pace']}" in result.text


async def test_a_date_range_is_sent_as_an_upstream_range(bench: ToolBench) -> None:
    result = await bench.call(
        "get_curves", {"kind": "hr", "period": "2026-01-01..2026-03-31", "vs": "s0"}
    )
    (call,) = list(bench.fake.requests)
    assert call.path.endswith("/hr-curves") and "type" not in call.query
    assert call.query["curves"] == "r.2026-01-01.2026-03-31,s0"
    answer = result.structured
    assert answer is not None
    assert answer["period"]["oldest"] == "2026-01-01"
    assert answer["period"]["newest"] == "2026-03-31"
    assert all("hr_bpm" in p for p in answer["period"]["points"])


async def test_a_period_without_activities_says_so(bench: ToolBench) -> None:
    result = await bench.call("get_curves", {"period": "2020-01-01..2020-03-31"})
    answer = result.structured
    assert answer is not None and not result.is_error
    assert answer["period"]["points"] == []
    assert "No Ride activities with power data" in answer["note"]
    assert "no activities" in result.text


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_relative_periods_end_on_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    await bench.call("get_curves", {"kind": "hr", "period": "42d"})
    curves = [r for r in bench.fake.requests if r.path.endswith("-curves")]
    assert [r.query["newest"] for r in curves] == [TODAY.isoformat()]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"period": "last year"}, "period is like 90d, 1y"),
        ({"vs": "2026-03-01..2026-01-01"}, "ends before it starts"),
        ({"vs": "2026-02-30..2026-03-01"}, "vs must be a date like"),
        ({"sport": "R1de"}, "sport is an activity type"),
        ({"kind": "watts"}, "kind"),
    ],
)
async def test_bad_arguments_get_a_plain_message_and_no_request(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_curves", arguments)
    assert result.is_error and message in result.text
    assert len(result.text) < 200 and len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("status", "expected"), [(429, "rate limited"), (503, "not answering"), (422, "refused")]
)
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    bench.max_attempts = 1
    result = await bench.call("get_curves", {})
    assert result.is_error and expected in result.text
    assert bench.athlete.api_key not in result.text and len(result.text) < 300
