"""The plain functions behind tool answers: pace, units, scales, argument messages, caches."""

from __future__ import annotations

from enum import IntEnum

import pytest
from pydantic import BaseModel, Field, ValidationError

from app.mcp.tools.arguments import arguments_message
from app.mcp.tools.scales import SCALES, describe
from app.mcp.tools.units import PaceUnits, any_pace, duration, has_pace, number, with_unit


@pytest.mark.parametrize(
    ("units", "sport", "speed", "expected"),
    [
        (PaceUnits(), "Run", 1000 / 275, "4:35 /km"),
        (PaceUnits(run="MINS_MILE"), "Run", 1609.344 / 480, "8:00 /mi"),
        (PaceUnits(), "Swim", 100 / 105, "1:45 /100m"),
        (PaceUnits(swim="SECS_100Y"), "OpenWaterSwim", 91.44 / 90, "1:30 /100yd"),
        (PaceUnits(), "Ride", 9.0, None),
        (PaceUnits(), "Run", 0.0, None),
    ],
)
def test_pace_in_the_athletes_units(
    units: PaceUnits, sport: str, speed: float, expected: str | None
) -> None:
    assert units.pace(sport, speed) == expected


def test_units_come_from_sport_settings_then_the_measurement_preference() -> None:
    imperial = PaceUnits.from_profile("feet", [])
    assert (imperial.run, imperial.swim) == ("MINS_MILE", "SECS_100Y")
    mixed = PaceUnits.from_profile("feet", [(["Run"], "MINS_KM"), (["Swim"], None)])
    assert (mixed.run, mixed.swim) == ("MINS_KM", "SECS_100Y")


def test_units_follow_the_field_suffix() -> None:
    assert with_unit("avg_power_w", 202, "avg") == "202 W avg"
    assert with_unit("moving_time_s", 4200) == "1:10:00"
    assert with_unit("distance_m", 40210.0) == "40.2 km"
    assert with_unit("hrv_rmssd_ms", 52.5, "HRV") == "52.5 ms HRV"
    assert with_unit("avg_hr_bpm", None) is None and with_unit("trainer", True) is None


def test_units_read_number_subclasses_and_refuse_what_is_not_a_number() -> None:
    """The per-field formatters (worked out once per field and label) read every kind of
    number as the plain ones, and anything else as unset."""

    class Level(IntEnum):
        HIGH = 3

    class Watts(float):
        pass

    assert with_unit("zone_w", Level.HIGH, "top") == "3 W top"
    assert with_unit("avg_power_w", Watts(202.5)) == "202.5 W"
    assert with_unit("moving_time_s", 59.9, "") == "0:59"
    assert with_unit("training_load", 81.0, "load") == "81 load"
    assert with_unit("distance_m", 5, "swum") == "0.0 km swum"
    assert with_unit("avg_power_w", "202", "avg") is None
    assert with_unit("avg_power_w", False, "avg") is None
    assert with_unit("intensity_pct", float("nan")) == "nan %"
    assert [with_unit("weight_kg", v) for v in (70, 70.25, -1)] == ["70 kg", "70.25 kg", "-1 kg"]


@pytest.mark.parametrize(
    "value", [0, -1, 202, 10**20, 0.0, -0.0, 202.5, 1e16, 1e-05, 123456789.25, float("inf")]
)
def test_plain_ints_and_floats_read_as_the_number_spelling(value: float) -> None:
    """A field's plain int or float (spelled in the formatter itself, issue 20) reads exactly
    as :func:`number` spells it, then the unit and label."""
    assert with_unit("avg_power_w", value, "avg") == f"{number(value)} W avg"
    assert with_unit("training_load", value) == number(value)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00"),
        (9, "0:09"),
        (59.9, "0:59"),
        (60, "1:00"),
        (605, "10:05"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3661, "1:01:01"),
        (4210.7, "1:10:10"),
        (86399, "23:59:59"),
        (360000, "100:00:00"),
        (-5, "-1:59:55"),
    ],
)
def test_durations_read_as_clock_times(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown
    assert with_unit("moving_time_s", seconds, "moving") == f"{shown} moving"


def test_every_scale_states_its_direction_the_same_way() -> None:
    assert describe("mood", 1) == "mood 1 (great) on 1-4, 1 best"
    assert describe("sleep_quality", 4) == "sleep quality 4 (poor) on 1-4, 1 best"
    assert describe("rpe", 10) == "RPE 10 (maximal) on 1-10, 10 hardest"
    assert describe("feel", 9) == "feel 9 (?) on 1-5, 1 best"
    for key, scale in SCALES.items():
        assert scale.legend().startswith(f"1-{scale.top}, "), key
        assert "/" not in (describe(key, 1) or "")


class Arguments(BaseModel):
    start_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    limit: int = Field(10, ge=1, le=100)


SCHEMA = {
    "properties": {
        "start_date": {"type": "string", "format": "date"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
    }
}


def test_argument_errors_become_one_plain_message_without_values() -> None:
    with pytest.raises(ValidationError) as caught:
        Arguments.model_validate({"start_date": "30.11.2026 secret", "limit": 0})
    message = arguments_message(caught.value.errors(), SCHEMA)
    assert message == (
        "start_date must be a date like 2026-11-30. limit must be a whole number from 1 to 100."
    )
    with pytest.raises(ValidationError) as missing:
        Arguments.model_validate({})
    assert arguments_message(missing.value.errors(), SCHEMA) == "start_date is required."


@pytest.mark.parametrize(
    ("sports", "read_as_pace"),
    [
        ([], False),
        ([None], False),
        (["Ride", "VirtualRide", None, "WeightTraining"], False),
        (["Ride", "Run"], True),
        (["OpenWaterSwim"], True),
        (["Hike", None], True),
        (["run", "swim"], False),
    ],
)
def test_a_list_reads_pace_when_one_of_its_sports_does(
    sports: list[str | None], read_as_pace: bool
) -> None:
    assert any_pace(sports) is read_as_pace is any(has_pace(s) for s in sports)
