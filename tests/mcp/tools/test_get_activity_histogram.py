"""get_activity_histogram: time in each power / HR / pace bucket, with units, pace in the
athlete's own units, empty and Strava answers stated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.mcp.tools.activity_picks import newest, strava_stub, streams_of
from tests.mcp.tools.harness import AUCKLAND, DEMO, LOS_ANGELES, ToolBench, fake_at

JORDAN = DEMO["America/Denver"]
NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


async def test_power_buckets_cover_the_ride_and_add_up(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    watts = streams_of(bench.fake, AUCKLAND.id, ride)["watts"]
    result = await bench.call("get_activity_histogram", {"activity_id": ride["id"]})
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["unit"] == "W" and answer["metric"] == "power"
    buckets = answer["buckets"]
    assert sum(b["time_s"] for b in buckets) == answer["total_time_s"] == len(watts)
    assert abs(sum(b["time_pct"] for b in buckets) - 100) < 0.5
    assert all(b["high"] - b["low"] == 25 for b in buckets)  # upstream's default width
    highest = max(watts)
    assert buckets[-1]["low"] <= highest < buckets[-1]["high"]
    first = buckets[0]
    assert f"{first['low']:g}-{first['high']:g} W: " in result.text


async def test_bucket_size_is_sent_upstream(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    result = await bench.call(
        "get_activity_histogram", {"activity_id": ride["id"], "metric": "hr", "bucket_size": 10}
    )
    assert result.structured is not None and result.structured["unit"] == "bpm"
    (call,) = bench.fake.requests.matching("GET", "/hr-histogram")
    assert call.query == {"bucketSize": "10.0"}
    assert all(b["high"] - b["low"] == 10 for b in result.structured["buckets"])


async def test_pace_buckets_in_the_athletes_units() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_histogram", {"activity_id": run["id"], "metric": "pace"}
    )
    assert result.structured is not None
    assert result.structured["unit"] == "s/mi"
    first = result.structured["buckets"][0]
    assert first["low"] < first["high"]  # fastest first
    low = int(first["low"])
    assert f"{low // 60}:{low % 60:02d}-" in result.text and " /mi: " in result.text


async def test_no_power_recorded_is_said_plainly() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_histogram", {"activity_id": run["id"], "metric": "power"}
    )
    assert result.is_error is False and result.structured is not None
    assert "buckets" not in result.structured
    assert "No power data recorded" in result.text


async def test_a_strava_import_is_reported_as_such() -> None:
    fake = fake_at(NOON)
    stub = strava_stub(fake, LOS_ANGELES.id)
    result = await ToolBench(fake, LOS_ANGELES, NOON).call(
        "get_activity_histogram", {"activity_id": stub["id"]}
    )
    assert result.is_error is False and "Strava" in result.text
    assert not fake.requests.matching("GET", "-histogram")


async def test_bucket_size_for_pace_is_refused(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    result = await bench.call(
        "get_activity_histogram", {"activity_id": ride["id"], "metric": "pace", "bucket_size": 5}
    )
    assert result.is_error and "power and hr" in result.text
    assert len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("arguments", "message"), [({"metric": "speed"}, "metric"), ({"bucket_size": 0}, "bucket")]
)
async def test_bad_arguments(bench: ToolBench, arguments: dict[str, object], message: str) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    result = await bench.call("get_activity_histogram", {"activity_id": ride["id"], **arguments})
    assert result.is_error and message in result.text
    assert len(bench.fake.requests) == 0


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    bench.fake.faults.fail(status, times=5, path="-histogram", retry_after=1)
    bench.max_attempts = 1
    result = await bench.call("get_activity_histogram", {"activity_id": ride["id"]})
    assert result.is_error and expected in result.text and len(result.text) < 300
