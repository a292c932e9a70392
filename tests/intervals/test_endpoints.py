"""Every session method sends exactly the documented request (method, path, query, body) and
parses the fake's answer into typed models."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest

from app.intervals import AthleteSession
from app.intervals.models import (
    Activity,
    ActivityUpdate,
    EventWrite,
    WellnessUpdate,
)
from tests.fake_intervals import FakeIntervals
from tests.intervals.conftest import LENA

A = "/api/v1/athlete/0"


def first_activity(fake: FakeIntervals) -> str:
    acts = fake.athletes[LENA.id].activities
    return next(a for a in reversed(list(acts)) if acts[a].get("source") != "STRAVA")


def first_event(fake: FakeIntervals, category: str = "WORKOUT") -> int:
    events = fake.athletes[LENA.id].events.values()
    return next(e["id"] for e in events if e["category"] == category)


def folder_id(fake: FakeIntervals) -> int:
    return next(iter(fake.athletes[LENA.id].folders))


def workout_id(fake: FakeIntervals) -> int:
    return next(iter(fake.athletes[LENA.id].workouts))


Call = Callable[[AthleteSession, FakeIntervals], Awaitable[Any]]
CASES: list[tuple[str, Call, str, str | Callable[[FakeIntervals], str], dict[str, str], Any]] = [
    ("get_athlete", lambda s, f: s.get_athlete(), "GET", A, {}, None),
    ("list_athletes", lambda s, f: s.list_athletes(), "GET", "/api/v1/athletes", {}, None),
    (
        "get_athlete_summary",
        lambda s, f: s.get_athlete_summary("2026-04-13", date(2026, 4, 30)),
        "GET",
        f"{A}/athlete-summary",
        {"start": "2026-04-13", "end": "2026-04-30"},
        None,
    ),
    (
        "list_activities",
        lambda s, f: s.list_activities(date(2026, 4, 1), "2026-04-30", limit=5, fields=["name"]),
        "GET",
        f"{A}/activities",
        {
            "oldest": "2026-04-01",
            "newest": "2026-04-30",
            "limit": "5",
            "fields": "id,start_date_local,name",
        },
        None,
    ),
    (
        "search_activities",
        lambda s, f: s.search_activities("sweet spot", limit=3),
        "GET",
        f"{A}/activities/search",
        {"q": "sweet spot", "limit": "3"},
        None,
    ),
    (
        "search_activities_full",
        lambda s, f: s.search_activities_full("#race"),
        "GET",
        f"{A}/activities/search-full",
        {"q": "#race"},
        None,
    ),
    (
        "list_activity_tags",
        lambda s, f: s.list_activity_tags(),
        "GET",
        f"{A}/activity-tags",
        {},
        None,
    ),
    (
        "activities_around",
        lambda s, f: s.activities_around(first_activity(f), limit=4),
        "GET",
        f"{A}/activities-around",
        {"activity_id": "<act>", "limit": "4"},
        None,
    ),
    (
        "get_activity",
        lambda s, f: s.get_activity(first_activity(f), intervals=True),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}",
        {"intervals": "true"},
        None,
    ),
    (
        "get_activities",
        lambda s, f: s.get_activities([first_activity(f)]),
        "GET",
        lambda f: f"{A}/activities/{first_activity(f)}",
        {},
        None,
    ),
    (
        "get_intervals",
        lambda s, f: s.get_intervals(first_activity(f)),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/intervals",
        {},
        None,
    ),
    (
        "get_streams",
        lambda s, f: s.get_streams(first_activity(f), ["heartrate", "time"]),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/streams.json",
        {"types": "heartrate,time"},
        None,
    ),
    (
        "get_best_efforts",
        lambda s, f: s.get_best_efforts(first_activity(f), "heartrate", duration=300, count=2),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/best-efforts",
        {"stream": "heartrate", "duration": "300", "count": "2"},
        None,
    ),
    (
        "get_histogram",
        lambda s, f: s.get_histogram(first_activity(f), "hr", bucket_size=10),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/hr-histogram",
        {"bucketSize": "10"},
        None,
    ),
    (
        "list_messages",
        lambda s, f: s.list_messages(first_activity(f), since_id=1, limit=10),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/messages",
        {"sinceId": "1", "limit": "10"},
        None,
    ),
    (
        "add_message",
        lambda s, f: s.add_message(first_activity(f), "Nice one"),
        "POST",
        lambda f: f"/api/v1/activity/{first_activity(f)}/messages",
        {},
        {"content": "Nice one"},
    ),
    (
        "update_activity",
        lambda s, f: s.update_activity(first_activity(f), ActivityUpdate(name="Renamed", feel=-1)),
        "PUT",
        lambda f: f"/api/v1/activity/{first_activity(f)}",
        {},
        {"name": "Renamed", "feel": -1},
    ),
    (
        "get_activity_curve",
        lambda s, f: s.get_activity_curve(first_activity(f), "pace", gap=True),
        "GET",
        lambda f: f"/api/v1/activity/{first_activity(f)}/pace-curve.json",
        {"gap": "true"},
        None,
    ),
    (
        "get_power_curves",
        lambda s, f: s.get_power_curves("Ride", curves=["1y", "42d"], newest="2026-04-30"),
        "GET",
        f"{A}/power-curves",
        {"type": "Ride", "curves": "1y,42d", "newest": "2026-04-30"},
        None,
    ),
    (
        "get_hr_curves",
        lambda s, f: s.get_hr_curves("Run"),
        "GET",
        f"{A}/hr-curves",
        {"type": "Run"},
        None,
    ),
    (
        "get_pace_curves",
        lambda s, f: s.get_pace_curves("Run", gap=True),
        "GET",
        f"{A}/pace-curves",
        {"type": "Run", "gap": "true"},
        None,
    ),
    (
        "list_wellness",
        lambda s, f: s.list_wellness("2026-04-24", date(2026, 4, 30)),
        "GET",
        f"{A}/wellness",
        {"oldest": "2026-04-24", "newest": "2026-04-30"},
        None,
    ),
    (
        "get_wellness",
        lambda s, f: s.get_wellness("2026-04-30"),
        "GET",
        f"{A}/wellness/2026-04-30",
        {},
        None,
    ),
    (
        "update_wellness",
        lambda s, f: s.update_wellness(
            "2026-04-30", WellnessUpdate(resting_hr=47, sleep_secs=27000, soreness=-1)
        ),
        "PUT",
        f"{A}/wellness/2026-04-30",
        {},
        {"restingHR": 47, "sleepSecs": 27000, "soreness": -1, "id": "2026-04-30"},
    ),
    (
        "update_wellness_bulk",
        lambda s, f: s.update_wellness_bulk(
            [{"id": "2026-04-29", "weight": 70.5}, WellnessUpdate(id=date(2026, 4, 30), hrv=60)]
        ),
        "PUT",
        f"{A}/wellness-bulk",
        {},
        [{"id": "2026-04-29", "weight": 70.5}, {"id": "2026-04-30", "hrv": 60.0}],
    ),
    (
        "list_events",
        lambda s, f: s.list_events(
            "2026-05-01", "2026-05-07", category=["WORKOUT", "NOTE"], limit=10
        ),
        "GET",
        f"{A}/events",
        {"oldest": "2026-05-01", "newest": "2026-05-07", "category": "WORKOUT,NOTE", "limit": "10"},
        None,
    ),
    (
        "get_event",
        lambda s, f: s.get_event(first_event(f)),
        "GET",
        lambda f: f"{A}/events/{first_event(f)}",
        {},
        None,
    ),
    (
        "create_event",
        lambda s, f: s.create_event(
            EventWrite(
                category="WORKOUT",
                start_date_local=date(2026, 5, 3),
                type="Ride",
                name="Tempo",
                description="- Tempo 20m 80%",
            )
        ),
        "POST",
        f"{A}/events",
        {},
        {
            "category": "WORKOUT",
            "start_date_local": "2026-05-03T00:00:00",
            "type": "Ride",
            "name": "Tempo",
            "description": "- Tempo 20m 80%",
        },
    ),
    (
        "update_event",
        lambda s, f: s.update_event(first_event(f), {"name": "Moved", "moving_time": -1}),
        "PUT",
        lambda f: f"{A}/events/{first_event(f)}",
        {},
        {"name": "Moved", "moving_time": -1},
    ),
    (
        "delete_event",
        lambda s, f: s.delete_event(first_event(f, "NOTE"), others=False),
        "DELETE",
        lambda f: f"{A}/events/{first_event(f, 'NOTE')}",
        {"others": "false"},
        None,
    ),
    (
        "create_events_bulk",
        lambda s, f: s.create_events_bulk(
            [
                {
                    "category": "NOTE",
                    "start_date_local": "2026-05-04",
                    "name": "Rest",
                    "external_id": "n-1",
                }
            ],
            upsert=True,
        ),
        "POST",
        f"{A}/events/bulk",
        {"upsert": "true"},
        [
            {
                "category": "NOTE",
                "start_date_local": "2026-05-04T00:00:00",
                "name": "Rest",
                "external_id": "n-1",
            }
        ],
    ),
    (
        "delete_events_bulk",
        lambda s, f: s.delete_events_bulk(event_ids=[first_event(f)], external_ids=["x-9"]),
        "PUT",
        f"{A}/events/bulk-delete",
        {},
        lambda f: [{"id": first_event(f)}, {"external_id": "x-9"}],
    ),
    (
        "duplicate_events",
        lambda s, f: s.duplicate_events([first_event(f)], num_copies=2, weeks_between=1),
        "POST",
        f"{A}/duplicate-events",
        {},
        lambda f: {"eventIds": [first_event(f)], "numCopies": 2, "weeksBetween": 1},
    ),
    (
        "mark_event_done",
        lambda s, f: s.mark_event_done(first_event(f)),
        "POST",
        lambda f: f"{A}/events/{first_event(f)}/mark-done",
        {},
        None,
    ),
    ("list_folders", lambda s, f: s.list_folders(), "GET", f"{A}/folders", {}, None),
    ("list_workouts", lambda s, f: s.list_workouts(), "GET", f"{A}/workouts", {}, None),
    (
        "get_workout",
        lambda s, f: s.get_workout(workout_id(f)),
        "GET",
        lambda f: f"{A}/workouts/{workout_id(f)}",
        {},
        None,
    ),
    (
        "get_training_plan",
        lambda s, f: s.get_training_plan(),
        "GET",
        f"{A}/training-plan",
        {},
        None,
    ),
    (
        "create_workout",
        lambda s, f: s.create_workout(
            {
                "folder_id": folder_id(f),
                "name": "Hills",
                "description": "- Hill 2m 110%",
                "type": "Ride",
            }
        ),
        "POST",
        f"{A}/workouts",
        {},
        lambda f: {
            "folder_id": folder_id(f),
            "name": "Hills",
            "description": "- Hill 2m 110%",
            "type": "Ride",
        },
    ),
    (
        "update_workout",
        lambda s, f: s.update_workout(
            workout_id(f), {"name": "Hills 2", "description": "- 3m 95%"}
        ),
        "PUT",
        lambda f: f"{A}/workouts/{workout_id(f)}",
        {},
        {"name": "Hills 2", "description": "- 3m 95%"},
    ),
    (
        "delete_workout",
        lambda s, f: s.delete_workout(workout_id(f)),
        "DELETE",
        lambda f: f"{A}/workouts/{workout_id(f)}",
        {},
        None,
    ),
    (
        "delete_folder",
        lambda s, f: s.delete_folder(folder_id(f)),
        "DELETE",
        lambda f: f"{A}/folders/{folder_id(f)}",
        {},
        None,
    ),
    (
        "create_folder",
        lambda s, f: s.create_folder({"name": "Hill block", "type": "FOLDER"}),
        "POST",
        f"{A}/folders",
        {},
        {"type": "FOLDER", "name": "Hill block"},
    ),
    (
        "update_folder",
        lambda s, f: s.update_folder(folder_id(f), {"description": "Climbing"}),
        "PUT",
        lambda f: f"{A}/folders/{folder_id(f)}",
        {},
        {"description": "Climbing"},
    ),
    (
        "list_sport_settings",
        lambda s, f: s.list_sport_settings(),
        "GET",
        f"{A}/sport-settings",
        {},
        None,
    ),
    (
        "get_sport_settings",
        lambda s, f: s.get_sport_settings("Ride"),
        "GET",
        f"{A}/sport-settings/Ride",
        {},
        None,
    ),
    (
        "update_sport_settings",
        lambda s, f: s.update_sport_settings("Ride", {"ftp": 265}, recalc_hr_zones=False),
        "PUT",
        f"{A}/sport-settings/Ride",
        {"recalcHrZones": "false"},
        {"ftp": 265},
    ),
    ("list_gear", lambda s, f: s.list_gear(), "GET", f"{A}/gear", {}, None),
    ("list_custom_items", lambda s, f: s.list_custom_items(), "GET", f"{A}/custom-item", {}, None),
    (
        "get_custom_item",
        lambda s, f: s.get_custom_item(next(iter(f.athletes[LENA.id].custom_items))),
        "GET",
        lambda f: f"{A}/custom-item/{next(iter(f.athletes[LENA.id].custom_items))}",
        {},
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "query", "body"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
async def test_exact_request_reaches_fake(
    fake: FakeIntervals,
    lena: AthleteSession,
    call: Call,
    method: str,
    path: str | Callable[[FakeIntervals], str],
    query: dict[str, str],
    body: Any,
) -> None:
    expected_path = path(fake) if callable(path) else path
    expected_body = body(fake) if callable(body) else body
    expected_query = {k: (first_activity(fake) if v == "<act>" else v) for k, v in query.items()}
    await call(lena, fake)
    assert len(fake.requests) == 1
    seen = fake.requests.last
    assert (seen.method, seen.path, seen.query, seen.json) == (
        method,
        expected_path,
        expected_query,
        expected_body,
    )
    assert seen.auth == "basic" and seen.athlete == LENA.id
    assert seen.status == 200


def test_every_session_method_is_covered() -> None:
    public = {
        name
        for name in vars(AthleteSession)
        if not name.startswith("_") and callable(getattr(AthleteSession, name))
    }
    covered = {case[0] for case in CASES} | {
        "disconnect_app",  # OAuth: test_fake_oauth
        "missing_permission",  # no request: the write preview's permission check
    }
    assert public == covered


async def test_results_are_typed_and_local(fake: FakeIntervals, lena: AthleteSession) -> None:
    acts = await lena.list_activities("2026-04-01", "2026-04-30")
    assert acts and all(isinstance(a, Activity) for a in acts)
    assert [a.start_date_local for a in acts] == sorted(
        (a.start_date_local for a in acts), reverse=True
    )
    assert all(datetime(2026, 4, 1) <= a.start_date_local < datetime(2026, 5, 1) for a in acts)
    detailed = await lena.get_activity(first_activity(fake), intervals=True)
    assert detailed.icu_intervals and detailed.icu_intervals[0].start_index == 0
    wellness = await lena.list_wellness("2026-04-24", "2026-04-30")
    assert [w.id for w in wellness] == [date(2026, 4, d) for d in range(24, 31)]
    assert all(w.ctl is not None and w.resting_hr for w in wellness)
    assert wellness[0].model_extra and "HeartMathCoherence" in wellness[0].model_extra
    created = await lena.create_event(
        {
            "category": "WORKOUT",
            "start_date_local": "2026-05-03",
            "type": "Ride",
            "name": "Tempo",
            "description": "3x\n- Tempo 10m 85%\n- Easy 5m 55%",
        }
    )
    assert created.workout_doc and created.workout_doc["duration"] == 2700
