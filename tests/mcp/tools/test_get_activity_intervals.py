"""get_activity_intervals: laps in order; intensity says what it is a percentage of."""

from __future__ import annotations

from datetime import UTC, datetime

from app.mcp.tools.catalog._activity import latest_ride
from tests.mcp.tools.harness import AUCKLAND, BERLIN, LOS_ANGELES, ToolBench, fake_at


async def test_intervals_and_groups_of_a_ride(bench: ToolBench) -> None:
    mine = latest_ride(bench.fake, AUCKLAND.id)
    result = await bench.call("get_activity_intervals", {"activity_id": mine, "detail": True})
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["count"] == len(answer["intervals"]) > 0 and answer["groups"]
    assert (f"/api/v1/activity/{mine}", {"intervals": "true"}) in [
        (r.path, r.query) for r in bench.fake.requests
    ]
    with_intensity = [i for i in answer["intervals"] if "intensity_pct" in i]
    assert with_intensity and all(i["intensity_of"] == "FTP" for i in with_intensity)
    assert " % FTP" in result.text and " %," not in result.text


async def test_run_intervals_show_pace_and_percent_of_threshold_pace() -> None:
    moment = datetime(2026, 7, 29, 12, tzinfo=UTC)
    fake = fake_at(moment)
    athlete = next(a for a in (AUCKLAND, BERLIN, LOS_ANGELES) if "Run" in a.sports)
    runs = [
        a
        for a in fake.athletes[athlete.id].activities.values()
        if a.get("type") == "Run" and fake.athletes[athlete.id].segments.get(a["id"])
    ]
    run = max(runs, key=lambda a: str(a["start_date_local"]))  # recorded without power
    result = await ToolBench(fake, athlete, moment).call(
        "get_activity_intervals", {"activity_id": run["id"]}
    )
    assert result.structured is not None
    paced = [i for i in result.structured["intervals"] if "avg_pace" in i]
    assert paced and all(i["avg_pace"].endswith(" /km") for i in paced)
    assert "% threshold pace" in result.text


async def test_another_athletes_activity_is_refused(bench: ToolBench) -> None:
    bench.fake.shares[AUCKLAND.id] = {BERLIN.id}
    theirs = latest_ride(bench.fake, BERLIN.id)
    result = await bench.call("get_activity_intervals", {"activity_id": theirs})
    assert result.is_error and f"No activity {theirs} found" in result.text
