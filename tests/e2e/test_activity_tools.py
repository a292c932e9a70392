"""The activity read tools over the full stack: the MCP SDK client signs in and calls each of
them over ``/mcp``; every answer is checked against what the fake Intervals.icu holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp import Client

from tests.e2e.athlete import Athlete
from tests.e2e.sdk_client import SdkClient
from tests.e2e.stack import Stack
from tests.e2e.truth import upstream, window
from tests.fake_intervals.data import DEMO_ATHLETES


async def answer_of(session: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(name, arguments)
    assert result.is_error is False, (name, result.content)
    assert result.structured_content is not None, name
    return result.structured_content


async def test_every_activity_tool_answers_over_mcp(
    stack: Stack, make_athlete: Callable[[str], Athlete]
) -> None:
    athlete = DEMO_ATHLETES[0]
    person = make_athlete(athlete.id)
    oldest, newest = window(athlete)
    rows = upstream(
        stack.fake_api, athlete, f"/athlete/{athlete.id}/activities", oldest=oldest, newest=newest
    )
    ride = next(r for r in rows if "watts" in (r.get("stream_types") or []))
    streams = upstream(stack.fake_api, athlete, f"/activity/{ride['id']}/streams.json")
    samples = len(next(s["data"] for s in streams if s["type"] == "time"))

    async with SdkClient(stack.mcp_url, person, name="Activity tools client").connect() as session:
        found = await answer_of(
            session, "search_activities", {"type": ride["type"], "start_date": oldest}
        )
        assert ride["id"] in [a["id"] for a in found["activities"]]

        shape = await answer_of(
            session, "get_activity_streams", {"activity_id": ride["id"], "points": 20}
        )
        assert shape["samples"] == samples and shape["points"] == 20

        best = await answer_of(session, "get_best_efforts", {"activity_id": ride["id"]})
        assert best["efforts"][0]["over"] == "5 s"

        spread = await answer_of(session, "get_activity_histogram", {"activity_id": ride["id"]})
        assert sum(b["time_s"] for b in spread["buckets"]) == spread["total_time_s"]

        talk = await answer_of(session, "get_activity_messages", {"activity_id": ride["id"]})
        assert talk["timezone"] == athlete.timezone

        around = await answer_of(session, "get_activities_around", {"activity_id": ride["id"]})
        assert around["activity"]["id"] == ride["id"]
