"""Every tool that lists activities or wellness validates only the fields it asks upstream for
(``list_activities``/``list_wellness(only_fields=True)``, session ``_reading``), and answers
exactly as when the same upstream objects are read as whole models; an attribute a tool reads
without asking for it fails loudly instead of reading as a default."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from app.intervals import session as session_module
from app.intervals.models import Activity
from app.intervals.session import _many, _reading
from app.mcp.tools.catalog.compare_sessions import MATCH_FIELDS, listed_whole
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
from tests.mcp.tools.activity_picks import newest
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    LOS_ANGELES,
    Answer,
    ToolBench,
    coach_bench,
    fake_at,
)

NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)
COACH = next(a for a in DEMO_ATHLETES if a.id == "i100004")
"""Stands for the fake's coach: the case runs on :func:`coach_bench` (her roster)."""
WHOLE_HALF_YEAR = {"start_date": "2026-02-01", "end_date": "2026-07-28"}
LAST_MONTH = {"start_date": "2026-06-29", "end_date": "2026-07-28"}


def paired_event(fake: FakeIntervals, athlete: str) -> int:
    """An event of the athlete's calendar that a recorded activity is paired with."""
    data = fake.athletes[athlete]
    return next(
        int(a["paired_event_id"])
        for a in sorted(data.activities.values(), key=lambda a: str(a["start_date_local"]))
        if a.get("paired_event_id") and a["paired_event_id"] in data.events
    )


Arguments = Callable[[FakeIntervals, str], dict[str, Any]]
CASES: list[tuple[str, DemoAthlete, Arguments]] = [
    ("search_activities", AUCKLAND, lambda f, a: {**WHOLE_HALF_YEAR, "limit": 100}),
    ("search_activities", LOS_ANGELES, lambda f, a: {**WHOLE_HALF_YEAR, "type": "run"}),
    ("search_activities", BERLIN, lambda f, a: {**WHOLE_HALF_YEAR, "tag": "long"}),
    ("get_training_summary", LOS_ANGELES, lambda f, a: WHOLE_HALF_YEAR),
    ("get_intensity_distribution", AUCKLAND, lambda f, a: WHOLE_HALF_YEAR),
    ("get_intensity_distribution", LOS_ANGELES, lambda f, a: WHOLE_HALF_YEAR),
    ("get_weekly_review", LOS_ANGELES, lambda f, a: {"week_of": "2026-07-20"}),
    ("get_weekly_review", BERLIN, lambda f, a: {}),
    (
        "compare_sessions",
        AUCKLAND,
        lambda f, a: {"activity_id": newest(f, a, "VirtualRide")["id"], "days_back": 365},
    ),
    (
        "compare_sessions",
        LOS_ANGELES,
        lambda f, a: {"activity_id": newest(f, a, "Run")["id"], "days_back": 365},
    ),
    ("delete_event", BERLIN, lambda f, a: {"event_id": paired_event(f, a)}),
    # activities-around takes no fields=: the fields read are validated, the rest dropped
    (
        "get_activities_around",
        AUCKLAND,
        lambda f, a: {"activity_id": newest(f, a, "Run")["id"], "limit": 30},
    ),
    (
        "get_activities_around",
        LOS_ANGELES,
        lambda f, a: {"activity_id": newest(f, a, "Ride", "Run")["id"], "limit": 12},
    ),
    # wellness lists (list_wellness(only_fields=True))
    ("get_wellness_data", LOS_ANGELES, lambda f, a: {**LAST_MONTH, "detail": True}),
    ("get_fitness", AUCKLAND, lambda f, a: {**LAST_MONTH, "step": "day"}),
    ("get_load_metrics", BERLIN, lambda f, a: LAST_MONTH),
    ("get_readiness", LOS_ANGELES, lambda f, a: {}),
    ("get_readiness", AUCKLAND, lambda f, a: {}),
    ("check_goal", AUCKLAND, lambda f, a: {"ftp_w": 300}),
    ("check_goal", BERLIN, lambda f, a: {"race_km": 10, "race_time": "45:00"}),
    ("project_fitness", AUCKLAND, lambda f, a: {"target_date": "2026-09-20"}),
    (
        "create_event",  # the load guardrails read the fitness of the past week
        AUCKLAND,
        lambda f, a: {"category": "WORKOUT", "date": "2026-07-30", "name": "Epic", "load": 400},
    ),
    ("get_roster_triage", COACH, lambda f, a: {}),
]


def comparable(answer: Answer) -> str:
    """The answer without its one random part (a preview's confirmation token)."""
    whole = json.dumps([answer.is_error, answer.text, answer.structured], sort_keys=True)
    return re.sub(r"chg_[\w-]+", "chg_X", whole)


async def answer(
    monkeypatch: pytest.MonkeyPatch,
    reading: Callable[..., type[Activity]],
    tool: str,
    athlete: DemoAthlete,
    arguments: Arguments,
) -> Answer:
    """The tool's answer on a fresh fake, activities listed with ``reading`` as the model."""
    fake = fake_at(NOON)
    bench = coach_bench(fake, NOON) if athlete is COACH else ToolBench(fake, athlete, NOON)
    with monkeypatch.context() as patched:
        patched.setattr(session_module, "_reading", reading)
        return await bench.call(tool, arguments(fake, athlete.id))


@pytest.mark.parametrize(
    ("tool", "athlete", "arguments"),
    CASES,
    ids=[f"{tool}-{athlete.timezone.split('/')[1]}" for tool, athlete, _ in CASES],
)
async def test_a_listing_tool_reads_only_what_it_asked_for_and_answers_as_from_whole_models(
    monkeypatch: pytest.MonkeyPatch, tool: str, athlete: DemoAthlete, arguments: Arguments
) -> None:
    asked: list[tuple[str, ...]] = []

    def recorded(model: type[Activity], fields: tuple[str, ...], **how: bool) -> type[Activity]:
        asked.append(fields)
        return _reading(model, fields, **how)

    cut = await answer(monkeypatch, recorded, tool, athlete, arguments)
    assert not cut.is_error, cut.text
    assert asked, f"{tool} lists activities validating every field of the model"
    whole = await answer(monkeypatch, lambda model, *_, **__: model, tool, athlete, arguments)
    assert comparable(cut) == comparable(whole)


def test_an_attribute_not_asked_for_fails_loudly() -> None:
    """A tool reading an attribute its ``fields`` left out gets an error, not a default:
    ``is_stub`` reads ``_note``, so a list asked without ``_note`` cannot answer it."""
    payload = [{"id": "i17", "start_date_local": "2026-07-20T09:00:00", "source": "STRAVA"}]
    (read,) = _many(_reading(Activity, ("id", "start_date_local", "source")), payload, "x")
    assert read.source == "STRAVA"
    with pytest.raises(AttributeError):
        _ = read.name
    with pytest.raises(AttributeError):
        _ = read.is_stub


def test_an_earlier_session_the_detail_fetch_missed_is_read_whole_as_listed() -> None:
    """compare_sessions: a matched session upstream did not return in detail is shown from
    its listed fields, as the whole model reads them (every other field at its default)."""
    listed = {
        "id": "i17",
        "start_date_local": "2026-07-20T09:00:00",
        "type": "Run",
        "name": "Easy run",
        "interval_summary": ["1x 45m"],
    }
    fields = ("id", "start_date_local", *MATCH_FIELDS)
    (read,) = _many(_reading(Activity, fields), [dict(listed)], "activities")
    (full,) = _many(Activity, [dict(listed)], "activities")
    assert listed_whole(read) == full


def test_a_field_not_read_from_a_whole_object_is_dropped_not_handed_back_raw() -> None:
    """activities-around sends every field (no ``fields=``): the fields a tool reads are
    validated, the others dropped unread, so reading one still fails loudly."""
    payload = [
        {
            "id": "i17",
            "start_date_local": "2026-07-20T09:00:00",
            "name": "Easy run",
            "icu_zone_times": "not zone times",
            "mystery": 1,
        }
    ]
    model = _reading(Activity, ("id", "start_date_local", "name"), rest_dropped=True)
    (read,) = _many(model, payload, "activities")
    assert read.name == "Easy run"
    for unread in ("icu_zone_times", "mystery", "type"):
        with pytest.raises(AttributeError):
            getattr(read, unread)
