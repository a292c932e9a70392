"""The write pipeline in-process (issue 15): preview -> apply -> journal -> undo for
set_wellness and update_activity against the fake Intervals.icu, and every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.intervals.credentials import BearerToken
from app.mcp.tools.catalog._activity import latest_ride
from app.mcp.tools.writes import GUARDRAILS
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench, fake_at

DAY = "2026-07-28"


def wellness(bench: ToolBench, day: str = DAY) -> dict[str, Any]:
    return bench.fake.athletes[bench.athlete.id].wellness.get(day, {})


async def preview(bench: ToolBench, name: str, arguments: dict[str, Any]) -> str:
    result = await bench.call(name, arguments)
    assert not result.is_error, result.text
    assert result.structured is not None and result.structured["status"] == "preview"
    handle: str = result.structured["confirm"]
    assert handle.startswith("chg_") and handle in result.text
    return handle


async def test_preview_writes_nothing_and_apply_writes_once_then_reads_see_it(
    bench: ToolBench,
) -> None:
    old_weight = wellness(bench)["weight"]
    args = {"day": DAY, "weight_kg": 69.4, "mood": 1, "sleep_hours": 7.5}
    handle = await preview(bench, "set_wellness", args)
    assert wellness(bench)["weight"] == old_weight  # nothing written by the preview
    result = await bench.call("set_wellness", {**args, "confirm": handle})
    assert not result.is_error, result.text
    assert result.structured is not None and result.structured["status"] == "applied"
    assert wellness(bench)["weight"] == 69.4 and wellness(bench)["sleepSecs"] == 27000
    read = await bench.call("get_wellness_data", {"start_date": DAY, "end_date": DAY})
    assert read.structured is not None and read.structured["days"][0]["weight_kg"] == 69.4

    again = await bench.call("set_wellness", {**args, "confirm": handle})  # a retried apply
    assert again.structured is not None and again.structured["status"] == "already_applied"
    assert again.structured["batch_id"] == result.structured["batch_id"]
    changes = await bench.call("list_changes")
    assert changes.structured is not None and changes.structured["count"] == 1
    entry = changes.structured["changes"][0]
    assert entry["client"] == "test-client" and entry["object"] == f"wellness {DAY}"
    assert {"field": "weight_kg", "before": f"{old_weight:g}", "after": "69.4"} in entry["fields"]


async def test_a_handle_confirms_only_its_own_change(bench: ToolBench) -> None:
    handle = await preview(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4})
    other = await bench.call("set_wellness", {"day": DAY, "weight_kg": 60, "confirm": handle})
    assert other.is_error and "different change" in other.text
    unknown = await bench.call("set_wellness", {"day": DAY, "weight_kg": 69.4, "confirm": "chg_x"})
    assert unknown.is_error and "not known" in unknown.text
    assert wellness(bench)["weight"] != 69.4


async def test_a_changed_upstream_state_since_the_preview_is_refused(bench: ToolBench) -> None:
    handle = await preview(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4})
    wellness(bench)["weight"] = 71.0  # the athlete's scale synced meanwhile
    result = await bench.call("set_wellness", {"day": DAY, "weight_kg": 69.4, "confirm": handle})
    assert result.is_error and "changed since the preview" in result.text
    assert wellness(bench)["weight"] == 71.0


async def test_an_expired_handle_is_refused(bench: ToolBench) -> None:
    handle = await preview(bench, "set_wellness", {"day": DAY, "mood": 1})
    bench.moment += timedelta(minutes=11)
    result = await bench.call("set_wellness", {"day": DAY, "mood": 1, "confirm": handle})
    assert result.is_error and "expired" in result.text


async def test_a_handle_of_another_athlete_or_grant_is_refused(bench: ToolBench) -> None:
    handle = await preview(bench, "set_wellness", {"day": DAY, "mood": 1})
    other_grant = ToolBench(bench.fake, AUCKLAND, bench.moment, journal=bench.journal, grant_id=2)
    result = await other_grant.call("set_wellness", {"day": DAY, "mood": 1, "confirm": handle})
    assert result.is_error and "another athlete or app connection" in result.text
    berlin = ToolBench(fake_at(bench.moment), BERLIN, bench.moment, journal=bench.journal)
    result = await berlin.call("set_wellness", {"day": DAY, "mood": 1, "confirm": handle})
    assert result.is_error and "another athlete or app connection" in result.text


async def test_scales_are_validated_with_their_range(bench: ToolBench) -> None:
    refusals = {
        "mood": (5, "mood must be a whole number from 1 to 4."),
        "soreness": (0, "soreness must be a whole number from 1 to 4."),
        "weight_kg": (5, "weight_kg must be a number."),
        "sleep_hours": (25, "sleep_hours must be a number."),
        "comments": ("x" * 2001, "comments must be a string."),
        "confirm": ("x" * 65, "confirm must be a string."),
    }
    for name, (value, message) in refusals.items():
        result = await bench.call("set_wellness", {"day": DAY, name: value})
        assert result.is_error and result.text == message, (name, result.text)
    assert (await bench.call("set_wellness", {"day": DAY})).is_error
    bad_day = await bench.call("set_wellness", {"day": "2026-02-30", "mood": 1})
    assert bad_day.is_error and "2026-11-30" in bad_day.text


async def apply(bench: ToolBench, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    handle = await preview(bench, name, arguments)
    result = await bench.call(name, {**arguments, "confirm": handle})
    assert not result.is_error and result.structured is not None, result.text
    return result.structured


async def test_undo_restores_the_values_and_is_journaled(bench: ToolBench) -> None:
    before = dict(wellness(bench))
    applied = await apply(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4, "stress": 4})
    undone = await apply(bench, "undo_changes", {"batch_id": applied["batch_id"]})
    assert undone["status"] == "applied"
    assert wellness(bench)["weight"] == before["weight"]
    assert wellness(bench).get("stress") == before.get("stress")
    listed = await bench.call("list_changes")
    assert listed.structured is not None
    original = next(c for c in listed.structured["changes"] if c["batch_id"] == applied["batch_id"])
    assert original["undone_by"] == undone["batch_id"]
    nothing = await bench.call("undo_changes", {"batch_id": applied["batch_id"]})
    assert nothing.structured is not None and nothing.structured["status"] == "no_change"


async def test_undo_refuses_where_the_object_changed_since(bench: ToolBench) -> None:
    applied = await apply(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4})
    wellness(bench)["weight"] = 68.0  # changed on Intervals.icu after our write
    result = await bench.call("undo_changes", {"batch_id": applied["batch_id"]})
    assert result.is_error and "changed on Intervals.icu since" in result.text
    assert wellness(bench)["weight"] == 68.0


async def test_undo_since_a_day_reverts_a_whole_morning_newest_first(bench: ToolBench) -> None:
    original = wellness(bench)["weight"]
    await apply(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4})
    await apply(bench, "set_wellness", {"day": DAY, "weight_kg": 69.0})
    undone = await apply(bench, "undo_changes", {"since": "2026-07-29"})
    assert len(undone["changes"]) == 2
    assert wellness(bench)["weight"] == original


async def test_update_activity_preview_apply_undo(bench: ToolBench) -> None:
    activity_id = latest_ride(bench.fake, bench.athlete.id)
    activity = bench.fake.athletes[bench.athlete.id].activities[activity_id]
    old_name = activity["name"]
    args = {"activity_id": activity_id, "name": "Hill reps", "rpe": 7, "feel": 2, "tags": ["hills"]}
    applied = await apply(bench, "update_activity", args)
    assert applied["status"] == "applied"
    assert activity["name"] == "Hill reps" and activity["icu_rpe"] == 7
    assert activity["feel"] == 2 and activity["tags"] == ["hills"]
    await apply(bench, "undo_changes", {"change_ids": [applied["changes"][0]["change_id"]]})
    assert activity["name"] == old_name


async def test_update_activity_checks_scales_and_ownership(bench: ToolBench) -> None:
    activity_id = latest_ride(bench.fake, bench.athlete.id)
    for args in ({"rpe": 11}, {"feel": 0}, {}):
        result = await bench.call("update_activity", {"activity_id": activity_id, **args})
        assert result.is_error, args
    berlin = ToolBench(bench.fake, BERLIN, bench.moment)
    rpe = bench.fake.athletes[bench.athlete.id].activities[activity_id].get("icu_rpe")
    result = await berlin.call("update_activity", {"activity_id": activity_id, "rpe": 5})
    assert result.is_error and "no access" in result.text.lower()
    assert bench.fake.athletes[bench.athlete.id].activities[activity_id].get("icu_rpe") == rpe


async def test_a_missing_upstream_write_permission_is_reported_as_such(bench: ToolBench) -> None:
    scope = "WELLNESS:READ,ACTIVITY:WRITE"  # the athlete unticked wellness writes at Intervals.icu
    token = bench.fake.oauth.issue_token(bench.athlete.id, scope=scope)
    bench.credential = BearerToken(token, scope=scope)
    refused = await bench.call("set_wellness", {"day": DAY, "mood": 1})
    assert refused.is_error and "WELLNESS:WRITE permission" in refused.text
    assert "Reconnect with Intervals.icu" in refused.text and "rejected" not in refused.text
    activity_id = latest_ride(bench.fake, bench.athlete.id)
    allowed = await bench.call("update_activity", {"activity_id": activity_id, "rpe": 4})
    assert not allowed.is_error, allowed.text


async def test_tools_declare_their_oauth_scopes_for_chatgpt(bench: ToolBench) -> None:
    tools = {t["name"]: t for t in await bench.listed()}
    write = {"type": "oauth2", "scopes": ["mcp.read", "mcp.write"]}
    assert tools["set_wellness"]["_meta"]["securitySchemes"] == [write]
    assert tools["update_activity"]["_meta"]["securitySchemes"] == [write]
    read = {"type": "oauth2", "scopes": ["mcp.read"]}
    assert tools["list_changes"]["_meta"]["securitySchemes"] == [read]


async def test_an_upstream_failure_on_apply_writes_nothing_and_the_handle_can_be_retried(
    bench: ToolBench,
) -> None:
    args = {"day": DAY, "weight_kg": 69.4}
    handle = await preview(bench, "set_wellness", args)
    bench.fake.faults.fail(422, times=1, method="PUT", body='{"error": "busy"}')
    failed = await bench.call("set_wellness", {**args, "confirm": handle})
    assert failed.is_error and wellness(bench)["weight"] != 69.4
    retried = await bench.call("set_wellness", {**args, "confirm": handle})
    assert retried.structured is not None and retried.structured["status"] == "applied"
    assert wellness(bench)["weight"] == 69.4


async def test_undo_since_a_local_time_leaves_earlier_changes(bench: ToolBench) -> None:
    early = await apply(bench, "set_wellness", {"day": DAY, "mood": 4})
    bench.moment += timedelta(hours=2)  # Auckland: 2026-07-30 02:00 -> 04:00
    await apply(bench, "set_wellness", {"day": DAY, "weight_kg": 69.4})
    since = (bench.moment - timedelta(minutes=30)).astimezone(ZoneInfo(bench.athlete.timezone))
    undone = await apply(bench, "undo_changes", {"since": since.strftime("%Y-%m-%dT%H:%M")})
    assert [c["object"] for c in undone["changes"]] == [f"wellness {DAY} (undo of change 2)"]
    assert wellness(bench)["mood"] == 4 and early["status"] == "applied"


async def test_a_registered_guardrail_warns_in_the_preview(bench: ToolBench) -> None:
    async def heavy_weight_change(ctx: Any, changes: Any) -> list[str]:
        return [f"{c.label}: weight changes by more than 5 kg" for c in changes]

    GUARDRAILS.append(heavy_weight_change)
    try:
        result = await bench.call("set_wellness", {"day": DAY, "weight_kg": 50})
    finally:
        GUARDRAILS.remove(heavy_weight_change)
    assert result.structured is not None and result.structured["status"] == "preview"
    assert result.structured["warnings"] == [f"wellness {DAY}: weight changes by more than 5 kg"]
    assert f"warning: wellness {DAY}: weight changes" in result.text
