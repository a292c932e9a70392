"""Calendar and sport-settings writes end to end over /mcp with the SDK client and the SQL
store (issue 15): create an event and change FTP, confirm, then undo both from the journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.mcp.support import AUCKLAND, mcp_client, running_gateway


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    value: dict[str, Any] = result.structured_content
    return value


async def confirmed(client: Any, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    preview = structured(await client.call_tool(name, arguments))
    assert preview["status"] == "preview"
    return structured(await client.call_tool(name, {**arguments, "confirm": preview["confirm"]}))


async def test_create_event_and_ftp_change_then_undo_over_mcp(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        writer = await gw.seed(AUCKLAND, scope="mcp.read mcp.write")
        data = gw.fake.athletes[AUCKLAND.id]
        ride = next(s for s in data.sport_settings if "Ride" in s["types"])
        old_ftp = ride["ftp"]
        event = {"category": "WORKOUT", "date": "2026-08-02", "name": "Sweet spot", "load": 60}
        async with mcp_client(gw.mcp_url, writer.token) as client:
            created = await confirmed(client, "create_event", event)
            ftp = await confirmed(
                client, "update_sport_settings", {"sport": "Ride", "ftp": old_ftp + 3}
            )
            (new_event,) = [e for e in data.events.values() if e["name"] == "Sweet spot"]
            assert ride["ftp"] == old_ftp + 3 and new_event["icu_training_load"] == 60
            journal = structured(await client.call_tool("list_changes", {}))
            assert journal["count"] == 2
            for batch in (ftp["batch_id"], created["batch_id"]):
                await confirmed(client, "undo_changes", {"batch_id": batch})
        assert ride["ftp"] == old_ftp and new_event["id"] not in data.events
