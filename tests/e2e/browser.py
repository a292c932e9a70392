"""Headless Chromium (Debian's /usr/bin/chromium) through Playwright, and a loopback
"client callback" page that records where the gateway sent the browser back to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ViewportSize, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.athlete import query_of
from tests.e2e.requirements import CHROMIUM
from tests.support.live import live_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; never downloads a browser (`playwright install` is not used)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ClientCallback:
    """The OAuth client's redirect URI: a page on loopback recording each arrival."""

    url: str = ""
    arrivals: list[str] = field(default_factory=list)

    async def arrive(self, request: Request) -> HTMLResponse:
        self.arrivals.append(str(request.url))
        return HTMLResponse("<!doctype html><title>Client</title><p>Back at the client.</p>")

    @property
    def last(self) -> dict[str, str]:
        assert self.arrivals, "the browser never came back to the client"
        return query_of(self.arrivals[-1])


@contextmanager
def client_callback() -> Iterator[ClientCallback]:
    callback = ClientCallback()
    app = Starlette(routes=[Route("/callback", callback.arrive)])
    with live_server(app) as base:
        callback.url = f"{base}/callback"
        yield callback
