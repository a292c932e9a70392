"""The account-page tests' view of the shared harness (tests/support/gateway.py): the gateway
in-process in front of the fake Intervals.icu server, a browser for it, and the demo keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.settings import Settings
from tests.fake_intervals import FakeIntervals
from tests.support.gateway import CSRF_INPUT as CSRF_INPUT
from tests.support.gateway import FAKE_URL as FAKE_URL
from tests.support.gateway import Gateway as Gateway
from tests.support.gateway import TestTime, in_process_gateway
from tests.support.gateway import browser_for as browser_for
from tests.support.gateway import gateway_settings as gateway_settings

AROHA = ("i100001", "fake-key-aroha-1f3c9a2b7d", "Aroha Ngata")
LENA = ("i100002", "fake-key-lena-7b2e04c19a", "Lena Vogel")
COACH_KEY = "fake-key-coach-5a90e1d26b"

Clock = TestTime  # the gateway's wall clock, moved by tests (``gw.clock.now = ...``)


@asynccontextmanager
async def running_gateway(
    settings: Settings,
    fake: FakeIntervals | None = None,
    address: str = "203.0.113.5",
    configure: Callable[[FastAPI], None] | None = None,
) -> AsyncIterator[Gateway]:
    """Start the app's lifespan and yield a browser (cookie jar) talking to it."""
    async with in_process_gateway(settings, fake, address, configure) as gateway:
        yield gateway
