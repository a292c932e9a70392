"""Flow 1: the MCP Python SDK client with `OAuthClientProvider` and dynamic registration:
401 → discovery → registration → authorize → sign-in → consent → token → tools/list →
tools/call → access-token expiry and refresh → revocation from the account page → 401 →
re-authorization, with every answer checked against the fake Intervals.icu's own data."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from mcp import Client

from app.mcp.tools.registry import served, takes_athlete
from tests.e2e.athlete import Athlete
from tests.e2e.sdk_client import SdkClient, bearer_status
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete

# The 401 challenge asks for mcp.read (write access is stepped up on demand with a 403), so a
# client that asks for the challenged scope sees every read tool of the catalogue.
SERVED_TOOLS = {  # the athlete coaches nobody: no coach tools
    spec.name for spec in served() if spec.scope == "mcp.read" and takes_athlete(spec)
}


def skip_client_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the SDK client's clock forward (its token-expiry checks), without sleeping."""
    clock = SimpleNamespace(time=lambda: time.time() + seconds)
    monkeypatch.setattr("mcp.client.auth.oauth2.time", clock)
    monkeypatch.setattr("mcp.shared.auth_utils.time", clock)


async def recent_activity_ids(session: Client, athlete: DemoAthlete) -> list[str]:
    oldest, newest = window(athlete)
    result = await session.call_tool(
        "get_activities", {"start_date": oldest, "end_date": newest, "limit": 100}
    )
    assert result.is_error is False, result.content
    answer = result.structured_content
    assert answer is not None and answer["timezone"] == athlete.timezone
    return [row["id"] for row in answer["activities"]]


async def test_sdk_client_signs_in_calls_tools_refreshes_and_is_revoked(
    stack: Stack, make_athlete: Callable[[str], Athlete], monkeypatch: pytest.MonkeyPatch
) -> None:
    athlete = DEMO_ATHLETES[0]
    person = make_athlete(athlete.id)
    client = SdkClient(stack.mcp_url, person, name="SDK lifecycle client")
    expected = activity_ids(stack.fake_api, athlete, *window(athlete))
    assert expected, "the fake has activities in the window"

    async with client.connect() as session:
        # 401 → discovery → dynamic registration → sign-in → consent → token → tools
        tools = {tool.name for tool in (await session.list_tools()).tools}
        assert tools == SERVED_TOOLS
        assert await recent_activity_ids(session, athlete) == expected
        assert person.pages == ["/signin", "/authorize"]
        assert client.grant_types_sent == ["authorization_code"]
        assert client.storage.client is not None
        assert client.storage.client.client_id.startswith("gwd_")
        assert client.result is not None and client.result.iss == stack.base
        assert "mcp.read" in person.offered_scopes

        # access-token expiry: dead at the gateway, and past expires_in for the client
        first_token = client.access_token
        stack.expire_access_token(first_token)
        assert bearer_status(stack.mcp_url, first_token) == 401
        skip_client_clock(monkeypatch, 3700)
        assert await recent_activity_ids(session, athlete) == expected
        assert client.grant_types_sent == ["authorization_code", "refresh_token"]
        assert len(client.authorizations) == 1, "refreshed without asking the athlete again"
        refreshed = client.access_token
        assert refreshed != first_token and bearer_status(stack.mcp_url, refreshed) == 200
        row = stack.token_row(refreshed)
        assert row is not None and row.parent_id is not None, "issued by a refresh grant"

        # the athlete disconnects the client on the account page: its tokens die at once
        assert "SDK lifecycle client" in person.connected_apps()
        person.revoke_app("SDK lifecycle client")
        assert "SDK lifecycle client" not in person.connected_apps()
        assert bearer_status(stack.mcp_url, refreshed) == 401

        # the next call gets 401 and the client re-authorizes (browser session: consent only)
        assert await recent_activity_ids(session, athlete) == expected
    assert len(client.authorizations) == 2
    assert person.pages == ["/signin", "/authorize", "/authorize"]
    assert client.grant_types_sent[-1] == "authorization_code"
    assert client.access_token != refreshed
    assert bearer_status(stack.mcp_url, client.access_token) == 200
    assert "SDK lifecycle client" in person.connected_apps()
