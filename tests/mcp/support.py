"""Helpers for the MCP tests on the shared harness (tests/support/gateway.py): a live gateway
on a loopback port in front of the fake Intervals.icu server, callers minted straight into the
database (``Gateway.seed``, ``seed_caller``), and SDK clients for both protocol eras."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from app.settings import Settings, encode_key
from tests.conftest import make_settings
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.support.gateway import Gateway as Gateway
from tests.support.gateway import Seeded as Seeded
from tests.support.gateway import live_gateway
from tests.support.gateway import seed_caller as seed_caller
from tests.support.live import free_port

FAKE_BASE = "http://intervals.test/api/v1"
ERAS = ["legacy", "2026-07-28"]  # 2025-11-25 initialize handshake, 2026-07-28 stateless
DEMO = {a.timezone: a for a in DEMO_ATHLETES}
AUCKLAND, BERLIN, LOS_ANGELES = (
    DEMO["Pacific/Auckland"],
    DEMO["Europe/Berlin"],
    DEMO["America/Los_Angeles"],
)


def gateway_settings(tmp_path: Path, database_url: str, port: int, **overrides: Any) -> Settings:
    key = encode_key("k1", secrets.token_bytes(32))
    return make_settings(
        tmp_path,
        database_url,
        base_url=f"http://127.0.0.1:{port}",
        intervals_api_base_url=FAKE_BASE,
        encryption_keys=key,
        **overrides,
    )


@contextmanager
def running_gateway(
    tmp_path: Path, database_url: str, *, fake: FakeIntervals | None = None
) -> Iterator[Gateway]:
    """The full app (create_app) on a loopback port, Intervals.icu calls sent to the fake."""
    port = free_port()
    with live_gateway(gateway_settings(tmp_path, database_url, port), port, fake) as gateway:
        yield gateway


@asynccontextmanager
async def mcp_client(url: str, token: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    """An SDK client on streamable HTTP with the bearer token; ``mode`` picks the era."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode) as client:
            yield client


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment
