"""The HTTP application factory. No global app state: every call builds an independent app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.db.engine import make_async_engine, make_sessionmaker
from app.db.migrations import head_revision
from app.settings import Settings
from app.web import health
from app.web.security import PageSecurityHeaders


def create_app(settings: Settings) -> FastAPI:
    """Build the gateway: OAuth server, pages, `/mcp`, health probes, all bound to `settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_async_engine(settings)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Intervals.icu MCP gateway",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.schema_head = head_revision(settings)
    app.add_middleware(PageSecurityHeaders)
    # Routers, one per concern (accounts pages, OAuth endpoints, MCP) are included here.
    app.include_router(health.router)
    return app
