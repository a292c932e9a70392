"""get_activities: window and limit sent upstream, local days, compact answer, pace units."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from app.intervals.answer_cache import AnswerCache, MemoryStore
from app.intervals.webhooks import AREAS_BY_TYPE
from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    LOS_ANGELES,
    TODAY,
    ToolBench,
    add_activity,
    fake_at,
    local,
    no_nulls,
)


async def test_window_limit_and_compact_answer() -> None:
    moment = local(BERLIN.timezone, TODAY, time(12))
    fake = fake_at(moment)
    add_activity(fake, BERLIN.id, "i990001", "2026-07-20T09:00:00")
    fake.athletes[BERLIN.id].activities["i990001"].update(average_heartrate=None, name=None)
    result = await ToolBench(fake, BERLIN, moment).call(
        "get_activities", {"start_date": "2026-07-01", "end_date": "2026-07-20", "limit": 4}
    )
    assert result.is_error is False
    calls = fake.requests.matching("GET", "/api/v1/athlete/i100002/activities")
    assert [{k: v for k, v in c.query.items() if k != "fields"} for c in calls] == [
        {"oldest": "2026-07-01", "newest": "2026-07-20T23:59:59", "limit": "4"}
    ]  # fields: tests/mcp/tools/test_upstream_fields.py
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["count"] == 4 and answer["more_available"] is True
    assert (answer["oldest"], answer["newest"]) == ("2026-07-01", "2026-07-20")
    assert answer["timezone"] == "Europe/Berlin"
    first = answer["activities"][0]
    assert first["id"] == "i990001" and first["start_date_local"] == "2026-07-20T09:00:00"
    assert "avg_hr_bpm" not in first and "name" not in first  # nulls dropped
    dates = [a["start_date_local"][:10] for a in answer["activities"]]
    assert dates == sorted(dates, reverse=True)
    assert all("2026-07-01" <= d <= "2026-07-20" for d in dates)
    assert "elapsed_time_s" not in first  # summary by default
    assert result.text.startswith("4 activities 2026-07-01..2026-07-20 (Europe/Berlin)")
    assert "[i990001]" in result.text and len(result.text) < 1200


async def test_detail_adds_every_field_and_states_scales_with_their_direction(
    bench: ToolBench,
) -> None:
    result = await bench.call(
        "get_activities", {"start_date": "2026-07-01", "end_date": "2026-07-28", "detail": True}
    )
    assert result.structured is not None
    with_feel = [a for a in result.structured["activities"] if "feel" in a]
    assert with_feel and "elapsed_time_s" in with_feel[0]
    assert result.structured["scales"]["feel"].startswith("1-5, 1 best: 1 strong")
    feel = with_feel[0]["feel"]
    names = ("strong", "good", "normal", "poor", "weak")
    assert f"feel {feel} ({names[feel - 1]}) on 1-5, 1 best" in result.text
    assert "/5" not in result.text and "/4" not in result.text


def runs_of(bench: ToolBench) -> list[dict[str, object]]:
    return [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("type") == "Run" and a.get("average_speed")
    ]


def pace_text(metres: float, speed: float) -> str:
    seconds = round(metres / speed)
    return f"{seconds // 60}:{seconds % 60:02d}"


@pytest.mark.parametrize(
    ("units", "metres", "suffix"),
    [("MINS_KM", 1000.0, "/km"), ("MINS_MILE", 1609.344, "/mi")],
)
async def test_runs_show_pace_in_the_athletes_units(units: str, metres: float, suffix: str) -> None:
    athlete: DemoAthlete = next(a for a in (AUCKLAND, BERLIN, LOS_ANGELES) if "Run" in a.sports)
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), athlete, moment)
    for sport in bench.fake.athletes[athlete.id].sport_settings:
        if "Run" in sport.get("types", []):
            sport["pace_units"] = units
    run = max(runs_of(bench), key=lambda a: str(a["start_date_local"]))
    day = str(run["start_date_local"])[:10]
    result = await bench.call("get_activities", {"start_date": day, "end_date": day})
    assert result.structured is not None
    listed = next(a for a in result.structured["activities"] if a["id"] == run["id"])
    expected = f"{pace_text(metres, float(run['average_speed']))} {suffix}"  # type: ignore[arg-type]
    assert listed["avg_pace"] == expected
    assert f"{expected} avg" in result.text


async def test_a_ride_only_window_does_not_read_the_profile(bench: ToolBench) -> None:
    rides = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("type") in ("Ride", "VirtualRide")
    ]
    day = max(str(a["start_date_local"]) for a in rides)[:10]
    others = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if str(a["start_date_local"])[:10] == day and a.get("type") not in ("Ride", "VirtualRide")
    ]
    if others:
        pytest.skip("the fake has a run or swim on the same day")
    result = await bench.call("get_activities", {"start_date": day, "end_date": day})
    assert result.is_error is False
    profile = f"/api/v1/athlete/{bench.athlete.id}"
    assert profile not in [r.path for r in bench.fake.requests]


@pytest.mark.parametrize("athlete", [AUCKLAND, BERLIN, LOS_ANGELES], ids=lambda a: a.timezone)
async def test_activities_stay_on_their_local_day(athlete: DemoAthlete) -> None:
    """An activity just before local midnight belongs to that day, whatever the UTC date."""
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    fake = fake_at(moment)
    add_activity(fake, athlete.id, "i990010", "2026-07-29T23:58:00")
    add_activity(fake, athlete.id, "i990011", "2026-07-30T00:02:00")
    bench = ToolBench(fake, athlete, moment)
    day = await bench.call("get_activities", {"start_date": "2026-07-29", "end_date": "2026-07-29"})
    next_day = await bench.call(
        "get_activities", {"start_date": "2026-07-30", "end_date": "2026-07-30"}
    )
    assert day.structured is not None and next_day.structured is not None
    on_day = {a["id"]: a for a in day.structured["activities"]}
    assert on_day["i990010"]["start_date_local"] == "2026-07-29T23:58:00"
    assert "i990011" not in on_day
    assert [a["id"] for a in next_day.structured["activities"]] == ["i990011"]


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_window_ends_on_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    await bench.call("get_activities", {"limit": 1})
    (call,) = bench.fake.requests.matching("GET", f"/api/v1/athlete/{athlete.id}/activities")
    assert call.query["newest"] == f"{TODAY.isoformat()}T23:59:59"
    assert call.query["oldest"] == (TODAY - timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start_date": "2026-07-10", "end_date": "2026-07-01"}, "swap"),
        ({"limit": 1000}, "limit must be a whole number from 1 to 100."),
        ({"start_date": "2026-7-1"}, "start_date must be a date like 2026-11-30."),
        ({"start_date": "2024-01-01", "end_date": "2026-01-01"}, "at most 366"),
    ],
)
async def test_bad_arguments_get_one_short_plain_message(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_activities", arguments)
    assert result.is_error and message in result.text
    assert "pydantic" not in result.text and "validation error" not in result.text
    assert len(result.text) < 200
    assert len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "No activities"), (429, "rate limited"), (503, "not answering"), (422, "refused")],
)
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    bench.max_attempts = 1
    result = await bench.call("get_activities", {})
    assert result.is_error
    assert expected in result.text and bench.athlete.api_key not in result.text
    assert len(result.text) < 300


async def test_pace_units_follow_the_answer_caches_freshness() -> None:
    """The profile read for pace units is kept by the answer cache only: a repeat asks
    nothing, and a sport-settings change (its webhook, or a write) is seen at once."""
    athlete = next(a for a in (AUCKLAND, BERLIN, LOS_ANGELES) if "Run" in a.sports)
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    bench = ToolBench(fake_at(moment), athlete, moment)
    bench.answers = AnswerCache(
        MemoryStore(clock=lambda: bench.moment.timestamp()),
        ttl=3_600.0,
        analyzed_ttl=86_400.0,
        now=lambda: bench.moment,
    )
    window = {"start_date": "2026-07-01", "end_date": "2026-07-28", "limit": 50}
    first = await bench.call("get_activities", window)
    second = await bench.call("get_activities", window)
    profile = f"/api/v1/athlete/{athlete.id}"
    assert [r.path for r in bench.fake.requests].count(profile) == 1
    assert first.structured == second.structured
    await bench.answers.invalidate(athlete.id, AREAS_BY_TYPE["SPORT_SETTINGS_UPDATED"])
    await bench.call("get_activities", window)
    assert [r.path for r in bench.fake.requests].count(profile) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 5), ("id", "x17"), ("distance", "far"), ("moving_time", [])],
)
async def test_an_activity_upstream_sends_malformed_is_a_clear_error(
    field: str, value: object
) -> None:
    """A malformed field the answer reads is refused as before, whichever fields are read."""
    moment = local(BERLIN.timezone, TODAY, time(12))
    fake = fake_at(moment)
    add_activity(fake, BERLIN.id, "i990001", "2026-07-20T09:00:00")
    fake.athletes[BERLIN.id].activities["i990001"][field] = value
    for detail in (False, True):
        result = await ToolBench(fake, BERLIN, moment).call(
            "get_activities",
            {"start_date": "2026-07-01", "end_date": "2026-07-20", "detail": detail},
        )
        assert result.is_error
        assert result.text == "Intervals.icu sent an answer for activities that could not be read."
