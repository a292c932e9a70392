"""The short way for one exact path through the app's middleware chain: ``/mcp``, the hot path.

A request to ``/mcp`` passes the whole chain FastAPI builds (``FastAPI.build_middleware_stack``):
Starlette's and FastAPI's error, telemetry and body-limit layers, our middlewares, the
exception handlers, FastAPI's exit stack, then the router, which tries routes until the MCP
route matches and hands over to its endpoint (app/mcp/server.py ``edge_app``). Several of those
layers do nothing for ``/mcp`` but pass the request on: :class:`PathShortcut` sends a request
for the path straight down a second chain built from the same layer objects' settings with
only those layers left out, so every header, status, error answer, log line and metric is what
the whole chain gives. Left out, each because it provably passes ``/mcp`` on unchanged:

- FastAPI's ``AppBodyLimitMiddleware`` when the app sets no ``max_body_size`` (ours does not;
  our own :class:`~app.web.body_limit.BodyLimit` stays) and no enclosing app set a limit;
- a middleware of ours whose ``passes_on(path)`` says so: :class:`~app.oauth.cors.OAuthCors`,
  which answers only its own paths (``cors_enabled``);
- FastAPI's ``AsyncExitStackMiddleware``: an exit stack for FastAPI routes' files, which the
  raw ASGI endpoint of ``/mcp`` never uses;
- the router and the route: the path's route is the first whose pattern matches it and
  accepts every method, so the router would always pick it; the keys the router puts in the
  scope (``router``, ``endpoint``, ``path_params``) are put there here.

Every other layer is kept, in its place, as a copy sharing its settings and handlers; a layer
of a kind not known here (a middleware added later) makes the app build no short way at all,
so nothing is ever skipped by accident (tests/test_mcp_edge.py compares both ways).
Requests FastAPI's native telemetry follows (``fastapi.telemetry`` in the scope) take the
whole chain, since its router reports the matched route to the telemetry.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from typing import Any

from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.body_limit import BodyLimit
from app.web.metrics import ObserveRequests
from app.web.security import PageSecurityHeaders

try:  # FastAPI's own layers, from private modules: if a release moves them, the app simply
    # builds no short way (a layer of unknown kind), it does not fail to start
    from fastapi._body_limit import AppBodyLimitMiddleware
    from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
except ImportError:  # pragma: no cover - the pinned FastAPI has both

    class AppBodyLimitMiddleware:  # type: ignore[no-redef]
        """Stands for a layer this FastAPI does not have."""

    class ExceptionTelemetryMiddleware:  # type: ignore[no-redef]
        """Stands for a layer this FastAPI does not have."""


try:  # where OpenTelemetry's API keeps its global providers (None until one is set)
    import opentelemetry._logs._internal as _otel_logs
    import opentelemetry.metrics._internal as _otel_metrics
    import opentelemetry.trace as _otel_trace

    PROVIDER_SLOTS: tuple[tuple[Any, str, str], ...] = (
        (_otel_trace, "_TRACER_PROVIDER", "OTEL_PYTHON_TRACER_PROVIDER"),
        (_otel_metrics, "_METER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"),
        (_otel_logs, "_LOGGER_PROVIDER", "OTEL_PYTHON_LOGGER_PROVIDER"),
    )
except (ImportError, AttributeError):  # pragma: no cover - the pinned API has them
    PROVIDER_SLOTS = ()


class TelemetryOff:
    """Whether FastAPI's native telemetry (``FastAPI.__call__``: ``NativeTelemetry.enabled()``)
    certainly stays off for a request, read from three module attributes instead of
    ``enabled()``'s three provider look-ups (each an ``os.environ`` test, ~2 µs in all).

    ``enabled()`` is False while none of its providers is configured: none given in the app's
    telemetry settings, and each of OpenTelemetry's global ones unset (the API's
    ``get_*_provider`` then hands out its deferred proxy) with no environment variable naming
    one to load. Whatever sets a global provider fills its module attribute, which is read
    here on every request; the environment variables are read once, when this is made
    (``GatewayApp`` makes it at its first request): a variable naming a provider then makes
    FastAPI's check run for every request, as before; one set later from inside the process
    is not seen. Anything not as expected (an API without these attributes) answers False:
    FastAPI checks as before."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        given = any(config.get(key) is not None for key in _CONFIG_PROVIDERS)
        named = any(variable in os.environ for _, _, variable in PROVIDER_SLOTS)
        self.possible = bool(PROVIDER_SLOTS) and not given and not named

    def __call__(self) -> bool:
        if not self.possible:
            return False
        for module, attribute, _ in PROVIDER_SLOTS:
            if getattr(module, attribute, True) is not None:
                return False
        return True


_CONFIG_PROVIDERS = ("tracer_provider", "meter_provider", "logger_provider")


KEPT: tuple[type, ...] = (
    ServerErrorMiddleware,
    ExceptionTelemetryMiddleware,
    ObserveRequests,
    BodyLimit,
    PageSecurityHeaders,
    ExceptionMiddleware,
)
"""Layers that act on the path's requests: kept in the short way, in their order."""


def passes_on(layer: Any, path: str) -> bool:
    """Whether ``layer`` passes every request for ``path`` on unchanged (module docstring)."""
    if isinstance(layer, AppBodyLimitMiddleware):
        return not isinstance(layer.app, RequestBodyLimitMiddleware)  # no max_body_size
    passes = getattr(layer, "passes_on", None)  # a layer of ours that knows (OAuthCors)
    if callable(passes):
        return bool(passes(path))
    return isinstance(layer, AsyncExitStackMiddleware)


def first_route(router: Router, path: str) -> Route | None:
    """The route the router picks for every request to ``path`` (any method), or None when
    that is not certain (the first route whose pattern matches restricts methods, or is not
    a plain route)."""
    probe: Scope = {"type": "http", "path": path, "root_path": "", "method": "POST"}
    for route in router.routes:
        match, _ = route.matches(probe)
        if match is Match.NONE:
            continue
        if isinstance(route, Route) and type(route) is Route:
            return route if route.path == path and route.methods is None else None
        return None
    return None


def short_chain(stack: ASGIApp, router: Router, route: Route) -> ASGIApp | None:
    """The chain from ``stack`` (the app's whole middleware stack) down to the endpoint of
    ``route`` (:func:`first_route` of its path) with the layers that pass its path on left
    out; None if any layer is not understood here."""
    path = route.path
    if getattr(router, "form_limits", None):
        return None
    layers: list[Any] = []
    layer: Any = stack
    while layer is not router:
        if not isinstance(layer, KEPT) and not passes_on(layer, path):
            return None
        layers.append(layer)
        layer = layer.app
    inner: ASGIApp = route.app
    for layer in reversed(layers):
        if isinstance(layer, KEPT):
            kept: Any = copy.copy(layer)
            kept.app = inner
            inner = kept
    return inner


class PathShortcut:
    """ASGI app over the app's whole middleware stack: an HTTP request for exactly ``path``
    goes down :func:`short_chain` (when ``enabled`` and one could be built), anything else
    down the whole stack. ``taken`` counts the requests that went the short way (tests read
    it); ``enabled`` False sends everything the whole way (tests compare both)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.enabled = True
        self.taken = 0
        self.app: ASGIApp | None = None
        """The whole stack (named ``app`` like any middleware's inner app, so what walks a
        stack by ``.app``, e.g. FastAPI's check for OpenTelemetry's middleware, still sees it)."""
        self.short: ASGIApp | None = None
        self.routed: Callable[[Scope], None] = _nothing

    def wrap(self, stack: ASGIApp, router: Router) -> ASGIApp:
        """Put the shortcut over ``stack`` (called when the app builds its stack)."""
        self.app = stack
        route = first_route(router, self.path)
        self.short = short_chain(stack, router, route) if route is not None else None
        if route is not None:
            self.routed = _routed_by(router, route)
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and self.enabled
            and self.short is not None
            and MAX_BODY_SIZE_SCOPE_KEY not in scope
            and "fastapi.telemetry" not in scope
        ):
            self.taken += 1
            self.routed(scope)
            await self.short(scope, receive, send)
            return
        assert self.app is not None
        await self.app(scope, receive, send)


def _nothing(scope: Scope) -> None:
    return None


def _routed_by(router: Router, route: Route) -> Callable[[Scope], None]:
    """What the router writes into the scope of a request it hands to ``route``."""
    endpoint = route.endpoint

    def routed(scope: Scope) -> None:
        if "router" not in scope:
            scope["router"] = router
        scope["endpoint"] = endpoint
        scope["path_params"] = dict(scope.get("path_params", {}))

    return routed
