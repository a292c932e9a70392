"""get_load_metrics: the ratios, monotony, strain and ramp rate on the window's last day from
one wellness request, the thresholds named, and the edge cases (no data, a new athlete)."""

from __future__ import annotations

from datetime import date, timedelta

from app.analytics.load import load_days
from tests.mcp.tools.harness import ToolBench, no_nulls


def fake_loads(bench: ToolBench, first: date, last: date) -> list[float]:
    days = bench.fake.athletes[bench.athlete.id].wellness
    return [
        float(days.get((first + timedelta(i)).isoformat(), {}).get("ctlLoad") or 0.0)
        for i in range((last - first).days + 1)
    ]


async def test_four_weeks_from_one_request_with_the_thresholds_named(bench: ToolBench) -> None:
    result = await bench.call("get_load_metrics", {"end_date": "2026-07-28"})
    (call,) = list(bench.fake.requests)
    assert call.query["fields"] == "id,ctl,ctlLoad"
    assert call.query["oldest"] == "2026-05-06" and call.query["newest"] == "2026-07-28"
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert (answer["oldest"], answer["newest"], answer["count"]) == ("2026-07-01", "2026-07-28", 28)
    expected = load_days(fake_loads(bench, date(2026, 5, 6), date(2026, 7, 28)))[-1]
    assert expected.acwr is not None and expected.acwr_ewma is not None
    assert answer["acwr"] == round(expected.acwr, 2)
    assert answer["acwr_ewma"] == round(expected.acwr_ewma, 2)
    assert answer["points"][-1]["load"] == round(expected.load, 1)
    days = bench.fake.athletes[bench.athlete.id].wellness
    assert answer["ramp_rate"] == round(days["2026-07-28"]["ctl"] - days["2026-07-21"]["ctl"], 1)
    window_ramp = (days["2026-07-28"]["ctl"] - days["2026-06-30"]["ctl"]) / 28 * 7
    assert answer["window_ramp_per_week"] == round(window_ramp, 1)
    assert set(answer["thresholds"]) == {"acwr", "monotony", "ramp_rate"}
    assert "Gabbett 2016" in result.text and "Foster 1998" in result.text
    assert result.text.startswith("load metrics 2026-07-01..2026-07-28") and "ACWR" in result.text


async def test_default_window_ends_on_the_athletes_local_today(bench: ToolBench) -> None:
    result = await bench.call("get_load_metrics")
    answer = result.structured
    local_today = bench.moment.astimezone(__import__("zoneinfo").ZoneInfo(bench.athlete.timezone))
    assert answer is not None and answer["newest"] == local_today.date().isoformat()


async def test_a_window_without_data_says_so(bench: ToolBench) -> None:
    result = await bench.call(
        "get_load_metrics", {"start_date": "2020-01-01", "end_date": "2020-01-28"}
    )
    answer = result.structured
    assert answer is not None and answer["history_days"] == 0 and answer["points"] == []
    assert "no load data" in result.text


async def test_a_new_athlete_with_less_history_than_the_chronic_window(bench: ToolBench) -> None:
    days = bench.fake.athletes[bench.athlete.id].wellness
    for key in [k for k in days if k < "2026-07-15"]:
        del days[key]
    result = await bench.call("get_load_metrics", {"end_date": "2026-07-28"})
    answer = result.structured
    assert answer is not None and answer["history_days"] == 14
    assert "acwr" not in answer and "acwr_ewma" not in answer
    assert "only 14 days of history" in result.text


async def test_gaps_count_as_rest_days(bench: ToolBench) -> None:
    days = bench.fake.athletes[bench.athlete.id].wellness
    for key in ("2026-07-26", "2026-07-27"):
        days.pop(key, None)
    result = await bench.call("get_load_metrics", {"end_date": "2026-07-28"})
    answer = result.structured
    assert answer is not None
    by_day = {p["date"]: p for p in answer["points"]}
    assert by_day["2026-07-26"]["load"] == 0 and by_day["2026-07-27"]["load"] == 0
