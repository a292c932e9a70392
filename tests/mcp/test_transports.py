"""The other transports: legacy SSE (same bearer auth) and `intervals-gateway stdio`."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.stdio import StdioConfig, StdioConfigError
from app.mcp.tools.registry import served, takes_athlete
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import AUCKLAND, BERLIN, running_gateway
from tests.support.live import live_server

ROOT = Path(__file__).resolve().parents[2]


def asgi(fake: FakeIntervals) -> ASGIApp:
    """The fake as a plain ASGI 3 callable (uvicorn does not detect a bound method as one)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await fake.app(scope, receive, send)

    return app


async def test_sse_transport_with_bearer_auth(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        headers = {"Authorization": f"Bearer {caller.token}"}
        async with Client(sse_client(f"{gw.url}/sse", headers=headers), mode="legacy") as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("get_wellness_data", {})
    assert [t.name for t in tools] == [
        s.name for s in served() if s.scope == "mcp.read" and takes_athlete(s)
    ]  # the token's scopes
    assert result.is_error is False and result.structured_content is not None
    assert result.structured_content["timezone"] == "Europe/Berlin"
    assert gw.fake.requests.last.path == "/api/v1/athlete/i100002/wellness"


def test_stdio_config_reads_both_variable_names() -> None:
    base = "https://intervals.icu/api/v1"
    new = StdioConfig.from_env({"INTERVALS_API_KEY": "k", "INTERVALS_ATHLETE_ID": "i5"}, base)
    old = StdioConfig.from_env({"API_KEY": "k", "ATHLETE_ID": "i5"}, base)
    assert new == old == StdioConfig(api_key="k", athlete_id="i5", base_url=base)
    assert "k" not in repr(new)
    no_athlete = StdioConfig.from_env(
        {"API_KEY": "k", "INTERVALS_API_BASE_URL": "http://127.0.0.1:9/api/v1/"}, base
    )
    assert no_athlete.athlete_id == "0" and no_athlete.base_url == "http://127.0.0.1:9/api/v1"
    with pytest.raises(StdioConfigError, match="INTERVALS_API_KEY"):
        StdioConfig.from_env({}, base)
    with pytest.raises(StdioConfigError, match="INTERVALS_ATHLETE_ID"):
        StdioConfig.from_env({"API_KEY": "k", "ATHLETE_ID": "x/../y"}, base)


@pytest.mark.slow
async def test_stdio_command_serves_the_tools(tmp_path: Path) -> None:
    fake = FakeIntervals(now=lambda: datetime.now(UTC))
    with live_server(asgi(fake)) as fake_url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "API_KEY": AUCKLAND.api_key,  # the original server's variable names
            "ATHLETE_ID": AUCKLAND.id,
            "INTERVALS_API_BASE_URL": f"{fake_url}/api/v1",
            "GATEWAY_DATA_DIR": str(tmp_path / "var"),
            "GATEWAY_DATABASE_URL": "postgresql://nowhere.invalid/none",  # never touched
        }
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "app.cli", "stdio"], env=env, cwd=str(tmp_path)
        )
        async with Client(params, mode="legacy") as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("get_activities", {"limit": 2})
            bad = await client.call_tool("get_event_by_id", {"event_id": 1})
    assert [t.name for t in tools] == [s.name for s in served() if takes_athlete(s)]  # no roster
    assert result.is_error is False and result.structured_content is not None
    assert result.structured_content["timezone"] == "Pacific/Auckland"
    assert result.structured_content["count"] == 2
    assert bad.is_error
    paths = [r.path for r in fake.requests]
    assert paths[0] == "/api/v1/athlete/0"  # the key's owner (and timezone), once
    assert f"/api/v1/athlete/{AUCKLAND.id}/activities" in paths
    assert all(r.auth == "basic" for r in fake.requests)


@pytest.mark.slow
async def test_stdio_with_a_rejected_key_says_what_to_fix(tmp_path: Path) -> None:
    fake = FakeIntervals()
    with live_server(asgi(fake)) as fake_url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "INTERVALS_API_KEY": "fake-key-wrong",
            "INTERVALS_API_BASE_URL": f"{fake_url}/api/v1",
            "GATEWAY_DATA_DIR": str(tmp_path / "var"),
        }
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "app.cli", "stdio"], env=env, cwd=str(tmp_path)
        )
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("get_wellness_data", {})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "INTERVALS_API_KEY" in text and "fake-key-wrong" not in text
