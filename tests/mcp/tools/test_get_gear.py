"""get_gear: gear with distance, time and activities, and reminders with what remains."""

from __future__ import annotations

from typing import Any

from tests.mcp.tools.harness import ToolBench, no_nulls


def gear_of(bench: ToolBench, kind: str) -> dict[str, Any]:
    return next(g for g in bench.fake.athletes[bench.athlete.id].gear.values() if g["type"] == kind)


async def test_gear_totals_and_reminders(bench: ToolBench) -> None:
    shoes = gear_of(bench, "Shoes")
    reminder = shoes["reminders"][0]
    result = await bench.call("get_gear")
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    item = next(g for g in answer["gear"] if g["id"] == shoes["id"])
    assert item["distance_m"] == shoes["distance"] and item["time_s"] == shoes["time"]
    assert item["activities"] == shoes["activities"] > 0
    (got,) = item["reminders"]
    assert got["due"] is False and got["percent_used"] == reminder["percent_used"]
    assert got["limit_distance_m"] == reminder["distance"]
    assert got["remaining_distance_m"] == round(reminder["distance"] - reminder["distance_used"], 1)
    assert got["remaining_days"] == reminder["days"] - reminder["days_used"]
    assert answer["due_reminders"] == 0
    assert f"Shoes Daily trainers [{shoes['id']}]: {shoes['distance'] / 1000:.1f} km" in result.text
    assert f"left {got['remaining_distance_m'] / 1000:.1f} km, {got['remaining_days']} days" in (
        result.text
    )
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}/gear"


async def test_a_reminder_past_its_limit_is_due(bench: ToolBench) -> None:
    reminder = gear_of(bench, "Bike")["reminders"][0]
    reminder.update(percent_used=104.2, distance_used=reminder["distance"] + 50_000)
    result = await bench.call("get_gear")
    assert result.structured is not None and result.structured["due_reminders"] == 1
    bike = next(g for g in result.structured["gear"] if g["type"] == "Bike")
    assert bike["reminders"][0]["due"] is True
    assert bike["reminders"][0]["remaining_distance_m"] == 0
    assert "1 reminders due" in result.text and "reminder Replace chain: DUE" in result.text


async def test_retired_gear_is_left_out_and_said_so(bench: ToolBench) -> None:
    gear_of(bench, "Bike")["retired"] = "2026-05-01"
    active = await bench.call("get_gear")
    everything = await bench.call("get_gear", {"include_retired": True})
    assert active.structured is not None and everything.structured is not None
    assert [g["type"] for g in active.structured["gear"]] == ["Shoes"]
    assert active.structured["retired_left_out"] == 1
    assert "1 retired left out (include_retired=true)" in active.text
    assert everything.structured["gear"][-1]["retired"] == "2026-05-01"
    assert "retired 2026-05-01" in everything.text


async def test_no_gear(bench: ToolBench) -> None:
    bench.fake.athletes[bench.athlete.id].gear.clear()
    result = await bench.call("get_gear")
    assert result.structured == {"count": 0, "due_reminders": 0, "gear": []}
    assert result.text == "0 gear, 0 reminders due"


async def test_upstream_errors_and_bad_arguments(bench: ToolBench) -> None:
    bad = await bench.call("get_gear", {"include_retired": "maybe"})
    assert bad.is_error and len(bench.fake.requests) == 0
    bench.fake.faults.fail(503, times=10)
    bench.max_attempts = 1
    down = await bench.call("get_gear")
    assert down.is_error and "not answering" in down.text
