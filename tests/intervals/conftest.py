"""Fixtures: a fake Intervals.icu per test, and a client wired to it in-process with a virtual
clock, so retries and budget waits take no real time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from app.intervals import ApiKey, AthleteSession, IntervalsClient, RateBudget, RetryPolicy
from tests.fake_intervals import DEMO_ATHLETES, FakeIntervals

TODAY = date(2026, 5, 1)
AROHA, LENA, SAM, COACH, LEGACY, JORDAN = DEMO_ATHLETES
BASE = "http://intervals.test/api/v1"


class VirtualTime:
    """A monotonic clock and an async sleep that advances it instantly; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)  # let tasks woken before this sleep observe the current time
        self.now += seconds


@pytest.fixture
def fake() -> FakeIntervals:
    return FakeIntervals(seed=42, today=TODAY)


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


def make_client(
    fake: FakeIntervals, vt: VirtualTime, *, budget: RateBudget | None = None, **kw: object
) -> IntervalsClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
    return IntervalsClient(
        BASE,
        http=http,
        budget=budget or RateBudget(1000, 1000, clock=vt.clock, sleep=vt.sleep),
        retry=RetryPolicy(max_attempts=4, max_total_seconds=30, base_delay=0.5, max_delay=8),
        clock=vt.clock,
        sleep=vt.sleep,
        jitter=lambda: 0.5,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def client(fake: FakeIntervals, vt: VirtualTime) -> AsyncIterator[IntervalsClient]:
    c = make_client(fake, vt)
    yield c
    await c._http.aclose()


@pytest.fixture
def lena(client: IntervalsClient) -> AthleteSession:
    return client.session(ApiKey(LENA.api_key))
