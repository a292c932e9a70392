"""The system under fault for the reliability suite (issue 12): the gateway as a real
`intervals-gateway serve` process, the fake Intervals.icu as a real HTTP server on loopback (in
a thread of the test process, so a test can inject faults and hangs while it runs), athletes
seeded straight into the gateway's database, and a small load generator that records every
answer (status, Retry-After, latency, tool error text)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Grant, Token, utcnow
from app.oauth.tokens import REFRESH, hash_token
from app.settings import Settings, parse_key_ring
from app.vault.crypto import Vault
from bench.seed import BENCH_CLIENT_ID, SeedAthlete, seed
from tests.e2e.stack import GATEWAY_COMMAND, gateway_env
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.fake_intervals.server import FakeServer
from tests.support.processes import free_port, running

MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
ATHLETES = [SeedAthlete(a.id, a.name, a.timezone, a.api_key) for a in DEMO_ATHLETES]


@dataclass
class Answer:
    """One request's outcome as a client saw it."""

    who: str
    status: int  # 0: no HTTP answer at all (connection refused or reset)
    seconds: float
    retry_after: str | None = None
    text: str = ""
    request_id: str | None = None
    at: float = 0.0  # when the answer arrived (monotonic)

    @property
    def tool_error(self) -> str | None:
        """The tool's error text when the call answered 200 with isError."""
        if self.status != 200 or '"isError":true' not in self.text.replace(" ", ""):
            return None
        return self.text


@dataclass
class Gateway:
    """A running gateway process, its database and the seeded callers."""

    base: str
    env: dict[str, str]
    settings: Settings
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)  # athlete id -> access token

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"


@contextmanager
def fake_upstream() -> Iterator[tuple[FakeIntervals, str]]:
    fake = FakeIntervals()
    with FakeServer(fake) as server:
        yield fake, server.api_base_url


@contextmanager
def gateway_process(
    fake_api: str, data_dir: Path, database_url: str | None = None, **env: str
) -> Iterator[Gateway]:
    """`intervals-gateway serve` (migrating its database at start) wired to `fake_api`."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    extra = {"GATEWAY_OAUTH_PURGE_INTERVAL_SECONDS": "0", **env}
    if database_url:
        extra["GATEWAY_DATABASE_URL"] = database_url
    full = gateway_env(port, fake_api, data_dir, extra)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        base_url=full["GATEWAY_BASE_URL"],
        database_url=full["GATEWAY_DATABASE_URL"],
        encryption_keys=full["GATEWAY_ENCRYPTION_KEYS"],
    )
    ready = f"http://127.0.0.1:{port}/readyz"
    log = data_dir / "gateway.log"
    with running([GATEWAY_COMMAND, "serve"], ready, env=full, log=log):
        yield Gateway(full["GATEWAY_BASE_URL"], full, settings, log)


async def seed_callers(gateway: Gateway, refresh_per_athlete: int = 0) -> list[str]:
    """One access token per demo athlete (kept in ``gateway.tokens``); with
    ``refresh_per_athlete``, that many live refresh tokens per athlete's grant, returned."""
    engine = make_async_engine(gateway.settings)
    refresh: list[str] = []
    try:
        vault = Vault(parse_key_ring(gateway.env["GATEWAY_ENCRYPTION_KEYS"]))
        async with transaction(make_sessionmaker(engine)) as db:
            seeded = await seed(db, vault, ATHLETES, gateway.settings.mcp_resource)
            grants = (await db.scalars(select(Grant.id).order_by(Grant.id))).all()
            rows = []
            for grant_id in grants:
                for _ in range(refresh_per_athlete):
                    value = "gwr_" + secrets.token_urlsafe(32)
                    refresh.append(value)
                    rows.append(_refresh_row(value, grant_id, gateway.settings.mcp_resource))
            if rows:
                await db.execute(insert(Token), rows)
    finally:
        await engine.dispose()
    gateway.tokens = {a.intervals_id: t for a, t in zip(ATHLETES, seeded.tokens, strict=True)}
    return refresh


def _refresh_row(value: str, grant_id: int, resource: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "token_hash": hash_token(value),
        "kind": REFRESH,
        "grant_id": grant_id,
        "scope": "mcp.read",
        "resource": resource,
        "created_at": now,
        "expires_at": now + timedelta(days=1),
    }


async def tool_call(
    http: httpx.AsyncClient, gateway: Gateway, who: str, name: str, arguments: dict[str, Any]
) -> Answer:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {gateway.tokens[who]}"}
    return await _timed(who, http.post(gateway.mcp_url, json=body, headers=headers))


async def refresh_call(http: httpx.AsyncClient, gateway: Gateway, refresh: str) -> Answer:
    """``POST /token`` with grant_type=refresh_token (the seeded public client)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": BENCH_CLIENT_ID}
    return await _timed("refresh", http.post(f"{gateway.base}/token", data=form))


async def _timed(who: str, request: Any) -> Answer:
    started = time.monotonic()
    try:
        response = await request
    except httpx.TransportError:
        done = time.monotonic()
        return Answer(who, 0, done - started, at=done)
    done = time.monotonic()
    return Answer(
        who,
        response.status_code,
        done - started,
        response.headers.get("retry-after"),
        response.text,
        response.headers.get("x-request-id"),
        done,
    )


async def in_loops(clients: int, rounds: int, one: Any, pause: float = 0.0) -> list[Answer]:
    """``clients`` concurrent loops of ``rounds`` calls each (``one(client, round)``)."""
    answers: list[Answer] = []

    async def loop(client: int) -> None:
        for index in range(rounds):
            answers.append(await one(client, index))
            if pause:
                await asyncio.sleep(pause)

    await asyncio.gather(*(loop(c) for c in range(clients)))
    return answers


def assert_no_server_errors(answers: Sequence[Answer]) -> None:
    """Never a 500 (or any 5xx but 503), and every 503 says when to come back."""
    bad = [a for a in answers if a.status >= 500 and a.status != 503]
    assert not bad, f"{len(bad)} server errors, first: {bad[0].status} {bad[0].text[:200]}"
    unhinted = [a for a in answers if a.status == 503 and not a.retry_after]
    assert not unhinted, "a 503 without Retry-After"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
