"""Library, scheduling, upsert and sport-settings writes in-process (issue 15): preview ->
apply -> journal -> undo against the fake Intervals.icu, refusals and guardrails."""

from __future__ import annotations

from typing import Any

from app.intervals.credentials import BearerToken
from app.mcp.tools.catalog._library_writes import first_folder, first_library_workout
from app.training.guardrails import Limits
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench
from tests.mcp.tools.test_calendar_writes import applied, events


def library(bench: ToolBench) -> Any:
    return bench.fake.athletes[bench.athlete.id]


async def test_save_folder_and_workout_create_then_undo_removes_both(bench: ToolBench) -> None:
    folder = await applied(bench, "save_folder", {"name": "Hill block", "type": "PLAN"})
    (folder_id,) = [f for f, v in library(bench).folders.items() if v["name"] == "Hill block"]
    assert library(bench).folders[folder_id]["type"] == "PLAN"
    args = {"folder_id": folder_id, "name": "Hill repeats", "description": "- 10m 60%\n- 3m 110%"}
    workout = await applied(bench, "save_workout", args)
    (stored,) = [w for w in library(bench).workouts.values() if w["name"] == "Hill repeats"]
    assert stored["folder_id"] == folder_id and stored["workout_doc"]["duration"] == 780
    # The folder now holds a workout: undoing its creation is refused rather than deleting it.
    refused = await bench.call("undo_changes", {"batch_id": folder["batch_id"]})
    if not refused.is_error:
        assert refused.structured is not None
        confirm = await bench.call(
            "undo_changes",
            {"batch_id": folder["batch_id"], "confirm": refused.structured["confirm"]},
        )
        assert confirm.is_error and "not deleted" in confirm.text
    assert folder_id in library(bench).folders
    await applied(bench, "undo_changes", {"batch_id": workout["batch_id"]})
    assert stored["id"] not in library(bench).workouts
    await applied(bench, "undo_changes", {"batch_id": folder["batch_id"]})
    assert folder_id not in library(bench).folders


async def test_save_workout_updates_and_undo_restores(bench: ToolBench) -> None:
    workout_id = first_library_workout(bench.fake, AUCKLAND.id)
    stored = library(bench).workouts[workout_id]
    old = stored["name"]
    result = await applied(bench, "save_workout", {"workout_id": workout_id, "name": "Renamed"})
    assert stored["name"] == "Renamed"
    assert result["changes"][0]["fields"] == [
        {"field": "name", "before": f'"{old}"', "after": '"Renamed"'}
    ]
    await applied(bench, "undo_changes", {"batch_id": result["batch_id"]})
    assert stored["name"] == old


async def test_library_refusals(bench: ToolBench) -> None:
    no_name = await bench.call("save_workout", {"folder_id": first_folder(bench.fake, AUCKLAND.id)})
    assert no_name.is_error and "needs folder_id and name" in no_name.text
    theirs = first_library_workout(bench.fake, BERLIN.id)
    foreign = await bench.call("save_workout", {"workout_id": theirs, "name": "x"})
    assert foreign.is_error and f"No workout {theirs} found" in foreign.text
    missing = await bench.call("save_folder", {"folder_id": 999999, "name": "x"})
    assert missing.is_error and "No folder 999999 found" in missing.text


async def test_schedule_workout_puts_the_library_workout_on_the_day(bench: ToolBench) -> None:
    workout_id = first_library_workout(bench.fake, AUCKLAND.id)
    workout = library(bench).workouts[workout_id]
    result = await applied(
        bench, "schedule_workout", {"workout_id": workout_id, "date": "2026-08-04"}
    )
    (event,) = [
        e
        for e in events(bench).values()
        if e["start_date_local"] == "2026-08-04T00:00:00" and e["name"] == workout["name"]
    ]
    assert event["description"] == workout["description"] and event["category"] == "WORKOUT"
    await applied(bench, "undo_changes", {"batch_id": result["batch_id"]})
    assert event["id"] not in events(bench)


async def test_upsert_events_creates_then_updates_by_external_id(bench: ToolBench) -> None:
    first = [
        {
            "external_id": "p1",
            "category": "WORKOUT",
            "date": "2026-08-03",
            "name": "Endurance",
            "load": 50,
        },
        {"external_id": "p2", "category": "NOTE", "date": "2026-08-03", "name": "Build week"},
    ]
    created = await applied(bench, "upsert_events", {"events": first})
    assert [c["action"] for c in created["changes"]] == ["create", "create"]
    by_external = {e["external_id"]: e for e in events(bench).values() if e.get("external_id")}
    assert by_external["p1"]["name"] == "Endurance"
    second = [{**first[0], "name": "Endurance long", "date": "2026-08-04"}, first[1]]
    preview = await bench.call("upsert_events", {"events": second})
    assert preview.structured is not None
    (change,) = preview.structured["changes"]  # p2 is unchanged
    assert change["action"] == "update" and {f["field"] for f in change["fields"]} == {
        "name",
        "date",
    }
    updated = await applied(bench, "upsert_events", {"events": second})
    assert by_external["p1"]["name"] == "Endurance long"
    assert len([e for e in events(bench).values() if e.get("external_id") == "p1"]) == 1
    await applied(bench, "undo_changes", {"batch_id": updated["batch_id"]})
    assert by_external["p1"]["name"] == "Endurance"
    duplicate = await bench.call("upsert_events", {"events": [first[0], first[0]]})
    assert duplicate.is_error and "Each external_id may appear once" in duplicate.text


def ride(bench: ToolBench) -> dict[str, Any]:
    settings = library(bench).sport_settings
    return next(s for s in settings if "Ride" in s["types"])


async def test_sport_settings_preview_spells_out_the_change_and_undo_restores(
    bench: ToolBench,
) -> None:
    old = ride(bench)["ftp"]
    new = round(old * 1.2)
    preview = await bench.call("update_sport_settings", {"sport": "Ride", "ftp": new})
    assert preview.structured is not None and ride(bench)["ftp"] == old
    warnings = preview.structured["warnings"]
    assert warnings[0].startswith(f"FTP {old} -> {new} W (+")
    assert "power zones and the load of power-based sessions follow it" in warnings[0]
    assert any("more than the 10% this gateway allows" in w for w in warnings)
    result = await applied(bench, "update_sport_settings", {"sport": "Ride", "ftp": new})
    assert ride(bench)["ftp"] == new
    await applied(bench, "undo_changes", {"batch_id": result["batch_id"]})
    assert ride(bench)["ftp"] == old


async def test_a_small_threshold_change_only_notes_and_a_big_one_can_refuse(
    bench: ToolBench,
) -> None:
    old = ride(bench)["ftp"]
    small = await bench.call("update_sport_settings", {"sport": "Ride", "ftp": old + 5})
    assert small.structured is not None and len(small.structured["warnings"]) == 1
    bench.guardrails = Limits(refuse=frozenset({"threshold_change"}))
    big = await bench.call("update_sport_settings", {"sport": "Ride", "ftp": old * 2})
    assert big.is_error and big.text.startswith("This gateway's operator does not allow")
    assert ride(bench)["ftp"] == old


async def test_missing_calendar_library_or_settings_write_permissions_are_named(
    bench: ToolBench,
) -> None:
    scope = "CALENDAR:READ,LIBRARY:READ,SETTINGS:READ,ACTIVITY:READ,WELLNESS:READ"
    token = bench.fake.oauth.issue_token(bench.athlete.id, scope=scope)
    bench.credential = BearerToken(token, scope=scope)
    calls = [
        ("create_event", {"category": "NOTE", "date": "2026-08-03", "name": "Rest"}, "CALENDAR"),
        ("save_folder", {"name": "Block"}, "LIBRARY"),
        ("update_sport_settings", {"sport": "Ride", "ftp": 250}, "SETTINGS"),
    ]
    for name, arguments, area in calls:
        refused = await bench.call(name, arguments)
        assert refused.is_error and f"{area}:WRITE permission" in refused.text, refused.text


async def test_a_threshold_pace_change_is_shown_per_kilometre(bench: ToolBench) -> None:
    run = next(s for s in library(bench).sport_settings if "Run" in s["types"])
    run["threshold_pace"] = 4.0  # 4:10/km
    preview = await bench.call("update_sport_settings", {"sport": "Run", "threshold_pace_mps": 4.2})
    assert preview.structured is not None
    assert preview.structured["warnings"] == [
        "Threshold pace 4 -> 4.2 m/s (4:10 -> 3:58 per km) (+5.0%): pace zones and pace-based "
        "load follow it."
    ]
