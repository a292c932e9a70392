"""Calendar writes in-process (issue 15): create, update, move, delete through preview ->
apply -> journal -> undo against the fake Intervals.icu, with the calendar guardrails."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.mcp.tools.catalog._event import first_workout
from app.training.guardrails import Limits
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench

TOMORROW = "2026-07-30"


def events(bench: ToolBench) -> dict[int, dict[str, Any]]:
    return bench.fake.athletes[bench.athlete.id].events


async def applied(bench: ToolBench, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Preview then apply; the applied answer."""
    preview = await bench.call(name, arguments)
    assert not preview.is_error, preview.text
    assert preview.structured is not None and preview.structured["status"] == "preview"
    result = await bench.call(name, {**arguments, "confirm": preview.structured["confirm"]})
    assert not result.is_error, result.text
    assert result.structured is not None and result.structured["status"] == "applied"
    return result.structured


async def test_create_event_then_undo_deletes_it(bench: ToolBench) -> None:
    args = {
        "category": "WORKOUT",
        "date": TOMORROW,
        "name": "Over-unders",
        "type": "Ride",
        "description": "- 10m 60%\n- 10m 95%",
        "load": 40,
    }
    preview = await bench.call("create_event", args)
    assert preview.structured is not None and "PREVIEW, nothing written" in preview.text
    assert not [e for e in events(bench).values() if e["name"] == "Over-unders"]
    result = await applied(bench, "create_event", args)
    (created,) = [e for e in events(bench).values() if e["name"] == "Over-unders"]
    assert created["start_date_local"] == f"{TOMORROW}T00:00:00"
    assert created["workout_doc"]["duration"] == 1200  # upstream parsed the workout text
    read = await bench.call("get_event_by_id", {"event_id": created["id"]})
    assert read.structured is not None and read.structured["event"]["name"] == "Over-unders"
    journal = await bench.call("list_changes")
    assert journal.structured is not None and journal.structured["count"] == 1
    undo = await applied(bench, "undo_changes", {"batch_id": result["batch_id"]})
    assert undo["changes"][0]["action"] == "delete"
    assert created["id"] not in events(bench)


async def test_update_and_move_then_undo_restores_both(bench: ToolBench) -> None:
    event_id = first_workout(bench.fake, AUCKLAND.id)
    stored = events(bench)[event_id]
    old_name, old_day = stored["name"], stored["start_date_local"]
    renamed = await applied(bench, "update_event", {"event_id": event_id, "name": "Tempo"})
    moved = await applied(bench, "move_event", {"event_id": event_id, "date": "2026-08-05"})
    assert stored["name"] == "Tempo" and stored["start_date_local"] == "2026-08-05T00:00:00"
    assert moved["changes"][0]["fields"] == [
        {"field": "date", "before": f'"{old_day[:10]}"', "after": '"2026-08-05"'}
    ]
    for batch in (moved["batch_id"], renamed["batch_id"]):
        await applied(bench, "undo_changes", {"batch_id": batch})
    assert (stored["name"], stored["start_date_local"]) == (old_name, old_day)


async def test_another_athletes_event_is_not_found(bench: ToolBench) -> None:
    theirs = first_workout(bench.fake, BERLIN.id)
    for name, extra in (("update_event", {"name": "x"}), ("move_event", {"date": TOMORROW})):
        result = await bench.call(name, {"event_id": theirs, **extra})
        assert result.is_error and f"no access to event {theirs}" in result.text
    deleted = await bench.call("delete_event", {"event_id": theirs})
    assert deleted.is_error and theirs in bench.fake.athletes[BERLIN.id].events


async def test_an_impossible_date_is_refused(bench: ToolBench) -> None:
    result = await bench.call("create_event", {"category": "NOTE", "date": "2026-02-30"})
    assert result.is_error and result.text == "date must be a date like 2026-11-30."


def pair_activity(bench: ToolBench, event_id: int) -> None:
    event = events(bench)[event_id]
    activity = next(
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("source") != "STRAVA"
    )
    activity.update(start_date_local=event["start_date_local"][:10] + "T07:00:00")
    activity["paired_event_id"] = event_id
    activity["name"] = "Morning ride"


async def test_deleting_a_paired_event_warns_and_undo_recreates_it(bench: ToolBench) -> None:
    event_id = first_workout(bench.fake, AUCKLAND.id)
    name = events(bench)[event_id]["name"]
    pair_activity(bench, event_id)
    preview = await bench.call("delete_event", {"event_id": event_id})
    assert preview.structured is not None
    (warning,) = preview.structured["warnings"]
    assert f"Event {event_id} is paired with activity" in warning and "Morning ride" in warning
    result = await applied(bench, "delete_event", {"event_id": event_id})
    assert event_id not in events(bench)
    remaining = set(events(bench))
    await applied(bench, "undo_changes", {"batch_id": result["batch_id"]})
    (recreated,) = [e for i, e in events(bench).items() if i not in remaining]
    assert recreated["category"] == "WORKOUT" and recreated["name"] == name


async def test_the_operator_can_make_the_paired_event_rule_refuse(bench: ToolBench) -> None:
    bench.guardrails = Limits(refuse=frozenset({"paired_event"}))
    event_id = first_workout(bench.fake, AUCKLAND.id)
    pair_activity(bench, event_id)
    result = await bench.call("delete_event", {"event_id": event_id})
    assert result.is_error and result.text.startswith("This gateway's operator does not allow")
    assert event_id in events(bench)


async def test_a_big_session_tomorrow_warns_of_ramp_and_fatigue(bench: ToolBench) -> None:
    args = {"category": "WORKOUT", "date": TOMORROW, "name": "Epic", "load": 400}
    preview = await bench.call("create_event", args)
    assert preview.structured is not None
    warnings = preview.structured["warnings"]
    assert any(w.startswith("Fitness (CTL) would rise") for w in warnings)
    assert any(w.startswith("Fatigue would reach") for w in warnings)
    easy = await bench.call("create_event", {**args, "load": 30})
    assert easy.structured is not None and "warnings" not in easy.structured
    bench.guardrails = Limits(refuse=frozenset({"weekly_ramp"}))
    refused = await bench.call("create_event", args)
    assert refused.is_error and "Fitness (CTL) would rise" in refused.text
    assert not [e for e in events(bench).values() if e["name"] == "Epic"]


async def test_a_hard_session_the_day_before_an_a_race_warns(bench: ToolBench) -> None:
    await applied(
        bench, "create_event", {"category": "RACE_A", "date": "2026-08-09", "name": "Nationals"}
    )
    event_id = first_workout(bench.fake, AUCKLAND.id)
    events(bench)[event_id]["icu_intensity"] = 92.0
    preview = await bench.call("move_event", {"event_id": event_id, "date": "2026-08-08"})
    assert preview.structured is not None
    assert any("day before the A race 'Nationals'" in w for w in preview.structured["warnings"])
    other_day = await bench.call("move_event", {"event_id": event_id, "date": "2026-08-06"})
    assert other_day.structured is not None
    assert not any("A race" in w for w in other_day.structured.get("warnings", []))


async def test_an_a_race_the_day_after_a_hard_session_warns(bench: ToolBench) -> None:
    event_id = first_workout(bench.fake, AUCKLAND.id)
    hard = events(bench)[event_id]
    hard["icu_intensity"] = 95.0
    race_day = (date.fromisoformat(hard["start_date_local"][:10]) + timedelta(days=1)).isoformat()
    args = {"category": "RACE_A", "date": race_day, "name": "Worlds"}
    preview = await bench.call("create_event", args)
    assert preview.structured is not None
    assert any("day before the A race 'Worlds'" in w for w in preview.structured["warnings"])
    hard["icu_intensity"] = 60.0
    hard["icu_training_load"] = 40
    calm = await bench.call("create_event", args)
    assert calm.structured is not None and "warnings" not in calm.structured
