"""Helpers for the MCP tests: a gateway on a loopback port in front of the fake Intervals.icu
server, callers minted straight into the database, and SDK clients for both protocol eras."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete, Grant, OAuthClient, Token
from app.oauth.tokens import hash_token
from app.settings import Settings, encode_key
from app.vault.store import save_credential
from tests.conftest import make_settings
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
from tests.support.gateway import TestTime, gateway_app
from tests.support.live import free_port, live_server

FAKE_BASE = "http://intervals.test/api/v1"
ERAS = ["legacy", "2026-07-28"]  # 2025-11-25 initialize handshake, 2026-07-28 stateless
DEMO = {a.timezone: a for a in DEMO_ATHLETES}
AUCKLAND, BERLIN, LOS_ANGELES = (
    DEMO["Pacific/Auckland"],
    DEMO["Europe/Berlin"],
    DEMO["America/Los_Angeles"],
)


@dataclass
class Seeded:
    """A caller minted in the database: the bearer token and the rows behind it."""

    token: str
    athlete_pk: int
    grant_id: int
    athlete: DemoAthlete


@dataclass
class Gateway:
    """A running gateway (``url``) in front of ``fake``; ``time`` is its clock (the tools'
    "today", bearer token lifetimes)."""

    url: str
    settings: Settings
    fake: FakeIntervals
    app: Any
    time: TestTime = field(default_factory=TestTime)

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def pin(self, moment: datetime) -> None:
        """Pin the tools' clock to an aware UTC moment (the fake's clock is set separately, with
        ``fake_at`` in test_tools.py)."""
        self.time.pin(moment)

    async def seed(
        self,
        athlete: DemoAthlete,
        *,
        scope: str = "mcp.read",
        api_key: str | None = None,
        expires_in: timedelta = timedelta(hours=1),
        resource: str | None = None,
        disabled: bool = False,
        client_id: str = "test-client",
    ) -> Seeded:
        return await seed_caller(
            self.settings,
            athlete,
            scope=scope,
            api_key=api_key,
            expires_in=expires_in,
            resource=resource,
            disabled=disabled,
            client_id=client_id,
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
    settings = gateway_settings(tmp_path, database_url, port)
    time = TestTime()
    app, fake, _ = gateway_app(settings, fake, time)
    gateway = Gateway(url="", settings=settings, fake=fake, app=app, time=time)
    with live_server(app, port) as url:
        gateway.url = url
        yield gateway


async def seed_caller(
    settings: Settings,
    athlete: DemoAthlete,
    *,
    scope: str = "mcp.read",
    api_key: str | None = None,
    expires_in: timedelta = timedelta(hours=1),
    resource: str | None = None,
    disabled: bool = False,
    client_id: str = "test-client",
) -> Seeded:
    """Athlete + encrypted credential + client + grant + access token, as the OAuth flow would
    leave them; returns the token string (only its hash is stored)."""
    from app.keyring import resolve_key_ring

    engine = make_async_engine(settings)
    token = f"gwa_{secrets.token_urlsafe(32)}"
    now = datetime.now(UTC)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            row = Athlete(
                intervals_id=athlete.id,
                name=athlete.name,
                timezone=athlete.timezone,
                disabled_at=now if disabled else None,
                coaches=bool(athlete.coached),
            )
            db.add(row)
            await db.flush()
            await save_credential(
                db,
                resolve_key_ring(settings),
                row.id,
                "api_key",
                api_key or athlete.api_key,
                verified_at=now,
            )
            existing_pk = await db.scalar(
                select(OAuthClient.id).where(OAuthClient.client_id == client_id)
            )
            if existing_pk is None:
                oauth_client = OAuthClient(client_id=client_id, origin="dynamic", name="Test")
                db.add(oauth_client)
                await db.flush()
                client_pk = oauth_client.id
            else:
                client_pk = existing_pk
            grant = Grant(
                athlete_id=row.id,
                client_pk=client_pk,
                scope=scope,
                resource=settings.mcp_resource,
            )
            db.add(grant)
            await db.flush()
            db.add(
                Token(
                    token_hash=hash_token(token),
                    kind="access",
                    grant_id=grant.id,
                    scope=scope,
                    resource=resource or settings.mcp_resource,
                    expires_at=now + expires_in,
                )
            )
            return Seeded(token=token, athlete_pk=row.id, grant_id=grant.id, athlete=athlete)
    finally:
        await engine.dispose()


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
