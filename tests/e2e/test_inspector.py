"""Flow 4: MCP Inspector's CLI (npm @modelcontextprotocol/inspector 2.x, on Node 22) completes
OAuth headlessly (dynamic registration, loopback callback; the athlete signs in and consents)
and lists the tools, then calls a tool in a second run with the token it stored; and calls a
tool with a pre-issued bearer token in a header."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.mcp.tools.registry import served
from tests.e2e.athlete import Athlete
from tests.e2e.inspector import run_inspector
from tests.e2e.oauth_flow import issue_tokens
from tests.e2e.requirements import require_inspector
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete

MARIA, PAT = DEMO_ATHLETES[3], DEMO_ATHLETES[4]


def assert_activities(
    called: dict[str, Any], athlete: DemoAthlete, fake_api: str, oldest: str, newest: str
) -> None:
    """The Inspector's tools/call result is the athlete's own activities, as the fake holds them."""
    assert called.get("isError") in (None, False), called
    answer = called["structuredContent"]
    assert answer["timezone"] == athlete.timezone
    ids = [row["id"] for row in answer["activities"]]
    assert ids == activity_ids(fake_api, athlete, oldest, newest) and ids


@pytest.fixture(autouse=True)
def _inspector_installed() -> None:
    require_inspector()


def test_inspector_signs_in_with_oauth_lists_and_calls_tools(
    stack: Stack, make_athlete: Callable[[str], Athlete], tmp_path: Path
) -> None:
    maria = make_athlete(MARIA.id)
    listed = run_inspector(
        tmp_path / "home", stack.mcp_url, ["--method", "tools/list"], authorize=maria.authorize
    )
    # the Inspector asks for every scope the server supports: it sees every tool, writes too
    assert {tool["name"] for tool in listed["tools"]} == {spec.name for spec in served()}
    assert all(tool.get("outputSchema") for tool in listed["tools"])
    assert maria.pages == ["/signin", "/authorize"], "the athlete signed in and consented"
    assert "MCP Inspector" in maria.connected_apps()

    # the next run reuses the token the OAuth run stored, without asking anyone again
    oldest, newest = window(MARIA)
    arguments = {"start_date": oldest, "end_date": newest, "limit": 100}
    called = run_inspector(
        tmp_path / "home",
        stack.mcp_url,
        [
            "--method",
            "tools/call",
            "--tool-name",
            "get_activities",
            "--tool-args-json",
            json.dumps(arguments),
            "--stored-auth-only",
        ],
    )
    assert_activities(called, MARIA, stack.fake_api, oldest, newest)


def test_inspector_calls_a_tool_with_a_pre_issued_bearer(
    stack: Stack, make_athlete: Callable[[str], Athlete], tmp_path: Path
) -> None:
    pat = make_athlete(PAT.id)
    token = issue_tokens(stack.base, stack.mcp_url, pat, "Inspector with a header")["access_token"]
    oldest, newest = window(PAT)
    arguments = {"start_date": oldest, "end_date": newest, "limit": 100}
    called = run_inspector(
        tmp_path / "home",
        stack.mcp_url,
        [
            "--method",
            "tools/call",
            "--tool-name",
            "get_activities",
            "--tool-args-json",
            json.dumps(arguments),
            "--header",
            f"Authorization: Bearer {token}",
        ],
    )
    assert_activities(called, PAT, stack.fake_api, oldest, newest)
