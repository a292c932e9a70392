"""get_best_efforts: best power / HR over standard durations and best pace over standard
distances in one activity; only the standards the activity can hold are asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.mcp.tools.activity_picks import newest, strava_stub, streams_of
from tests.mcp.tools.harness import AUCKLAND, DEMO, LOS_ANGELES, ToolBench, fake_at

JORDAN = DEMO["America/Denver"]
NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


def best_mean(values: list[float], seconds: int) -> float:
    return max(sum(values[i : i + seconds]) / seconds for i in range(len(values) - seconds + 1))


async def test_best_power_over_standard_durations(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    watts = streams_of(bench.fake, AUCKLAND.id, ride)["watts"]
    result = await bench.call("get_best_efforts", {"activity_id": ride["id"]})
    assert result.is_error is False and result.structured is not None
    efforts = result.structured["efforts"]
    length = ride["elapsed_time"]
    expected = [d for d in (5, 30, 60, 300, 1200, 3600) if d <= length]
    calls = bench.fake.requests.matching("GET", "/best-efforts")
    assert sorted((c.query for c in calls), key=lambda q: int(q["duration"])) == [
        {"stream": "watts", "duration": str(d), "count": "1"} for d in expected
    ]
    assert len(efforts) == len(expected)
    powers = [e["avg_power_w"] for e in efforts]
    assert powers == sorted(powers, reverse=True)  # longer never beats shorter
    assert efforts[2]["over"] == "1 min"
    assert abs(efforts[2]["avg_power_w"] - best_mean(watts, 60)) <= 1
    assert f"1 min: {efforts[2]['avg_power_w']} W" in result.text


async def test_durations_longer_than_the_activity_are_not_asked(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    bench.fake.athletes[AUCKLAND.id].activities[ride["id"]]["elapsed_time"] = 1000
    result = await bench.call("get_best_efforts", {"activity_id": ride["id"], "metric": "hr"})
    assert result.structured is not None
    assert [e["over"] for e in result.structured["efforts"]] == ["5 s", "30 s", "1 min", "5 min"]
    assert all("avg_hr_bpm" in e for e in result.structured["efforts"])
    assert len(bench.fake.requests.matching("GET", "/best-efforts")) == 4


async def test_best_pace_over_distances_in_the_athletes_units() -> None:
    fake = fake_at(NOON)
    run = newest(fake, JORDAN.id, "Run")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_best_efforts", {"activity_id": run["id"], "metric": "pace"}
    )
    assert result.structured is not None
    efforts = result.structured["efforts"]
    assert efforts and all(e["pace"].endswith(" /mi") for e in efforts)
    assert all(e["distance_m"] <= run["distance"] for e in efforts)
    calls = fake.requests.matching("GET", "/best-efforts")
    assert {"stream": "velocity_smooth", "distance": "400.0", "count": "1"} in [
        c.query for c in calls
    ]
    assert efforts[0]["over"] == "400 m" and "400 m: " in result.text


@pytest.mark.parametrize(
    ("metric", "sport", "note"),
    [("power", "Run", "No power recorded"), ("pace", "Ride", "runs and swims only")],
)
async def test_what_the_activity_cannot_have_is_said_without_asking(
    metric: str, sport: str, note: str
) -> None:
    fake = fake_at(NOON)
    athlete = AUCKLAND
    activity = newest(fake, athlete.id, sport)
    result = await ToolBench(fake, athlete, NOON).call(
        "get_best_efforts", {"activity_id": activity["id"], "metric": metric}
    )
    assert result.is_error is False and note in result.text
    assert not fake.requests.matching("GET", "/best-efforts")


async def test_a_strava_import_is_reported_as_such() -> None:
    fake = fake_at(NOON)
    stub = strava_stub(fake, LOS_ANGELES.id)
    result = await ToolBench(fake, LOS_ANGELES, NOON).call(
        "get_best_efforts", {"activity_id": stub["id"]}
    )
    assert result.is_error is False and "Strava" in result.text


async def test_bad_metric_is_refused(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    result = await bench.call("get_best_efforts", {"activity_id": ride["id"], "metric": "watts"})
    assert result.is_error and "metric" in result.text and len(bench.fake.requests) == 0


async def test_an_upstream_failure_midway_is_one_short_error(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    bench.fake.faults.fail(503, times=5, path="/best-efforts")
    bench.max_attempts = 1
    result = await bench.call("get_best_efforts", {"activity_id": ride["id"]})
    assert result.is_error and "not answering" in result.text


async def test_a_yard_swimmer_gets_yard_distances_and_pace_per_100_yd() -> None:
    fake = fake_at(NOON)
    swim = newest(fake, JORDAN.id, "Swim")
    result = await ToolBench(fake, JORDAN, NOON).call(
        "get_best_efforts", {"activity_id": swim["id"], "metric": "pace"}
    )
    assert result.structured is not None
    efforts = result.structured["efforts"]
    assert efforts and efforts[0]["over"] == "50 yd"
    assert all(e["over"].endswith(" yd") and e["pace"].endswith(" /100yd") for e in efforts)
    calls = fake.requests.matching("GET", "/best-efforts")
    assert str(50 * 0.9144) in [c.query["distance"] for c in calls]
