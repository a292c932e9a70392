"""get_weekly_review: one Monday-Sunday week from three upstream requests: volume by sport,
intensity mix, key sessions, compliance with the plan, wellness vs baseline, fitness change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tests.mcp.tools.harness import AUCKLAND, BERLIN, TODAY, ToolBench, fake_at, local, no_nulls

WEEK = ("2026-07-20", "2026-07-26")


def berlin(at: datetime | None = None) -> ToolBench:
    moment = at or local(BERLIN.timezone, TODAY, time(9))
    return ToolBench(fake_at(moment), BERLIN, moment)


def week_activities(bench: ToolBench) -> list[dict[str, object]]:
    data = bench.fake.athletes[bench.athlete.id].activities.values()
    return [
        a
        for a in data
        if WEEK[0] <= str(a["start_date_local"])[:10] <= WEEK[1] and a.get("source") != "STRAVA"
    ]


async def test_last_week_by_default_from_three_requests() -> None:
    bench = berlin()
    result = await bench.call("get_weekly_review")
    activities_call, events_call, wellness_call = list(bench.fake.requests)
    assert activities_call.query["oldest"] == WEEK[0]
    assert events_call.query["category"] == "WORKOUT"
    assert wellness_call.query["oldest"] == "2026-05-21"  # 60 days before the Monday
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert (answer["oldest"], answer["newest"]) == WEEK
    done = week_activities(bench)
    assert answer["count"] == len(done)
    assert answer["load"] == sum(int(a["icu_training_load"]) for a in done)  # type: ignore[call-overload]
    assert sum(s["count"] for s in answer["by_sport"]) == len(done)
    assert sum(m["share_pct"] for m in answer["intensity"]) == 100.0
    assert answer["key_sessions"][0]["load"] == max(s["load"] for s in answer["key_sessions"])
    assert answer["compliance"]["planned"] == 4 and answer["compliance"]["done"] == 4
    assert {w["measure"] for w in answer["wellness"]} == {"hrv_ms", "resting_hr_bpm", "sleep_s"}
    fitness = answer["fitness"]
    days = bench.fake.athletes[bench.athlete.id].wellness
    assert fitness["fitness_ctl_start"] == round(days["2026-07-19"]["ctl"], 1)  # type: ignore[call-overload]
    assert fitness["fitness_ctl_end"] == round(days["2026-07-26"]["ctl"], 1)  # type: ignore[call-overload]
    lines = result.text.splitlines()
    assert lines[0].startswith("week 2026-07-20..2026-07-26 (Europe/Berlin): ")
    assert "plan: 4 of 4 workouts done" in result.text and "fitness: CTL " in result.text


async def test_a_skipped_workout_shows_as_missed() -> None:
    bench = berlin()
    skipped = next(a for a in week_activities(bench) if a["type"] == "Swim")
    del bench.fake.athletes[bench.athlete.id].activities[str(skipped["id"])]
    result = await bench.call("get_weekly_review", {"week_of": "2026-07-22"})
    answer = result.structured
    assert answer is not None
    compliance = answer["compliance"]
    assert (compliance["planned"], compliance["done"], compliance["completion_pct"]) == (4, 3, 75)
    assert compliance["missed"] == ["2026-07-24 Swim, Swim 10x100"]
    assert "missed 2026-07-24 Swim" in result.text


async def test_a_week_without_data() -> None:
    bench = berlin()
    result = await bench.call("get_weekly_review", {"week_of": "2020-01-08"})
    answer = result.structured
    assert answer is not None and answer["count"] == 0 and answer["by_sport"] == []
    assert "wellness" not in answer and "fitness" not in answer
    assert "no activities" in result.text and "nothing was planned" in result.text


async def test_a_single_activity_and_a_new_athlete_without_baseline() -> None:
    bench = berlin()
    data = bench.fake.athletes[bench.athlete.id]
    keep = week_activities(bench)[0]
    for aid in [a for a in data.activities if a != keep["id"]]:
        del data.activities[aid]
    for day in [d for d in data.wellness if d < WEEK[0]]:
        del data.wellness[day]
    data.events.clear()
    result = await bench.call("get_weekly_review", {"week_of": WEEK[0]})
    answer = result.structured
    assert answer is not None and answer["count"] == 1 and len(answer["key_sessions"]) == 1
    assert all("baseline_60d" not in w for w in answer["wellness"])
    assert "fitness_ctl_start" not in answer["fitness"]
    assert "1 unplanned" in result.text


async def test_this_week_so_far_when_asked_and_the_future_refused() -> None:
    bench = berlin()
    result = await bench.call("get_weekly_review", {"week_of": TODAY.isoformat()})
    assert result.structured is not None
    assert (result.structured["oldest"], result.structured["newest"]) == (
        "2026-07-27",
        "2026-07-29",
    )
    refused = await bench.call("get_weekly_review", {"week_of": "2026-08-05"})
    assert refused.is_error and "future" in refused.text


async def test_sunday_reviews_the_week_ending_today() -> None:
    sunday = datetime(2026, 7, 26, 18, tzinfo=UTC)
    bench = ToolBench(fake_at(sunday), BERLIN, sunday)
    result = await bench.call("get_weekly_review")
    assert result.structured is not None
    assert (result.structured["oldest"], result.structured["newest"]) == WEEK


async def test_the_week_follows_the_athletes_local_day() -> None:
    monday = date(2026, 7, 27)
    moment = local(AUCKLAND.timezone, monday, time(0, 5))  # still Sunday in UTC
    bench = ToolBench(fake_at(moment), AUCKLAND, moment)
    result = await bench.call("get_weekly_review", {"week_of": monday.isoformat()})
    assert result.structured is not None, result.text
    assert (result.structured["oldest"], result.structured["newest"]) == ("2026-07-27",) * 2
