"""The protocol-era rule the SDK's streamable HTTP transport does not check yet (mcp 2.3.0).

Protocol 2026-07-28 carries the protocol version in each request's ``params._meta``
(``io.modelcontextprotocol/protocolVersion``, basic "Per-request protocol fields") and requires
the ``MCP-Protocol-Version`` HTTP header to equal it (transports, "HTTP headers": a mismatch is
error -32020 ``HEADER_MISMATCH``, HTTP 400). The SDK routes a request to its 2026-07-28 checks by
the header alone (``StreamableHTTPSessionManager._handle_request``, its TODO "body-primary
classification is a follow-up"), so a request with that envelope and no header, or a
handshake-era header, is served as a legacy request and its envelope ignored. :func:`mismatch`
names such a request; :class:`EraGuard` refuses it the way the SDK refuses the other header
mismatches (same code, status and wording).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types import PROTOCOL_VERSION_META_KEY
from mcp_types.jsonrpc import HEADER_MISMATCH
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.auth import last_header, read_body, replay_body

_VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode()
_META_MARKER = b"protocolVersion"
"""Every body carrying the envelope key contains this (a JSON escape of its "/" included)."""

MISMATCH_MESSAGE = (
    f"{MCP_PROTOCOL_VERSION_HEADER} header does not match the request envelope's protocol version"
)


def mismatch(headers: Mapping[str, str], body: bytes) -> tuple[Any, str] | None:
    """(request id, message) when ``body`` is one JSON-RPC message whose ``params._meta``
    carries the 2026-07-28 protocol version while the ``MCP-Protocol-Version`` header (keys in
    lower case) is absent or a handshake-era version; None for anything else (legacy requests
    carry no such envelope; a modern header is checked by the SDK)."""
    header = headers.get(MCP_PROTOCOL_VERSION_HEADER)
    if header is not None and header not in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    if _META_MARKER not in body:
        return None  # no envelope: nothing to parse (the common, hot case)
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the SDK answers its parse error
    if not isinstance(message, dict):
        return None
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict) or PROTOCOL_VERSION_META_KEY not in meta:
        return None
    return message.get("id"), MISMATCH_MESSAGE


class EraGuard:
    """ASGI middleware: POSTs to the streamable HTTP endpoint ``path`` refused by
    :func:`mismatch` get the JSON-RPC error -32020 with HTTP 400; everything else passes with
    its body replayed. The legacy SSE transport (2024-11-05, ``/messages/``) has no header rule:
    a client probing the modern era there gets the server's JSON-RPC answer on its stream and
    falls back. Sits behind the bearer guard, which already bounded the body."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:  # over the bearer guard's bound (it refuses such bodies first)
            await send({"type": "http.response.start", "status": 413, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if _META_MARKER in body:  # else no envelope: mismatch() is None whatever the headers
            version = last_header(scope, _VERSION_HEADER)
            # a 2026-07-28 (or unknown) version header: mismatch() is None, the SDK checks it
            if version is None or version in HANDSHAKE_PROTOCOL_VERSIONS:
                headers = {} if version is None else {MCP_PROTOCOL_VERSION_HEADER: version}
                refused = mismatch(headers, body)
                if refused is not None:
                    await _refuse(send, *refused)
                    return
        await self.app(scope, replay_body(body, receive), send)


async def _refuse(send: Send, request_id: Any, message: str) -> None:
    payload = {
        "jsonrpc": "2.0",
        "id": request_id if isinstance(request_id, str | int) else None,
        "error": {"code": HEADER_MISMATCH, "message": message},
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})
