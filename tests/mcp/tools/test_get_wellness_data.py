"""get_wellness_data: local days, units, scales with their direction, form as displayed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

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


def window_of(query: dict[str, str]) -> dict[str, str]:
    """The query without ``fields`` (tests/mcp/tools/test_upstream_fields.py checks those)."""
    return {key: value for key, value in query.items() if key != "fields"}


async def test_units_and_scales_stated_with_their_direction() -> None:
    moment = datetime(2026, 7, 29, 18, tzinfo=UTC)
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    fake.athletes[LOS_ANGELES.id].wellness["2026-07-27"].update(
        sleepQuality=2, soreness=1, fatigue=3, mood=1, motivation=4, stress=2
    )
    result = await ToolBench(fake, LOS_ANGELES, moment).call(
        "get_wellness_data", {"start_date": "2026-07-25", "end_date": "2026-07-27"}
    )
    assert [window_of(r.query) for r in fake.requests] == [
        {"oldest": "2026-07-25", "newest": "2026-07-27"}
    ]
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert [d["date"] for d in answer["days"]] == ["2026-07-25", "2026-07-26", "2026-07-27"]
    day = answer["days"][-1]
    assert day["sleep_quality"] == 2 and "sleep_hours" in day and "resting_hr_bpm" in day
    assert answer["scales"]["mood"] == "1-4, 1 best: 1 great, 2 good, 3 OK, 4 grumpy"
    assert answer["scales"]["sleep_quality"].startswith("1-4, 1 best: 1 great")
    for phrase in (
        "mood 1 (great) on 1-4, 1 best",
        "motivation 4 (low) on 1-4, 1 best",
        "sleep quality 2 (good) on 1-4, 1 best",
        "fatigue 3 (high) on 1-4, 1 best",
    ):
        assert phrase in result.text
    assert "/4" not in result.text and " kg" in result.text


async def test_form_equals_fitness_minus_fatigue_as_displayed(bench: ToolBench) -> None:
    """Rounding each value separately used to break the identity on about a fifth of days."""
    days = bench.fake.athletes[bench.athlete.id].wellness
    days["2026-07-20"].update(ctl=50.26, atl=40.14)  # 50.3 - 40.1 = 10.2, not round(10.12)
    result = await bench.call(
        "get_wellness_data", {"start_date": "2026-06-01", "end_date": "2026-07-28"}
    )
    assert result.structured is not None
    shown = [d for d in result.structured["days"] if "form_tsb" in d]
    assert len(shown) > 30
    for day in shown:
        assert day["form_tsb"] == round(day["fitness_ctl"] - day["fatigue_atl"], 1), day
    assert next(d for d in shown if d["date"] == "2026-07-20")["form_tsb"] == 10.2


async def test_detail_adds_fields(bench: ToolBench) -> None:
    result = await bench.call(
        "get_wellness_data", {"start_date": "2026-07-20", "end_date": "2026-07-28", "detail": True}
    )
    assert result.structured is not None
    assert any("avg_sleeping_hr_bpm" in d or "spo2_pct" in d for d in result.structured["days"])


@pytest.mark.parametrize(
    ("athlete", "local_time"),
    [(a, t) for a in (AUCKLAND, BERLIN, LOS_ANGELES) for t in (time(0, 5), time(23, 55))],
    ids=lambda v: getattr(v, "timezone", str(v)),
)
async def test_the_default_week_ends_on_the_athletes_today(
    athlete: DemoAthlete, local_time: time
) -> None:
    moment = local(athlete.timezone, TODAY, local_time)
    bench = ToolBench(fake_at(moment), athlete, moment)
    await bench.call("get_wellness_data", {})
    (call,) = list(bench.fake.requests)
    assert window_of(call.query) == {
        "oldest": (TODAY - timedelta(days=6)).isoformat(),
        "newest": TODAY.isoformat(),
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start_date": "2026-02-30"}, "start_date must be a date like 2026-11-30."),
        ({"end_date": "29.07.2026"}, "end_date must be a date like 2026-11-30."),
        ({"start_date": "2025-01-01", "end_date": "2026-01-01"}, "at most 92"),
        ({"detail": "very"}, "detail must be a boolean."),
    ],
)
async def test_bad_arguments_get_one_short_plain_message(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("get_wellness_data", arguments)
    assert result.is_error and message in result.text
    assert "https://" not in result.text and "Arguments" not in result.text
    assert len(bench.fake.requests) == 0
