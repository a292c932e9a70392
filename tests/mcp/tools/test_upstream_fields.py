"""``fields=`` on the two list endpoints that take it (activities, wellness): each tool asks only
for what its answer reads, and still answers exactly as from the full upstream objects (the
fake Intervals.icu honours ``fields`` as upstream does: only those keys, nulls dropped)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.intervals.errors import UnexpectedPayload
from app.intervals.models import Activity, Athlete, Wellness
from app.intervals.session import _many, _reading
from app.mcp.tools.catalog._activity import (
    SUMMARY_READS,
    ActivityDetail,
    ActivitySummary,
    pace_units_for,
)
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.catalog.get_wellness_data import WellnessDay, WellnessDayDetail
from tests.mcp.tools.activity_picks import strava_stub
from tests.mcp.tools.harness import AUCKLAND, LOS_ANGELES, ToolBench, fake_at

NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


def sent_fields(bench: ToolBench, path: str) -> list[str]:
    (call,) = bench.fake.requests.matching("GET", path)
    return call.query["fields"].split(",")


async def expected_activities(
    bench: ToolBench, ids: list[str], detail: bool
) -> list[dict[str, Any]]:
    """The answer's activities as built from the fake's full objects (no ``fields``)."""
    full = [
        Activity.model_validate(copy.deepcopy(bench.fake.athletes[bench.athlete.id].activities[i]))
        for i in ids
    ]
    async with bench.open() as ctx:
        pace = await pace_units_for(ctx, [a.type for a in full])
    shape = ActivityDetail if detail else ActivitySummary
    return [shape.from_upstream(a, pace).model_dump(mode="json", exclude_none=True) for a in full]


@pytest.mark.parametrize("detail", [False, True], ids=["summary", "detail"])
async def test_activities_ask_only_for_what_the_answer_reads(detail: bool) -> None:
    bench = ToolBench(fake_at(NOON), AUCKLAND, NOON)
    args = {"start_date": "2026-06-29", "end_date": "2026-07-28", "limit": 100, "detail": detail}
    result = await bench.call("get_activities", args)
    assert not result.is_error and result.structured is not None, result.text
    fields = sent_fields(bench, "/athlete/i100001/activities")
    assert {"id", "start_date_local", "name", "moving_time", "_note"} <= set(fields)
    assert ("description" in fields) is detail and ("icu_rpe" in fields) is detail
    assert "icu_zone_times" not in fields and "stream_types" not in fields
    answered = result.structured["activities"]
    assert len(answered) > 10
    expected = await expected_activities(bench, [a["id"] for a in answered], detail)
    assert answered == expected


async def test_a_strava_stub_is_still_named_with_fields() -> None:
    bench = ToolBench(fake_at(NOON), LOS_ANGELES, NOON)  # Sam imports from Strava
    stub = strava_stub(bench.fake, LOS_ANGELES.id)
    day = str(stub["start_date_local"])[:10]
    result = await bench.call("get_activities", {"start_date": day, "end_date": day})
    notes = [a.get("note") for a in (result.structured or {}).get("activities", [])]
    assert "Imported from Strava" in " ".join(n or "" for n in notes), result.text


@pytest.mark.parametrize("detail", [False, True], ids=["summary", "detail"])
async def test_wellness_asks_only_for_what_the_answer_reads(detail: bool) -> None:
    bench = ToolBench(fake_at(NOON), LOS_ANGELES, NOON)
    first, last = date(2026, 7, 1), date(2026, 7, 28)
    args = {"start_date": first.isoformat(), "end_date": last.isoformat(), "detail": detail}
    result = await bench.call("get_wellness_data", args)
    assert not result.is_error and result.structured is not None, result.text
    fields = sent_fields(bench, "/athlete/i100003/wellness")
    assert {"id", "ctl", "atl", "rampRate", "restingHR", "sleepSecs", "comments"} <= set(fields)
    assert ("spO2" in fields) is detail and ("hrvSDNN" in fields) is detail
    assert "sportInfo" not in fields and "ctlLoad" not in fields
    stored = bench.fake.athletes[LOS_ANGELES.id].wellness
    shape = WellnessDayDetail if detail else WellnessDay
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    built = [
        shape.from_upstream(Wellness.model_validate(copy.deepcopy(stored[d.isoformat()])))
        for d in days
        if d.isoformat() in stored
    ]
    expected = [d.model_dump(mode="json", exclude_none=True) for d in built if d.has_data()]
    assert len(expected) > 20
    assert result.structured["days"] == expected


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x17", "start_date_local": "2026-07-20T09:00:00"},
        {"id": "17", "start_date_local": "soon"},
        {"id": "17"},
        {"id": "17", "start_date_local": "2026-07-20T09:00:00", "icu_training_load": "lots"},
        {"id": "17", "start_date_local": "2026-07-20T09:00:00", "_note": 3},
        "not an activity",
    ],
)
def test_reading_only_the_fields_asked_refuses_a_payload_as_the_whole_model_does(
    bad: object,
) -> None:
    """``list_activities(only_fields=True)`` validates only what was asked for (session
    ``_reading``), and words a refusal exactly as the whole :class:`Activity` would."""
    fields = ("id", "start_date_local", *upstream_fields(Activity, *SUMMARY_READS))
    good = {"id": 18, "start_date_local": "2026-07-21T10:00:00Z", "distance": 12, "_note": "x"}
    payload = [good, bad]
    with pytest.raises(UnexpectedPayload) as whole:
        _many(Activity, payload, "activities")
    with pytest.raises(UnexpectedPayload) as cut:
        _many(_reading(Activity, fields), payload, "activities")
    assert str(cut.value) == str(whole.value)
    (read,) = _many(_reading(Activity, fields), [good], "activities")
    (full,) = _many(Activity, [good], "activities")
    assert {name: getattr(read, name) for name in ("id", "start_date_local", *SUMMARY_READS)} == {
        name: getattr(full, name) for name in ("id", "start_date_local", *SUMMARY_READS)
    }
    assert read.is_stub is full.is_stub is True


def test_reading_only_some_fields_keeps_the_models_own_validators() -> None:
    """A cut-down reading of a model with validators of its own (an athlete record drops the
    athlete's API key while parsing) still runs them: the key never reaches the answer."""
    payload = {"id": "i100002", "name": "Lena", "icu_api_key": "secret-key", "api_key": "k"}
    (read,) = _many(_reading(Athlete, ("id", "name")), [payload], "athletes")
    assert read.name == "Lena"
    assert "secret-key" not in repr(read) and "secret-key" not in read.model_dump_json()
