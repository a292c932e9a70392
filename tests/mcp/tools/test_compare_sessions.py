"""compare_sessions: an activity against the earlier sessions of the same workout or structure:
output at the same HR (efficiency factor) and work-interval averages."""

from __future__ import annotations

from datetime import time
from typing import Any

from tests.mcp.tools.harness import BERLIN, TODAY, ToolBench, fake_at, local, no_nulls


def berlin() -> ToolBench:
    moment = local(BERLIN.timezone, TODAY, time(9))
    return ToolBench(fake_at(moment), BERLIN, moment)


def runs(bench: ToolBench, name: str) -> list[dict[str, Any]]:
    found = [
        a
        for a in bench.fake.athletes[bench.athlete.id].activities.values()
        if a.get("type") == "Run" and a.get("name") == name
    ]
    return sorted(found, key=lambda a: a["start_date_local"], reverse=True)


async def test_this_long_run_against_the_earlier_ones_in_at_most_four_requests() -> None:
    bench = berlin()
    latest, *earlier = runs(bench, "Long run")
    result = await bench.call("compare_sessions", {"activity_id": latest["id"]})
    assert len(bench.fake.requests) <= 4
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    assert answer["reference"]["activity_id"] == latest["id"]
    in_window = [a for a in earlier if a["start_date_local"] >= answer["oldest"]]
    assert [r["activity_id"] for r in answer["earlier"]] == [a["id"] for a in in_window][:5]
    assert all(r["matched_by"] == "workout" for r in answer["earlier"])
    assert result.text.startswith(f"{latest['start_date_local'][:10]} Long run")
    assert "pace" in answer["reference"] and "work_pace" in answer["reference"]


async def test_more_output_at_the_same_hr_shows_as_a_gain() -> None:
    bench = berlin()
    latest, previous, *_ = runs(bench, "Long run")
    # the previous long run: same speed, 10 % higher HR -> now EF is 10 % better
    previous["average_heartrate"] = round(latest["average_heartrate"] * 1.1)
    result = await bench.call("compare_sessions", {"activity_id": latest["id"]})
    answer = result.structured
    assert answer is not None
    row = answer["earlier"][0]
    expected = 100 * (previous["average_heartrate"] / latest["average_heartrate"] - 1)
    assert row["efficiency_change_pct"] == round(expected, 1)
    assert f"now +{round(expected, 1):g}% EF" in result.text


async def test_a_first_session_of_its_kind_says_so() -> None:
    bench = berlin()
    latest, *earlier = runs(bench, "Long run")
    for a in earlier:
        a["name"], a["interval_summary"] = "Other run", ["2x 5m"]
    result = await bench.call("compare_sessions", {"activity_id": latest["id"]})
    answer = result.structured
    assert answer is not None and answer["earlier"] == []
    assert "no earlier Run of this kind" in result.text
    assert len(bench.fake.requests) <= 3  # nothing matched: nothing more fetched


async def test_structure_matches_when_the_name_differs() -> None:
    bench = berlin()
    latest, previous, *_ = runs(bench, "Long run")
    previous["name"] = "Sunday long"
    result = await bench.call("compare_sessions", {"activity_id": latest["id"]})
    assert result.structured is not None
    row = result.structured["earlier"][0]
    assert row["activity_id"] == previous["id"] and row["matched_by"] == "structure"


async def test_bad_arguments_are_refused_without_a_request() -> None:
    bench = berlin()
    result = await bench.call("compare_sessions", {"activity_id": "i1", "days_back": 2})
    assert result.is_error and len(bench.fake.requests) == 0
