"""get_workout_library: folders and plans with their workout counts."""

from __future__ import annotations

from tests.mcp.tools.harness import ToolBench, no_nulls


async def test_folders_and_plans_with_workout_counts(bench: ToolBench) -> None:
    data = bench.fake.athletes[bench.athlete.id]
    result = await bench.call("get_workout_library")
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    by_type = {f["type"]: f for f in answer["folders"]}
    assert set(by_type) == {"FOLDER", "PLAN"} and answer["count"] == 2
    for folder in answer["folders"]:
        held = [w for w in data.workouts.values() if w["folder_id"] == folder["id"]]
        assert folder["workouts"] == len(held) > 0
    assert by_type["PLAN"]["duration_weeks"] == 4
    total = len(data.workouts)
    assert result.text.startswith(f"2 folders/plans, {total} workouts")
    assert f"PLAN Base build 4 weeks [{by_type['PLAN']['id']}]: " in result.text
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}/folders"


async def test_an_empty_library(bench: ToolBench) -> None:
    data = bench.fake.athletes[bench.athlete.id]
    data.folders.clear()
    data.workouts.clear()
    result = await bench.call("get_workout_library")
    assert result.structured == {"count": 0, "folders": []}
    assert result.text == "0 folders/plans, 0 workouts"


async def test_long_descriptions_are_cut_visibly(bench: ToolBench) -> None:
    folder = next(iter(bench.fake.athletes[bench.athlete.id].folders.values()))
    folder["description"] = "x" * 400
    result = await bench.call("get_workout_library")
    assert result.structured is not None
    cut = result.structured["folders"][0]["description"]
    assert len(cut) == 160 and cut.endswith("…")


async def test_upstream_errors_are_short_tool_errors(bench: ToolBench) -> None:
    bench.fake.faults.fail(429, times=10, retry_after=1)
    bench.max_attempts = 1
    limited = await bench.call("get_workout_library")
    assert limited.is_error and "rate limited" in limited.text


async def test_folders_shared_by_other_athletes_are_counted_not_listed(bench: ToolBench) -> None:
    folders = bench.fake.athletes[bench.athlete.id].folders
    shared = {**next(iter(folders.values())), "id": 99_001, "athlete_id": "i100004"}
    folders[99_001] = shared
    result = await bench.call("get_workout_library")
    assert result.structured is not None and result.structured["shared_left_out"] == 1
    assert all(f["id"] != 99_001 for f in result.structured["folders"])
    assert "1 shared by other athletes left out" in result.text
