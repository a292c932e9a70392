"""The hot request's short way through the SDK: ``tools/call`` on ``POST /mcp``.

``/mcp`` is stateless with JSON responses. For a request of the handshake era (2025-06-18 /
2025-11-25: no ``MCP-Protocol-Version`` header, or one of those versions) the SDK's
``StreamableHTTPSessionManager._handle_stateless_request`` builds, per POST, a transport with
its memory streams and message router, a task in the manager's task group, a
``JSONRPCDispatcher`` and a ``ServerRunner`` loop, only to run one handler and hand its one
answer back through the streams. :class:`ToolCallFastPath` answers a ``tools/call`` it is
certain about without that machinery, and with the SDK's own pieces for everything that
decides the answer:

- the request checks the SDK transport makes on the way to the handler (DNS-rebinding Host and
  Origin, ``TransportSecurityMiddleware.validate_request``; ``Accept`` with
  ``check_accept_headers``; ``Content-Type``; JSON parse and the ``JSONRPCMessage`` model).
  A request any of them would refuse goes to the SDK, which refuses it in its own words;
- the handler chain: ``serve_one`` (``ServerRunner.on_request``: the server's middleware, the
  spec's params validation, ``tools/call`` -> ``GatewayServer.call_tool`` -> the tool, the
  result's wire form) on a born-ready ``Connection`` seeded exactly as the SDK seeds it;
- the exception-to-wire rule of the SDK's ``JSONRPCDispatcher._handle_request`` (an
  ``MCPError`` / ``ValidationError`` via ``handler_exception_to_error_data``, anything else
  code 0 with its message), and the transport's JSON serialisation and headers.

A 2026-07-28 request (``Mcp-Method: tools/call``) is already served by the SDK in one exchange
(``handle_modern_request``, every check of that era included); it goes straight there, without
the session manager's second pass over the body and the router in between.

Anything else goes to the SDK unchanged, with its body: other methods, notifications,
responses, batches, a progress token (the SDK's dispatcher owns progress), a repeated routing
header, an unknown protocol version, a body the SDK would refuse.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pydantic_core
from mcp.server._streamable_http_modern import (
    _SingleExchangeDispatchContext,
    handle_modern_request,
)
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import Server
from mcp.server.runner import serve_one
from mcp.server.streamable_http import CONTENT_TYPE_JSON, check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.inbound import MCP_METHOD_HEADER, MCP_NAME_HEADER, MCP_PROTOCOL_VERSION_HEADER
from mcp.shared.jsonrpc_dispatcher import (
    handler_exception_to_error_data,
    progress_token_from_params,
)
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    PROTOCOL_VERSION_META_KEY,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    jsonrpc_message_adapter,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.auth import read_body, replay_body

logger = logging.getLogger(__name__)

FAST_METHOD = "tools/call"
VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode()
METHOD_HEADER = MCP_METHOD_HEADER.encode()
ROUTING_HEADERS: Collection[bytes] = (
    b"host",
    b"origin",
    b"accept",
    b"content-type",
    VERSION_HEADER,
    METHOD_HEADER,
    MCP_NAME_HEADER.encode(),
)
"""Headers whose value the SDK reads with ``headers.get`` (the first one wins): a request
repeating one is left to the SDK rather than second-guessed."""


@dataclass(frozen=True)
class Era:
    """The protocol version a request runs at, and whether it is of the 2026-07-28 era."""

    version: str
    modern: bool


def era_of(scope: Scope) -> Era | None:
    """The request's protocol era from its routing headers, the way the SDK's session manager
    routes it (``MCP-Protocol-Version``: absent or a handshake version is legacy, the default
    version when absent; a 2026-07-28 version is modern) or None: a version the SDK does not
    serve, a repeated routing header, or a modern request whose ``Mcp-Method`` is not
    ``tools/call`` (the SDK's own rules decide all those)."""
    seen: set[bytes] = set()
    version: str | None = None
    method: str | None = None
    for key, value in scope["headers"]:
        if key not in ROUTING_HEADERS:
            continue
        if key in seen:
            return None
        seen.add(key)
        if key == VERSION_HEADER:
            version = value.decode("latin-1")
        elif key == METHOD_HEADER:
            method = value.decode("latin-1")
    if version is None:
        return Era(DEFAULT_NEGOTIATED_VERSION, modern=False)
    if version in HANDSHAKE_PROTOCOL_VERSIONS:
        return Era(version, modern=False)
    if version in MODERN_PROTOCOL_VERSIONS and method == FAST_METHOD:
        return Era(version, modern=True)
    return None


def is_json_content(request: Request) -> bool:
    """The transport's Content-Type rule (``StreamableHTTPServerTransport._check_content_type``)."""
    content_type = request.headers.get("content-type", "")
    parts = [part.strip() for part in content_type.split(";")[0].split(",")]
    return CONTENT_TYPE_JSON in parts


def fast_tool_call(body: bytes) -> JSONRPCRequest | None:
    """``body`` as the one ``tools/call`` request the fast path answers, or None: anything the
    SDK's transport would refuse or route elsewhere (parse and model errors, notifications,
    responses, batches, other methods), a progress token, or a 2026-07-28 envelope."""
    try:
        message = jsonrpc_message_adapter.validate_python(
            pydantic_core.from_json(body), by_name=False
        )
    except (ValueError, ValidationError):
        return None
    if not isinstance(message, JSONRPCRequest) or message.method != FAST_METHOD:
        return None
    params = message.params
    if progress_token_from_params(params) is not None:
        return None
    meta = params.get("_meta") if params else None
    if isinstance(meta, dict) and PROTOCOL_VERSION_META_KEY in meta:
        return None
    return message


class ToolCallFastPath:
    """ASGI app in front of the SDK's ``/mcp`` app (``sdk``): a legacy-era ``tools/call`` it is
    certain about is answered here (see the module docstring); everything else reaches ``sdk``
    unchanged. ``enabled`` False sends everything to ``sdk`` (GATEWAY_MCP_FAST_PATH=off)."""

    def __init__(
        self,
        sdk: ASGIApp,
        server: Server[Any],
        manager: StreamableHTTPSessionManager,
        security: TransportSecuritySettings,
        path: str,
        *,
        enabled: bool = True,
        route: BaseRoute | None = None,
    ) -> None:
        self.sdk = sdk
        self.route = route
        """The SDK's own route for ``path``: put in the scope of a request answered here, as the
        router this path skips would put it, so what reads the route (the HTTP metrics' route
        label, app/web/metrics.py) sees the same request either way."""
        self.server = server
        self.manager = manager
        self.security = TransportSecurityMiddleware(security)
        self.path = path
        self.enabled = enabled
        self.answered = 0
        """Requests answered here (not by the SDK) since start: what tests and operators read."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._may_take(scope):
            await self.sdk(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None or len(body) > self.manager.max_request_body_size:
            await self.sdk(scope, _replayed(body, receive), send)
            return
        era = era_of(scope)
        if era is not None and era.modern:
            self._take(scope)
            await self._modern(scope, replay_body(body, receive), send)
            return
        request = Request(scope, replay_body(body, receive))
        call = await self._certain_call(request, body) if era is not None else None
        if era is None or call is None:
            await self.sdk(scope, replay_body(body, receive), send)
            return
        self._take(scope)
        response = await self._answer(request, call, era.version)
        await response(scope, request.receive, send)

    def _take(self, scope: Scope) -> None:
        """Count a request answered here and route it as the SDK's router would have."""
        self.answered += 1
        if self.route is not None:
            scope["route"] = self.route

    async def _modern(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A 2026-07-28 ``tools/call``: straight into the SDK's single-exchange entry, as its
        session manager would call it (without re-reading the body through its size limit,
        already checked, and the Starlette router in between). Every check and every
        refusal of that era is the SDK's (``handle_modern_request``)."""
        await handle_modern_request(
            self.server,
            self.manager.security_settings,
            self.manager.json_response,
            self.manager._lifespan_state,
            scope,
            receive,
            send,
        )

    def _may_take(self, scope: Scope) -> bool:
        return (
            self.enabled
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == self.path
            and self.manager._task_group is not None  # not started: the SDK says so
        )

    async def _certain_call(self, request: Request, body: bytes) -> JSONRPCRequest | None:
        """The call, when every check the SDK's transport makes before the handler passes."""
        if await self.security.validate_request(request, is_post=True) is not None:
            return None
        has_json, _ = check_accept_headers(request)
        if not has_json or not is_json_content(request):
            return None
        return fast_tool_call(body)

    async def _answer(self, request: Request, call: JSONRPCRequest, version: str) -> Response:
        """Run the SDK's handler chain once and frame its answer as the JSON-response
        transport does (``StreamableHTTPServerTransport._create_json_response``)."""
        message = await self._run(request, call, version)
        return Response(
            message.model_dump_json(by_alias=True, exclude_unset=True),
            status_code=200,
            headers={"Content-Type": CONTENT_TYPE_JSON},
        )

    async def _run(
        self, request: Request, call: JSONRPCRequest, version: str
    ) -> JSONRPCResponse | JSONRPCError:
        """``serve_one`` on the connection the SDK's stateless legacy path builds; exceptions
        mapped as ``JSONRPCDispatcher._handle_request`` maps them."""
        metadata = ServerMessageMetadata(request_context=request, can_send_request=False)
        exchange = _SingleExchangeDispatchContext(
            transport=TransportContext(kind="streamable-http", can_send_request=False),
            request_id=call.id,
            message_metadata=metadata,
        )
        connection = Connection.from_envelope(version, None, None)
        try:
            result = await serve_one(
                self.server,
                exchange,
                call.method,
                call.params,
                connection=connection,
                lifespan_state=self.manager._lifespan_state,
            )
        except Exception as error:
            data = handler_exception_to_error_data(error)
            if data is None:
                logger.exception("handler for %r raised", call.method)
                data = ErrorData(code=0, message=str(error))
            return JSONRPCError(jsonrpc="2.0", id=call.id, error=data)
        return JSONRPCResponse(jsonrpc="2.0", id=call.id, result=result)


def _replayed(body: bytes | None, receive: Receive) -> Receive:
    """What the SDK reads: the body when it was read whole; else the stream as it stands."""
    return receive if body is None else replay_body(body, receive)
