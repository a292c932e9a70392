"""analyze_session: one activity against its planned workout: targets per step, fade across
repeats, decoupling and splits (grade-adjusted for runs), from at most four requests."""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Any

from tests.mcp.tools.harness import BERLIN, TODAY, ToolBench, fake_at, local, no_nulls


def berlin() -> ToolBench:
    moment = local(BERLIN.timezone, TODAY, time(9))
    return ToolBench(fake_at(moment), BERLIN, moment)


def latest(bench: ToolBench, sport: str, paired: bool = True) -> dict[str, Any]:
    found = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("type") == sport and bool(a.get("paired_event_id")) is paired
    ]
    return max(found, key=lambda a: a["start_date_local"])


async def test_a_ride_against_its_plan_from_three_requests() -> None:
    bench = berlin()
    ride = latest(bench, "VirtualRide")
    result = await bench.call("analyze_session", {"activity_id": ride["id"]})
    paths = [c.path for c in bench.fake.requests]
    assert len(paths) == 3 and paths[1].endswith(f"/events/{ride['paired_event_id']}")
    assert paths[2].endswith("/streams.json")
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["planned"] == ride["name"]
    assert answer["targets_judged"] == len(answer["steps"]) == answer["targets_hit"]
    assert answer["steps"][1]["target"] == "90% FTP"
    assert answer["fade"]["reps"] == 3 and answer["fade"]["faded"] is False
    assert answer["decoupling_basis"] == "Pw:HR" and len(answer["splits"]) == 4
    assert "targets hit 8 of 8" in result.text and "held over 3 reps" in result.text


async def test_a_missed_target_and_a_fading_last_repeat_are_named() -> None:
    bench = berlin()
    ride = latest(bench, "VirtualRide")
    data = bench.fake.athletes[bench.athlete.id]
    segments = data.segments[ride["id"]]
    last_work = max(i for i, s in enumerate(segments) if s.kind == "WORK")
    segments[last_work] = dataclasses.replace(segments[last_work], intensity=0.8)
    event = data.events[ride["paired_event_id"]]
    event["workout_doc"]["steps"][0]["power"] = {"value": 75, "units": "%ftp"}
    result = await bench.call("analyze_session", {"activity_id": ride["id"]})
    answer = result.structured
    assert answer is not None and answer["targets_hit"] == 6
    results = {s["step"]: s["result"] for s in answer["steps"]}
    assert results[1] == "under" and results[last_work + 1] == "under"
    assert answer["fade"]["faded"] is True and answer["fade"]["output_change_pct"] < -3
    assert "targets hit 6 of 8: misses 1 Warm-up 75% FTP" in result.text
    assert "faded over 3 reps" in result.text


async def test_a_run_gets_grade_adjusted_splits_per_km() -> None:
    bench = berlin()
    run = latest(bench, "Run")
    result = await bench.call("analyze_session", {"activity_id": run["id"]})
    answer = result.structured
    assert answer is not None and answer["decoupling_basis"] == "Pa:HR"
    first = answer["splits"][0]
    assert abs(first["distance_m"] - 1000) < 10 and first["pace"].endswith("/km")
    assert "gap_pace" in first and "grade_pct" in first
    assert "GAP " in result.text


async def test_an_unplanned_activity_without_streams() -> None:
    bench = berlin()
    ride = latest(bench, "VirtualRide", paired=False)
    bench.fake.athletes[bench.athlete.id].segments[ride["id"]] = []  # nothing recorded
    result = await bench.call("analyze_session", {"activity_id": ride["id"]})
    answer = result.structured
    assert answer is not None and "planned" not in answer and "steps" not in answer
    assert len(bench.fake.requests) == 2  # no event to read
    assert "no planned workout" in result.text
    assert "splits" not in answer and "no streams recorded" in result.text


async def test_an_unknown_activity_is_a_clear_error() -> None:
    bench = berlin()
    result = await bench.call("analyze_session", {"activity_id": "i1"})
    assert result.is_error and len(result.text) < 300
