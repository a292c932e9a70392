"""get_readiness: a verdict from today's morning measures against the athlete's own baselines,
today's plan, and a plain statement when today's wellness has not synced yet."""

from __future__ import annotations

from datetime import time, timedelta
from statistics import fmean

import pytest

from tests.mcp.tools.harness import AUCKLAND, BERLIN, TODAY, ToolBench, fake_at, local, no_nulls


@pytest.fixture
def bench() -> ToolBench:
    """Auckland's athlete at 8:00 local on the fake's today."""
    moment = local(AUCKLAND.timezone, TODAY, time(8))
    return ToolBench(fake_at(moment), AUCKLAND, moment)


def wellness(bench: ToolBench) -> dict[str, dict[str, object]]:
    return bench.fake.athletes[bench.athlete.id].wellness


async def test_two_requests_and_baselines_from_the_60_days_before_today(bench: ToolBench) -> None:
    result = await bench.call("get_readiness")
    wellness_call, events_call = list(bench.fake.requests)
    assert wellness_call.query["oldest"] == (TODAY - timedelta(days=60)).isoformat()
    assert wellness_call.query["newest"] == TODAY.isoformat()
    assert events_call.query["category"] == "WORKOUT"
    answer = result.structured
    assert answer is not None and no_nulls(answer) and answer["synced_today"] is True
    days = wellness(bench)
    before = [days[(TODAY - timedelta(days=i)).isoformat()]["hrv"] for i in range(1, 61)]
    assert answer["hrv"]["mean_60d"] == round(fmean(before), 1)  # type: ignore[arg-type]
    assert answer["hrv"]["mean_7d"] == round(fmean(before[:7]), 1)  # type: ignore[arg-type]
    assert answer["hrv"]["today"] == days[TODAY.isoformat()]["hrv"]
    assert answer["synced_at"] == days[TODAY.isoformat()]["updated"]
    assert answer["level"] in ("green", "amber", "red")
    assert result.text.startswith(f"readiness {TODAY} (Pacific/Auckland): ")


async def test_todays_planned_workout_is_named(bench: ToolBench) -> None:
    result = await bench.call("get_readiness")
    assert result.structured is not None
    (planned,) = result.structured["planned"]
    assert planned["name"] == "Threshold 3x10" and planned["load"] == 80
    assert "planned today: " in result.text and "Threshold 3x10" in result.text


async def test_low_hrv_and_high_resting_hr_make_red_with_the_reasons(bench: ToolBench) -> None:
    today = wellness(bench)[TODAY.isoformat()]
    today.update(hrv=20.0, restingHR=90, sleepSecs=8 * 3600, sleepQuality=1)
    result = await bench.call("get_readiness")
    answer = result.structured
    assert answer is not None and answer["level"] == "red"
    assert [r["measure"] for r in answer["reasons"][:2]] == ["hrv", "resting_hr"]
    assert "HRV 20 ms far below" in result.text and "resting HR 90 well above" in result.text


async def test_a_good_morning_is_green(bench: ToolBench) -> None:
    days = wellness(bench)
    today = days[TODAY.isoformat()]
    for offset in range(0, 61):
        day = days[(TODAY - timedelta(days=offset)).isoformat()]
        day.update(hrv=60.0 + offset % 3, restingHR=50 + offset % 2)
    today.update(hrv=61.0, restingHR=50, sleepSecs=8 * 3600, sleepQuality=1)
    for name in ("soreness", "fatigue", "stress", "mood", "motivation"):
        today[name] = 1
    result = await bench.call("get_readiness")
    assert result.structured is not None
    form = result.structured["form_tsb"]
    assert result.structured["level"] == ("red" if form < -30 else "green")


async def test_a_row_not_synced_today_is_said_not_guessed(bench: ToolBench) -> None:
    del wellness(bench)[TODAY.isoformat()]
    result = await bench.call("get_readiness")
    answer = result.structured
    assert answer is not None and answer["synced_today"] is False
    assert answer["last_synced"] == (TODAY - timedelta(days=1)).isoformat()
    assert "today" not in answer["hrv"] and "sleep_s" not in answer
    assert {r["measure"] for r in answer["reasons"]} <= {"form"}
    assert "today's wellness is not synced yet" in result.text


async def test_a_new_athlete_without_history_gets_no_baseline(bench: ToolBench) -> None:
    days = wellness(bench)
    for key in [k for k in days if k < (TODAY - timedelta(days=3)).isoformat()]:
        del days[key]
    result = await bench.call("get_readiness")
    answer = result.structured
    assert answer is not None and "mean_60d" not in answer["hrv"]
    assert {r["measure"] for r in answer["reasons"]}.isdisjoint({"hrv", "resting_hr"})
    assert "no personal baseline yet" in result.text


async def test_no_wellness_at_all(bench: ToolBench) -> None:
    wellness(bench).clear()
    result = await bench.call("get_readiness")
    answer = result.structured
    assert answer is not None and answer["synced_today"] is False and answer["reasons"] == []
    assert "last_synced" not in answer and "not synced yet" in result.text


async def test_today_is_the_athletes_local_day() -> None:
    moment = local(AUCKLAND.timezone, TODAY, time(0, 5))  # still the 28th in UTC
    bench = ToolBench(fake_at(moment), AUCKLAND, moment)
    result = await bench.call("get_readiness")
    assert result.structured is not None and result.structured["date"] == TODAY.isoformat()
    late = local(BERLIN.timezone, TODAY, time(23, 55))  # already the 30th in Auckland
    bench = ToolBench(fake_at(late), BERLIN, late)
    result = await bench.call("get_readiness")
    assert result.structured is not None and result.structured["date"] == TODAY.isoformat()
