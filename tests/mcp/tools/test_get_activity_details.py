"""get_activity_details: one activity in full, refused unless it is the acting athlete's."""

from __future__ import annotations

from app.mcp.tools.catalog._activity import latest_ride
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench, no_nulls


async def test_one_activity_with_every_field(bench: ToolBench) -> None:
    mine = latest_ride(bench.fake, AUCKLAND.id)
    result = await bench.call("get_activity_details", {"activity_id": mine})
    assert result.is_error is False and result.structured is not None
    activity = result.structured["activity"]
    assert activity["id"] == mine
    assert "elapsed_time_s" in activity and "normalized_power_w" in activity
    assert no_nulls(result.structured)
    assert (f"/api/v1/activity/{mine}", {}) in [(r.path, r.query) for r in bench.fake.requests]
    assert result.text.startswith(activity["start_date_local"][:10])


async def test_missing_and_malformed_ids(bench: ToolBench) -> None:
    missing = await bench.call("get_activity_details", {"activity_id": "i1"})
    bad = await bench.call("get_activity_details", {"activity_id": "../athlete"})
    assert missing.is_error and "No activity i1 found" in missing.text
    assert bad.is_error and bad.text == "activity_id must look like i170317118."
    assert not any(".." in r.path for r in bench.fake.requests)


async def test_another_athletes_activity_is_refused_even_when_upstream_shares_it(
    bench: ToolBench,
) -> None:
    theirs = latest_ride(bench.fake, BERLIN.id)
    without_share = await bench.call("get_activity_details", {"activity_id": theirs})
    bench.fake.shares[AUCKLAND.id] = {BERLIN.id}  # upstream would let this key read it
    with_share = await bench.call("get_activity_details", {"activity_id": theirs})
    assert without_share.is_error and "no access" in without_share.text
    assert with_share.is_error and f"No activity {theirs} found" in with_share.text
    assert bench.fake.requests.matching("GET", f"/api/v1/activity/{theirs}")[-1].status == 200
