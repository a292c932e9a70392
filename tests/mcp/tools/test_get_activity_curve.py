"""get_activity_curve: one activity's curve at the standard points, the athlete's own activity
only, Strava stubs reported as such."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.tools.harness import BERLIN, ToolBench, fake_at, no_nulls

IMPERIAL = next(a for a in DEMO_ATHLETES if a.id == "i100005")


def latest(bench: ToolBench, *types: str) -> dict[str, Any]:
    found = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("type") in types and a.get("source") != "STRAVA"
    ]
    return max(found, key=lambda a: a["start_date_local"])


async def test_power_curve_of_one_ride_at_the_standard_points(bench: ToolBench) -> None:
    ride = latest(bench, "Ride", "VirtualRide")
    result = await bench.call("get_activity_curve", {"activity_id": ride["id"]})
    answer = result.structured
    assert answer is not None and no_nulls(answer) and not result.is_error
    assert [r.path.rsplit("/", 1)[-1] for r in bench.fake.requests] == [
        ride["id"],
        "power-curve.json",
    ]
    reached = [
        label
        for secs, label in (
            (5, "5s"),
            (60, "1min"),
            (300, "5min"),
            (1200, "20min"),
            (3600, "60min"),
        )
        if secs <= ride["moving_time"]
    ]
    assert [p["at"] for p in answer["points"]] == reached
    watts = [p["power_w"] for p in answer["points"]]
    assert watts == sorted(watts, reverse=True)  # longer efforts are never stronger
    assert answer["start_date_local"] == ride["start_date_local"][:19]
    for p in answer["points"]:
        assert f"{p['at']}: {p['power_w']} W, {p['power_w_kg']:g} W/kg" in result.text


async def test_swim_pace_curve_in_yards_for_an_imperial_athlete() -> None:
    moment = datetime(2026, 7, 29, 18, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), IMPERIAL, moment)
    swim = latest(bench, "Swim", "OpenWaterSwim")
    result = await bench.call("get_activity_curve", {"activity_id": swim["id"], "kind": "pace"})
    answer = result.structured
    assert answer is not None and answer["points"]
    assert answer["points"][0]["at"] == "100m"
    assert all(p["pace"].endswith("/100yd") for p in answer["points"])


async def test_a_strava_stub_is_reported_not_shown_as_empty() -> None:
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    fake = fake_at(moment)
    athlete = next(
        a
        for a in DEMO_ATHLETES
        if any(x.get("source") == "STRAVA" for x in fake.athletes[a.id].activities.values())
    )
    bench = ToolBench(fake, athlete, moment)
    stub = next(a for a in fake.athletes[athlete.id].activities.values() if a.get("source"))
    result = await bench.call("get_activity_curve", {"activity_id": stub["id"]})
    answer = result.structured
    assert answer is not None and not result.is_error
    assert answer["points"] == [] and "Strava" in answer["note"] and "Strava" in result.text
    assert not any(r.path.endswith("-curve.json") for r in bench.fake.requests)


async def test_an_activity_without_the_stream_says_so() -> None:
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), BERLIN, moment)
    swim = latest(bench, "Swim")
    result = await bench.call("get_activity_curve", {"activity_id": swim["id"], "kind": "power"})
    answer = result.structured
    assert answer is not None and answer["points"] == []
    assert answer["note"] == "No power data in this activity." and answer["note"] in result.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"activity_id": "abc"}, "activity_id"),
        ({"activity_id": "i1", "kind": "speed"}, "kind"),
    ],
)
async def test_bad_arguments_are_refused_without_a_request(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_activity_curve", arguments)
    assert result.is_error and message in result.text and len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("status", "expected"), [(404, "no power curve of activity"), (503, "not answering")]
)
async def test_upstream_failures_of_the_curve_are_short_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    ride = latest(bench, "Ride", "VirtualRide")
    bench.fake.faults.fail(status, times=10, path=f"/api/v1/activity/{ride['id']}/power-curve.json")
    bench.max_attempts = 1
    result = await bench.call("get_activity_curve", {"activity_id": ride["id"]})
    assert result.is_error and expected in result.text.lower()
    assert bench.athlete.api_key not in result.text
