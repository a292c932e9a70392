"""The MCP server and its HTTP mounting: ``/mcp`` (streamable HTTP) and legacy SSE.

``/mcp`` runs stateless with JSON responses, so any instance behind a load balancer can answer
any request; it serves both protocol eras of the SDK: 2025-06-18 / 2025-11-25 (``initialize``)
and 2026-07-28 (stateless, ``server/discover``). In front of the transports: CORS (exposing
``WWW-Authenticate`` and ``Mcp-Session-Id``) and the bearer guard (app/mcp/auth.py). The SDK's
DNS-rebinding protection stays on, with hosts and origins derived from the base URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from mcp.server.caching import CacheHint
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    DiscoverResult,
    InputRequiredResult,
    ListResourcesResult,
    ListToolsResult,
    PaginatedRequestParams,
    RequestParams,
)
from mcp_types import Tool as MCPTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from app import __version__
from app.clock import utc_now
from app.coach.roster import Roster
from app.db.token_cache import TokenCache
from app.mcp.apps import (
    RememberApps,
    advertised_extensions,
    listed_for,
    renders_views,
    view_resources,
    view_series,
    view_uri,
)
from app.mcp.auth import (
    BearerGuard,
    allowed_hosts_and_origins,
    cors_origin_regex,
)
from app.mcp.caller import CallDeadline, CallerSessions, call_deadline
from app.mcp.era import EraGuard
from app.mcp.fastpath import ToolCallFastPath
from app.mcp.identity import Caller, current_caller
from app.mcp.sse import MESSAGES_PATH, SSE_PATH, sse_routes
from app.mcp.tool_call import failed_call, tool_context
from app.mcp.tools.arguments import arguments_message
from app.mcp.tools.context import (
    AthleteContext,
    AthleteProvider,
    Clock,
    ToolCall,
    requested_athlete,
)
from app.mcp.tools.errors import UpstreamSlow
from app.mcp.tools.limits import AnswerLimits
from app.mcp.tools.registry import (
    ATHLETE_ARGUMENT,
    ATHLETE_ARGUMENT_SCHEMA,
    build_tools,
    error_result,
    served,
    takes_athlete,
    tool_scopes,
    unknown_toolsets,
    view_data_wanted,
    visible,
)
from app.mcp.tools.spec import TOOLSETS, ToolSpec
from app.mcp.views.tools import APP_ONLY, app_only_specs
from app.oauth.cors import OriginGatedCors
from app.oauth.resource import resolve_bearer
from app.services import Services
from app.settings import Settings, SettingsError

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Reads the signed-in athlete's Intervals.icu data. Dates are YYYY-MM-DD in the athlete's "
    "own timezone; answers name their units (m, s, W, bpm) and scales."
)
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Mcp-Session-Id",
    "MCP-Protocol-Version",
    "Mcp-Method",
    "Mcp-Name",
]
"""Request headers a browser client may send: 2026-07-28 adds ``Mcp-Method`` and ``Mcp-Name`` to
every request (transports, "HTTP headers")."""
TOOLS_LIST_CACHE = CacheHint(ttl_ms=60_000, scope="private")
"""``tools/list`` and ``resources/list`` cache hints (2026-07-28, SEP-2549): the list depends on
the caller (token scopes, GATEWAY_TOOLSETS, a coach's roster, MCP Apps declared in the request),
so never shared across authorization contexts; within one it changes only when a coach's roster
does, and no change notification is ever sent (stateless), so a client re-lists after a minute.
A tool call is checked on the server anyway, whatever list the client holds."""
DISCOVER_CACHE = CacheHint(ttl_ms=3_600_000, scope="private")
"""``server/discover``: the same for every caller until a deployment changes it, except the MCP
Apps extension, echoed only to a client that declared it: private, one hour."""
CACHE_HINTS = {
    "tools/list": TOOLS_LIST_CACHE,
    "resources/list": TOOLS_LIST_CACHE,
    "server/discover": DISCOVER_CACHE,
}


ScopesOfCaller = Callable[[], Collection[str] | None]
"""The scopes of the current request's caller; None for an unscoped local caller (stdio)."""


RosterOfCaller = Callable[[], Awaitable[Roster | None]]
"""The current caller's roster (athletes they may act for); None or empty: not a coach."""


async def no_roster() -> None:
    """stdio mode: the one local user acts for themself only."""
    return None


def unscoped() -> None:
    """stdio mode: the one local user sees every served tool."""
    return None


def bearer_scopes() -> frozenset[str]:
    """HTTP mode: the scopes of the verified bearer token (none without a verified caller)."""
    caller = current_caller.get()
    return frozenset() if caller is None else caller.scopes


class GatewayServer(MCPServer[Any]):
    """The SDK's server with two gateway rules on top, in one place:

    - ``tools/list`` and ``tools/call`` only reach the tools the caller's token scopes allow
      (a read-only token never sees or runs a write tool; the bearer guard's 403 comes first
      on HTTP, this is defence in depth for every transport);
    - arguments that fail validation get one short plain message (app/mcp/tools/arguments.py)
      instead of pydantic's report with its validator URLs;
    - MCP Apps views are linked only for clients that declared the extension (app/mcp/apps.py).
    - coach access (issue 18): a caller with a roster sees an optional ``athlete`` argument
      on every tool that acts for one athlete, and the coach toolset; the argument is taken
      out here and handed to the provider (``requested_athlete``), which checks it against
      the roster on the server for every call. Callers without a roster see neither.
    """

    def __init__(
        self,
        specs: Sequence[ToolSpec],
        scopes: ScopesOfCaller,
        roster: RosterOfCaller = no_roster,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._specs = tuple(specs)
        self._spec_named: dict[str, ToolSpec] = {}
        for spec in self._specs:
            self._spec_named.setdefault(spec.name, spec)
        self._scopes = scopes
        self._roster = roster
        for resource in view_resources():
            self.add_resource(resource)
        self._lowlevel_server.add_request_handler(
            "server/discover", RequestParams, self._handle_discover
        )

    async def _handle_discover(
        self, ctx: ServerRequestContext[Any], params: RequestParams | None
    ) -> DiscoverResult:
        """``server/discover`` (protocol 2026-07-28): the SDK's answer, with the MCP Apps
        extension in ``capabilities.extensions`` only when this request's client capabilities
        declared it (the legacy ``initialize`` answer: app/mcp/apps.py ``RememberApps``)."""
        lowlevel = self._lowlevel_server
        return DiscoverResult(
            supported_versions=list(MODERN_PROTOCOL_VERSIONS),
            capabilities=lowlevel.get_capabilities(
                extensions=advertised_extensions(renders_views(ctx)),
                protocol_version=ctx.protocol_version,
            ),
            instructions=lowlevel.instructions,
        )

    def _visible_names(self) -> set[str]:
        return {spec.name for spec in visible(self._specs, self._scopes())}

    async def _is_coach(self) -> bool:
        return bool(await self._roster())

    async def _coach_listing(self, tools: list[MCPTool]) -> list[MCPTool]:
        """Coach tools and the ``athlete`` argument only for a caller with a roster."""
        coach = await self._is_coach()
        specs = {spec.name: spec for spec in self._specs}
        listed = []
        for tool in tools:
            spec = specs.get(tool.name)
            if spec is None:
                continue
            if not takes_athlete(spec):
                if coach:
                    listed.append(tool)
            else:
                listed.append(with_athlete_argument(tool) if coach else tool)
        return listed

    async def _handle_list_tools(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """``tools/list``: for a client that declared MCP Apps, the tools linked to their views
        and the app-only tools too (app/mcp/apps.py)."""
        if not renders_views(ctx):
            return ListToolsResult(tools=await self.list_tools())
        names = self._visible_names()
        listed = (listed_for(t, True) for t in await super().list_tools() if t.name in names)
        return ListToolsResult(
            tools=await self._coach_listing([tool for tool in listed if tool is not None])
        )

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        """``resources/list``: the ``ui://`` views only for a client that renders them (any
        client may still read one by its address)."""
        listed = await self.list_resources()
        if not renders_views(ctx):
            listed = [r for r in listed if not str(r.uri).startswith("ui://")]
        return ListResourcesResult(resources=listed)

    async def list_tools(self) -> list[MCPTool]:
        """The tools the caller may see, without the views' app-only tools."""
        names = self._visible_names() - set(APP_ONLY)
        return await self._coach_listing(
            [tool for tool in await super().list_tools() if tool.name in names]
        )

    async def _handle_call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
    ) -> CallToolResult | InputRequiredResult:
        """``tools/call``: the SDK's handler (``MCPServer._handle_call_tool``) with the tool's
        ``Context`` made without pydantic's constructor (app/mcp/tool_call.py, issue 20)."""
        context = tool_context(ctx, self, params, self._subscriptions)
        try:
            return await self.call_tool(params.name, params.arguments or {}, context)
        except MCPError:
            raise
        except Exception as exc:
            return failed_call(params.name, exc)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        spec = self._spec_named.get(name)
        if spec is not None and not visible((spec,), self._scopes()):
            return error_result(
                f"{name} needs the {spec.scope} scope, which this connection lacks."
            )
        apps = renders_views(context)
        if name in APP_ONLY and not apps:
            return error_result(f"{name} is called by the gateway's chart views only.")
        arguments = dict(arguments)
        athlete = arguments.pop(ATHLETE_ARGUMENT, None)
        coach_spec = (
            spec if spec is not None and (athlete is not None or not takes_athlete(spec)) else None
        )
        token = requested_athlete.set(athlete)
        wanted = view_data_wanted.set(apps and view_uri(name) is not None)
        # a coach's roster check starts the call's time limit (app/mcp/caller.py)
        limit = None if coach_spec is None else call_deadline.set(CallDeadline())
        try:
            if coach_spec is not None:
                refusal = await self._coach_refusal(coach_spec, athlete)
                if refusal is not None:
                    return error_result(refusal)
            return await self._call(name, arguments, context)
        finally:
            if limit is not None:
                call_deadline.reset(limit)
            view_data_wanted.reset(wanted)
            requested_athlete.reset(token)

    async def _coach_refusal(self, spec: ToolSpec, athlete: Any) -> str | None:
        """Why this call may not name ``athlete`` / run this coach tool (None: it may)."""
        try:
            coach = await self._is_coach()
        except UpstreamSlow as slow:  # the roster lookup reached the call's time limit
            return str(slow)
        if not coach:
            return (
                f"{spec.name} is for coaches: nobody shares their data with you."
                if not takes_athlete(spec)
                else "The athlete argument is for coaches: nobody shares their data with you."
            )
        if athlete is not None and not takes_athlete(spec):
            return f"{spec.name} covers your whole roster and takes no athlete."
        if athlete is not None and not isinstance(athlete, str):
            return "athlete: give an id or name from your roster."
        return None

    async def _call(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            cause = error.__cause__
            tool = self._tool_manager.get_tool(name)
            bad_arguments = isinstance(cause, ValidationError) and not isinstance(
                error, UnexpectedToolError
            )  # an UnexpectedToolError is our own answer failing its model: a crash
            if not bad_arguments or tool is None:
                raise
            assert isinstance(cause, ValidationError)
            return error_result(arguments_message(cause.errors(), tool.parameters))


def with_athlete_argument(tool: MCPTool) -> MCPTool:
    """The tool as a coach sees it: its input schema with the optional ``athlete`` argument."""
    schema = dict(tool.input_schema)
    properties = dict(schema.get("properties") or {})
    properties[ATHLETE_ARGUMENT] = ATHLETE_ARGUMENT_SCHEMA
    schema["properties"] = properties
    return tool.model_copy(update={"input_schema": schema})


def build_server(
    provider: AthleteProvider,
    specs: Sequence[ToolSpec] | None = None,
    scopes: ScopesOfCaller = unscoped,
    limits: AnswerLimits | None = None,
    roster: RosterOfCaller = no_roster,
) -> GatewayServer:
    """An MCP server with ``specs`` (default: every tool) bound to ``provider`` (multi-user or
    stdio); ``scopes`` says which tools the current caller may see and call; ``limits`` is
    the size budget of one answer (default: AnswerLimits())."""
    specs = with_app_only(served() if specs is None else tuple(specs))
    return GatewayServer(
        specs,
        scopes,
        roster,
        name="intervals-gateway",
        title="Intervals.icu",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=build_tools(provider, specs, limits, series_of=view_series),
        cache_hints=CACHE_HINTS,
        subscriptions=False,  # nothing is ever published: listChanged is false, no listen stream
    )


def with_app_only(specs: Sequence[ToolSpec]) -> tuple[ToolSpec, ...]:
    """``specs`` plus the app-only tools of the views they feed (app/mcp/views/tools.py)."""
    names = {spec.name for spec in specs}
    return (*specs, *(s for s in app_only_specs(specs) if s.name not in names))


def served_specs(settings: Settings) -> tuple[ToolSpec, ...]:
    """The tools of the toolsets GATEWAY_TOOLSETS names (a clear error for unknown names)."""
    chosen = settings.served_toolsets
    unknown = unknown_toolsets(chosen or ())
    if unknown:
        raise SettingsError(
            f"GATEWAY_TOOLSETS: unknown toolset {unknown[0]!r}; choose from "
            f"{', '.join(TOOLSETS)} or all"
        )
    return served(chosen)


@dataclass
class McpRuntime:
    """What `/mcp` needs per request; the database and Intervals.icu client arrive at startup.

    Two phases because the SDK server wants its provider (this object) when the app is built,
    before the lifespan opens the app's services (app/services.py).
    """

    settings: Settings
    server: GatewayServer | None = None
    callers: CallerSessions | None = None
    clock: Clock = field(default=utc_now)
    tokens: TokenCache[object] | None = None
    fast_path: ToolCallFastPath | None = None
    """The ``tools/call`` fast path in front of the SDK (app/mcp/fastpath.py), once mounted."""

    def open(self) -> AbstractAsyncContextManager[AthleteContext]:
        """The :class:`AthleteProvider` of the HTTP transports."""
        if self.callers is None:
            raise RuntimeError("the MCP endpoint is not started")
        return self.callers.open()

    async def record_call(self, call: ToolCall) -> None:
        """The access log of the HTTP transports (:class:`CallRecorder`; app/mcp/caller.py)."""
        if self.callers is not None:
            await self.callers.record_call(call)

    async def caller_roster(self) -> Roster | None:
        """The current caller's roster (per caller ``tools/list``; app/mcp/coach.py)."""
        caller = current_caller.get()
        if caller is None or self.callers is None:
            return None
        return await self.callers.roster_of(caller)

    async def verify(self, token: str) -> Caller | None:
        """Bearer verification (verified-token cache, else the database), on the app's clock."""
        if self.callers is None:
            return None
        return await resolve_bearer(
            self.callers.sessions,
            token,
            resource=self.settings.mcp_resource,
            clock=self.clock,
            cache=self.tokens,
        )

    @asynccontextmanager
    async def started(self, services: Services) -> AsyncIterator[None]:
        """Bind to the app's services and run the SDK's session manager."""
        assert self.server is not None
        self.clock = services.clock.now
        self.tokens = services.tokens
        self.callers = CallerSessions(
            sessions=services.sessions,
            keyring=services.vault,
            intervals=services.intervals,
            clock=services.clock.now,
            call_timeout=self.settings.tool_call_timeout_seconds,
            confirm_ttl=timedelta(seconds=self.settings.write_confirm_ttl_seconds),
            guardrails=self.settings.guardrail_limits,
            rosters=services.rosters,
            api_key_signin=self.settings.api_key_signin,
        )
        try:
            async with self.server.session_manager.run():
                yield
        finally:
            self.callers = None


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection with hosts and origins derived from the base URL."""
    hosts, origins = allowed_hosts_and_origins(settings.base_url, is_local=settings.is_local)
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)


def edge_app(runtime: McpRuntime, server: GatewayServer, specs: Sequence[ToolSpec]) -> ASGIApp:
    """Both transports behind the ``tools/call`` fast path (app/mcp/fastpath.py), the era check
    (app/mcp/era.py), the bearer guard and CORS."""
    settings = runtime.settings
    security = transport_security(settings)
    streamable = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        transport_security=security,
    )
    inner = Starlette(routes=[*streamable.routes, *sse_routes(server, security)])
    runtime.fast_path = ToolCallFastPath(
        inner,
        server._lowlevel_server,
        server.session_manager,
        security,
        MCP_PATH,
        enabled=settings.mcp_fast_path,
        route=next(r for r in streamable.routes if getattr(r, "path", None) == MCP_PATH),
    )
    guarded = BearerGuard(
        EraGuard(RememberApps(runtime.fast_path), MCP_PATH),
        base_url=settings.base_url,
        verify=runtime.verify,
        tool_scopes=tool_scopes(specs),
    )
    return OriginGatedCors(
        guarded,
        allow_origin_regex=cors_origin_regex(security.allowed_origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=CORS_HEADERS,
        expose_headers=["WWW-Authenticate", "Mcp-Session-Id"],
    )


def mount_mcp(app: FastAPI, settings: Settings) -> McpRuntime:
    """Add ``/mcp``, ``/sse`` and ``/messages/`` to the app; enter :func:`run_mcp` in its
    lifespan. Exact routes, no catch-all mount, so the order of routers does not matter for
    what answers; they go first because the router tries routes in order and ``/mcp`` is the
    hot path (every tool call skips matching the pages' and OAuth's routes)."""
    runtime = McpRuntime(settings)
    specs = with_app_only(served_specs(settings))
    limits = AnswerLimits.from_settings(settings)
    runtime.server = build_server(
        runtime, specs, scopes=bearer_scopes, limits=limits, roster=runtime.caller_roster
    )
    edge = edge_app(runtime, runtime.server, specs)
    app.router.routes[:0] = [
        Route(MCP_PATH, endpoint=edge, include_in_schema=False),
        Route(SSE_PATH, endpoint=edge, methods=["GET", "OPTIONS"], include_in_schema=False),
        Route(MESSAGES_PATH, endpoint=edge, methods=["POST", "OPTIONS"], include_in_schema=False),
    ]
    app.state.mcp = runtime
    return runtime


@asynccontextmanager
async def run_mcp(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """The MCP part of the app's lifespan (FastAPI does not run a mounted app's lifespan)."""
    runtime: McpRuntime = app.state.mcp
    async with runtime.started(services):
        yield
