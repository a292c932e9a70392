"""MCP Apps over /mcp (issue 17): an SDK client that declares the extension sees the view
resources, the tools' ``_meta.ui`` links and the app-only tools, and gets the whole series in
the result's ``_meta`` with a compact ``structuredContent``; a client that does not declare it
sees the gateway exactly as before. Both protocol eras."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.client.streamable_http import streamable_http_client

from app.mcp.views import APP_MIME_TYPE, EXTENSION_ID, VIEWS
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import AUCKLAND, BERLIN, ERAS, running_gateway

TODAY = date(2026, 7, 29)
MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)
VIEW_KEY = "intervals-gateway/view"


@asynccontextmanager
async def client(url: str, token: str, mode: str, apps: bool) -> AsyncIterator[Client]:
    extensions = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})] if apps else None
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, extensions=extensions) as connected:
            yield connected


@pytest.mark.parametrize("era", ERAS)
async def test_views_are_linked_only_for_clients_that_declare_the_extension(
    tmp_path: Path, database_url: str, era: str
) -> None:
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(MOMENT)
        caller = await gw.seed(BERLIN)
        async with client(gw.mcp_url, caller.token, era, apps=True) as apps:
            tools = {t.name: t for t in (await apps.list_tools()).tools}
            resources = (await apps.list_resources()).resources
            page = await apps.read_resource(VIEWS[0].uri)
            fitness = await apps.call_tool("get_fitness", {"step": "day"})
            ranged = await apps.call_tool(
                "chart_fitness_range", {"start_date": "2026-05-01", "end_date": "2026-07-28"}
            )
        async with client(gw.mcp_url, caller.token, era, apps=False) as plain:
            plain_tools = {t.name: t for t in (await plain.list_tools()).tools}
            plain_resources = (await plain.list_resources()).resources
            plain_fitness = await plain.call_tool("get_fitness", {"step": "day"})
            refused = await plain.call_tool("chart_fitness_range", {})

    fitness_view = next(v for v in VIEWS if v.name == "fitness")
    assert {r.uri for r in resources} >= {v.uri for v in VIEWS}
    assert all(r.mime_type == APP_MIME_TYPE for r in resources if r.uri.startswith("ui://"))
    assert page.contents[0].mime_type == APP_MIME_TYPE
    assert page.contents[0].text.startswith("<!doctype html>")  # type: ignore[union-attr]
    meta = tools["get_fitness"].meta or {}
    assert meta["ui"] == {"resourceUri": fitness_view.uri}
    assert meta["openai/outputTemplate"] == fitness_view.uri
    assert (tools["chart_fitness_range"].meta or {})["ui"]["visibility"] == ["app"]
    assert "ui" not in (tools["get_athlete_profile"].meta or {})

    assert "chart_fitness_range" not in plain_tools
    assert not [r for r in plain_resources if r.uri.startswith("ui://")]
    assert "ui" not in (plain_tools["get_fitness"].meta or {})
    assert "openai/outputTemplate" not in (plain_tools["get_fitness"].meta or {})
    assert refused.is_error is True

    # same text for both; the series only in the Apps client's _meta, its structuredContent
    # the summary values (small: ChatGPT hands structuredContent to the model verbatim)
    assert fitness.content == plain_fitness.content
    compact, whole = fitness.structured_content or {}, plain_fitness.structured_content or {}
    assert "points" not in compact and len(whole["points"]) == whole["count"] > 0
    assert compact == {k: v for k, v in whole.items() if k != "points"}
    assert size(compact) < 1_000 < size(whole)
    for result, listed in ((fitness, tools), (plain_fitness, plain_tools)):
        schema = listed["get_fitness"].output_schema
        jsonschema.validate(result.structured_content, schema)  # both forms satisfy it
    view_data = (fitness.meta or {})[VIEW_KEY]
    assert len(view_data["points"]) == view_data["count"] > 0
    assert view_data == {k: v for k, v in whole.items() if k != "as_of"}  # as_of: the model's
    assert VIEW_KEY not in (plain_fitness.meta or {})
    assert ranged.is_error is False
    assert (ranged.meta or {})[VIEW_KEY]["oldest"] == "2026-05-01"
    assert "points" not in (ranged.structured_content or {})


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def test_each_view_is_one_small_self_contained_document() -> None:
    for view in VIEWS:
        html = view.html
        assert len(html.encode()) <= view.budget_bytes, (view.name, len(html.encode()))
        assert "/*RUNTIME*/" not in html and "ui/initialize" in html
        for external in ("http://", "https://", "<link", " src=", "@import", "fetch(", "XMLHttp"):
            body = html.replace("http://www.w3.org/2000/svg", "")
            assert external not in body, (view.name, external)
        assert view.uri.startswith(f"ui://intervals-gateway/{view.name}-")


async def test_the_legacy_declaration_is_remembered_per_grant_not_per_server(
    tmp_path: Path, database_url: str
) -> None:
    """Stateless /mcp in the initialize era: what one grant's client declared never changes
    what another grant's client is sent."""
    with running_gateway(tmp_path, database_url) as gw:
        first = await gw.seed(BERLIN)
        second = await gw.seed(AUCKLAND, client_id="other-client")
        async with (
            client(gw.mcp_url, first.token, "legacy", apps=True) as apps,
            client(gw.mcp_url, second.token, "legacy", apps=False) as plain,
        ):
            plain_listed = {t.name: t for t in (await plain.list_tools()).tools}
            apps_listed = {t.name: t for t in (await apps.list_tools()).tools}
            plain_again = {t.name: t for t in (await plain.list_tools()).tools}
    assert "ui" in (apps_listed["get_fitness"].meta or {})
    assert "ui" not in (plain_listed["get_fitness"].meta or {})
    assert "ui" not in (plain_again["get_fitness"].meta or {})
    assert "chart_fitness_range" in apps_listed and "chart_fitness_range" not in plain_again


async def initialize_answer(url: str, token: str, apps: bool) -> dict[str, Any]:
    """The legacy ``initialize`` answer as sent (the SDK client reads it by the 2025-11-25
    schema, which has no ``extensions`` field, so it is read off the wire here)."""
    capabilities = {"extensions": {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}} if apps else {}
    params = {
        "protocolVersion": "2025-11-25",
        "capabilities": capabilities,
        "clientInfo": {"name": "host", "version": "1"},
    }
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(
            url,
            headers=headers,
            json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params},
        )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["result"]
    return answer


async def test_the_extension_is_advertised_only_to_clients_that_declare_it(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        async with client(gw.mcp_url, caller.token, "auto", apps=True) as apps:
            discovered = apps.server_capabilities.extensions or {}
            version = apps.protocol_version
        async with client(gw.mcp_url, caller.token, "auto", apps=False) as plain:
            plain_discovered = plain.server_capabilities.extensions or {}
        legacy = await initialize_answer(gw.mcp_url, caller.token, apps=True)
        plain_legacy = await initialize_answer(gw.mcp_url, caller.token, apps=False)
        async with client(gw.mcp_url, caller.token, "legacy", apps=True) as sdk:
            tools = {t.name: t for t in (await sdk.list_tools()).tools}
    assert version == "2026-07-28"  # server/discover
    assert EXTENSION_ID in discovered
    assert EXTENSION_ID not in plain_discovered
    assert EXTENSION_ID in legacy["capabilities"]["extensions"]
    assert legacy["protocolVersion"] == "2025-11-25" and "tools" in legacy["capabilities"]
    assert EXTENSION_ID not in plain_legacy["capabilities"].get("extensions", {})
    assert "ui" in (tools["get_fitness"].meta or {})  # the rewritten answer still reads well
