"""The six original tools over real HTTP with the SDK client, in both protocol eras, against the
fake Intervals.icu server: upstream calls, local dates, limits, compact answers."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import (
    AUCKLAND,
    BERLIN,
    ERAS,
    LOS_ANGELES,
    mcp_client,
    running_gateway,
)

TODAY = date(2026, 7, 29)


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


def fake_at(moment: datetime) -> FakeIntervals:
    return FakeIntervals(today=TODAY, now=lambda: moment)


def local(tz: str, day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZoneInfo(tz)).astimezone(UTC)


def add_activity(fake: FakeIntervals, athlete: str, activity_id: str, start_local: str) -> None:
    data = fake.athletes[athlete].activities
    template = next(a for a in data.values() if a.get("source") != "STRAVA")
    activity = copy.deepcopy(template)
    activity.update(id=activity_id, start_date_local=start_local, name=f"Late {activity_id}")
    data[activity_id] = activity


@pytest.mark.parametrize("era", ERAS)
async def test_get_activities_window_limit_and_compact_answer(
    tmp_path: Path, database_url: str, era: str
) -> None:
    fake = fake_at(local(BERLIN.timezone, TODAY, time(12)))
    add_activity(fake, BERLIN.id, "i990001", "2026-07-20T09:00:00")
    fake.athletes[BERLIN.id].activities["i990001"].update(average_heartrate=None, name=None)
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(local(BERLIN.timezone, TODAY, time(12)))
        caller = await gw.seed(BERLIN)
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            result = await client.call_tool(
                "get_activities", {"start_date": "2026-07-01", "end_date": "2026-07-20", "limit": 4}
            )
    assert result.is_error is False
    calls = fake.requests.matching("GET", "/api/v1/athlete/i100002/activities")
    assert [c.query for c in calls] == [
        {"oldest": "2026-07-01", "newest": "2026-07-20T23:59:59", "limit": "4"}
    ]
    answer = result.structured_content
    assert answer is not None
    assert answer["count"] == 4 and answer["more_available"] is True
    assert answer["oldest"] == "2026-07-01" and answer["newest"] == "2026-07-20"
    assert answer["timezone"] == "Europe/Berlin"
    first = answer["activities"][0]
    assert first["id"] == "i990001" and first["start_date_local"] == "2026-07-20T09:00:00"
    assert "avg_hr_bpm" not in first and "name" not in first  # nulls dropped
    assert no_nulls(answer)
    dates = [a["start_date_local"][:10] for a in answer["activities"]]
    assert dates == sorted(dates, reverse=True) and all(
        "2026-07-01" <= d <= "2026-07-20" for d in dates
    )
    assert "elapsed_time_s" not in first  # summary by default
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("4 activities 2026-07-01..2026-07-20 (Europe/Berlin)")
    assert "[i990001]" in text
    assert len(text) < 1200


@pytest.mark.parametrize("era", ERAS)
async def test_activity_details_and_intervals_check_ownership(
    tmp_path: Path, database_url: str, era: str
) -> None:
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    mine = next(
        a["id"]
        for a in reversed(fake.athletes[AUCKLAND.id].activities.values())
        if a["type"] in ("Ride", "VirtualRide")
    )
    coach_key_activity = next(iter(fake.athletes[BERLIN.id].activities))
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            details = await client.call_tool("get_activity_details", {"activity_id": mine})
            intervals = await client.call_tool(
                "get_activity_intervals", {"activity_id": mine, "detail": True}
            )
            missing = await client.call_tool("get_activity_details", {"activity_id": "i1"})
            foreign = await client.call_tool(
                "get_activity_details", {"activity_id": coach_key_activity}
            )
            bad = await client.call_tool("get_activity_details", {"activity_id": "../athlete"})
    assert details.is_error is False and details.structured_content is not None
    activity = details.structured_content["activity"]
    assert (
        activity["id"] == mine and "elapsed_time_s" in activity and "normalized_power_w" in activity
    )
    assert no_nulls(details.structured_content)
    assert intervals.is_error is False and intervals.structured_content is not None
    assert (
        intervals.structured_content["count"] == len(intervals.structured_content["intervals"]) > 0
    )
    assert intervals.structured_content["groups"]
    paths = [(r.path, r.query) for r in fake.requests]
    assert (f"/api/v1/activity/{mine}", {}) in paths
    assert (f"/api/v1/activity/{mine}", {"intervals": "true"}) in paths
    assert missing.is_error and "No activity i1 found" in missing.content[0].text  # type: ignore[union-attr]
    assert foreign.is_error and "no access" in foreign.content[0].text  # type: ignore[union-attr]
    assert bad.is_error
    assert not any("athlete/athlete" in r.path or ".." in r.path for r in fake.requests)


async def test_an_object_of_another_athlete_is_never_returned(
    tmp_path: Path, database_url: str
) -> None:
    """Defense in depth: even if upstream answers, an object owned by someone else is refused."""
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    theirs = next(iter(fake.athletes[BERLIN.id].activities))
    fake.shares[AUCKLAND.id] = {BERLIN.id}  # upstream would let this key read it
    their_event = next(iter(fake.athletes[BERLIN.id].events.values()))
    fake.athletes[AUCKLAND.id].events[their_event["id"]] = their_event  # misfiled upstream
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            activity = await client.call_tool("get_activity_details", {"activity_id": theirs})
            event = await client.call_tool("get_event_by_id", {"event_id": their_event["id"]})
    assert activity.is_error and "No activity" in activity.content[0].text  # type: ignore[union-attr]
    assert event.is_error and "No event" in event.content[0].text  # type: ignore[union-attr]
    assert fake.requests.matching("GET", f"/api/v1/activity/{theirs}")[0].status == 200


@pytest.mark.parametrize("era", ERAS)
async def test_wellness_names_units_and_scales(tmp_path: Path, database_url: str, era: str) -> None:
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    fake.athletes[LOS_ANGELES.id].wellness["2026-07-27"].update(
        sleepQuality=2, soreness=1, fatigue=3, mood=2, motivation=1, stress=2
    )
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(datetime(2026, 7, 29, 18, tzinfo=UTC))
        caller = await gw.seed(LOS_ANGELES)
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            result = await client.call_tool(
                "get_wellness_data", {"start_date": "2026-07-25", "end_date": "2026-07-27"}
            )
    assert [r.query for r in fake.requests] == [{"oldest": "2026-07-25", "newest": "2026-07-27"}]
    answer = result.structured_content
    assert answer is not None and no_nulls(answer)
    assert [d["date"] for d in answer["days"]] == ["2026-07-25", "2026-07-26", "2026-07-27"]
    day = answer["days"][-1]
    assert day["sleep_quality"] == 2 and "sleep_hours" in day and "resting_hr_bpm" in day
    assert day["form_tsb"] == round(day["fitness_ctl"] - day["fatigue_atl"], 1)
    assert answer["scales"]["sleep_quality"].startswith("1-4")
    text = result.content[0].text  # type: ignore[union-attr]
    assert "sleep quality 2/4" in text and "kg" in text


@pytest.mark.parametrize("era", ERAS)
async def test_events_list_and_single_event(tmp_path: Path, database_url: str, era: str) -> None:
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(datetime(2026, 7, 29, 12, tzinfo=UTC))
        caller = await gw.seed(BERLIN)
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            listed = await client.call_tool(
                "get_events", {"start_date": "2026-07-29", "end_date": "2026-08-11", "limit": 3}
            )
            assert listed.structured_content is not None
            first = listed.structured_content["events"][0]
            single = await client.call_tool("get_event_by_id", {"event_id": first["id"]})
            missing = await client.call_tool("get_event_by_id", {"event_id": 1})
    list_call, event_call, missing_call = list(fake.requests)
    assert list_call.path == "/api/v1/athlete/i100002/events"
    assert list_call.query == {"oldest": "2026-07-29", "newest": "2026-08-11", "limit": "3"}
    assert event_call.path == f"/api/v1/athlete/i100002/events/{first['id']}"
    assert missing_call.path == "/api/v1/athlete/i100002/events/1"
    assert listed.structured_content["count"] == 3
    assert all(
        "2026-07-29" <= e["start_date_local"][:10] <= "2026-08-11"
        for e in listed.structured_content["events"]
    )
    assert no_nulls(listed.structured_content)
    assert single.structured_content is not None
    event = single.structured_content["event"]
    assert event["id"] == first["id"] and "end_date_local" in event
    assert event["description"] == fake.athletes[BERLIN.id].events[first["id"]]["description"]
    assert missing.is_error and "No event 1 found" in missing.content[0].text  # type: ignore[union-attr]


async def test_tool_list_has_schemas_annotations_and_original_names(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == [
        "get_activities",
        "get_activity_details",
        "get_activity_intervals",
        "get_wellness_data",
        "get_events",
        "get_event_by_id",
    ]
    for tool in tools:
        assert tool.output_schema and tool.output_schema["type"] == "object"
        assert tool.annotations and tool.annotations.read_only_hint is True
        assert tool.annotations.open_world_hint is True and tool.title
        assert tool.description and len(tool.description) < 200
        assert "athlete_id" not in tool.input_schema.get("properties", {})
        assert "api_key" not in tool.input_schema.get("properties", {})


async def test_bad_arguments_are_tool_errors(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            reversed_window = await client.call_tool(
                "get_activities", {"start_date": "2026-07-10", "end_date": "2026-07-01"}
            )
            not_a_date = await client.call_tool("get_wellness_data", {"start_date": "2026-02-30"})
            too_many = await client.call_tool("get_activities", {"limit": 1000})
            too_long = await client.call_tool(
                "get_wellness_data", {"start_date": "2025-01-01", "end_date": "2026-01-01"}
            )
    for result in (reversed_window, not_a_date, too_many, too_long):
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert "Traceback" not in text and len(text) < 400
    assert "swap" in reversed_window.content[0].text  # type: ignore[union-attr]
    assert len(gw.fake.requests) == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "No activities"), (429, "rate limited"), (503, "not answering"), (422, "refused")],
)
async def test_upstream_failures_are_short_tool_errors(
    tmp_path: Path, database_url: str, status: int, expected: str
) -> None:
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    fake.faults.fail(status, times=10, retry_after=1 if status == 429 else None)
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.app.state.intervals.retry = type(gw.app.state.intervals.retry)(max_attempts=1)
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            result = await client.call_tool("get_activities", {})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert expected in text and AUCKLAND.api_key not in text and len(text) < 300


@pytest.mark.parametrize(
    ("athlete", "local_time", "utc_day"),
    [
        (AUCKLAND, time(0, 5), date(2026, 7, 28)),
        (AUCKLAND, time(23, 55), date(2026, 7, 29)),
        (BERLIN, time(0, 5), date(2026, 7, 28)),
        (BERLIN, time(23, 55), date(2026, 7, 29)),
        (LOS_ANGELES, time(0, 5), date(2026, 7, 29)),
        (LOS_ANGELES, time(23, 55), date(2026, 7, 30)),
    ],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_default_windows_use_the_athletes_today_around_midnight(
    tmp_path: Path, database_url: str, athlete: Any, local_time: time, utc_day: date
) -> None:
    today = TODAY
    moment = local(athlete.timezone, today, local_time)
    assert moment.date() == utc_day  # in UTC it may be another day: the athlete's day counts
    fake = fake_at(moment)
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(moment)
        caller = await gw.seed(athlete)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            await client.call_tool("get_wellness_data", {})
            await client.call_tool("get_events", {})
            await client.call_tool("get_activities", {"limit": 1})
    wellness, events, activities = list(fake.requests)
    assert wellness.query == {
        "oldest": (today - timedelta(days=6)).isoformat(),
        "newest": today.isoformat(),
    }
    assert events.query["oldest"] == today.isoformat()
    assert events.query["newest"] == (today + timedelta(days=6)).isoformat()
    assert activities.query["newest"] == f"{today.isoformat()}T23:59:59"


@pytest.mark.parametrize("athlete", [AUCKLAND, BERLIN, LOS_ANGELES], ids=lambda a: a.timezone)
async def test_activities_stay_on_their_local_day(
    tmp_path: Path, database_url: str, athlete: Any
) -> None:
    """An activity just before local midnight belongs to that day, whatever the UTC date."""
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    add_activity(fake, athlete.id, "i990010", "2026-07-29T23:58:00")
    add_activity(fake, athlete.id, "i990011", "2026-07-30T00:02:00")
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        caller = await gw.seed(athlete)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            day = await client.call_tool(
                "get_activities", {"start_date": "2026-07-29", "end_date": "2026-07-29"}
            )
            next_day = await client.call_tool(
                "get_activities", {"start_date": "2026-07-30", "end_date": "2026-07-30"}
            )
    assert day.structured_content is not None and next_day.structured_content is not None
    on_day = {a["id"]: a for a in day.structured_content["activities"]}
    assert on_day["i990010"]["start_date_local"] == "2026-07-29T23:58:00"
    assert "i990011" not in on_day
    assert [a["id"] for a in next_day.structured_content["activities"]] == ["i990011"]
