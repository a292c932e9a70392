"""Legacy HTTP+SSE transport with OAuth, as `mcp-remote --transport sse-only` and the MCP Python
SDK's `sse_client` use it: the client connects to `{base}/sse`, follows the 401 to the protected
resource metadata, and refuses to go on unless that document's `resource` is the URL it
connected to or its origin (RFC 9728 §3.3; the SDKs' `checkResourceAllowed`). Then it
registers, authorizes with `resource={base}/sse` (RFC 8707) and calls tools over SSE."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from mcp import Client
from mcp.client.sse import sse_client

from tests.e2e.athlete import Athlete
from tests.e2e.sdk_client import SdkClient, bearer_status
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES


async def test_sdk_sse_client_signs_in_and_calls_tools_over_legacy_sse(
    stack: Stack, make_athlete: Callable[[str], Athlete]
) -> None:
    athlete = DEMO_ATHLETES[2]
    person = make_athlete(athlete.id)
    sse_url = f"{stack.base}/sse"
    client = SdkClient(sse_url, person, name="SSE e2e client")
    expected = activity_ids(stack.fake_api, athlete, *window(athlete))
    oldest, newest = window(athlete)

    async with Client(sse_client(sse_url, auth=client.provider(), timeout=30)) as session:
        result = await session.call_tool(
            "get_activities", {"start_date": oldest, "end_date": newest, "limit": 100}
        )
    assert result.is_error is False, result.content
    assert result.structured_content is not None
    assert [row["id"] for row in result.structured_content["activities"]] == expected
    assert person.pages == ["/signin", "/authorize"]
    (authorize_url,) = client.authorizations
    assert parse_qs(urlsplit(authorize_url).query)["resource"] == [sse_url]
    # one MCP server behind two transports: the token also works on /mcp
    assert bearer_status(stack.mcp_url, client.access_token) == 200
