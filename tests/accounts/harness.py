"""A gateway app wired to the fake Intervals.icu server in-process, and a browser for it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.settings import Settings
from tests.conftest import make_settings
from tests.fake_intervals import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.support.gateway import TestTime, gateway_app

FAKE_URL = "http://intervals.test"
AROHA = ("i100001", "fake-key-aroha-1f3c9a2b7d", "Aroha Ngata")
LENA = ("i100002", "fake-key-lena-7b2e04c19a", "Lena Vogel")
COACH_KEY = "fake-key-coach-5a90e1d26b"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def gateway_settings(
    tmp_path: Path, database_url: str, *, oauth: bool = False, **overrides: object
) -> Settings:
    """Settings that send every Intervals.icu call to the fake (optionally with its OAuth app)."""
    values: dict[str, object] = {
        "intervals_api_base_url": f"{FAKE_URL}/api/v1",
        "intervals_oauth_authorize_url": f"{FAKE_URL}/oauth/authorize",
        "intervals_oauth_token_url": f"{FAKE_URL}/api/oauth/token",
    }
    if oauth:
        values["intervals_oauth_client_id"], values["intervals_oauth_client_secret"] = (
            DEFAULT_OAUTH_CLIENT
        )
    values.update(overrides)
    return make_settings(tmp_path, database_url, **values)


Clock = TestTime  # the gateway's wall clock, moved by tests (``gw.clock.now = ...``)


@dataclass
class Gateway:
    app: FastAPI
    browser: httpx.AsyncClient
    fake: FakeIntervals
    clock: Clock

    async def csrf(self, path: str = "/signin") -> str:
        page = await self.browser.get(path)
        match = CSRF_INPUT.search(page.text)
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    async def sign_in(
        self, athlete_id: str, api_key: str, next_path: str = "", csrf: str | None = None
    ) -> httpx.Response:
        token = csrf if csrf is not None else await self.csrf("/signin")
        form = {"athlete_id": athlete_id, "api_key": api_key, "next": next_path}
        return await self.browser.post("/signin", data={**form, "csrf_token": token})

    async def post_form(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        token = await self.csrf("/account") if path != "/signin" else await self.csrf()
        return await self.browser.post(path, data={**(data or {}), "csrf_token": token})

    def new_browser(self, address: str = "198.51.100.9") -> httpx.AsyncClient:
        return browser_for(self.app, self.browser.base_url, address)


def browser_for(app: FastAPI, base_url: httpx.URL | str, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@asynccontextmanager
async def running_gateway(
    settings: Settings,
    fake: FakeIntervals | None = None,
    address: str = "203.0.113.5",
    configure: Callable[[FastAPI], None] | None = None,
) -> AsyncIterator[Gateway]:
    """Start the app's lifespan and yield a browser (cookie jar) talking to it."""
    app, fake, clock = gateway_app(settings, fake)
    if configure is not None:
        configure(app)
    async with app.router.lifespan_context(app), browser_for(app, settings.base_url, address) as b:
        yield Gateway(app, b, fake, clock)
