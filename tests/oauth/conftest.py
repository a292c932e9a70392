"""Black-box fixtures for the authorization server: a real gateway on a loopback port, an
athlete with a browser session, and helpers that walk the OAuth flow over HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import Route

from app.db.engine import make_async_engine, make_sessionmaker, make_sync_engine
from app.db.models import Athlete, BrowserSession, Grant, Token
from app.oauth import operator_clients
from app.oauth.resource import verify_access_token
from app.settings import Settings
from tests.conftest import make_settings
from tests.oauth.documents import CHATGPT_CALLBACK as CHATGPT_CALLBACK
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles, make_tls_files
from tests.support.gateway import TestTime, gateway_app
from tests.support.live import free_port, live_server

CLAUDE_CALLBACK = "https://claude.ai/api/mcp/auth_callback"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
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
class Gateway:
    """A running gateway with one signed-in athlete (browser cookie in `browser`)."""

    base: str
    app: FastAPI
    settings: Settings
    engine: Engine
    browser: httpx.Client
    http: httpx.Client
    time: TestTime
    athlete_id: int = 0

    # -- time ---------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.time.now

    def advance(self, seconds: float) -> None:
        """Move the gateway's clock forward, no sleeping."""
        self.time.advance(seconds)

    # -- database -----------------------------------------------------------------------------
    def db(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def add_athlete(self, intervals_id: str, name: str) -> tuple[int, str]:
        """An athlete with a live browser session; returns (athlete pk, raw session id)."""
        raw = secrets.token_urlsafe(32)
        with self.db() as db, db.begin():
            athlete = Athlete(intervals_id=intervals_id, name=name)
            db.add(athlete)
            db.flush()
            db.add(
                BrowserSession(
                    session_hash=hashlib.sha256(raw.encode()).hexdigest(),
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
            return db.scalar(
                select(Token).where(Token.token_hash == hashlib.sha256(token.encode()).hexdigest())
            )

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

    def grants(self) -> list[Grant]:
        with self.db() as db:
            return list(db.scalars(select(Grant).order_by(Grant.id)))

    # -- protocol helpers ---------------------------------------------------------------------
    def register(self, **metadata: Any) -> dict[str, Any]:
        body = {"client_name": "Test client", "redirect_uris": [CLAUDE_CALLBACK], **metadata}
        response = self.http.post(f"{self.base}/register", json=body)
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
        response = self.browser.get(f"{self.base}/authorize", params=params)
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
        return self.browser.post(f"{self.base}/authorize", data=data)

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
        return self.http.post(f"{self.base}/token", data=form, auth=auth)

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


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(tmp_path: Path, database_url: str) -> Iterator[GatewayFactory]:
    """Start gateways on demand (settings overrides as keyword arguments; `loop` picks
    uvicorn's event loop)."""
    stack: list[Any] = []
    started: list[Gateway] = []

    def start(loop: str = "auto", **overrides: Any) -> Gateway:
        port = free_port()
        settings = make_settings(
            tmp_path, database_url, base_url=f"http://127.0.0.1:{port}", **overrides
        )
        app, _, time = gateway_app(settings)
        server = live_server(app, port, loop=loop)
        base = server.__enter__()
        stack.append(server)
        engine = make_sync_engine(settings)
        browser = httpx.Client(follow_redirects=False, timeout=30)
        http = httpx.Client(follow_redirects=False, timeout=30)
        stack.extend([browser, http])
        gateway = Gateway(base, app, settings, engine, browser, http, time)
        gateway.advance(0)
        started.append(gateway)
        athlete = f"i{1000 + len(started)}"  # gateways started by one test share a database
        gateway.athlete_id, raw = gateway.add_athlete(athlete, "Ada Lovelace")
        browser.cookies.set("gw_session", raw)
        stack.append(engine)
        return gateway

    yield start
    for item in reversed(stack):
        if isinstance(item, Engine):
            item.dispose()
        elif isinstance(item, httpx.Client):
            item.close()
        else:
            item.__exit__(None, None, None)


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> Gateway:
    return make_gateway()


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
def host(tls: TlsFiles) -> Iterator[DocumentHost]:
    documents = DocumentHost()
    app = Starlette(routes=[Route("/{path:path}", documents.serve)])
    with live_server(app, ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key)) as base:
        documents.base = base
        yield documents
