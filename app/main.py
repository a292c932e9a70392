"""The HTTP application factory. No global app state: every call builds an independent app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from fastapi import FastAPI

from app import __version__
from app.accounts.routes import install_accounts
from app.clock import Clock
from app.heap import heap_frozen
from app.logredact import install_access_log_redaction
from app.mcp.server import MCP_PATH, mount_mcp, run_mcp, served_specs
from app.oauth.purge import start_purge_task
from app.oauth.routes import install_oauth
from app.observe import current_observer
from app.services import HttpClientFactory, open_services
from app.settings import Settings
from app.web import health, home, legal, webhooks
from app.web.body_limit import BodyLimit
from app.web.metrics import install_metrics
from app.web.security import PageSecurityHeaders
from app.web.shortcut import PathShortcut, TelemetryOff
from app.web.unavailable import install_unavailable_handler

if TYPE_CHECKING:
    import httpx
    from starlette.types import ASGIApp, Receive, Scope, Send


class GatewayApp(FastAPI):
    """FastAPI with the short way to ``/mcp`` (app/web/shortcut.py) over its middleware stack:
    ``app.state.shortcut``, installed by :func:`create_app`. An HTTP request while FastAPI's
    native telemetry is certainly off (:class:`~app.web.shortcut.TelemetryOff`) goes to the
    stack as ``FastAPI.__call__`` sends it then (through ``Starlette.__call__``), without its
    per-request provider look-ups; anything else goes through ``FastAPI.__call__``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "fastapi.telemetry" in scope or not self._telemetry_off():
            await super().__call__(scope, receive, send)
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    @cached_property
    def _telemetry_off(self) -> TelemetryOff:
        return TelemetryOff(self._telemetry)

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        shortcut = getattr(self.state, "shortcut", None)
        return shortcut.wrap(stack, self.router) if shortcut is not None else stack


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http_client_factory: HttpClientFactory | None = None,
    intervals_transport: httpx.AsyncBaseTransport | None = None,
    schema_head: str | None = None,
    freeze_startup_objects: bool = False,
) -> FastAPI:
    """Build the gateway: OAuth server, pages, `/mcp`, health probes, all bound to `settings`.

    The lifespan opens the app's :class:`~app.services.Services` (database, vault, the one
    Intervals.icu client, limiters) on ``app.state.services``; handlers reach them with
    :func:`app.services.services`. Tests pass a ``clock`` to move time, and an
    ``http_client_factory`` (or its shorthand ``intervals_transport``, e.g.
    ``httpx.ASGITransport(app=fake.app)``) to send every Intervals.icu request (API and OAuth
    token exchange) to the fake server in-process, with ``intervals_api_base_url`` set to the
    fake's URL (e.g. ``http://intervals.test/api/v1``). ``schema_head`` is the migration
    head ``/readyz`` expects, when the caller knows it (``serve`` reads it in a child process,
    app/cli.py); otherwise it is read from the migration scripts here.
    """
    app_clock = clock or Clock()
    if http_client_factory is None and intervals_transport is not None:
        transport = intervals_transport

        def http_client_factory() -> httpx.AsyncClient:
            import httpx  # tests only: the server process never loads httpx at start

            return httpx.AsyncClient(transport=transport)

    if schema_head is None:
        from app.db.migrations import head_revision  # imports Alembic

        schema_head = head_revision(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_services(
            settings,
            clock=app_clock,
            schema_head=schema_head,
            http_client_factory=http_client_factory,
        ) as services:
            app.state.services = services
            # tasks started from here (the MCP transports, the purge) report to this app
            observing = current_observer.set(app.state.observer)
            app.state.oauth.documents.shared = services.redis
            purge_task = start_purge_task(services.sessions, settings, services.redis)
            following = services.revocations.start_following()  # other instances' revocations
            try:
                async with run_mcp(app, services), webhooks.run_webhooks(app, services):
                    with heap_frozen(freeze_startup_objects):
                        yield
            finally:
                if purge_task is not None:
                    purge_task.cancel()
                if following is not None:
                    following.cancel()
                del app.state.services
                current_observer.reset(observing)

    app = GatewayApp(
        title="Intervals.icu MCP gateway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_access_log_redaction()
    app.add_middleware(PageSecurityHeaders)
    install_unavailable_handler(app)
    # Routers, one per concern (accounts pages, OAuth endpoints, MCP) are included here.
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(legal.router)
    app.include_router(webhooks.router)
    install_accounts(app)
    install_oauth(app, settings, frozenset(spec.scope for spec in served_specs(settings)))
    mount_mcp(app, settings)
    app.add_middleware(BodyLimit)  # before any route reads a body
    app.state.observer = install_metrics(app, settings)  # outermost: ids and counts every answer
    app.state.shortcut = PathShortcut(MCP_PATH)  # the hot path skips what passes it on
    return app
