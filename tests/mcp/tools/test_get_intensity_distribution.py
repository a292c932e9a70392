"""get_intensity_distribution: time in zones by sport in the athlete's own zones and in three
zones, the polarisation index, and the "are my easy days easy enough?" answer."""

from __future__ import annotations

from datetime import time
from typing import Any

from tests.mcp.tools.harness import BERLIN, TODAY, ToolBench, fake_at, local, no_nulls

WINDOW = {"start_date": "2026-07-01", "end_date": "2026-07-28"}


def berlin() -> ToolBench:
    moment = local(BERLIN.timezone, TODAY, time(9))
    return ToolBench(fake_at(moment), BERLIN, moment)


def activities(bench: ToolBench) -> dict[str, dict[str, Any]]:
    return bench.fake.athletes[bench.athlete.id].activities


def in_window(bench: ToolBench) -> list[dict[str, Any]]:
    return [
        a
        for a in activities(bench).values()
        if "2026-07-01" <= a["start_date_local"][:10] <= "2026-07-28"
        and a.get("source") != "STRAVA"
    ]


async def test_each_sport_in_its_own_zones_from_two_requests() -> None:
    bench = berlin()
    result = await bench.call("get_intensity_distribution", WINDOW)
    listing, settings = list(bench.fake.requests)
    assert "icu_hr_zone_times" in listing.query["fields"]
    assert settings.path.endswith("/sport-settings")
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    done = in_window(bench)
    assert answer["count"] == len(done)
    ride = next(s for s in answer["sports"] if s["sport"] == "Ride")
    assert ride["basis"] == "power" and ride["zones"][0]["zone"] == "Active Recovery"
    rides = [a for a in done if "Ride" in a["type"]]
    assert ride["activities"] == len(rides)
    expected = [sum(a["icu_zone_times"][i]["secs"] for a in rides) for i in range(7)]
    assert [z["time_s"] for z in ride["zones"]] == expected
    low = 100 * sum(expected[:2]) / sum(expected)
    assert ride["three_zone"]["low_pct"] == round(low, 1)
    assert ride["three_zone"]["easy_enough"] is (low >= 80)
    run = next(s for s in answer["sports"] if s["sport"] == "Run")
    assert run["basis"] == "pace"
    hr = [sum(a["icu_hr_zone_times"][i] for a in done) for i in range(7)]
    assert answer["overall"]["low_pct"] == round(100 * sum(hr[:2]) / sum(hr), 1)
    assert result.text.startswith("intensity 2026-07-01..2026-07-28 (Europe/Berlin), all sports")
    assert "Ride (" in result.text and "power zones" in result.text


async def test_a_polarised_ride_gets_its_index_and_a_yes() -> None:
    bench = berlin()
    for a in activities(bench).values():
        a["start_date_local"] = "2020-01-01T08:00:00"
    ride = next(a for a in activities(bench).values() if a["type"] == "Ride")
    ride["start_date_local"] = "2026-07-10T08:00:00"
    secs = [1000, 7000, 100, 400, 1200, 300, 0]  # 80 / 5 / 15 %
    ride["icu_zone_times"] = [{"id": f"Z{i + 1}", "secs": s} for i, s in enumerate(secs)]
    ride["icu_hr_zone_times"] = secs
    result = await bench.call("get_intensity_distribution", WINDOW)
    answer = result.structured
    assert answer is not None and answer["count"] == 1
    (only,) = answer["sports"]
    split = only["three_zone"]
    assert (split["low_pct"], split["moderate_pct"], split["high_pct"]) == (80.0, 5.0, 15.0)
    assert split["polarisation_index"] == 2.38 and split["kind"] == "polarised"
    assert "easy days easy enough" in result.text and "PI 2.38" in result.text


async def test_no_activities_and_activities_without_zone_times() -> None:
    bench = berlin()
    result = await bench.call(
        "get_intensity_distribution", {"start_date": "2020-01-01", "end_date": "2020-01-31"}
    )
    answer = result.structured
    assert answer is not None and answer["count"] == 0 and answer["sports"] == []
    assert "overall" not in answer and "no zone times" in result.text
    for a in activities(bench).values():
        for name in ("icu_zone_times", "icu_hr_zone_times", "pace_zone_times"):
            a.pop(name, None)
    result = await bench.call("get_intensity_distribution", WINDOW)
    assert result.structured is not None and result.structured["sports"] == []


async def test_the_default_is_the_last_four_weeks_to_today() -> None:
    bench = berlin()
    result = await bench.call("get_intensity_distribution")
    assert result.structured is not None
    assert (result.structured["oldest"], result.structured["newest"]) == (
        "2026-07-02",
        TODAY.isoformat(),
    )


async def test_a_new_athlete_with_less_history_than_the_window() -> None:
    bench = berlin()
    data = activities(bench)
    for aid in [k for k, a in data.items() if a["start_date_local"][:10] < "2026-07-25"]:
        del data[aid]
    result = await bench.call("get_intensity_distribution", WINDOW)
    answer = result.structured
    assert answer is not None and answer["oldest"] == "2026-07-01"
    assert answer["count"] == len(in_window(bench)) > 0
    assert sum(s["activities"] for s in answer["sports"]) == answer["count"]
