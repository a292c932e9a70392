"""get_folder_workouts: one folder's or plan's workouts (name, sport, duration, load)."""

from __future__ import annotations

from tests.mcp.tools.harness import ToolBench, no_nulls


def folder_of(bench: ToolBench, kind: str) -> dict:  # type: ignore[type-arg]
    folders = bench.fake.athletes[bench.athlete.id].folders.values()
    return next(f for f in folders if f["type"] == kind)


async def test_the_workouts_of_a_folder(bench: ToolBench) -> None:
    folder = folder_of(bench, "FOLDER")
    data = bench.fake.athletes[bench.athlete.id]
    result = await bench.call("get_folder_workouts", {"folder_id": folder["id"]})
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    held = {w["id"]: w for w in data.workouts.values() if w["folder_id"] == folder["id"]}
    assert answer["count"] == len(held) == len(answer["workouts"])
    for workout in answer["workouts"]:
        source = held[workout["id"]]
        assert workout["name"] == source["name"] and workout["type"] == source["type"]
        assert workout["moving_time_s"] == source["moving_time"]
        assert workout["training_load"] == source["icu_training_load"]
        assert "plan_day" not in workout
    assert result.text.startswith(f"{len(held)} workouts in FOLDER Key sessions [{folder['id']}]")
    first = answer["workouts"][0]
    assert f"[{first['id']}]" in result.text


async def test_plan_workouts_in_plan_day_order(bench: ToolBench) -> None:
    plan = folder_of(bench, "PLAN")
    data = bench.fake.athletes[bench.athlete.id]
    for workout, day in zip(
        [w for w in data.workouts.values() if w["folder_id"] == plan["id"]], (9, 0), strict=False
    ):
        workout["day"] = day
    result = await bench.call("get_folder_workouts", {"folder_id": plan["id"]})
    assert result.structured is not None
    days = [w["plan_day"] for w in result.structured["workouts"]]
    assert days == ["week 1 day 1", "week 2 day 3"]
    assert "\nweek 1 day 1 " in result.text


async def test_an_empty_folder(bench: ToolBench) -> None:
    folder = folder_of(bench, "FOLDER")
    data = bench.fake.athletes[bench.athlete.id]
    for wid in [w for w, v in data.workouts.items() if v["folder_id"] == folder["id"]]:
        del data.workouts[wid]
    result = await bench.call("get_folder_workouts", {"folder_id": folder["id"]})
    assert result.structured is not None and result.structured["workouts"] == []
    assert result.text.startswith("0 workouts in FOLDER")


async def test_unknown_folders_bad_ids_and_upstream_errors(bench: ToolBench) -> None:
    missing = await bench.call("get_folder_workouts", {"folder_id": 1})
    assert missing.is_error and missing.text.startswith("No folder 1 found")
    bad = await bench.call("get_folder_workouts", {"folder_id": 0})
    assert bad.is_error and "at least 1" in bad.text
    bench.fake.faults.fail(503, times=10)
    bench.max_attempts = 1
    down = await bench.call("get_folder_workouts", {"folder_id": folder_of(bench, "PLAN")["id"]})
    assert down.is_error and "not answering" in down.text


async def test_a_large_folder_comes_in_pages_that_say_where_the_rest_is(
    bench: ToolBench,
) -> None:
    from app.mcp.tools.catalog.get_folder_workouts import PAGE

    folder = folder_of(bench, "FOLDER")
    workouts = bench.fake.athletes[bench.athlete.id].workouts
    template = next(w for w in workouts.values() if w["folder_id"] == folder["id"])
    for n in range(PAGE + 20):
        workouts[900_000 + n] = {**template, "id": 900_000 + n, "name": f"zz {n:03d}"}
    held = sum(1 for w in workouts.values() if w["folder_id"] == folder["id"])
    first = await bench.call("get_folder_workouts", {"folder_id": folder["id"]})
    assert first.structured is not None
    assert first.structured["count"] == held and len(first.structured["workouts"]) == PAGE
    assert first.structured["next_offset"] == PAGE
    assert f"1-{PAGE} shown, the rest from offset={PAGE}" in first.text
    rest = await bench.call("get_folder_workouts", {"folder_id": folder["id"], "offset": PAGE})
    assert rest.structured is not None and "next_offset" not in rest.structured
    ids = [w["id"] for w in first.structured["workouts"] + rest.structured["workouts"]]
    assert len(ids) == len(set(ids)) == held
