"""get_activity_streams: bucket means (and min/max) of the 1 Hz streams, units, pace in the
athlete's units, missing channels and Strava imports stated, the answer kept small."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.mcp.tools.activity_picks import newest, strava_stub, streams_of
from tests.mcp.tools.harness import AUCKLAND, DEMO, LOS_ANGELES, ToolBench, fake_at

JORDAN = DEMO["America/Denver"]  # imperial: runs in min/mi
NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


def bucket_means(values: list[float], points: int) -> list[float]:
    n = len(values)
    return [
        sum(values[i * n // points : (i + 1) * n // points])
        / len(values[i * n // points : (i + 1) * n // points])
        for i in range(points)
    ]


async def test_a_ride_as_ten_bucket_means_with_units(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    raw = streams_of(bench.fake, AUCKLAND.id, ride)
    result = await bench.call("get_activity_streams", {"activity_id": ride["id"], "points": 10})
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["samples"] == len(raw["time"]) and answer["points"] == 10
    assert answer["time_s"][0] == 0 and answer["time_s"] == sorted(answer["time_s"])
    by_name = {c["channel"]: c for c in answer["channels"]}
    assert list(by_name) == ["watts", "hr", "speed"]  # default for a ride: speed, not pace
    assert (by_name["watts"]["unit"], by_name["hr"]["unit"]) == ("W", "bpm")
    assert by_name["watts"]["mean"] == [round(m) for m in bucket_means(raw["watts"], 10)]
    assert "min" not in by_name["watts"]  # summary unless detail
    (call,) = bench.fake.requests.matching("GET", "/streams.json")
    assert set(call.query["types"].split(",")) == {"watts", "heartrate", "velocity_smooth", "time"}
    lines = result.text.splitlines()
    assert lines[1] == "time,watts W,hr bpm,speed m/s" and len(lines) == 12
    assert lines[2].startswith(f"0:00,{by_name['watts']['mean'][0]:g},")


async def test_two_hundred_points_by_default(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    result = await bench.call("get_activity_streams", {"activity_id": ride["id"]})
    assert result.structured is not None and result.structured["points"] == 200
    assert all(len(c["mean"]) == 200 for c in result.structured["channels"])


async def test_detail_keeps_the_peaks_a_mean_flattens(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    raw = streams_of(bench.fake, AUCKLAND.id, ride)["watts"]
    result = await bench.call(
        "get_activity_streams",
        {"activity_id": ride["id"], "points": 5, "channels": ["watts"], "detail": True},
    )
    assert result.structured is not None
    (watts,) = result.structured["channels"]
    assert max(watts["max"]) == max(raw) > max(watts["mean"])
    assert min(watts["min"]) == min(raw)
    assert "min/mean/max" in result.text
    assert f"/{max(raw)}" in result.text


async def test_run_pace_in_the_athletes_own_units() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    speed = [v for v in streams_of(fake, JORDAN.id, run)["velocity_smooth"] if v > 0.05]
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_streams", {"activity_id": run["id"], "channels": ["pace"], "points": 1}
    )
    assert result.structured is not None
    (pace,) = result.structured["channels"]
    assert pace["unit"] == "s/mi"
    expected = round(1609.344 / (sum(speed) / len(speed)))
    assert pace["mean"] == [expected]
    assert f"pace /mi\n0:00,{expected // 60}:{expected % 60:02d}" in result.text


async def test_a_channel_not_recorded_is_named_not_faked() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_streams", {"activity_id": run["id"], "channels": ["watts", "hr"]}
    )
    assert result.structured is not None
    assert result.structured["missing"] == ["watts"]
    assert [c["channel"] for c in result.structured["channels"]] == ["hr"]
    assert "not recorded: watts" in result.text


async def test_only_missing_channels_is_a_clear_empty_answer() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_streams", {"activity_id": run["id"], "channels": ["watts"]}
    )
    assert result.is_error is False and result.structured is not None
    assert "channels" not in result.structured and result.structured["missing"] == ["watts"]
    assert "None of these channels was recorded" in result.text


async def test_a_strava_import_is_reported_as_such() -> None:
    fake = fake_at(NOON)
    stub = strava_stub(fake, LOS_ANGELES.id)
    result = await ToolBench(fake, LOS_ANGELES, NOON).call(
        "get_activity_streams", {"activity_id": stub["id"]}
    )
    assert result.is_error is False and result.structured is not None
    assert "Strava" in result.structured["note"] and "Strava" in result.text
    assert not fake.requests.matching("GET", "/streams")


async def test_a_large_request_is_cut_and_says_so(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    everything = ["watts", "hr", "cadence", "pace", "speed", "altitude"]
    result = await bench.call(
        "get_activity_streams",
        {"activity_id": ride["id"], "points": 500, "channels": everything, "detail": True},
    )
    assert result.structured is not None
    assert result.structured["points"] < 500
    assert "points cut to" in result.structured["note"] and "points cut to" in result.text
    assert len(result.text) < 30_000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"points": 0}, "points"),
        ({"points": 5000}, "points"),
        ({"channels": ["power"]}, "channels"),
        ({"activity_id": "../x"}, "activity_id"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    result = await bench.call("get_activity_streams", {"activity_id": ride["id"], **arguments})
    assert result.is_error and message in result.text
    assert len(bench.fake.requests) == 0


@pytest.mark.parametrize(("status", "expected"), [(503, "not answering"), (404, "No streams")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    bench.fake.faults.fail(status, times=5, path="/streams")
    bench.max_attempts = 1
    result = await bench.call("get_activity_streams", {"activity_id": ride["id"]})
    assert result.is_error and expected in result.text
    assert bench.athlete.api_key not in result.text


async def test_a_sensor_dropout_is_a_gap_not_a_zero(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    raw = streams_of(bench.fake, AUCKLAND.id, ride)
    samples = len(raw["time"])
    raw["heartrate"][: samples // 4] = [None] * (samples // 4)  # strap off for the first quarter
    result = await bench.call(
        "get_activity_streams", {"activity_id": ride["id"], "points": 4, "channels": ["hr"]}
    )
    assert result.structured is not None
    (hr,) = result.structured["channels"]
    assert hr["gaps"] == [0] and len(hr["mean"]) == 3 and min(hr["mean"]) > 0
    rows = result.text.splitlines()[2:]
    assert rows[0] == "0:00," and all(row.split(",")[1] for row in rows[1:])


async def test_a_yard_swimmers_pace_is_per_100_yards() -> None:
    fake = fake_at(NOON)
    swim = newest(fake, JORDAN.id, "Swim")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_activity_streams", {"activity_id": swim["id"], "points": 3}
    )
    assert result.structured is not None
    by_name = {c["channel"]: c for c in result.structured["channels"]}
    assert list(by_name) == ["hr", "pace"]  # by default only what the swim recorded
    assert "missing" not in result.structured
    assert by_name["pace"]["unit"] == "s/100yd"
    assert "pace /100yd" in result.text


async def test_distance_is_given_at_each_points_start_like_the_time(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    raw = streams_of(bench.fake, AUCKLAND.id, ride)
    result = await bench.call(
        "get_activity_streams", {"activity_id": ride["id"], "points": 4, "channels": ["distance"]}
    )
    assert result.structured is not None
    (distance,) = result.structured["channels"]
    starts = [raw["time"].index(t) for t in result.structured["time_s"]]
    assert distance["unit"] == "m"
    assert distance["mean"] == [round(raw["distance"][i]) for i in starts]
