"""get_workout: one library workout with its steps and what their percentages are of."""

from __future__ import annotations

from typing import Any

from tests.mcp.tools.harness import ToolBench, no_nulls


def workout_named(bench: ToolBench, name: str) -> dict[str, Any]:
    workouts = bench.fake.athletes[bench.athlete.id].workouts.values()
    return next(w for w in workouts if w["name"] == name)


async def test_a_ride_with_repeats_and_watts_from_the_ftp(bench: ToolBench) -> None:
    workout = workout_named(bench, "Sweet Spot 3x12")
    ftp = workout["workout_doc"]["ftp"]
    result = await bench.call("get_workout", {"workout_id": workout["id"]})
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["id"] == workout["id"] and answer["targets"] == "% = % FTP"
    steps = answer["steps"]
    repeat = next(s for s in steps if "steps" in s)
    assert repeat["reps"] == 3 and [s["label"] for s in repeat["steps"]] == ["SST", "Recovery"]
    sst = repeat["steps"][0]
    assert sst["duration_s"] == 720 and sst["target"] == f"90% FTP ({round(ftp * 0.9)} W)"
    assert sum(s["duration_s"] for s in steps) == workout["moving_time"]
    assert "\n3x, 48:00\n  - SST, 12:00, 90% FTP" in result.text
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}/workouts/{workout['id']}"


async def test_a_run_says_its_percentages_are_of_threshold_pace(bench: ToolBench) -> None:
    workout = workout_named(bench, "Threshold 3x10")
    result = await bench.call("get_workout", {"workout_id": workout["id"]})
    assert result.structured is not None
    targets = [s.get("target") for s in result.structured["steps"] if "target" in s]
    assert targets and all(t.endswith("% threshold pace") for t in targets)


async def test_ranges_ramps_and_notes(bench: ToolBench) -> None:
    workout = workout_named(bench, "Endurance ride")
    workout["description"] = "Keep it easy, spin high cadence\n- Endurance 90m 60-75%"
    workout["workout_doc"]["steps"] = [
        {
            "text": "Endurance",
            "duration": 5400,
            "ramp": True,
            "power": {"start": 60, "end": 75, "units": "%ftp"},
            "cadence": {"value": 95, "units": "rpm"},
        }
    ]
    workout["workout_doc"].pop("ftp", None)
    result = await bench.call("get_workout", {"workout_id": workout["id"]})
    assert result.structured is not None
    (step,) = result.structured["steps"]
    assert step["target"] == "60-75% FTP, 95 rpm" and step["ramp"] is True
    assert result.structured["notes"] == "Keep it easy, spin high cadence"
    assert "- Endurance, 1:30:00, ramp 60-75% FTP, 95 rpm" in result.text


async def test_a_workout_without_structure_keeps_its_text(bench: ToolBench) -> None:
    workout = workout_named(bench, "Easy run")
    workout["workout_doc"] = None
    result = await bench.call("get_workout", {"workout_id": workout["id"]})
    assert result.structured is not None and "steps" not in result.structured
    assert result.structured["workout_text"] == workout["description"]
    assert workout["description"] in result.text


async def test_unknown_ids_bad_ids_and_upstream_errors(bench: ToolBench) -> None:
    missing = await bench.call("get_workout", {"workout_id": 1})
    assert missing.is_error and missing.text.startswith("No workout 1 found")
    bad = await bench.call("get_workout", {"workout_id": "abc"})
    assert bad.is_error and "whole number" in bad.text
    bench.fake.faults.fail(503, times=10)
    bench.max_attempts = 1
    down = await bench.call("get_workout", {"workout_id": workout_named(bench, "Easy run")["id"]})
    assert down.is_error and "not answering" in down.text


async def test_pace_and_lthr_targets_resolve_when_the_workout_carries_its_thresholds() -> None:
    from datetime import UTC, datetime

    from tests.mcp.tools.harness import DEMO, fake_at

    now = datetime(2026, 7, 29, 12, tzinfo=UTC)
    bench = ToolBench(fake_at(now), DEMO["America/Denver"], now)  # imperial: min/mi
    workout = workout_named(bench, "Threshold 3x10")
    doc = workout["workout_doc"]
    doc.update(threshold_pace=1609.344 / 400, pace_units="MINS_MILE", lthr=160)  # 6:40 /mi
    doc["steps"][0] = {"text": "Warm-up", "duration": 900, "hr": {"value": 80, "units": "%lthr"}}
    result = await bench.call("get_workout", {"workout_id": workout["id"]})
    assert result.structured is not None
    steps = result.structured["steps"]
    assert steps[0]["target"] == "80% LTHR (128 bpm)"
    threshold = next(s for s in steps[1]["steps"] if s["label"] == "Threshold")
    assert threshold["target"] == "99% threshold pace (6:44 /mi)"
    assert "6:44 /mi" in result.text
