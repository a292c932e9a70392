"""Tool calls over real HTTP with the SDK client, in both protocol eras, against the fake
Intervals.icu server: the full stack (bearer token, database, credential vault, transports).
Every registered tool is listed and called with its own example; each tool's behaviour is
tested in the fast tier, tests/mcp/tools/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app.mcp.tools.registry import served, takes_athlete
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import AUCKLAND, BERLIN, ERAS, LOS_ANGELES, mcp_client, running_gateway

TODAY = date(2026, 7, 29)


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


def fake_at(moment: datetime) -> FakeIntervals:
    return FakeIntervals(today=TODAY, now=lambda: moment)


async def test_an_object_of_another_athlete_is_never_returned(
    tmp_path: Path, database_url: str
) -> None:
    """Defense in depth: even if upstream answers, an object owned by someone else is refused."""
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    theirs = next(iter(fake.athletes[BERLIN.id].activities))
    fake.shares[AUCKLAND.id] = {BERLIN.id}  # upstream would let this key read it
    their_event = next(iter(fake.athletes[BERLIN.id].events.values()))
    fake.athletes[AUCKLAND.id].events[their_event["id"]] = their_event  # misfiled upstream
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            activity = await client.call_tool("get_activity_details", {"activity_id": theirs})
            event = await client.call_tool("get_event_by_id", {"event_id": their_event["id"]})
    assert activity.is_error and "No activity" in activity.content[0].text  # type: ignore[union-attr]
    assert event.is_error and "No event" in event.content[0].text  # type: ignore[union-attr]
    assert fake.requests.matching("GET", f"/api/v1/activity/{theirs}")[0].status == 200


@pytest.mark.parametrize("era", ERAS)
async def test_wellness_over_http_in_both_eras(tmp_path: Path, database_url: str, era: str) -> None:
    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC))
    fake.athletes[LOS_ANGELES.id].wellness["2026-07-27"].update(sleepQuality=2, mood=1)
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(datetime(2026, 7, 29, 18, tzinfo=UTC))
        caller = await gw.seed(LOS_ANGELES)
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            result = await client.call_tool(
                "get_wellness_data", {"start_date": "2026-07-25", "end_date": "2026-07-27"}
            )
            bad = await client.call_tool("get_wellness_data", {"start_date": "2026-7-25"})
    assert [{k: v for k, v in r.query.items() if k != "fields"} for r in fake.requests] == [
        {"oldest": "2026-07-25", "newest": "2026-07-27"}
    ]  # fields: tests/mcp/tools/test_upstream_fields.py
    answer = result.structured_content
    assert answer is not None and no_nulls(answer)
    assert [d["date"] for d in answer["days"]] == ["2026-07-25", "2026-07-26", "2026-07-27"]
    text = result.content[0].text  # type: ignore[union-attr]
    assert "sleep quality 2 (good) on 1-4, 1 best" in text and "mood 1 (great)" in text
    assert bad.is_error
    assert bad.content[0].text == "start_date must be a date like 2026-11-30."  # type: ignore[union-attr]


@pytest.mark.parametrize("era", ERAS)
async def test_every_tool_is_listed_and_answers_its_example_over_http(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """Registry-driven: a tool added under app/mcp/tools/catalog/ is called here with no edit."""
    moment = datetime(2026, 7, 29, 10, tzinfo=UTC)
    fake = fake_at(moment)
    specs = [s for s in served() if takes_athlete(s)]  # coach tools: tests/coach
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(moment)
        caller = await gw.seed(BERLIN, scope="mcp.read mcp.write")  # write tools answer a preview
        async with mcp_client(gw.mcp_url, caller.token, era) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            results = {
                spec.name: await client.call_tool(
                    spec.name, spec.example_arguments(fake, BERLIN.id)
                )
                for spec in specs
            }
    assert list(tools) == [spec.name for spec in specs]
    for name, result in results.items():
        text = result.content[0].text  # type: ignore[union-attr]
        assert result.is_error is False, f"{name}: {text}"
        answer = result.structured_content
        assert answer is not None and no_nulls(answer), name
        jsonschema.validate(answer, tools[name].output_schema or {})
        assert text and "truncated" not in answer, name
    assert len(fake.requests) >= len(specs), "every tool reached the fake Intervals.icu"
    assert all(request.status == 200 for request in fake.requests), "no upstream failures"


async def test_tool_list_over_http_follows_the_registry(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == [
        s.name for s in served() if s.scope == "mcp.read" and takes_athlete(s)
    ]  # a read token; not a coach, so no coach tools
    for tool in tools:
        assert tool.output_schema and tool.output_schema["type"] == "object"
        assert tool.annotations and tool.annotations.read_only_hint is True
        # a read changes no outside system: not open world (docs/directories.md)
        assert tool.annotations.open_world_hint is False and tool.title
