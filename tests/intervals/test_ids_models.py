"""Identifier validation (nothing unsafe reaches a URL) and lenient-but-strict models."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.intervals import AthleteSession, InvalidId, UnexpectedPayload, ids
from app.intervals.models import (
    Activity,
    ActivityCurve,
    Athlete,
    AthleteTrainingPlan,
    EventWrite,
    WeekSummary,
    Wellness,
)
from tests.fake_intervals import FakeIntervals


@pytest.mark.parametrize("value", ["i123", "123", "0", 42])
def test_athlete_ids_accepted(value: str | int) -> None:
    assert ids.athlete_id(value) == str(value)


@pytest.mark.parametrize("value", ["", "i", "0123", "i12/../34", "me", "i-1", "123?x=1"])
def test_athlete_ids_rejected(value: str) -> None:
    with pytest.raises(InvalidId):
        ids.athlete_id(value)


async def test_invalid_ids_never_reach_upstream(lena: AthleteSession, fake: FakeIntervals) -> None:
    with pytest.raises(InvalidId):
        await lena.get_activity("i1/../../athlete/2")
    with pytest.raises(InvalidId):
        await lena.get_wellness("2026-02-30")
    with pytest.raises(InvalidId):
        await lena.list_activities("last week")
    with pytest.raises(ValueError):
        await lena.get_best_efforts("i1", "watts")  # neither duration nor distance
    assert len(fake.requests) == 0


def test_models_lenient_with_nulls_and_unknown_keys() -> None:
    act = Activity.model_validate(
        {
            "id": "i1",
            "start_date_local": "2026-04-30T06:00:00",
            "tags": None,
            "icu_intervals": None,
            "MyCustomField": 3,
        }
    )
    assert act.tags == [] and act.icu_intervals == [] and act.model_extra == {"MyCustomField": 3}
    assert act.start_date_local == datetime(2026, 4, 30, 6, 0)  # local, no zone
    w = Wellness.model_validate(
        {"id": "2026-04-30", "restingHR": 44, "sleepSecs": 3600, "sportInfo": None}
    )
    assert (w.id, w.resting_hr, w.sleep_secs, w.sport_info) == (date(2026, 4, 30), 44, 3600, [])


@pytest.mark.parametrize(
    "payload",
    [
        {"start_date_local": "2026-04-30T06:00:00"},
        {"id": "x/1", "start_date_local": "2026-04-30T06:00:00"},
        {"id": "i1", "start_date_local": "soon"},
    ],
)
def test_models_strict_on_ids_and_dates(payload: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Activity.model_validate(payload)


@pytest.mark.parametrize("value", [170317118, "170317118", "i170317118"])
def test_numeric_ids_are_read_as_their_digits(value: int | str) -> None:
    act = Activity.model_validate(
        {"id": value, "icu_athlete_id": 100002, "start_date_local": "2026-04-30T06:00:00"}
    )
    assert act.id == str(value) and act.icu_athlete_id == "100002"


@pytest.mark.parametrize("value", [True, 1.5, 170317118.0, -1, "i-1", 10**21])
def test_ids_that_are_not_whole_numbers_or_id_text_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        Activity.model_validate({"id": value, "start_date_local": "2026-04-30T06:00:00"})
    with pytest.raises(ValueError):
        Activity.model_validate(
            {"id": "i1", "icu_athlete_id": value, "start_date_local": "2026-04-30T06:00:00"}
        )


def test_event_dates_are_local() -> None:
    assert EventWrite(start_date_local=date(2026, 5, 3)).model_dump(
        mode="json", exclude_unset=True
    ) == {"start_date_local": "2026-05-03T00:00:00"}
    with pytest.raises(ValueError):
        EventWrite(start_date_local=datetime.fromisoformat("2026-05-03T06:00:00+02:00"))


def test_athlete_model_drops_api_key() -> None:
    athlete = Athlete.model_validate({"id": "i1", "icu_api_key": "secret-1", "sportSettings": None})
    assert "secret-1" not in athlete.model_dump_json() and athlete.sport_settings == []


async def test_unexpected_shape_reported(lena: AthleteSession, fake: FakeIntervals) -> None:
    fake.athletes["i100002"].events.clear()
    fake.athletes["i100002"].events[1] = {
        "id": "not-a-number",
        "category": "NOTE",
        "start_date_local": "2026-05-01T00:00:00",
    }
    with pytest.raises(UnexpectedPayload):
        await lena.list_events()


@pytest.mark.parametrize(
    "value",
    ["42d", "1y", "all", "s0", "s1-kj0", "r.2026-01-01.2026-03-31", "r.2026-03-31.2026-03-31"],
)
def test_curve_ids_accepted(value: str) -> None:
    assert ids.curve_id(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0d",
        "42",
        "1w",
        "s",
        "r.2026-03-31.2026-01-01",
        "r.2026-02-30.2026-03-01",
        "1y,42d",
        "1y&x=1",
    ],
)
def test_curve_ids_rejected(value: str) -> None:
    with pytest.raises(InvalidId):
        ids.curve_id(value)


def test_curve_range_from_days() -> None:
    assert ids.curve_range(date(2026, 1, 1), "2026-03-31") == "r.2026-01-01.2026-03-31"


def test_new_read_models_parse_upstream_shapes() -> None:
    week = WeekSummary.model_validate(
        {
            "date": "2026-04-20",
            "athlete_id": "i1",
            "rampRate": 1.5,
            "eftpPerKg": 3.9,
            "timeInZones": None,
            "byCategory": [{"category": "Ride", "moving_time": 3600}],
            "extraUpstreamField": 1,
        }
    )
    assert week.ramp_rate == 1.5 and week.eftp_per_kg == 3.9 and week.time_in_zones == []
    assert week.by_category[0].category == "Ride" and week.model_extra == {"extraUpstreamField": 1}
    plan = AthleteTrainingPlan.model_validate(
        {"athlete_id": "i1", "training_plan_start_date": "2026-04-13T00:00:00"}
    )
    assert plan.training_plan_start_date == date(2026, 4, 13) and plan.training_plan is None
    with pytest.raises(ValueError, match="differ in length"):
        ActivityCurve.model_validate({"secs": [1, 5], "values": [500]})
    with pytest.raises(ValueError):
        WeekSummary.model_validate({"count": 3})  # a week without its date is no week
