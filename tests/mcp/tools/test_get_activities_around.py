"""get_activities_around: the activities just before and after one, in time order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.mcp.tools.activity_picks import strava_stub
from tests.mcp.tools.harness import AUCKLAND, BERLIN, LOS_ANGELES, ToolBench, fake_at

NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


def in_order(bench: ToolBench) -> list[dict[str, object]]:
    acts = bench.fake.athletes[bench.athlete.id].activities.values()
    return sorted(acts, key=lambda a: str(a["start_date_local"]))


async def test_before_and_after_in_time_order(bench: ToolBench) -> None:
    ordered = in_order(bench)
    middle = ordered[len(ordered) // 2]
    result = await bench.call("get_activities_around", {"activity_id": middle["id"], "limit": 5})
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    (call,) = bench.fake.requests.matching("GET", "/activities-around")
    assert call.query == {"activity_id": middle["id"], "limit": "5"}
    assert answer["activity"]["id"] == middle["id"]
    index = ordered.index(middle)
    before = [a["id"] for a in answer["before"]]
    after = [a["id"] for a in answer["after"]]
    assert before == [a["id"] for a in ordered[index - len(before) : index]]
    assert after == [a["id"] for a in ordered[index + 1 : index + 1 + len(after)]]
    assert before and after
    lines = result.text.splitlines()
    assert lines[0].startswith(f"{len(before)} before, {len(after)} after [{middle['id']}]")
    assert lines[1 + len(before)].startswith("this: ")


async def test_the_latest_activity_has_nothing_after(bench: ToolBench) -> None:
    latest = in_order(bench)[-1]
    result = await bench.call("get_activities_around", {"activity_id": latest["id"]})
    assert result.structured is not None
    assert result.structured["after"] == [] and result.structured["before"]
    assert " 0 after " in result.text


async def test_another_athletes_activity_is_refused(bench: ToolBench) -> None:
    bench.fake.shares[AUCKLAND.id] = {BERLIN.id}
    theirs = next(iter(bench.fake.athletes[BERLIN.id].activities))
    result = await bench.call("get_activities_around", {"activity_id": theirs})
    assert result.is_error and f"No activity {theirs} found" in result.text


@pytest.mark.parametrize(
    ("arguments", "message"), [({"limit": 1}, "limit"), ({"limit": 31}, "limit")]
)
async def test_bad_limits(bench: ToolBench, arguments: dict[str, object], message: str) -> None:
    result = await bench.call("get_activities_around", {"activity_id": "i1", **arguments})
    assert result.is_error and message in result.text and len(bench.fake.requests) == 0


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    latest = in_order(bench)[-1]
    bench.fake.faults.fail(status, times=5, retry_after=1)
    bench.max_attempts = 1
    result = await bench.call("get_activities_around", {"activity_id": latest["id"]})
    assert result.is_error and expected in result.text and len(result.text) < 300


async def test_a_strava_import_nearby_is_reported_as_such() -> None:
    fake = fake_at(NOON)
    stub = strava_stub(fake, LOS_ANGELES.id)
    result = await ToolBench(fake, LOS_ANGELES, NOON).call(
        "get_activities_around", {"activity_id": stub["id"], "limit": 4}
    )
    assert result.is_error is False and result.structured is not None
    assert "Strava" in result.structured["activity"]["note"]
    assert f"this: {stub['start_date_local'][:10]}" in result.text and "Strava" in result.text
