"""The access log (issue 18) end to end over /mcp: every tool call on an athlete's data leaves
one row (when, client, who, tool, data category, read or write, outcome), recorded in the one
tool-call path, for the athlete whose data it was, with no tool arguments stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import AccessRecord
from app.mcp.tools.catalog._activity import latest_ride
from tests.mcp.support import AUCKLAND, BERLIN, Gateway, mcp_client, running_gateway


async def logged(gw: Gateway) -> list[AccessRecord]:
    engine = make_async_engine(gw.settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            return list((await db.scalars(select(AccessRecord).order_by(AccessRecord.id))).all())
    finally:
        await engine.dispose()


async def test_each_tool_call_is_logged_for_the_athlete_without_its_arguments(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        aroha = await gw.seed(AUCKLAND, scope="mcp.read mcp.write", client_id="claude-desktop")
        other = await gw.seed(BERLIN, client_id="other-app")
        strangers_ride = latest_ride(gw.fake, BERLIN.id)
        async with mcp_client(gw.mcp_url, aroha.token) as client:
            read = await client.call_tool("get_wellness_data", {})
            refused = await client.call_tool(
                "get_activity_details", {"activity_id": strangers_ride}
            )
            write = await client.call_tool("set_wellness", {"day": "2026-07-28", "mood": 1})
            await client.list_tools()  # not a tool call: nothing to log
        rows = await logged(gw)
    assert not read.is_error and refused.is_error and not write.is_error
    assert [(r.tool, r.mode, r.outcome) for r in rows] == [
        ("get_wellness_data", "read", "ok"),
        ("get_activity_details", "read", "refused"),
        ("set_wellness", "write", "ok"),
    ]
    assert {r.athlete_id for r in rows} == {aroha.athlete_pk} != {other.athlete_pk}
    assert {r.actor_id for r in rows} == {aroha.athlete_pk}
    assert {r.client_id for r in rows} == {"claude-desktop"}
    assert [r.categories for r in rows] == ["wellness", "activities", "wellness"]
    stored = " ".join(f"{r.tool} {r.categories} {r.actor_name}" for r in rows)
    assert strangers_ride not in stored and "2026-07-28" not in stored
