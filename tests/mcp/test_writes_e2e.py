"""Writes end to end over /mcp with the SDK client (issue 15): the 403 step-up for a read-only
token, preview -> confirm -> journal -> undo on the real gateway with the SQL store, and what
the database keeps (the handle's hash, never the handle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import JournalRecord, WritePreview
from app.writes.changes import hash_handle
from tests.mcp.support import AUCKLAND, BERLIN, ERAS, mcp_client, running_gateway
from tests.mcp.test_auth import fetch, post

DAY = "2026-07-28"
WRITE_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "set_wellness", "arguments": {"day": DAY, "mood": 1}},
}
WRITE_TOOLS = {"set_wellness", "update_activity", "undo_changes"}


async def test_a_read_token_never_sees_write_tools_and_a_write_call_gets_403(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(AUCKLAND, scope="mcp.read")
        async with mcp_client(gw.mcp_url, reader.token) as client:
            names = {t.name for t in (await client.list_tools()).tools}
        response = await post(gw.mcp_url, reader.token, WRITE_CALL)
    assert "list_changes" in names and not names & WRITE_TOOLS
    assert response.status_code == 403
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
    assert 'scope="mcp.read mcp.write"' in challenge
    assert not [r for r in gw.fake.requests if r.method == "PUT"]


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    value: dict[str, Any] = result.structured_content
    return value


@pytest.mark.parametrize("era", ERAS)
async def test_preview_confirm_journal_undo_over_mcp(
    tmp_path: Path, database_url: str, era: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        writer = await gw.seed(AUCKLAND, scope="mcp.read mcp.write")
        stranger = await gw.seed(BERLIN, scope="mcp.read mcp.write", client_id="other")
        day = gw.fake.athletes[AUCKLAND.id].wellness.setdefault(DAY, {"id": DAY})
        old_weight = day.get("weight")
        args = {"day": DAY, "weight_kg": 66.6}
        async with mcp_client(gw.mcp_url, writer.token, era) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            preview = structured(await client.call_tool("set_wellness", args))
            handle = preview["confirm"]
            assert preview["status"] == "preview" and day.get("weight") == old_weight
            async with mcp_client(gw.mcp_url, stranger.token, era) as other:
                foreign = await other.call_tool("set_wellness", {**args, "confirm": handle})
            applied = structured(
                await client.call_tool("set_wellness", {**args, "confirm": handle})
            )
            assert day["weight"] == 66.6
            journal = structured(await client.call_tool("list_changes", {}))
            undo = structured(
                await client.call_tool("undo_changes", {"batch_id": applied["batch_id"]})
            )
            undone = structured(
                await client.call_tool(
                    "undo_changes", {"batch_id": applied["batch_id"], "confirm": undo["confirm"]}
                )
            )
        previews = await fetch(gw.settings, select(WritePreview.handle_hash))
        records = await fetch(
            gw.settings,
            select(JournalRecord.client_id, JournalRecord.grant_id, JournalRecord.undone_by),
        )
    assert names >= WRITE_TOOLS
    assert foreign.is_error and "another athlete or app connection" in json.dumps(
        foreign.model_dump(mode="json")
    )
    assert applied["status"] == "applied" and journal["count"] == 1
    assert undone["status"] == "applied" and day.get("weight") == old_weight
    stored = {row[0] for row in previews}
    assert hash_handle(handle) in stored and handle not in stored
    assert ("test-client", writer.grant_id, undone["batch_id"]) in records
