"""get_wellness_day: every field recorded on one day, with units and scale directions; extra
upstream fields (custom wellness fields) kept, bookkeeping left out."""

from __future__ import annotations

from datetime import time

import pytest

from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    LOS_ANGELES,
    TODAY,
    ToolBench,
    fake_at,
    local,
    no_nulls,
)


async def test_every_recorded_field_with_units_and_scales(bench: ToolBench) -> None:
    day = bench.fake.athletes[bench.athlete.id].wellness["2026-07-27"]
    day.update(
        mood=1,
        injury=2,
        spO2=97.5,
        systolic=118,
        diastolic=76,
        bloodGlucose=5.4,
        lactate=1.2,
        hydrationVolume=2.5,
        SleepingHRrange="48-55",
        tempWeight=False,
        locked=False,
    )
    result = await bench.call("get_wellness_day", {"date": "2026-07-27"})
    (call,) = list(bench.fake.requests)
    assert call.path.endswith(f"/athlete/{bench.athlete.id}/wellness/2026-07-27")
    answer = result.structured
    assert answer is not None and no_nulls(answer) and not result.is_error
    assert answer["date"] == "2026-07-27"
    assert answer["fitness_ctl"] == round(day["ctl"], 1)
    assert answer["form_tsb"] == round(answer["fitness_ctl"] - answer["fatigue_atl"], 1)
    assert answer["spo2_pct"] == 97.5 and answer["systolic_mmhg"] == 118
    assert answer["blood_glucose_mmol_l"] == 5.4 and answer["hydration_volume_l"] == 2.5
    assert answer["custom"] == {"SleepingHRrange": "48-55"}
    assert "tempWeight" not in str(answer) and "locked" not in str(answer)
    assert answer["scales"]["injury"] == "1-4, 1 best: 1 none, 2 niggle, 3 poor, 4 injured"
    assert set(answer["eftp_w"]) >= {"Ride"}
    for phrase in (
        "mood 1 (great) on 1-4, 1 best",
        "injury 2 (niggle) on 1-4, 1 best",
        "BP 118/76 mmHg",
        "97.5 % SpO2",
        "blood glucose 5.4 mmol/L",
        "hydration 2.5 L",
        "SleepingHRrange: 48-55",
        f"eFTP Ride {answer['eftp_w']['Ride']:g} W",
    ):
        assert phrase in result.text, phrase


async def test_a_day_without_records_says_so(bench: ToolBench) -> None:
    result = await bench.call("get_wellness_day", {"date": "2020-01-01"})
    assert result.structured == {"date": "2020-01-01", "note": "Nothing recorded on this day."}
    assert result.text == "2020-01-01: nothing recorded"


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_day_is_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    result = await bench.call("get_wellness_day", {})
    (call,) = list(bench.fake.requests)
    assert call.path.endswith(f"/wellness/{TODAY.isoformat()}")
    assert result.structured is not None and result.structured["date"] == TODAY.isoformat()


@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "27.07.2026"])
async def test_a_bad_date_is_refused_without_a_request(bench: ToolBench, value: str) -> None:
    result = await bench.call("get_wellness_day", {"date": value})
    assert result.is_error and "date" in result.text and len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "No wellness for 2026-07-27 found"), (503, "not answering")],
)
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=10)
    bench.max_attempts = 1
    result = await bench.call("get_wellness_day", {"date": "2026-07-27"})
    assert result.is_error and expected in result.text and len(result.text) < 300
