"""get_training_plan: the plan applied to the athlete, the days it covers, where today falls
in it (on the athlete's own calendar day), and its weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    DEMO,
    TODAY,
    ToolBench,
    fake_at,
    local,
    no_nulls,
)

JORDAN = DEMO["America/Denver"]
NOW = datetime(2026, 7, 29, 12, tzinfo=UTC)
MONDAY = TODAY - timedelta(days=TODAY.weekday())


async def test_the_applied_plan_with_its_weeks() -> None:
    bench = ToolBench(fake_at(NOW), BERLIN, NOW)  # Berlin's plan started two Mondays ago
    start = MONDAY - timedelta(weeks=2)
    result = await bench.call("get_training_plan")
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["applied"] is True and answer["name"] == "Base build 4 weeks"
    assert answer["start"] == start.isoformat()
    assert answer["end"] == (start + timedelta(days=27)).isoformat()
    assert answer["duration_weeks"] == 4 and len(answer["weeks"]) == 4
    day = (TODAY - start).days
    assert answer["today"] == f"week {day // 7 + 1}, day {day + 1}"
    plan = bench.fake.athletes[BERLIN.id].folders[answer["folder_id"]]
    assert plan["type"] == "PLAN"
    assert sum(w["workouts"] for w in answer["weeks"]) == answer["workout_count"] > 0
    assert "workouts" not in answer  # each workout on request
    assert "detail=true lists each" in result.text
    assert result.text.startswith(f"Plan Base build 4 weeks [{plan['id']}], {start}..")
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{BERLIN.id}/training-plan"


async def test_detail_dates_each_workout_from_its_plan_day() -> None:
    bench = ToolBench(fake_at(NOW), JORDAN, NOW)
    start = MONDAY - timedelta(weeks=1)
    result = await bench.call("get_training_plan", {"detail": True})
    assert result.structured is not None
    data = bench.fake.athletes[JORDAN.id]
    days = {w["id"]: w["day"] for w in data.workouts.values() if w["day"] is not None}
    for workout in result.structured["workouts"]:
        expected = start + timedelta(days=days[workout["id"]])
        assert workout["date"] == expected.isoformat()
        assert f"{expected} " in result.text


async def test_no_plan_applied(bench: ToolBench) -> None:
    result = await bench.call("get_training_plan")  # Auckland has none
    assert result.structured == {"applied": False}
    assert result.text == "No training plan applied."


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, JORDAN) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_today_in_the_plan_is_the_athletes_own_day(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    fake = fake_at(moment)
    fake.athletes[athlete.id].training_plan.update(
        training_plan_id=min(
            f for f, v in fake.athletes[athlete.id].folders.items() if v["type"] == "PLAN"
        ),
        training_plan_start_date=f"{TODAY.isoformat()}T00:00:00",
    )
    result = await ToolBench(fake, athlete, moment).call("get_training_plan")
    assert result.structured is not None
    assert result.structured["today"] == "week 1, day 1"


async def test_a_plan_not_started_or_finished(bench: ToolBench) -> None:
    plan = bench.fake.athletes[bench.athlete.id].training_plan
    folder = next(
        f for f in bench.fake.athletes[bench.athlete.id].folders.values() if f["type"] == "PLAN"
    )
    plan["training_plan_id"] = folder["id"]
    plan["training_plan_start_date"] = (TODAY + timedelta(days=3)).isoformat()
    ahead = await bench.call("get_training_plan")
    plan["training_plan_start_date"] = date(2026, 1, 5).isoformat()
    done = await bench.call("get_training_plan")
    # noon UTC is already the next day in Auckland: the plan starts in two of Aroha's days
    assert ahead.structured is not None and ahead.structured["today"] == "starts in 2 days"
    assert done.structured is not None and done.structured["today"].startswith("ended ")


async def test_upstream_errors_and_bad_arguments(bench: ToolBench) -> None:
    bad = await bench.call("get_training_plan", {"detail": "lots"})
    assert bad.is_error and len(bench.fake.requests) == 0
    bench.fake.faults.fail(503, times=10)
    bench.max_attempts = 1
    down = await bench.call("get_training_plan")
    assert down.is_error and "not answering" in down.text
