"""Flow 6, isolation: two athletes connect their own SDK clients; every tool answers each one
with their own data only, and every attempt to use one athlete's code, refresh token, access
token or MCP session with the other's client fails without leaking anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from mcp import Client

from tests.e2e.athlete import Athlete, query_of
from tests.e2e.oauth_flow import pkce_pair
from tests.e2e.sdk_client import SdkClient, bearer_status
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, event_ids, today_in, window
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
from tests.mcp.support import mcp_client

AROHA, LENA = DEMO_ATHLETES[0], DEMO_ATHLETES[1]
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


async def structured(session: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert result.is_error is False, (tool, result.content)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def refused_text(session: Client, tool: str, arguments: dict[str, Any]) -> str:
    """A tool asked for another athlete's object: an error, whose text is returned."""
    result = await session.call_tool(tool, arguments)
    assert result.is_error is True, (tool, result.structured_content)
    assert result.structured_content is None
    return " ".join(getattr(block, "text", "") for block in result.content)


async def own_view(stack: Stack, token: str, athlete: DemoAthlete) -> dict[str, Any]:
    """Every list tool, checked against the fake's own data for `athlete`."""
    oldest, newest = window(athlete)
    today = today_in(athlete)
    ahead = (today + timedelta(days=14)).isoformat()
    async with mcp_client(stack.mcp_url, token) as session:
        activities = await structured(
            session, "get_activities", {"start_date": oldest, "end_date": newest, "limit": 100}
        )
        wellness = await structured(
            session, "get_wellness_data", {"start_date": oldest, "end_date": newest}
        )
        events = await structured(
            session,
            "get_events",
            {"start_date": today.isoformat(), "end_date": ahead, "limit": 200},
        )
        activity = activities["activities"][0]["id"]
        details = await structured(session, "get_activity_details", {"activity_id": activity})
        laps = await structured(session, "get_activity_intervals", {"activity_id": activity})
        event = events["events"][0]["id"]
        one_event = await structured(session, "get_event_by_id", {"event_id": event})
    ids = [row["id"] for row in activities["activities"]]
    assert ids == activity_ids(stack.fake_api, athlete, oldest, newest)
    assert sorted(e["id"] for e in events["events"]) == event_ids(
        stack.fake_api, athlete, today.isoformat(), ahead
    )
    assert activities["timezone"] == wellness["timezone"] == athlete.timezone
    assert details["activity"]["id"] == activity and laps["count"] > 0
    assert one_event["event"]["id"] == event
    return {"activities": ids, "events": [e["id"] for e in events["events"]], "view": details}


async def test_two_athletes_never_see_each_others_data(
    stack: Stack, make_athlete: Callable[[str], Athlete]
) -> None:
    aroha, lena = make_athlete(AROHA.id), make_athlete(LENA.id)
    a_client = SdkClient(stack.mcp_url, aroha, name="Aroha's assistant")
    b_client = SdkClient(stack.mcp_url, lena, name="Lena's assistant")
    for client in (a_client, b_client):
        async with client.connect() as session:
            await session.list_tools()
    a_token, b_token = a_client.access_token, b_client.access_token
    a_view = await own_view(stack, a_token, AROHA)
    b_view = await own_view(stack, b_token, LENA)
    assert not set(a_view["activities"]) & set(b_view["activities"])
    assert not set(a_view["events"]) & set(b_view["events"])

    # Lena's token asking for Aroha's objects by id gets an error without Aroha's data
    a_activity, a_event = a_view["activities"][0], a_view["events"][0]
    a_name = a_view["view"]["activity"]["name"]
    async with mcp_client(stack.mcp_url, b_token) as session:
        for tool, args in [
            ("get_activity_details", {"activity_id": a_activity}),
            ("get_activity_intervals", {"activity_id": a_activity}),
            ("get_event_by_id", {"event_id": a_event}),
        ]:
            text = await refused_text(session, tool, args)
            assert a_name not in text and AROHA.name not in text

    assert a_client.storage.client is not None and b_client.storage.client is not None
    a_id, b_id = a_client.storage.client.client_id, b_client.storage.client.client_id
    token_url = f"{stack.base}/token"
    http = httpx.AsyncClient(timeout=30)

    # Aroha's refresh token presented by Lena's client: no tokens
    assert a_client.storage.tokens is not None and a_client.storage.tokens.refresh_token
    stolen_refresh = await http.post(
        token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": a_client.storage.tokens.refresh_token,
            "client_id": b_id,
        },
    )
    assert stolen_refresh.status_code == 400 and stolen_refresh.json()["error"] == "invalid_grant"
    assert "access_token" not in stolen_refresh.text

    # Lena's client cannot revoke Aroha's token (RFC 7009 §2.1: only the owning client)
    await http.post(f"{stack.base}/revoke", data={"token": a_token, "client_id": b_id})
    assert bearer_status(stack.mcp_url, a_token) == 200

    # /mcp is stateless: no session id is handed out that another caller could borrow
    opened = await http.post(
        stack.mcp_url,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {a_token}"},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "1"},
            },
        },
    )
    assert opened.status_code == 200 and "mcp-session-id" not in opened.headers

    # a fresh code for Aroha's client, redeemed by Lena's client (with the right verifier)
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": a_id,
        "redirect_uri": a_client.callback,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "scope": "mcp.read",
        "resource": stack.mcp_url,
    }
    code = query_of(aroha.authorize(f"{stack.base}/authorize?{urlencode(params)}"))["code"]
    stolen_code = await http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": a_client.callback,
            "code_verifier": verifier,
            "client_id": b_id,
        },
    )
    assert stolen_code.status_code == 400 and stolen_code.json()["error"] == "invalid_grant"
    assert "access_token" not in stolen_code.text
    # the attempt did not consume Aroha's code: her own client still redeems it
    own = await http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": a_client.callback,
            "code_verifier": verifier,
            "client_id": a_id,
        },
    )
    assert own.status_code == 200 and own.json()["scope"] == "mcp.read"

    await http.aclose()

    # each athlete's account page lists only their own application
    assert set(aroha.connected_apps()) >= {"Aroha's assistant"}
    assert "Lena's assistant" not in aroha.connected_apps()
    assert "Aroha's assistant" not in lena.connected_apps()
