"""Protocol 2026-07-28 over the full stack (issue 21, directory readiness): the SDK client in
that era discovers the server (``server/discover``), lists tools with the right cache hints and
calls a tool; every request carries its own ``_meta`` (protocol version, client capabilities)
and the ``MCP-Protocol-Version`` / ``Mcp-Method`` / ``Mcp-Name`` headers, and a request whose
headers disagree with its body is refused before anything runs (spec "Transports", HTTP
headers; error -32020 with HTTP 400)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.mcp.era import MISMATCH_MESSAGE, mismatch
from app.mcp.server import DISCOVER_CACHE, TOOLS_LIST_CACHE
from app.mcp.views import APP_MIME_TYPE, EXTENSION_ID
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import AUCKLAND, BERLIN, running_gateway

MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)
MODERN = "2026-07-28"
HEADER_MISMATCH = -32020
UNSUPPORTED_PROTOCOL_VERSION = -32022
APPS = {"extensions": {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}}


def fake() -> FakeIntervals:
    return FakeIntervals(today=date(2026, 7, 29), now=lambda: MOMENT)


@asynccontextmanager
async def recorded_client(url: str, token: str) -> AsyncIterator[tuple[Client, list[Any]]]:
    """The SDK client (mode auto: it discovers, then speaks 2026-07-28) and the HTTP requests
    it sent, as sent."""
    sent: list[Any] = []

    async def record(request: Any) -> None:
        sent.append(request)

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30, event_hooks={"request": [record]}) as http,
        Client(streamable_http_client(url, http_client=http), mode="auto") as client,
    ):
        yield client, sent


def envelope(capabilities: dict[str, Any] | None = None, version: str = MODERN) -> dict[str, Any]:
    """The per-request ``_meta`` a 2026-07-28 client sends (basic/index "Per-request protocol
    fields")."""
    return {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": capabilities or {},
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    }


async def post(
    url: str,
    token: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    meta: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    """One stateless 2026-07-28 request; the routing headers match the body unless ``headers``
    overrides them."""
    params = {**(params or {}), "_meta": meta if meta is not None else envelope()}
    sent_headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": method,
    }
    if method == "tools/call":
        sent_headers["Mcp-Name"] = params["name"]
    sent_headers.update(headers or {})
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(
            url,
            headers=sent_headers,
            json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
        )


async def test_a_2026_client_discovers_lists_and_calls_a_tool(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        caller = await gw.seed(BERLIN)
        async with recorded_client(gw.mcp_url, caller.token) as (client, sent):
            version = client.protocol_version
            capabilities = client.server_capabilities
            listed = await client.list_tools()
            profile = await client.call_tool("get_athlete_profile", {})
    assert version == MODERN
    assert [r.headers["mcp-method"] for r in sent] == [
        "server/discover",
        "tools/list",
        "tools/call",
    ]
    assert all(r.headers["mcp-protocol-version"] == MODERN for r in sent)
    assert sent[-1].headers["mcp-name"] == "get_athlete_profile"
    assert not any("mcp-session-id" in r.headers for r in sent)  # stateless: no session
    # nothing ever tells a client the list changed (stateless, no listen stream): say so
    assert capabilities.tools is not None and not capabilities.tools.list_changed
    assert capabilities.resources is not None and not capabilities.resources.subscribe
    # the list depends on the caller's token (scopes, toolsets, coach roster): private
    assert (listed.cache_scope, listed.ttl_ms) == ("private", TOOLS_LIST_CACHE.ttl_ms)
    assert "get_athlete_profile" in {t.name for t in listed.tools}
    assert profile.is_error is False
    assert (profile.structured_content or {})["name"] == BERLIN.name


async def test_discover_says_how_long_it_may_be_cached_and_for_whom(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        response = await post(gw.mcp_url, caller.token, "server/discover")
    result = response.json()["result"]
    assert response.status_code == 200
    assert result["supportedVersions"] == [MODERN]
    assert (result["cacheScope"], result["ttlMs"]) == ("private", DISCOVER_CACHE.ttl_ms)
    assert result["capabilities"]["tools"] == {"listChanged": False}


async def test_the_tool_list_differs_between_callers_so_it_is_never_shared(
    tmp_path: Path, database_url: str
) -> None:
    """Two tokens, two lists: a shared ("public") cache would hand one caller's list to the
    other, so the hint is "private"."""
    with running_gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(BERLIN)
        writer = await gw.seed(AUCKLAND, scope="mcp.read mcp.write")
        read_list = (await post(gw.mcp_url, reader.token, "tools/list")).json()["result"]
        write_list = (await post(gw.mcp_url, writer.token, "tools/list")).json()["result"]
    names = [{t["name"] for t in answer["tools"]} for answer in (read_list, write_list)]
    assert "set_wellness" in names[1] - names[0]
    assert read_list["cacheScope"] == write_list["cacheScope"] == "private"


async def test_client_capabilities_are_read_per_request(tmp_path: Path, database_url: str) -> None:
    """The same token, one request declaring MCP Apps in its ``_meta`` and one not: only the
    first sees the views; nothing carries over from one request to the next."""
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        with_apps = await post(gw.mcp_url, caller.token, "tools/list", meta=envelope(APPS))
        without = await post(gw.mcp_url, caller.token, "tools/list")
    apps_tools = {t["name"]: t for t in with_apps.json()["result"]["tools"]}
    plain_tools = {t["name"]: t for t in without.json()["result"]["tools"]}
    assert "ui" in apps_tools["get_fitness"].get("_meta", {})
    assert "ui" not in plain_tools["get_fitness"].get("_meta", {})
    assert "chart_fitness_range" in apps_tools and "chart_fitness_range" not in plain_tools


async def test_an_unsupported_version_in_the_metadata_is_refused_with_the_supported_ones(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        response = await post(
            gw.mcp_url,
            caller.token,
            "tools/list",
            meta=envelope(version="2099-01-01"),
            headers={"MCP-Protocol-Version": "2099-01-01"},
        )
    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == UNSUPPORTED_PROTOCOL_VERSION
    assert error["data"] == {"supported": [MODERN], "requested": "2099-01-01"}


async def test_a_request_without_its_metadata_is_refused(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        response = await post(gw.mcp_url, caller.token, "tools/list", meta={})
    assert response.status_code == 400
    assert "protocolVersion" in response.json()["error"]["message"]


async def test_headers_that_disagree_with_the_body_are_refused_before_anything_runs(
    tmp_path: Path, database_url: str
) -> None:
    """A proxy may route on the headers; a body that says something else would run unseen."""
    upstream = fake()
    with running_gateway(tmp_path, database_url, fake=upstream) as gw:
        gw.pin(MOMENT)
        caller = await gw.seed(BERLIN)
        call = {"name": "get_athlete_profile", "arguments": {}}
        refused = {
            "method": await post(
                gw.mcp_url, caller.token, "tools/call", call, headers={"Mcp-Method": "tools/list"}
            ),
            "name": await post(
                gw.mcp_url, caller.token, "tools/call", call, headers={"Mcp-Name": "get_gear"}
            ),
            "version": await post(
                gw.mcp_url, caller.token, "tools/call", call, meta=envelope(version="2025-11-25")
            ),
            "legacy header": await post(
                gw.mcp_url,
                caller.token,
                "tools/call",
                call,
                headers={"MCP-Protocol-Version": "2025-11-25"},
            ),
        }
        upstream_requests = len(upstream.requests)
        allowed = await post(gw.mcp_url, caller.token, "tools/call", call)
    for which, response in refused.items():
        assert response.status_code == 400, which
        error = response.json()["error"]
        assert error["code"] == HEADER_MISMATCH, which
        assert "header does not match" in error["message"], which
    assert upstream_requests == 0  # no tool ran
    assert allowed.status_code == 200 and allowed.json()["result"]["isError"] is False


def test_the_era_rule_is_a_plain_function() -> None:
    """app/mcp/era.py: only a request carrying the 2026-07-28 envelope without a matching era
    header is named; legacy requests and modern headers are left to the SDK."""
    modern = json.dumps(
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": envelope()}}
    ).encode()
    legacy = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}).encode()
    assert mismatch({}, modern) == (3, MISMATCH_MESSAGE)
    assert mismatch({"mcp-protocol-version": "2025-06-18"}, modern) == (3, MISMATCH_MESSAGE)
    assert mismatch({"mcp-protocol-version": MODERN}, modern) is None
    assert mismatch({}, legacy) is None
    assert mismatch({"mcp-protocol-version": "2025-11-25"}, legacy) is None
    assert mismatch({}, b"[" + modern + b"]") is None  # batches are legacy-only
    assert mismatch({}, b"{not json") is None


async def test_a_browser_client_may_send_the_2026_headers(
    tmp_path: Path, database_url: str
) -> None:
    """A web client of an allowed origin sends the routing headers on every request; the CORS
    preflight must allow them, or the browser never sends the request."""
    with running_gateway(tmp_path, database_url) as gw:
        async with httpx2.AsyncClient(timeout=30) as http:
            preflight = await http.options(
                gw.mcp_url,
                headers={
                    "Origin": gw.url,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": (
                        "authorization, content-type, mcp-protocol-version, mcp-method, mcp-name"
                    ),
                },
            )
    assert preflight.status_code == 200, preflight.text
    allowed = {
        h.strip() for h in preflight.headers["access-control-allow-headers"].lower().split(",")
    }
    assert {"mcp-protocol-version", "mcp-method", "mcp-name"} <= allowed
