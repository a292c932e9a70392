"""get_sport_settings: thresholds and zones per sport, % as upstream defines them, absolute
bounds in the athlete's units, from one request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fake_intervals.data import PACE_ZONES, POWER_ZONES
from tests.mcp.tools.harness import DEMO, ToolBench, fake_at, no_nulls

JORDAN = DEMO["America/Denver"]
NOW = datetime(2026, 7, 29, 12, tzinfo=UTC)


async def test_power_zones_in_percent_of_ftp_and_watts(bench: ToolBench) -> None:
    ride = bench.fake.athletes[bench.athlete.id].sport_settings[0]
    ftp = ride["ftp"]
    result = await bench.call("get_sport_settings", {"sport": "Ride"})
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    (sport,) = answer["sports"]
    assert sport["ftp_w"] == ftp and sport["eftp_w"] == ride["mmp_model"]["ftp"]
    assert sport["power_zones_pct_of"] == "FTP"
    zones = sport["power_zones"]
    assert [z.get("to_pct") for z in zones] == [*POWER_ZONES[:-1], None]  # 999 is open
    assert zones[1]["name"] == "Z2 Endurance" and zones[1]["from_pct"] == POWER_ZONES[0]
    low, high = round(ftp * POWER_ZONES[0] / 100), round(ftp * POWER_ZONES[1] / 100)
    assert zones[1]["bounds"] == f"{low}-{high} W"
    assert zones[-1]["bounds"] == f">{round(ftp * POWER_ZONES[-2] / 100)} W"
    assert answer["weight_kg"] == bench.fake.athletes[bench.athlete.id].profile["icu_weight"]
    assert f"{ftp} W FTP" in result.text and f"Z2 Endurance, 55-75%, {low}-{high} W" in result.text
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}"


async def test_hr_zones_in_bpm_with_percent_of_lthr(bench: ToolBench) -> None:
    settings = bench.fake.athletes[bench.athlete.id].sport_settings[0]
    result = await bench.call("get_sport_settings", {"sport": "ride"})
    assert result.structured is not None
    hr = result.structured["sports"][0]["hr_zones"]
    tops = settings["hr_zones"]
    assert hr[0]["bounds"] == f"<{tops[0]} bpm"
    assert hr[1]["bounds"] == f"{tops[0]}-{tops[1]} bpm"
    assert hr[-1]["bounds"].endswith(f"-{settings['max_hr']} bpm")
    assert hr[1]["from_pct"] == round(tops[0] / settings["lthr"] * 100)
    assert result.structured["sports"][0]["hr_zones_pct_of"] == "LTHR"


@pytest.mark.parametrize(("sport", "unit"), [("Run", " /mi"), ("Swim", " /100yd")])
async def test_imperial_pace_zones_read_in_the_athletes_units(sport: str, unit: str) -> None:
    bench = ToolBench(fake_at(NOW), JORDAN, NOW)
    result = await bench.call("get_sport_settings", {"sport": sport})
    assert result.structured is not None
    (settings,) = result.structured["sports"]
    assert settings["threshold_pace"].endswith(unit)
    zones = settings["pace_zones"]
    assert settings["pace_zones_pct_of"] == "threshold pace"
    assert [z.get("to_pct") for z in zones] == [*PACE_ZONES[:-1], None]
    assert zones[0]["bounds"].startswith("slower than") and zones[-1]["bounds"].startswith(
        "faster than"
    )
    assert all(z["bounds"].endswith(unit) for z in zones)
    threshold = settings["threshold_pace"]
    assert zones[3]["bounds"].endswith(f"-{threshold}")  # Z4 tops out at threshold pace


async def test_every_sport_by_default(bench: ToolBench) -> None:
    result = await bench.call("get_sport_settings", {})
    assert result.structured is not None
    types = [s["types"][0] for s in result.structured["sports"]]
    assert types == [s["types"][0] for s in bench.fake.athletes[bench.athlete.id].sport_settings]
    assert result.text.count("zones") >= len(types)


async def test_a_sport_without_settings_names_the_ones_there_are(bench: ToolBench) -> None:
    result = await bench.call("get_sport_settings", {"sport": "Rowing"})
    assert result.is_error and result.text.startswith("No sport settings for Rowing; yours: ")
    assert "Ride" in result.text


async def test_no_zones_and_no_thresholds_are_said_plainly(bench: ToolBench) -> None:
    for settings in bench.fake.athletes[bench.athlete.id].sport_settings:
        for key in ("ftp", "lthr", "max_hr", "threshold_pace", "mmp_model", "indoor_ftp"):
            settings[key] = None
        for key in ("power_zones", "hr_zones", "pace_zones"):
            settings[key] = None
    result = await bench.call("get_sport_settings", {"sport": "Run"})
    assert result.structured is not None and no_nulls(result.structured)
    assert result.structured["sports"][0].keys() <= {"types", "w_prime_j"}
    assert "no thresholds set" in result.text


async def test_bad_arguments_and_upstream_errors(bench: ToolBench) -> None:
    long = await bench.call("get_sport_settings", {"sport": "x" * 41})
    assert long.is_error and len(bench.fake.requests) == 0
    bench.fake.faults.fail(503, times=10)
    bench.max_attempts = 1
    down = await bench.call("get_sport_settings", {})
    assert down.is_error and "not answering" in down.text
