"""The core every gateway test harness builds on (tests/accounts/harness.py,
tests/oauth/conftest.py, tests/mcp/support.py): the real app from ``create_app``, its
Intervals.icu requests sent in-process to the fake server, on a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from app.clock import Clock, utc_now
from app.main import create_app
from app.settings import Settings
from tests.fake_intervals import FakeIntervals


@dataclass
class TestTime:
    """The gateway's wall time as the test sets it: starts at the real now, moves only when
    the test moves it (no sleeping)."""

    __test__ = False  # not a pytest test class

    now: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def pin(self, moment: datetime) -> None:
        self.now = moment


def fake_client_factory(fake: FakeIntervals) -> httpx.AsyncClient:
    """An httpx client whose every request is served by ``fake`` in-process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))


def gateway_app(
    settings: Settings, fake: FakeIntervals | None = None, time: TestTime | None = None
) -> tuple[FastAPI, FakeIntervals, TestTime]:
    """The app in front of ``fake`` (a new one by default) on ``time`` (the real now by
    default); start it with its lifespan or a live server."""
    fake = fake or FakeIntervals()
    time = time or TestTime()
    app = create_app(
        settings,
        clock=Clock(source=time),
        http_client_factory=lambda: fake_client_factory(fake),
    )
    return app, fake, time
