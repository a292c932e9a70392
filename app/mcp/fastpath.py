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
- the handler chain: ``ServerRunner.on_request`` as ``serve_one`` runs it (:func:`serve_call`:
  the server's middleware, the spec's params validation, ``tools/call`` ->
  ``GatewayServer.call_tool`` -> the tool, the result's wire form) on a born-ready
  ``Connection`` seeded exactly as the SDK seeds it;
- the exception-to-wire rule of the SDK's ``JSONRPCDispatcher._handle_request`` (an
  ``MCPError`` / ``ValidationError`` via ``handler_exception_to_error_data``, anything else
  code 0 with its message), and the transport's JSON serialisation and headers.

A 2026-07-28 request (``Mcp-Method: tools/call``) is served as the SDK's single-exchange entry
(``handle_modern_request``, JSON mode) serves it, with its checks in its order (transport
security, ``Accept``, JSON, the request model, the ``_meta`` envelope ladder against the
routing headers), the same born-ready ``Connection`` and dispatch context and the same
exception-to-wire rule (``modern_error_data``), without its ``Mcp-Param-*`` header check when
that cannot refuse: no such header sent and no ``x-mcp-header`` in the tool's input schema.
A request any check would refuse, or with ``Mcp-Param-*`` headers, goes to
``handle_modern_request`` itself, which answers it in its own words.

In both eras a plain successful answer (app/mcp/answer_bytes.py ``plain_answer``) is built in
one pass from the tool's result to the response bytes (:class:`OnePassRunner`); anything else
the handler chain returns is shaped by the SDK (``ServerRunner._serialize``) and encoded as its
transport encodes it.

A request answered here runs with an "after the answer" slot open (app/after_answer.py): the
call's access-log row is put there and written once the answer's last bytes were handed to
the transport, in the same request task, whatever ended the request.

Anything else goes to the SDK unchanged, with its body: other methods, notifications,
responses, batches, a progress token (the SDK's dispatcher owns progress), a repeated routing
header, an unknown protocol version, a body the SDK would refuse.
"""

from __future__ import annotations

import json
import logging
from asyncio import events as asyncio_events
from collections.abc import Collection, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import pydantic_core
from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server._streamable_http_modern import (
    _SingleExchangeDispatchContext,
    _write,
    handle_modern_request,
)
from mcp.server.connection import _NO_CHANNEL, Connection, _typed
from mcp.server.context import CallNext, HandlerResult
from mcp.server.lowlevel.server import Server
from mcp.server.request_state import RequestStateBoundary
from mcp.server.runner import (
    ServerRunner,
    _dump_result,
    _extract_meta,
    aclose_shielded,
    modern_error_data,
)
from mcp.server.streamable_http import CONTENT_TYPE_JSON, check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared import _otel as sdk_otel
from mcp.shared.dispatcher import DispatchContext
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PARAM_HEADER_PREFIX,
    MCP_PROTOCOL_VERSION_HEADER,
    X_MCP_HEADER_KEY,
    InboundModernRoute,
    classify_inbound_request,
)
from mcp.shared.jsonrpc_dispatcher import (
    handler_exception_to_error_data,
    progress_token_from_params,
)
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    PROTOCOL_VERSION_META_KEY,
    ClientCapabilities,
    ErrorData,
    Implementation,
    InitializeRequestParams,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    jsonrpc_message_adapter,
)
from mcp_types.methods import is_input_required, validate_client_request
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from opentelemetry import propagate
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import NoOpTracer, ProxyTracer
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app.after_answer import answer_then_run
from app.mcp.answer_bytes import (
    PlainAnswer,
    legacy_answer_bytes,
    modern_answer_bytes,
    plain_answer,
)
from app.mcp.auth import ReadBody, read_body, replay_body

logger = logging.getLogger(__name__)

FAST_METHOD = "tools/call"
VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower().encode()
PARAM_HEADER_PREFIX = MCP_PARAM_HEADER_PREFIX.lower().encode()
PARAM_PREFIX_LENGTH = len(PARAM_HEADER_PREFIX)
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


@dataclass(slots=True)
class Era:
    """The protocol version a request runs at, and whether it is of the 2026-07-28 era.

    Built for every POST to ``/mcp`` and only read after: a plain slotted dataclass, since a
    frozen one pays an ``object.__setattr__`` call per field to be built."""

    version: str
    modern: bool
    routing: Mapping[str, str] = field(default_factory=dict, compare=False)
    """The SDK's routing headers the request sent (``MCP-Protocol-Version``, ``Mcp-Method``,
    ``Mcp-Name``; lowercase names, each at most once), as ``dict(request.headers)`` holds them:
    all that ``classify_inbound_request`` reads of the headers."""
    param_headers: bool = field(default=False, compare=False)
    """Whether the request sent any ``Mcp-Param-*`` header."""
    checked: tuple[bytes | None, ...] = field(default=(), compare=False)
    """The values of :data:`CHECKED_HEADERS` (None when absent): all that the SDK's header
    checks of a POST read (:meth:`ToolCallFastPath._headers_pass`)."""


CHECKED_HEADERS = (b"host", b"origin", b"content-type", b"accept")
"""What ``TransportSecurityMiddleware.validate_request`` (Content-Type, Host, Origin),
``check_accept_headers`` (Accept) and the transport's Content-Type rule read of a request:
with the settings fixed when the app is built, their verdict depends on these values alone.
Each is one of :data:`ROUTING_HEADERS`, so sent at most once by a request the fast path
takes (``headers.get`` reads that one value)."""

SDK_ROUTING_HEADERS = frozenset(
    name.encode() for name in (MCP_PROTOCOL_VERSION_HEADER, MCP_METHOD_HEADER, MCP_NAME_HEADER)
)
"""The headers ``classify_inbound_request`` reads and ``find_duplicated_routing_header`` checks
(``mcp.shared.inbound._ROUTING_HEADER_NAMES``; tests/mcp/test_fast_path.py holds them equal)."""


def era_of(scope: Scope) -> Era | None:
    """The request's protocol era from its routing headers, the way the SDK's session manager
    routes it (``MCP-Protocol-Version``: absent or a handshake version is legacy, the default
    version when absent; a 2026-07-28 version is modern) or None: a version the SDK does not
    serve, a repeated routing header, or a modern request whose ``Mcp-Method`` is not
    ``tools/call`` (the SDK's own rules decide all those)."""
    seen: dict[bytes, bytes] = {}
    routing: dict[str, str] = {}
    param_headers = False
    for key, value in scope["headers"]:
        if key not in ROUTING_HEADERS:
            if key[:PARAM_PREFIX_LENGTH] == PARAM_HEADER_PREFIX:  # startswith, without a call
                param_headers = True
            continue
        if key in seen:
            return None
        seen[key] = value
        if key in SDK_ROUTING_HEADERS:
            routing[key.decode("latin-1")] = value.decode("latin-1")
    checked = tuple(map(seen.get, CHECKED_HEADERS))
    version = routing.get(MCP_PROTOCOL_VERSION_HEADER)
    if version is None:
        return Era(DEFAULT_NEGOTIATED_VERSION, modern=False, checked=checked)
    if version in HANDSHAKE_PROTOCOL_VERSIONS:
        return Era(version, modern=False, checked=checked)
    if version in MODERN_PROTOCOL_VERSIONS and routing.get(MCP_METHOD_HEADER) == FAST_METHOD:
        return Era(
            version, modern=True, routing=routing, param_headers=param_headers, checked=checked
        )
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


PASS_THROUGH_MIDDLEWARE: frozenset[type] = frozenset(
    {OpenTelemetryMiddleware, RequestStateBoundary}
)
"""The SDK's own server middleware, which hand a ``tools/call`` result that is neither an error
nor ``input_required`` back unchanged (``_otel.py``, ``request_state.py``)."""


def passes_results_through(server: Server[Any]) -> bool:
    """Whether every server middleware is one the SDK ships that returns a plain answer as it
    got it: then what :class:`OnePassRunner` hands up the chain comes back untouched."""
    return {type(middleware) for middleware in server.middleware} <= PASS_THROUGH_MIDDLEWARE


def sdk_spans_recorded() -> bool:
    """Whether the SDK's OpenTelemetry spans (``mcp.shared._otel``) go anywhere: False while
    its tracer resolves, as it does for every span, to OpenTelemetry's no-op tracer (no
    tracer provider set: the API alone installed, or a provider that hands out no-op
    tracers). A tracer of any other shape counts as recording."""
    tracer = sdk_otel._tracer
    if isinstance(tracer, ProxyTracer):
        tracer = tracer._tracer  # what ``start_as_current_span`` delegates to, right now
    return not isinstance(tracer, NoOpTracer)


def carries_trace_context(params: Mapping[str, Any] | None) -> bool:
    """Whether the request's ``_meta`` holds a field the global propagator reads
    (``traceparent``, ``tracestate``, ``baggage`` by default): what the SDK's span would take
    as its parent (``extract_trace_context``)."""
    meta = params.get("_meta") if params else None
    if not isinstance(meta, Mapping) or not meta:
        return False
    return not propagated_fields(propagate.get_global_textmap()).isdisjoint(meta)


_FIELDS: dict[int, tuple[TextMapPropagator, frozenset[str]]] = {}


def propagated_fields(textmap: TextMapPropagator) -> frozenset[str]:
    """The carrier fields ``textmap`` reads (its ``fields``, which the composite propagator
    builds anew on every read), kept per propagator object: the global one is replaced, not
    changed, when an application installs its own."""
    kept = _FIELDS.get(id(textmap))
    if kept is not None and kept[0] is textmap:
        return kept[1]
    fields = frozenset(textmap.fields)
    _FIELDS[id(textmap)] = (textmap, fields)
    return fields


def middleware_passes_call_through(server: Server[Any], params: Mapping[str, Any] | None) -> bool:
    """Whether running the server middleware around this ``tools/call`` can change nothing:
    only the SDK's own (:func:`passes_results_through`), the OpenTelemetry span a no-op (no
    recording tracer, no trace context in ``_meta``: the span it opens is non-recording and
    parented as the ambient one), and no ``requestState`` for ``RequestStateBoundary`` to
    unseal (an ``input_required`` answer it would seal still is: :meth:`OnePassRunner.
    _compose_server_middleware`). Both pass an exception through as raised."""
    kinds = {type(middleware) for middleware in server.middleware}
    if not kinds <= PASS_THROUGH_MIDDLEWARE:
        return False
    if params is not None and params.get("requestState") is not None:
        return False
    if OpenTelemetryMiddleware in kinds:
        return not sdk_spans_recorded() and not carries_trace_context(params)
    return True


CERTAIN_CALL_KEYS = frozenset({"name", "arguments"})
SURELY_VALID_VERSIONS = frozenset(HANDSHAKE_PROTOCOL_VERSIONS)
"""The versions whose ``tools/call`` surface model takes any params of the shape
:func:`surely_valid_call` checks (the handshake era's ``CallToolRequest``: ``name`` a string,
``arguments`` an object of anything or null, only ``name`` required, no validators of its
own; tests/mcp/test_one_pass_runner.py holds each version's model to that)."""


def surely_valid_call(version: str, params: Mapping[str, Any] | None) -> bool:
    """Whether ``tools/call`` params certainly pass the SDK's surface validation at
    ``version`` (``validate_client_request``): a handshake version, only ``name`` (a string)
    and ``arguments`` (a JSON object or null). Anything else is validated."""
    if version not in SURELY_VALID_VERSIONS or type(params) is not dict:
        return False
    if type(params.get("name")) is not str or not params.keys() <= CERTAIN_CALL_KEYS:
        return False
    arguments = params.get("arguments")
    return arguments is None or type(arguments) is dict


@dataclass
class OnePassRunner(ServerRunner[Any]):
    """The SDK's handler kernel (``ServerRunner``), all of it (context, middleware, params
    validation, handler), except for the wire shaping of a plain tool answer
    (:func:`~app.mcp.answer_bytes.plain_answer`): that answer is kept in :attr:`answer`, for
    :mod:`app.mcp.answer_bytes` to encode in one pass, and an empty mapping stands for it in
    the middleware chain (which, :func:`passes_results_through`, treats both alike). Any other
    result is shaped by the SDK's ``_serialize`` as before."""

    answer: PlainAnswer | None = field(default=None, init=False)
    bare: bool = field(default=False, init=False)
    """Run the handler without the server middleware (set when
    :func:`middleware_passes_call_through` says they would change nothing)."""

    async def _on_request(
        self,
        dctx: DispatchContext[TransportContext],
        method: str,
        params: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """``ServerRunner._on_request``; for a :attr:`bare` ``tools/call`` (no middleware that
        could rewrite the context) its steps in its order, without the surface validation of
        params it certainly passes (:func:`surely_valid_call`): ``_extract_meta``, the context,
        the handler's entry and the init gate, the params model, the handler, ``_serialize``
        (inside the chain), ``_dump_result``. tests/mcp/test_one_pass_runner.py compares both."""
        if not self.bare or method != FAST_METHOD:
            return await super()._on_request(dctx, method, params)
        meta = _extract_meta(params)
        version = self.connection.protocol_version
        ctx = self._make_context(dctx, method, params, meta, version)
        call = self._compose_server_middleware(partial(self._call_tool, version))
        return _dump_result(await call(ctx))

    async def _call_tool(self, version: str, ctx: Any) -> HandlerResult:
        """``_on_request``'s ``_inner`` for ``tools/call`` (a bare call: ``ctx`` as made)."""
        params = ctx.params
        if not surely_valid_call(version, params):
            try:
                validate_client_request(FAST_METHOD, version, params)
            except KeyError:
                raise MCPError(
                    code=METHOD_NOT_FOUND, message="Method not found", data=FAST_METHOD
                ) from None
        entry = self.server.get_request_handler(FAST_METHOD)
        if entry is None:
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found", data=FAST_METHOD)
        if not self.connection.initialize_accepted:
            raise MCPError(code=INVALID_PARAMS, message="Invalid request parameters", data="")
        typed_params = entry.params_type.model_validate(
            {} if params is None else params, by_name=False
        )
        result = await entry.handler(ctx, typed_params)
        if isinstance(result, ErrorData):
            raise MCPError.from_error_data(result)
        return self._serialize(FAST_METHOD, version, result)

    def _compose_server_middleware(self, inner: CallNext) -> CallNext:
        """The SDK's middleware chain, or for a :attr:`bare` call the handler alone, with
        ``RequestStateBoundary``'s one effect on an answer kept: an ``input_required`` result
        is sealed as the boundary seals it for a request that brought no ``requestState``."""
        if not self.bare:
            return super()._compose_server_middleware(inner)
        boundaries = [m for m in self.server.middleware if isinstance(m, RequestStateBoundary)]
        if not boundaries:
            return inner

        async def sealed(ctx: Any) -> HandlerResult:
            result = await inner(ctx)
            if is_input_required(result):
                for boundary in reversed(boundaries):
                    result = boundary._seal_result(ctx, result, None)
            return result

        return sealed

    def _serialize(self, method: str, version: str, result: HandlerResult) -> dict[str, Any]:
        if (
            method == FAST_METHOD
            and method not in self.server.cache_hints
            and passes_results_through(self.server)
        ):
            answer = plain_answer(result)
            if answer is not None:
                self.answer = answer
                return {}
        return super()._serialize(method, version, result)


class PassingHeaders:
    """The header values (:attr:`Era.checked`, per era) that passed the SDK's header checks:
    a client sends the same few on every call. Bounded: emptied when ``size`` distinct sets
    are kept, so a client varying its headers costs a check per request, as before."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._kept: set[tuple[bool, tuple[bytes | None, ...]]] = set()

    def __contains__(self, key: tuple[bool, tuple[bytes | None, ...]]) -> bool:
        return key in self._kept

    def add(self, key: tuple[bool, tuple[bytes | None, ...]]) -> None:
        if len(self._kept) >= self._size:
            self._kept.clear()
        self._kept.add(key)


def stateless_connection(version: str) -> Connection:
    """The connection the SDK's stateless legacy path builds per POST
    (``StreamableHTTPSessionManager._handle_stateless_request``:
    ``Connection.from_envelope(version, None, None)``): born ready, no standalone channel, no
    client info or capabilities. Built without ``from_envelope``'s validation of the two
    absent envelope values, which always fails (``_typed(model, None)`` catches the
    ``ValidationError`` and gives None); tests/mcp/test_fast_path.py holds the two equal."""
    return born_ready(version, None, None)


def envelope_connection(route: InboundModernRoute) -> Connection:
    """``Connection.from_envelope`` of a 2026-07-28 request's envelope, as
    ``handle_modern_request`` builds it: client info and capabilities each validated into
    their model (a mis-shaped value reads as not supplied), the initialize parameters
    synthesised when both are there. tests/mcp/test_fast_path.py holds the two equal."""
    info = _typed(Implementation, route.client_info)
    capabilities = _typed(ClientCapabilities, route.client_capabilities)
    params = None
    if info is not None and capabilities is not None:
        params = InitializeRequestParams(
            protocol_version=route.protocol_version, capabilities=capabilities, client_info=info
        )
    return born_ready(route.protocol_version, params, capabilities)


def born_ready(
    version: str,
    params: InitializeRequestParams | None,
    capabilities: ClientCapabilities | None,
) -> Connection:
    """What ``Connection.from_envelope`` returns for these values (``Connection.__init__``
    with no channel, then the capabilities recorded and ``initialized`` set), with its event
    made by :func:`set_event`: ``anyio.Event()`` asks which async library runs the loop every
    time it is called, about a third of the connection's cost."""
    connection = Connection.__new__(Connection)
    connection.outbound = _NO_CHANNEL
    connection.protocol_version = version
    connection.session_id = None
    connection.client_params = params
    connection.client_capabilities = capabilities
    connection.initialized = set_event()
    connection.state = {}
    connection.exit_stack = AsyncExitStack()
    return connection


_ASYNCIO_EVENTS: dict[type, type[anyio.Event]] = {}


def new_event() -> anyio.Event:
    """A new ``anyio.Event()``. Under asyncio that is anyio's asyncio backend event, whose
    class is looked up once per kind of loop (``anyio.Event()`` asks which async library
    runs the loop every time); under anything else, ``anyio.Event()`` itself."""
    loop = asyncio_events._get_running_loop()
    kind = _ASYNCIO_EVENTS.get(type(loop)) if loop is not None else None
    if kind is not None:
        return kind()
    event = anyio.Event()
    if loop is not None:
        _ASYNCIO_EVENTS[type(loop)] = type(event)
    return event


def set_event() -> anyio.Event:
    """A new :func:`new_event`, set."""
    event = new_event()
    event.set()
    return event


LEGACY_TRANSPORT = TransportContext(kind="streamable-http", can_send_request=False)
"""The transport context of every handshake-era call (the session manager's stateless
``transport_builder``): frozen and the same for all, so made once."""


def exchange_context(
    transport: TransportContext,
    request_id: Any,
    metadata: ServerMessageMetadata,
    progress_token: Any = None,
) -> _SingleExchangeDispatchContext:
    """``_SingleExchangeDispatchContext`` as the SDK builds it for one request, its
    ``cancel_requested`` event (the field's default, ``anyio.Event()``) made by
    :func:`new_event`. tests/mcp/test_fast_path.py holds the two equal."""
    return _SingleExchangeDispatchContext(
        transport=transport,
        request_id=request_id,
        message_metadata=metadata,
        progress_token=progress_token,
        cancel_requested=new_event(),
    )


def has_cleanup(connection: Connection) -> bool:
    """Whether a handler entered anything on the connection's exit stack, which ``serve_one``
    unwinds (``aclose_shielded``: a shielded, bounded cancel scope around
    ``AsyncExitStack.aclose``). An empty stack has nothing to unwind and no checkpoint to
    reach, so the scope is skipped; a stack of unknown shape is unwound as the SDK does."""
    callbacks = getattr(connection.exit_stack, "_exit_callbacks", None)
    return callbacks is None or bool(callbacks)


async def serve_call(
    server: Server[Any],
    dctx: DispatchContext[TransportContext],
    call: JSONRPCRequest,
    connection: Connection,
    lifespan_state: Any,
) -> PlainAnswer | dict[str, Any]:
    """The SDK's ``serve_one`` with :class:`OnePassRunner`: a plain answer as the tool gave it,
    else the result's wire dict as ``serve_one`` returns it. Raises what the chain raises."""
    runner = OnePassRunner(server, connection, lifespan_state)
    runner.bare = middleware_passes_call_through(server, call.params)
    try:
        result = await runner.on_request(dctx, call.method, call.params)
    finally:
        # ``on_request`` is a cached property: the runner keeps its own bound method, a
        # reference cycle that would leave the runner, the connection and the answer to the
        # cyclic garbage collector; dropped here, they are freed when the call returns.
        runner.__dict__.pop("on_request", None)
        if has_cleanup(connection):
            await aclose_shielded(connection)
    if runner.answer is not None and not result:
        return runner.answer
    return result


class ToolCallFastPath:
    """ASGI app in front of the SDK's ``/mcp`` app (``sdk``): a ``tools/call`` it is certain
    about is answered here, in either era (see the module docstring); everything else reaches
    ``sdk`` unchanged. ``enabled`` False sends everything to ``sdk``
    (GATEWAY_MCP_FAST_PATH=off)."""

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
        self.modern_security = TransportSecurityMiddleware(manager.security_settings)
        """What ``handle_modern_request`` checks a 2026-07-28 request with."""
        self._header_free: dict[int, tuple[Any, bool]] = {}
        self._passing = PassingHeaders()
        self.server_info = server.server_info_stamp
        """The ``serverInfo`` stamp of a 2026-07-28 answer: the server's identity, fixed when
        it is built (``Server.server_info_stamp``), so taken once, not deep-copied per call."""
        self.path = path
        self.enabled = enabled
        self.answered = 0
        """Requests answered here (not by the SDK) since start: what tests and operators read."""
        self.one_pass = 0
        """Of those, the tool answers encoded in one pass (app/mcp/answer_bytes.py)."""

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
            await self._modern(scope, era, body, receive, send)
            return
        request = Request(scope, replay_body(body, receive))
        call = await self._certain_call(request, era, body) if era is not None else None
        if era is None or call is None:
            await self.sdk(scope, replay_body(body, receive), send)
            return
        self._take(scope)
        async with answer_then_run():  # its work runs once the answer's bytes were sent
            served = await self._run(request, call, era.version)
            if isinstance(served, bytes):
                self.one_pass += 1
                await send_json(send, served, type_first=True)
                return
            content = served.model_dump_json(by_alias=True, exclude_unset=True)
            response = Response(
                content, status_code=200, headers={"Content-Type": CONTENT_TYPE_JSON}
            )
            await response(scope, request.receive, send)

    def _take(self, scope: Scope) -> None:
        """Count a request answered here and route it as the SDK's router would have."""
        self.answered += 1
        if self.route is not None:
            scope["route"] = self.route

    async def _modern(
        self, scope: Scope, era: Era, body: bytes, receive: Receive, send: Send
    ) -> None:
        """A 2026-07-28 ``tools/call``: what the SDK's single-exchange entry
        (``handle_modern_request``, JSON mode) does, in its order and with its own checks,
        except that a plain answer is encoded in one pass and the ``Mcp-Param-*`` header
        check is not run when it cannot refuse (:meth:`_no_header_to_check`). A request
        any check would refuse, or that is not certain, goes to ``handle_modern_request`` as
        the session manager would call it, which answers it in its own words."""
        replayed = replay_body(body, receive)
        request = Request(scope, replayed)
        certain = await self._certain_modern_call(request, era, replayed)
        if certain is None:
            await handle_modern_request(
                self.server,
                self.manager.security_settings,
                self.manager.json_response,
                self.manager._lifespan_state,
                scope,
                replay_body(body, receive),
                send,
            )
            return
        call, verdict = certain
        async with answer_then_run():  # its work runs once the answer's bytes were sent
            await self._serve_modern(scope, request, call, verdict, send)

    async def _serve_modern(
        self,
        scope: Scope,
        request: Request,
        call: JSONRPCRequest,
        verdict: InboundModernRoute,
        send: Send,
    ) -> None:
        """Answer a certain 2026-07-28 ``tools/call`` (:meth:`_modern`)."""
        connection = envelope_connection(verdict)
        exchange = exchange_context(
            TransportContext(
                kind="streamable-http", can_send_request=False, headers=request.headers
            ),
            call.id,
            ServerMessageMetadata(request_context=request),
            progress_token_from_params(call.params),
        )
        answer: bytes | JSONRPCResponse | JSONRPCError
        try:
            served = await serve_call(
                self.server, exchange, call, connection, self.manager._lifespan_state
            )
            if isinstance(served, PlainAnswer):
                answer = modern_answer_bytes(call.id, served, self.server_info)
            else:
                answer = JSONRPCResponse(jsonrpc="2.0", id=call.id, result=served)
        except Exception as error:  # as ``_to_jsonrpc_response`` maps it
            answer = JSONRPCError(jsonrpc="2.0", id=call.id, error=modern_error_data(error))
        if not isinstance(answer, bytes):
            await _write(answer, scope, request.receive, send)
            return
        self.one_pass += 1
        await send_json(send, answer, type_first=False)

    async def _certain_modern_call(
        self, request: Request, era: Era, body: ReadBody
    ) -> tuple[JSONRPCRequest, InboundModernRoute] | None:
        """The call and its envelope, when every check ``handle_modern_request`` makes before
        the handler passes (in its order: transport security, ``Accept``, JSON, request shape,
        repeated routing headers, the envelope ladder, ``Mcp-Param-*`` headers), else None.
        The JSON is the SDK's (``json.loads`` of the body), parsed once for the request
        (:meth:`ReadBody.json`: the bearer guard parsed the same bytes the same way)."""
        if not self.manager.json_response:
            return None
        if not await self._headers_pass(request, era):
            return None
        try:
            decoded = body.json()
        except (ValueError, RecursionError):
            return None
        if not isinstance(decoded, dict) or "id" not in decoded:
            return None
        try:
            call = JSONRPCRequest.model_validate(decoded)
        except ValidationError:
            return None
        if call.method != FAST_METHOD:
            return None
        # ``find_duplicated_routing_header``: ``era_of`` found no routing header repeated
        verdict = classify_inbound_request(decoded, headers=era.routing)
        if not isinstance(verdict, InboundModernRoute):
            return None
        if era.param_headers or not self._no_header_to_check(call):
            return None
        return call, verdict

    def _no_header_to_check(self, call: JSONRPCRequest) -> bool:
        """For a request without ``Mcp-Param-*`` headers: whether the SDK's
        ``_mcp_param_rejection`` certainly finds nothing to refuse (no arguments, or an input
        schema that declares no ``x-mcp-header`` anywhere, so ``validate_mcp_param_headers``
        asks for no header). Anything else is left to the SDK."""
        params = call.params or {}
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or not arguments or not isinstance(arguments, Mapping):
            return True
        lookup = self.server.get_tool_input_schema
        if lookup is None:
            return False
        try:
            schema = lookup(name)
        except Exception:
            return False
        return schema is None or self._declares_no_header(schema)

    def _declares_no_header(self, schema: Any) -> bool:
        """No ``x-mcp-header`` key, value or text anywhere in ``schema`` (kept per schema
        object: a tool's input schema is built once)."""
        kept = self._header_free.get(id(schema))
        if kept is not None and kept[0] is schema:
            return kept[1]
        free = X_MCP_HEADER_KEY not in json.dumps(schema, default=str).lower()
        self._header_free[id(schema)] = (schema, free)
        return free

    def _may_take(self, scope: Scope) -> bool:
        return (
            self.enabled
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == self.path
            and self.manager._task_group is not None  # not started: the SDK says so
        )

    async def _certain_call(self, request: Request, era: Era, body: bytes) -> JSONRPCRequest | None:
        """The call, when every check the SDK's transport makes before the handler passes."""
        if not await self._headers_pass(request, era):
            return None
        return fast_tool_call(body)

    async def _headers_pass(self, request: Request, era: Era) -> bool:
        """Whether the SDK's header checks of a POST pass, in the era's order: transport
        security (``validate_request``, with the settings of the transport that serves the
        era), then ``Accept`` (``check_accept_headers``), then for the handshake era the
        transport's ``Content-Type`` rule. A passing verdict is kept per distinct
        :attr:`Era.checked` values (all the checks read; :class:`PassingHeaders`); a refusing
        one is not kept, so the SDK, which answers it, logs it as before."""
        key = (era.modern, era.checked)
        if key in self._passing:
            return True
        security = self.modern_security if era.modern else self.security
        if await security.validate_request(request, is_post=True) is not None:
            return False
        has_json, _ = check_accept_headers(request)
        if not has_json or (not era.modern and not is_json_content(request)):
            return False
        self._passing.add(key)
        return True

    async def _run(
        self, request: Request, call: JSONRPCRequest, version: str
    ) -> bytes | JSONRPCResponse | JSONRPCError:
        """The handler chain (:func:`serve_call`) on the connection the SDK's stateless legacy
        path builds: a plain answer's bytes, or the SDK's message; exceptions (the encoder's
        too, as the SDK's shaping would raise them) mapped as
        ``JSONRPCDispatcher._handle_request`` maps them."""
        metadata = ServerMessageMetadata(request_context=request, can_send_request=False)
        exchange = exchange_context(LEGACY_TRANSPORT, call.id, metadata)
        connection = stateless_connection(version)
        try:
            served = await serve_call(
                self.server, exchange, call, connection, self.manager._lifespan_state
            )
            if isinstance(served, PlainAnswer):
                return legacy_answer_bytes(call.id, served)
        except Exception as error:
            data = handler_exception_to_error_data(error)
            if data is None:
                logger.exception("handler for %r raised", call.method)
                data = ErrorData(code=0, message=str(error))
            return JSONRPCError(jsonrpc="2.0", id=call.id, error=data)
        return JSONRPCResponse(jsonrpc="2.0", id=call.id, result=served)


JSON_CONTENT_TYPE = (b"content-type", CONTENT_TYPE_JSON.encode("latin-1"))


async def send_json(send: Send, body: bytes, *, type_first: bool) -> None:
    """A 200 JSON answer, as starlette's ``Response`` sends it (the SDK's responses):
    ``Content-Type`` before ``Content-Length`` when given as a header (the handshake-era
    transport's ``_create_json_response``), after it when given as ``media_type`` (the
    2026-07-28 entry's ``_write``), without building the response object."""
    length = (b"content-length", str(len(body)).encode("latin-1"))
    headers = [JSON_CONTENT_TYPE, length] if type_first else [length, JSON_CONTENT_TYPE]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replayed(body: bytes | None, receive: Receive) -> Receive:
    """What the SDK reads: the body when it was read whole; else the stream as it stands."""
    return receive if body is None else replay_body(body, receive)
