"""get_activity_messages: an activity's comments with author and athlete-local time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fake_intervals.data import DemoAthlete
from tests.mcp.tools.activity_picks import newest
from tests.mcp.tools.harness import AUCKLAND, BERLIN, LOS_ANGELES, ToolBench, fake_at

NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)


def comment(mid: int, author: DemoAthlete, created: str, content: str) -> dict[str, object]:
    return {
        "id": mid,
        "athlete_id": author.id,
        "name": author.name,
        "type": "TEXT",
        "created": created,
        "content": content,
    }


@pytest.mark.parametrize(
    ("athlete", "local"),
    [
        (AUCKLAND, "2026-07-30T11:30:00"),  # NZST, UTC+12: the next local day
        (BERLIN, "2026-07-30T01:30:00"),  # CEST, UTC+2: just after local midnight
        (LOS_ANGELES, "2026-07-29T16:30:00"),  # PDT, UTC-7: still the same day
    ],
    ids=lambda v: getattr(v, "timezone", v),
)
async def test_comment_times_are_in_the_athletes_zone(athlete: DemoAthlete, local: str) -> None:
    fake = fake_at(NOON)
    ride = newest(fake, athlete.id, "Ride", "VirtualRide", "Run")
    fake.athletes[athlete.id].messages[ride["id"]] = [
        comment(9001, athlete, "2026-07-29T23:30:00.000+0000", "Late one"),
        comment(9002, BERLIN if athlete != BERLIN else AUCKLAND, "2026-07-29T23:40:00Z", "Nice!"),
    ]
    result = await ToolBench(fake, athlete, NOON).call(
        "get_activity_messages", {"activity_id": ride["id"]}
    )
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["timezone"] == athlete.timezone and answer["count"] == 2
    first, second = answer["comments"]
    assert first == {
        "id": 9001,
        "author": athlete.name,
        "by_you": True,
        "at_local": local,
        "content": "Late one",
    }
    assert "by_you" not in second
    assert f"{local.replace('T', ' ')[:16]} {athlete.name} (you): Late one" in result.text


async def test_no_comments_is_an_empty_answer(bench: ToolBench) -> None:
    data = bench.fake.athletes[AUCKLAND.id]
    quiet = next(
        a
        for a in data.activities.values()
        if not data.messages.get(a["id"]) and a.get("source") != "STRAVA"
    )
    result = await bench.call("get_activity_messages", {"activity_id": quiet["id"]})
    assert result.is_error is False and result.structured is not None
    assert result.structured["count"] == 0 and result.structured["comments"] == []
    assert result.text.startswith("0 comments on ")


async def test_the_limit_is_sent_and_a_full_page_says_more_may_exist(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    bench.fake.athletes[AUCKLAND.id].messages[ride["id"]] = [
        comment(9100 + i, AUCKLAND, "2026-07-20T10:00:00.000+0000", f"c{i}") for i in range(3)
    ]
    result = await bench.call("get_activity_messages", {"activity_id": ride["id"], "limit": 2})
    assert result.structured is not None and result.structured["more_available"] is True
    (call,) = bench.fake.requests.matching("GET", "/messages")
    assert call.query == {"limit": "2"}
    assert "limit reached" in result.text


async def test_a_shared_activity_of_another_athlete_is_refused(bench: ToolBench) -> None:
    bench.fake.shares[AUCKLAND.id] = {BERLIN.id}
    theirs = newest(bench.fake, BERLIN.id, "Ride", "VirtualRide")
    result = await bench.call("get_activity_messages", {"activity_id": theirs["id"]})
    assert result.is_error and f"No activity {theirs['id']} found" in result.text
    assert not bench.fake.requests.matching("GET", "/messages")


@pytest.mark.parametrize(("status", "expected"), [(429, "rate limited"), (503, "not answering")])
async def test_upstream_failures_are_short_tool_errors(
    bench: ToolBench, status: int, expected: str
) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride")
    bench.fake.faults.fail(status, times=5, path="/messages", retry_after=1)
    bench.max_attempts = 1
    result = await bench.call("get_activity_messages", {"activity_id": ride["id"]})
    assert result.is_error and expected in result.text and len(result.text) < 300


async def test_entries_without_text_are_left_out(bench: ToolBench) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    silent = comment(9201, AUCKLAND, "2026-07-20T10:00:00.000+0000", "")
    silent.update(type="SEEN", content=None)
    bench.fake.athletes[AUCKLAND.id].messages[ride["id"]] = [
        silent,
        comment(9202, AUCKLAND, "2026-07-20T10:05:00.000+0000", "Solid"),
    ]
    result = await bench.call("get_activity_messages", {"activity_id": ride["id"]})
    assert result.structured is not None
    assert [c["id"] for c in result.structured["comments"]] == [9202]
    assert result.text.startswith("1 comment on ")
