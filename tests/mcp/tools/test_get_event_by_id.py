"""get_event_by_id: one event in full, refused unless it is the acting athlete's."""

from __future__ import annotations

from app.mcp.tools.catalog._event import first_workout
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench


async def test_one_event_in_full(bench: ToolBench) -> None:
    event_id = first_workout(bench.fake, AUCKLAND.id)
    result = await bench.call("get_event_by_id", {"event_id": event_id})
    assert result.is_error is False and result.structured is not None
    event = result.structured["event"]
    assert event["id"] == event_id and "end_date_local" in event
    stored = bench.fake.athletes[AUCKLAND.id].events[event_id]
    assert event["description"] == stored["description"]
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{AUCKLAND.id}/events/{event_id}"


async def test_missing_and_misfiled_events_are_not_found(bench: ToolBench) -> None:
    missing = await bench.call("get_event_by_id", {"event_id": 1})
    theirs = next(iter(bench.fake.athletes[BERLIN.id].events.values()))
    bench.fake.athletes[AUCKLAND.id].events[theirs["id"]] = theirs  # misfiled upstream
    foreign = await bench.call("get_event_by_id", {"event_id": theirs["id"]})
    zero = await bench.call("get_event_by_id", {"event_id": 0})
    assert missing.is_error and "No event 1 found" in missing.text
    assert foreign.is_error and f"No event {theirs['id']} found" in foreign.text
    assert zero.is_error and zero.text == "event_id must be a whole number at least 1."
