"""Legacy HTTP+SSE transport (MCP 2024-11-05): ``GET /sse`` opens the event stream, the client
POSTs its messages to ``/messages/?session_id=...``.

Same bearer authentication as ``/mcp`` (the guard sits in front of both). The SDK keeps each SSE
session in the memory of the instance that opened it and binds it to the principal that opened
it, so behind a load balancer this transport needs sticky sessions; ``/mcp`` does not.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import BaseRoute

SSE_PATH = "/sse"
MESSAGES_PATH = "/messages/"


def sse_routes(server: MCPServer[Any], security: TransportSecuritySettings) -> list[BaseRoute]:
    """The SDK's SSE routes (``/sse`` and ``/messages/``) with our DNS-rebinding settings."""
    app = server.sse_app(sse_path=SSE_PATH, message_path=MESSAGES_PATH, transport_security=security)
    return list(app.routes)
