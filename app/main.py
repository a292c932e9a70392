"""The HTTP application factory. No global app state: every call builds an independent app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app import __version__
from app.accounts.routes import install_accounts
from app.db.engine import make_async_engine, make_sessionmaker
from app.db.migrations import head_revision
from app.intervals.client import IntervalsClient
from app.keyring import resolve_key_ring
from app.logredact import install_access_log_redaction
from app.mcp.server import mount_mcp, run_mcp
from app.oauth.purge import start_purge_task
from app.oauth.routes import install_oauth
from app.settings import Settings
from app.vault.crypto import Vault
from app.web import health, home
from app.web.body_limit import BodyLimit
from app.web.security import PageSecurityHeaders
from app.web.unavailable import install_unavailable_handler


def create_app(
    settings: Settings, *, intervals_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the gateway: OAuth server, pages, `/mcp`, health probes, all bound to `settings`.

    ``app.state.intervals`` is the one process-wide Intervals.icu client (opened and closed by
    the lifespan) and ``app.state.vault`` the credential vault. Tests pass
    ``intervals_transport=httpx.ASGITransport(app=fake.app)`` to send every Intervals.icu
    request (API and OAuth token exchange) to the fake server in-process, with
    ``intervals_api_base_url`` set to the fake's URL (e.g. ``http://intervals.test/api/v1``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_async_engine(settings)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        app.state.vault = Vault(resolve_key_ring(settings))
        test_http = (
            httpx.AsyncClient(transport=intervals_transport) if intervals_transport else None
        )
        app.state.intervals = IntervalsClient.from_settings(settings, http=test_http)
        purge_task = start_purge_task(app.state.sessions, settings)
        try:
            async with run_mcp(app):
                yield
        finally:
            if purge_task is not None:
                purge_task.cancel()
            await app.state.intervals.aclose()
            if test_http is not None:
                await test_http.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Intervals.icu MCP gateway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_access_log_redaction()
    app.state.settings = settings
    app.state.schema_head = head_revision(settings)
    app.state.intervals_transport = intervals_transport
    app.add_middleware(PageSecurityHeaders)
    install_unavailable_handler(app)
    # Routers, one per concern (accounts pages, OAuth endpoints, MCP) are included here.
    app.include_router(health.router)
    app.include_router(home.router)
    install_accounts(app, settings)
    install_oauth(app, settings)
    mount_mcp(app, settings)
    app.add_middleware(BodyLimit)  # last added, so outermost: before any route reads a body
    return app
