"""The one full-stack test harness: the real app from ``create_app`` in front of the fake
Intervals.icu server, on a clock the test moves, reached either in-process (an ASGI browser,
``in_process_gateway``) or over a live uvicorn server on a loopback port (``live_gateway``).

``Gateway`` carries everything a test reaches for: the app and its settings, the fake, the
clock (``time``, also ``clock``), the browser (an ``httpx.AsyncClient`` in-process, an
``httpx.Client`` for a live server), seeding helpers that write athletes, clients, grants and
tokens straight into the database on the gateway's clock, the OAuth browser flow helpers, and
the account-page helpers. tests/accounts/harness.py, tests/oauth/conftest.py and
tests/mcp/support.py are thin fixtures over it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.clock import Clock, utc_now
from app.db.engine import make_async_engine, make_sessionmaker, make_sync_engine, transaction
from app.db.models import Athlete, BrowserSession, Grant, OAuthClient, Token
from app.main import create_app
from app.oauth import operator_clients
from app.oauth.resource import verify_access_token
from app.oauth.tokens import hash_token
from app.settings import Settings
from app.vault.store import save_credential
from app.web.signed_in import hash_secret
from tests.conftest import make_settings
from tests.fake_intervals import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.fake_intervals.data import DemoAthlete
from tests.support.live import free_port, live_server

FAKE_URL = "http://intervals.test"
CLAUDE_CALLBACK = "https://claude.ai/api/mcp/auth_callback"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


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


# -- building the app ---------------------------------------------------------------------------
def fake_client_factory(fake: FakeIntervals) -> httpx.AsyncClient:
    """An httpx client whose every request is served by ``fake`` in-process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))


def gateway_app(
    settings: Settings,
    fake: FakeIntervals | None = None,
    time: TestTime | None = None,
    *,
    upstream: str = "fake",
) -> tuple[FastAPI, FakeIntervals, TestTime]:
    """The app on ``time`` (the real now by default). ``upstream="fake"`` sends its
    Intervals.icu requests in-process to ``fake`` (a new one by default); ``"network"`` lets
    them go over the network to ``settings.intervals_api_base_url`` (e.g. a ``FakeServer``)."""
    fake = fake or FakeIntervals()
    time = time or TestTime()
    if upstream not in ("fake", "network"):
        raise ValueError(f"upstream must be 'fake' or 'network', not {upstream!r}")
    app = create_app(
        settings,
        clock=Clock(source=time),
        http_client_factory=(lambda: fake_client_factory(fake)) if upstream == "fake" else None,
    )
    return app, fake, time


def gateway_settings(
    tmp_path: Path,
    database_url: str,
    *,
    base_url: str | None = None,
    oauth: bool = False,
    **overrides: object,
) -> Settings:
    """Settings that send every Intervals.icu call to the fake (optionally with its OAuth app);
    ``base_url`` is where the gateway says it lives (a live server's URL)."""
    values: dict[str, object] = {
        "intervals_api_base_url": f"{FAKE_URL}/api/v1",
        "intervals_oauth_authorize_url": f"{FAKE_URL}/oauth/authorize",
        "intervals_oauth_token_url": f"{FAKE_URL}/api/oauth/token",
    }
    if base_url is not None:
        values["base_url"] = base_url
    if oauth:
        values["intervals_oauth_client_id"], values["intervals_oauth_client_secret"] = (
            DEFAULT_OAUTH_CLIENT
        )
    values.update(overrides)
    return make_settings(tmp_path, database_url, **values)


# -- OAuth protocol helpers (plain functions) -----------------------------------------------------
def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "consent page has no CSRF token"
    return match.group(1)


def hidden_fields(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)


@dataclass
class Flow:
    """One authorization: the PKCE verifier used and where the browser was sent back to."""

    verifier: str
    redirect_uri: str
    location: str

    @property
    def params(self) -> dict[str, str]:
        return query_of(self.location)

    @property
    def code(self) -> str:
        return self.params["code"]


@dataclass
class Seeded:
    """A caller minted in the database: the bearer token and the rows behind it."""

    token: str
    athlete_pk: int
    grant_id: int
    athlete: DemoAthlete


# -- the harness ----------------------------------------------------------------------------------
@dataclass
class Gateway:
    """A gateway under test. In-process (``url`` empty): ``browser`` is an ``httpx.AsyncClient``
    on the app (use the async account helpers). Live (``url`` set): ``browser`` (cookie jar of
    the signed-in athlete) and ``http`` are ``httpx.Client`` (use the OAuth flow helpers).
    Field order keeps ``Gateway(app, browser, fake, clock)`` working."""

    app: FastAPI
    browser: Any = None
    fake: FakeIntervals = field(default_factory=FakeIntervals)
    time: TestTime = field(default_factory=TestTime)
    settings: Settings = None  # type: ignore[assignment]  # always set by the builders
    url: str = ""
    http: httpx.Client | None = None
    engine: Engine | None = None
    athlete_id: int = 0

    # -- addresses ----------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return self.url

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    # -- time ---------------------------------------------------------------------------------
    @property
    def clock(self) -> TestTime:
        return self.time

    @property
    def now(self) -> datetime:
        return self.time.now

    def advance(self, seconds: float) -> None:
        """Move the gateway's clock forward, no sleeping."""
        self.time.advance(seconds)

    def pin(self, moment: datetime) -> None:
        """Pin the gateway's clock (the tools' "today", token lifetimes) to an aware UTC
        moment (the fake's clock is set separately)."""
        self.time.pin(moment)

    # -- database (seeding on the gateway's clock) --------------------------------------------
    def db(self) -> Session:
        if self.engine is None:
            self.engine = make_sync_engine(self.settings)
        return Session(self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def add_athlete(self, intervals_id: str, name: str) -> tuple[int, str]:
        """An athlete with a live browser session; returns (athlete pk, raw session id)."""
        raw = secrets.token_urlsafe(32)
        with self.db() as db, db.begin():
            athlete = Athlete(intervals_id=intervals_id, name=name)
            db.add(athlete)
            db.flush()
            db.add(
                BrowserSession(
                    session_hash=hash_secret(raw),
                    athlete_id=athlete.id,
                    created_at=self.now,
                    last_seen_at=self.now,
                    expires_at=self.now + timedelta(days=1),
                )
            )
            return athlete.id, raw

    def add_operator_client(self, **kwargs: Any) -> str | None:
        with self.db() as db, db.begin():
            _, secret = operator_clients.add_client(db, **kwargs)
            return secret

    def token_row(self, token: str) -> Token | None:
        with self.db() as db:
            return db.scalar(select(Token).where(Token.token_hash == hash_token(token)))

    def grants(self) -> list[Grant]:
        with self.db() as db:
            return list(db.scalars(select(Grant).order_by(Grant.id)))

    def access_token_usable(self, token: str) -> bool:
        """Whether the resource server accepts ``token`` for ``/mcp`` at the gateway's clock:
        the production verifier (app/oauth/resource.py ``verify_access_token``), no copy."""

        async def verify() -> bool:
            engine = make_async_engine(self.settings)
            try:
                async with make_sessionmaker(engine)() as db:
                    caller = await verify_access_token(
                        db, token, resource=self.settings.mcp_resource, now=self.now
                    )
            finally:
                await engine.dispose()
            return caller is not None

        with ThreadPoolExecutor(1) as pool:  # its own event loop, also from async tests
            return pool.submit(asyncio.run, verify()).result()

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
        """A caller for ``athlete`` minted on the gateway's clock (see ``seed_caller``)."""
        return await seed_caller(
            self.settings,
            athlete,
            scope=scope,
            api_key=api_key,
            expires_in=expires_in,
            resource=resource,
            disabled=disabled,
            client_id=client_id,
            now=self.time(),
        )

    # -- account pages (in-process browser) ---------------------------------------------------
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
        response: httpx.Response = await self.browser.post(
            "/signin", data={**form, "csrf_token": token}
        )
        return response

    async def post_form(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        token = await self.csrf("/account") if path != "/signin" else await self.csrf()
        response: httpx.Response = await self.browser.post(
            path, data={**(data or {}), "csrf_token": token}
        )
        return response

    def new_browser(self, address: str = "198.51.100.9") -> httpx.AsyncClient:
        return browser_for(self.app, self.browser.base_url, address)

    # -- OAuth flow (live server, sync clients) -----------------------------------------------
    def _http(self) -> httpx.Client:
        assert self.http is not None, "the OAuth flow helpers need a live gateway"
        return self.http

    def register(self, **metadata: Any) -> dict[str, Any]:
        body = {"client_name": "Test client", "redirect_uris": [CLAUDE_CALLBACK], **metadata}
        response = self._http().post(f"{self.base}/register", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def authorize_params(
        self, client_id: str, redirect_uri: str, challenge: str, **extra: str | None
    ) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st-" + secrets.token_hex(4),
            "scope": "mcp.read mcp.write",
            "resource": self.settings.mcp_resource,
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v is not None}

    def consent_page(self, params: dict[str, str]) -> httpx.Response:
        response: httpx.Response = self.browser.get(f"{self.base}/authorize", params=params)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response

    def decide(
        self, page: httpx.Response, decision: str = "approve", scopes: list[str] | None = None
    ) -> httpx.Response:
        form: list[tuple[str, str]] = [*hidden_fields(page.text), ("decision", decision)]
        ticked = (
            scopes if scopes is not None else re.findall(r'value="(mcp\.\w+)" checked', page.text)
        )
        form += [("approved_scope", s) for s in ticked]
        data: dict[str, list[str]] = {}
        for key, value in form:
            data.setdefault(key, []).append(value)
        response: httpx.Response = self.browser.post(f"{self.base}/authorize", data=data)
        return response

    def authorize(
        self,
        client_id: str,
        redirect_uri: str = CLAUDE_CALLBACK,
        decision: str = "approve",
        scopes: list[str] | None = None,
        **extra: str | None,
    ) -> Flow:
        verifier, challenge = pkce_pair()
        params = self.authorize_params(client_id, redirect_uri, challenge, **extra)
        response = self.decide(self.consent_page(params), decision, scopes)
        assert response.status_code == 303, response.text[:500]
        return Flow(verifier, redirect_uri, response.headers["location"])

    def token(self, form: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
        return self._http().post(f"{self.base}/token", data=form, auth=auth)

    def exchange(self, client_id: str, flow: Flow, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": flow.code,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": client_id,
            **extra,
        }
        return self.token(form)

    def refresh(self, client_id: str, refresh_token: str, **extra: str) -> httpx.Response:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            **extra,
        }
        return self.token(form)

    def connect(self, **metadata: Any) -> tuple[str, dict[str, Any]]:
        """Register a public client, authorize it and redeem the code: (client_id, tokens)."""
        client_id = self.register(**metadata)["client_id"]
        response = self.exchange(client_id, self.authorize(client_id))
        assert response.status_code == 200, response.text
        return client_id, dict(response.json())


# -- starting one ---------------------------------------------------------------------------------
def browser_for(app: FastAPI, base_url: httpx.URL | str, address: str) -> httpx.AsyncClient:
    """An in-process browser (own cookie jar) reaching ``app`` from client ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@asynccontextmanager
async def in_process_gateway(
    settings: Settings,
    fake: FakeIntervals | None = None,
    address: str = "203.0.113.5",
    configure: Callable[[FastAPI], None] | None = None,
    time: TestTime | None = None,
    upstream: str = "fake",
) -> AsyncIterator[Gateway]:
    """Start the app's lifespan and yield it with an in-process browser (cookie jar)."""
    app, fake, time = gateway_app(settings, fake, time, upstream=upstream)
    if configure is not None:
        configure(app)
    async with app.router.lifespan_context(app), browser_for(app, settings.base_url, address) as b:
        gateway = Gateway(app, b, fake, time, settings=settings)
        try:
            yield gateway
        finally:
            gateway.dispose()


@contextmanager
def live_gateway(
    settings: Settings,
    port: int,
    fake: FakeIntervals | None = None,
    time: TestTime | None = None,
    loop: str = "auto",
    upstream: str = "fake",
) -> Iterator[Gateway]:
    """The app served by uvicorn on 127.0.0.1:``port`` (``settings.base_url`` should say so),
    with sync ``browser`` and ``http`` clients."""
    app, fake, time = gateway_app(settings, fake, time, upstream=upstream)
    with (
        live_server(app, port, loop=loop) as url,
        httpx.Client(follow_redirects=False, timeout=30) as browser,
        httpx.Client(follow_redirects=False, timeout=30) as http,
    ):
        gateway = Gateway(app, browser, fake, time, settings=settings, url=url, http=http)
        try:
            yield gateway
        finally:
            gateway.dispose()


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
    now: datetime | None = None,
) -> Seeded:
    """Athlete + encrypted credential + client + grant + access token, as the OAuth flow would
    leave them; returns the token string (only its hash is stored). ``now``: the gateway's
    clock (a test gateway's time stands still unless the test moves it), else the real now."""
    from app.keyring import resolve_key_ring

    engine = make_async_engine(settings)
    token = f"gwa_{secrets.token_urlsafe(32)}"
    now = now or utc_now()
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
            client_pk = await db.scalar(
                select(OAuthClient.id).where(OAuthClient.client_id == client_id)
            )
            if client_pk is None:
                oauth_client = OAuthClient(client_id=client_id, origin="dynamic", name="Test")
                db.add(oauth_client)
                await db.flush()
                client_pk = oauth_client.id
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


__all__ = [
    "CLAUDE_CALLBACK",
    "FAKE_URL",
    "Flow",
    "Gateway",
    "Seeded",
    "TestTime",
    "browser_for",
    "csrf_of",
    "free_port",
    "gateway_app",
    "gateway_settings",
    "hidden_fields",
    "in_process_gateway",
    "live_gateway",
    "pkce_pair",
    "query_of",
    "seed_caller",
]
