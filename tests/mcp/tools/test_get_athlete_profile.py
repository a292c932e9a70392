"""get_athlete_profile: the acting athlete's profile and thresholds, never their API key."""

from __future__ import annotations

from tests.mcp.tools.harness import ToolBench, no_nulls


async def test_profile_with_thresholds_in_the_athletes_units(bench: ToolBench) -> None:
    profile = bench.fake.athletes[bench.athlete.id].profile
    result = await bench.call("get_athlete_profile")
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["id"] == bench.athlete.id and answer["timezone"] == bench.athlete.timezone
    assert no_nulls(answer)
    runs = [s for s in answer["sports"] if "Run" in s["types"]]
    rides = [s for s in answer["sports"] if "Ride" in s["types"]]
    assert all(s["threshold_pace"].endswith(" /km") for s in runs)
    assert all(s["ftp_w"] > 100 for s in rides)
    assert result.text.startswith(f"{profile['name']} [{bench.athlete.id}]")
    assert bench.athlete.api_key not in result.text + str(answer)
    (call,) = list(bench.fake.requests)
    assert call.path == f"/api/v1/athlete/{bench.athlete.id}"


async def test_imperial_athletes_read_miles(bench: ToolBench) -> None:
    bench.fake.athletes[bench.athlete.id].profile["measurement_preference"] = "feet"
    for sport in bench.fake.athletes[bench.athlete.id].sport_settings:
        sport["pace_units"] = None
    result = await bench.call("get_athlete_profile")
    assert result.structured is not None
    paced = [s["threshold_pace"] for s in result.structured["sports"] if "threshold_pace" in s]
    assert paced and all(p.endswith((" /mi", " /100yd")) for p in paced)
