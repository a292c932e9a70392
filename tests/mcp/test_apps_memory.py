"""What a gateway remembers of a grant's ``initialize`` (MCP Apps declared or not) is its own:
two gateway apps in one process (tests, or an embedding host) each number their grants from 1."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from app.mcp.apps import APP_MIME_TYPE, EXTENSION_ID, RememberApps, renders_views
from app.mcp.identity import Caller, current_caller

SCOPE = {"type": "http", "method": "POST", "path": "/mcp", "headers": []}


def body(method: str, capabilities: dict[str, Any] | None = None) -> bytes:
    params = {"capabilities": capabilities} if capabilities is not None else {}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()


APPS = {"extensions": {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}}


async def ask(gateway: RememberApps, sent: bytes) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": sent, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    await gateway(SCOPE, receive, send)


async def test_one_gateways_memory_of_grant_1_does_not_reach_another_gateways_grant_1() -> None:
    seen: list[bool] = []

    async def tool_server(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        seen.append(renders_views(SimpleNamespace(session=None)))

    first, second = RememberApps(tool_server), RememberApps(tool_server)
    current_caller.set(Caller(1, "i1", "UTC", "c", 1, frozenset({"mcp.read"})))
    await ask(first, body("initialize", APPS))  # grant 1 of the first gateway declares views
    await ask(second, body("tools/list"))  # grant 1 of the second never did
    await ask(first, body("tools/list"))
    await ask(second, body("initialize", {}))
    await ask(first, body("tools/list"))

    assert seen == [True, False, True, False, True]
