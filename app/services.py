"""The gateway's services: one typed object per app, built by `create_app`'s lifespan.

Handlers reach it through one accessor, :func:`services` (usable as a FastAPI dependency,
``svc: Services = Depends(services)``), instead of separate ``app.state`` attributes. Tests
replace what they need when they build the app: the clock (``create_app(clock=...)``) and the
httpx client used toward Intervals.icu (``create_app(http_client_factory=...)``); production
state holds no test seam.

State that several instances will have to share (the upstream budget inside the Intervals.icu
client, the attempt limiters) sits behind async interfaces (``Budget``, ``AttemptCounter``)
whose implementation ``settings.shared_state_backend`` chooses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from app.attempts import AttemptCounter, attempt_counter
from app.clock import Clock
from app.coach.roster import RosterCache
from app.db.engine import dispose_engine, make_async_engine, make_sessionmaker
from app.db.revocation import attach_revocation_sink
from app.db.token_cache import Revocations, TokenCache
from app.intervals.answer_cache import answer_cache_from_settings
from app.intervals.client import IntervalsClient
from app.intervals.freshness import Invalidator, NoFreshness
from app.keyring import resolve_key_ring
from app.redis_state import RedisState
from app.settings import Settings
from app.vault.crypto import Vault, VaultError

if TYPE_CHECKING:
    import httpx

HttpClientFactory = Callable[[], "httpx.AsyncClient"]
"""Builds the httpx client for requests to Intervals.icu (tests: one over the fake's ASGI app)."""

HOUR = 3600.0


@dataclass(frozen=True)
class Limiters:
    """The per-address attempt limits of the sign-in pages and the OAuth endpoints."""

    signin: AttemptCounter
    register_general: AttemptCounter
    register_vendor: AttemptCounter
    client_auth: AttemptCounter

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Clock, redis: RedisState | None = None
    ) -> Limiters:
        """With Redis, sign-in and client authentication refuse while Redis is down (they
        protect accounts); registration falls back to this process's own limit."""
        seconds = clock.seconds
        return cls(
            signin=attempt_counter(
                settings,
                settings.signin_attempts_per_address,
                float(settings.signin_window_seconds),
                seconds,
                redis=redis,
                name="signin",
            ),
            register_general=attempt_counter(
                settings,
                settings.oauth_register_per_address_per_hour,
                HOUR,
                seconds,
                redis=redis,
                name="register",
                protects_accounts=False,
            ),
            register_vendor=attempt_counter(
                settings,
                settings.oauth_vendor_register_per_address_per_hour,
                HOUR,
                seconds,
                redis=redis,
                name="register-vendor",
                protects_accounts=False,
            ),
            client_auth=attempt_counter(
                settings,
                settings.oauth_client_auth_failures_per_address,
                settings.oauth_client_auth_window_seconds,
                seconds,
                redis=redis,
                name="client-auth",
            ),
        )


@dataclass(frozen=True)
class Services:
    """Everything a request may use; one per app, alive for the app's lifespan."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    vault: Vault
    intervals: IntervalsClient
    limiters: Limiters
    schema_head: str | None
    http_client_factory: HttpClientFactory | None = None
    """Set only by tests; the Intervals.icu OAuth code exchange uses it when present."""
    redis: RedisState | None = None
    """The shared state of all instances (``GATEWAY_SHARED_STATE_BACKEND=redis``), else None."""
    freshness: Invalidator = field(default_factory=NoFreshness)
    """Forgets an athlete's cached upstream answers when their data changes (webhooks, writes):
    app/intervals/freshness.py."""
    tokens: TokenCache[object] | None = None
    """Verified access tokens (app/db/token_cache.py); None when GATEWAY_TOKEN_CACHE_SECONDS
    comes to 0."""
    revocations: Revocations = field(default_factory=lambda: Revocations(None, None))
    """Hands committed revocations to ``tokens`` and, with Redis, to the other instances."""
    rosters: RosterCache = field(default_factory=RosterCache)
    """Coaches' rosters, cached briefly (app/coach/roster.py); a sharing change invalidates
    the coach's entry (app/coach/store.py ``share_with_coach(..., cache=svc.rosters)``)."""


@dataclass(frozen=True)
class VaultSealer:
    """Seals cached answers kept in Redis with the vault's key ring (AES-256-GCM), bound to
    their entry key: Redis holds no readable health data, and a value copied to another key
    does not open (app/intervals/answer_cache.py)."""

    vault: Vault

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        key_id, blob = self.vault.encrypt(plaintext.decode(), 0, f"answer:{bound_to}")
        return key_id.encode() + b"\n" + blob

    def open(self, sealed: bytes, bound_to: str) -> bytes | None:
        key_id, _, blob = sealed.partition(b"\n")
        try:
            return self.vault.decrypt(key_id.decode(), blob, 0, f"answer:{bound_to}").encode()
        except (VaultError, UnicodeDecodeError):
            return None


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Clock,
    schema_head: str | None,
    http_client_factory: HttpClientFactory | None = None,
) -> AsyncIterator[Services]:
    """Open the database engine, the Intervals.icu client and (with that backend) the Redis
    pool; close them on exit."""
    vault = Vault(resolve_key_ring(settings))
    engine = make_async_engine(settings)
    redis = RedisState.from_settings(settings) if settings.shared_state_backend == "redis" else None
    http = http_client_factory() if http_client_factory is not None else None
    intervals = IntervalsClient.from_settings(settings, http=http, redis=redis)
    answers = answer_cache_from_settings(
        settings, now=clock.now, redis=redis, sealer=VaultSealer(vault)
    )
    intervals.answers = answers
    freshness: Invalidator = answers if answers is not None else NoFreshness()
    tokens = token_cache(settings, clock)
    revocations = Revocations(tokens, redis)
    sessions = make_sessionmaker(engine)
    attach_revocation_sink(sessions, revocations)
    try:
        yield Services(
            settings=settings,
            clock=clock,
            engine=engine,
            sessions=sessions,
            vault=vault,
            intervals=intervals,
            limiters=Limiters.from_settings(settings, clock, redis),
            schema_head=schema_head,
            http_client_factory=http_client_factory,
            redis=redis,
            freshness=freshness,
            tokens=tokens,
            revocations=revocations,
        )
    finally:
        await intervals.aclose()
        if http is not None:
            await http.aclose()
        await dispose_engine(engine)
        if redis is not None:
            await redis.aclose()


def token_cache(settings: Settings, clock: Clock) -> TokenCache[object] | None:
    """The verified-token cache the settings ask for, on the app's clock (None when off)."""
    seconds = settings.token_cache_ttl
    if seconds <= 0:
        return None
    return TokenCache(seconds=seconds, size=settings.token_cache_size, clock=clock.seconds)


def services(connection: HTTPConnection) -> Services:
    """The services of the app serving this request (a FastAPI dependency)."""
    return services_of(connection.app)


def services_of(app: Starlette) -> Services:
    """The app's services; only while the app's lifespan runs."""
    found: Services | None = getattr(app.state, "services", None)
    if found is None:
        raise RuntimeError("the app is not started: its services open in the lifespan")
    return found
