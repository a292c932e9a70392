"""search_activities: name / tag search upstream, type and local-day windows filtered here
with upstream's own bounds, counts of what was cut and of Strava imports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.harness import (
    AUCKLAND,
    BERLIN,
    DEMO,
    LOS_ANGELES,
    ToolBench,
    add_activity,
    fake_at,
    no_nulls,
)

JORDAN = DEMO["America/Denver"]
NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


async def test_a_tag_is_searched_upstream_with_the_limit(bench: ToolBench) -> None:
    result = await bench.call("search_activities", {"tag": "#long", "limit": 2})
    assert result.is_error is False and result.structured is not None
    (call,) = bench.fake.requests.matching("GET", "/activities/search")
    assert call.query == {"q": "#long", "limit": "2"}
    answer = result.structured
    assert no_nulls(answer) and answer["count"] == 2 and answer["more_available"] is True
    assert all("long" in a["tags"] for a in answer["activities"])
    assert "limit reached" in result.text and "(all time)" in result.text


async def test_name_search_ignores_case_and_is_newest_first(bench: ToolBench) -> None:
    result = await bench.call("search_activities", {"name": "ENDURANCE"})
    assert result.structured is not None
    found = result.structured["activities"]
    assert found and all("endurance" in a["name"].lower() for a in found)
    starts = [a["start_date_local"] for a in found]
    assert starts == sorted(starts, reverse=True)
    assert "more_available" not in result.structured


async def test_name_and_tag_together_keep_both_and_count_what_was_cut(bench: ToolBench) -> None:
    result = await bench.call("search_activities", {"name": "ride", "tag": "long", "limit": 1})
    assert result.structured is not None
    (call,) = bench.fake.requests.matching("GET", "/activities/search")
    assert call.query == {"q": "#long"}  # no limit: the name is filtered here
    everything = [
        a
        for a in bench.fake.athletes[AUCKLAND.id].activities.values()
        if "long" in (a.get("tags") or []) and "ride" in (a.get("name") or "").lower()
    ]
    assert result.structured["count"] == 1
    assert result.structured["more_matches"] == len(everything) - 1
    assert f"{len(everything) - 1} more matched" in result.text


@pytest.mark.parametrize("athlete", [AUCKLAND, BERLIN, LOS_ANGELES], ids=lambda a: a.timezone)
async def test_a_type_in_a_window_keeps_exactly_the_local_days(athlete: DemoAthlete) -> None:
    fake = fake_at(NOON)
    add_activity(fake, athlete.id, "i990020", "2026-07-27T23:58:00")
    add_activity(fake, athlete.id, "i990021", "2026-07-28T00:02:00")
    add_activity(fake, athlete.id, "i990022", "2026-07-26T23:59:00")
    kind = fake.athletes[athlete.id].activities["i990020"]["type"]
    result = await ToolBench(fake, athlete, NOON).call(
        "search_activities",
        {"type": kind.lower(), "start_date": "2026-07-27", "end_date": "2026-07-27"},
    )
    assert result.structured is not None
    ids = [a["id"] for a in result.structured["activities"]]
    assert "i990020" in ids and "i990021" not in ids and "i990022" not in ids
    assert all(a["type"] == kind for a in result.structured["activities"])
    (call,) = fake.requests.matching("GET", f"/athlete/{athlete.id}/activities")
    assert (call.query["oldest"], call.query["newest"]) == ("2026-07-27", "2026-07-27T23:59:59")
    assert "limit" not in call.query
    assert result.structured["timezone"] == athlete.timezone


async def test_a_window_with_strava_imports_counts_them() -> None:
    fake = fake_at(NOON)
    stubs = [
        a
        for a in fake.athletes[LOS_ANGELES.id].activities.values()
        if a.get("source") == "STRAVA"
        and "2026-07-01" <= a["start_date_local"][:10] <= "2026-07-28"
    ]
    result = await ToolBench(fake, LOS_ANGELES, NOON).call(
        "search_activities", {"type": "Run", "start_date": "2026-07-01", "end_date": "2026-07-28"}
    )
    assert result.structured is not None and stubs
    assert result.structured["strava_hidden"] == len(stubs)
    assert f"{len(stubs)} Strava imports not searchable" in result.text


async def test_runs_show_pace_in_the_athletes_units() -> None:
    fake = fake_at(NOON)
    result = await ToolBench(fake, JORDAN, NOON).call(
        "search_activities", {"type": "Run", "start_date": "2026-07-01"}
    )
    assert result.structured is not None
    paces = [a["avg_pace"] for a in result.structured["activities"]]
    assert paces and all(p.endswith(" /mi") for p in paces)


async def test_nothing_found_is_an_empty_answer(bench: ToolBench) -> None:
    result = await bench.call("search_activities", {"name": "zzzz-nothing"})
    assert result.is_error is False and result.structured is not None
    assert result.structured["count"] == 0 and result.structured["activities"] == []
    assert result.text.startswith("0 activities found")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "Give a name, tag, type or date window"),
        ({"name": "   "}, "Give a name"),
        ({"name": "x" * 101}, "at most 100"),
        ({"type": "Ride", "start_date": "2026-07-10", "end_date": "2026-07-01"}, "swap"),
        ({"type": "Ride", "start_date": "2024-01-01", "end_date": "2026-01-01"}, "at most 366"),
        ({"tag": "long", "limit": 0}, "limit"),
    ],
)
async def test_bad_arguments_get_one_short_plain_message(
    bench: ToolBench, arguments: dict[str, object], message: str
) -> None:
    result = await bench.call("search_activities", arguments)
    assert result.is_error and message in result.text and len(result.text) < 200
    assert len(bench.fake.requests) == 0


@pytest.mark.parametrize(
    ("arguments", "status", "expected"),
    [({"tag": "long"}, 429, "rate limited"), ({"type": "Ride"}, 503, "not answering")],
)
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, arguments: dict[str, object], status: int, expected: str
) -> None:
    bench.fake.faults.fail(status, times=5, retry_after=1)
    bench.max_attempts = 1
    result = await bench.call("search_activities", arguments)
    assert result.is_error and expected in result.text and len(result.text) < 300


async def test_a_name_in_a_window_is_filtered_on_the_listed_days(bench: ToolBench) -> None:
    result = await bench.call(
        "search_activities",
        {"name": "sweet spot", "start_date": "2026-07-01", "end_date": "2026-07-28"},
    )
    assert result.structured is not None
    found = result.structured["activities"]
    assert found and all("sweet spot" in a["name"].lower() for a in found)
    assert all("2026-07-01" <= a["start_date_local"][:10] <= "2026-07-28" for a in found)
    assert not bench.fake.requests.matching("GET", "/activities/search")
