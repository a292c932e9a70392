"""Flow 2, the Runalyze model: an operator registers ChatGPT's user-defined OAuth client with
the real CLI, and a scripted ChatGPT-like connector goes through discovery, sign-in, consent,
token (client_secret_post), tool calls, refresh and a reconnect without `scope`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.athlete import Athlete
from tests.e2e.chatgpt import CHATGPT_CALLBACK, Connector
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import mcp_client

LENA = DEMO_ATHLETES[1]


@pytest.fixture
def connector(stack: Stack) -> Iterator[Connector]:
    printed = stack.cli(
        "clients",
        "add",
        "--name",
        "ChatGPT",
        "--client-id",
        "35_openai",
        "--auth-method",
        "client_secret_post",
        "--scope",
        "mcp.read",
        "--redirect-uri",
        CHATGPT_CALLBACK,
    )
    secret = re.search(r"^client secret: (\S+)$", printed, re.MULTILINE)
    assert secret, printed
    connector = Connector(stack.mcp_url, "35_openai", secret.group(1))
    yield connector
    connector.http.close()
    stack.cli("clients", "remove", "35_openai")


async def recent_ids(mcp_url: str, access_token: str) -> list[str]:
    oldest, newest = window(LENA)
    async with mcp_client(mcp_url, access_token) as session:
        result = await session.call_tool(
            "get_activities", {"start_date": oldest, "end_date": newest, "limit": 100}
        )
    assert result.is_error is False and result.structured_content is not None
    assert result.structured_content["timezone"] == LENA.timezone
    return [row["id"] for row in result.structured_content["activities"]]


async def test_chatgpt_like_connector_with_an_operator_client(
    stack: Stack, connector: Connector, make_athlete: Callable[[str], Athlete]
) -> None:
    lena = make_athlete(LENA.id)
    expected = activity_ids(stack.fake_api, LENA, *window(LENA))
    connector.discover()
    assert connector.resource_metadata["resource"] == stack.mcp_url
    assert connector.metadata["issuer"] == stack.base

    first = connector.connect(lena, scope="mcp.read")
    assert lena.pages == ["/signin", "/authorize"]
    assert first["scope"] == "mcp.read" and first["token_type"] == "Bearer"
    assert first["expires_in"] > 0 and first["refresh_token"]
    assert await recent_ids(stack.mcp_url, first["access_token"]) == expected

    # refresh with client_secret_post; a wrong secret is refused and changes nothing
    refused = connector.token_response(
        secret="not-the-secret", grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    second = connector.refresh(first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert await recent_ids(stack.mcp_url, second["access_token"]) == expected

    # reconnect: ChatGPT omits scope; the client's registered scope is offered and granted
    third = connector.connect(lena, scope=None)
    assert lena.pages == ["/signin", "/authorize", "/authorize"]
    assert lena.offered_scopes == ["mcp.read"]
    assert third["scope"] == "mcp.read"
    assert await recent_ids(stack.mcp_url, third["access_token"]) == expected
    assert "ChatGPT" in lena.connected_apps()
