"""check_goal: an FTP or race-time target against the eFTP / best-effort trend and the planned
calendar, with a verdict and what would have to change; two or three upstream requests."""

from __future__ import annotations

from datetime import date

import pytest

from app.analytics.goal import predict_race, riegel
from tests.mcp.tools.harness import LOS_ANGELES, ToolBench, no_nulls


def set_eftp(bench: ToolBench, start: float, per_week: float) -> None:
    """Rewrite the fake's Ride eFTP history as a steady weekly rise ending today."""
    days = bench.fake.athletes[bench.athlete.id].wellness
    last = max(date.fromisoformat(k) for k in days)
    for key, record in days.items():
        weeks_back = (last - date.fromisoformat(key)).days / 7
        for info in record["sportInfo"]:
            info["eftp"] = round(start - per_week * weeks_back, 3)


async def test_ftp_300_in_twelve_weeks_behind_the_trend(bench: ToolBench) -> None:
    set_eftp(bench, 280.0, 1.0)
    result = await bench.call("check_goal", {"ftp_w": 300})
    assert [c.path.rsplit("/", 1)[-1] for c in bench.fake.requests] == ["wellness", "events"]
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["by_date"] == "2026-10-22" and answer["days_left"] == 84  # Auckland's today
    assert answer["current"] == 280.0 and answer["trend_per_week"] == 1.0
    assert answer["projected"] == 292.0 and answer["needed_per_week"] == pytest.approx(1.7)
    assert answer["verdict"] == "behind"
    assert "needs +1.7 W/week; trend +1.0 W/week" in result.text
    assert "planned only to" in result.text and answer["plan"]["planned_until"]
    assert answer["history"][-1]["value"] == 280.0


async def test_ftp_on_track_and_reached(bench: ToolBench) -> None:
    set_eftp(bench, 280.0, 2.0)
    answer = (await bench.call("check_goal", {"ftp_w": 300, "by_date": "2026-10-22"})).structured
    assert answer is not None and answer["verdict"] == "on track"
    answer = (await bench.call("check_goal", {"ftp_w": 250})).structured
    assert (
        answer is not None
        and answer["verdict"] == "reached"
        and "needed" not in str(answer["changes"])
    )


async def test_a_new_athlete_without_eftp_history(bench: ToolBench) -> None:
    bench.fake.athletes[bench.athlete.id].wellness.clear()
    result = await bench.call("check_goal", {"ftp_w": 300})
    answer = result.structured
    assert answer is not None and answer["verdict"] == "no data" and answer["history"] == []
    assert "no eFTP history" in result.text


async def test_a_single_eftp_value_gives_no_trend(bench: ToolBench) -> None:
    days = bench.fake.athletes[bench.athlete.id].wellness
    last = max(days)
    for key in [k for k in days if k != last]:
        del days[key]
    answer = (await bench.call("check_goal", {"ftp_w": 300})).structured
    assert answer is not None and answer["verdict"] == "no trend" and "projected" not in answer


async def test_a_half_marathon_time_from_best_efforts(bench: ToolBench) -> None:
    bench.athlete = LOS_ANGELES
    result = await bench.call("check_goal", {"race_km": 21.1, "race_time": "1:45:00"})
    calls = list(bench.fake.requests)
    assert [c.path.rsplit("/", 1)[-1] for c in calls] == ["wellness", "events", "pace-curves"]
    assert calls[2].query["curves"] == "r.2026-06-18.2026-07-29,r.2026-05-07.2026-06-17"
    answer = result.structured
    assert answer is not None and answer["unit"] == "s" and answer["target"] == 6300
    # the fake's best efforts predict under 1:45 now: the goal is reached
    assert answer["current"] < 6300 and answer["verdict"] == "reached"
    assert [p["date"] for p in answer["history"]] == ["2026-06-17", "2026-07-29"]
    assert answer["history"][-1]["value"] == round(answer["current"])
    assert result.text.startswith("goal 21.1 km in 1:45:00 by 2026-10-21 (84 days")
    assert "now 1:" in result.text


async def test_bad_goals_are_refused_without_upstream_requests(bench: ToolBench) -> None:
    for args, message in (
        ({}, "Give ftp_w, or race_km with race_time"),
        ({"race_km": 10}, "Give ftp_w, or race_km with race_time"),
        ({"ftp_w": 300, "race_km": 10, "race_time": "45:00"}, "Give ftp_w"),
        ({"race_km": 10, "race_time": "fast"}, "race_time must look like"),
        ({"ftp_w": 3000}, "between 50 and 700"),
        ({"ftp_w": 300, "by_date": "2026-01-01"}, "by_date must be after today"),
    ):
        result = await bench.call("check_goal", args)
        assert result.is_error and message in result.text, args
    assert len(bench.fake.requests) == 0


def test_riegel_prediction_used_for_races() -> None:
    assert predict_race([10000.0], [2400.0], 21100.0) == pytest.approx(riegel(2400, 10000, 21100))
