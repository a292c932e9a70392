"""Two approvals for the same athlete and client at the same moment (a double-clicked consent
button, a laptop and a phone): both end in a redirect with a code, never a 500, and exactly one
grant remains, the one written last, as if the approvals had come one after the other."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete, AuthorizationCode, BrowserSession, Grant, OAuthClient
from app.oauth.authorize import AuthorizationRequest
from app.oauth.consent import issue_code
from app.oauth.tokens import hash_token
from tests.conftest import make_settings
from tests.oauth.conftest import CLAUDE_CALLBACK, Gateway, csrf_of, pkce_pair, query_of

NOW = datetime(2026, 7, 29, 10, 0, tzinfo=UTC)


async def seed_athlete_and_client(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with transaction(sessions) as db:
        athlete = Athlete(intervals_id="i4242", name="Ada")
        client = OAuthClient(
            client_id="race-client", origin="dynamic", name="Race", redirect_uris=[CLAUDE_CALLBACK]
        )
        db.add_all([athlete, client])
        await db.flush()
        return athlete.id, client.id


async def request_for(
    sessions: async_sessionmaker[AsyncSession], client_pk: int, resource: str
) -> AuthorizationRequest:
    async with sessions() as db:
        client = await db.get(OAuthClient, client_pk)
    assert client is not None
    return AuthorizationRequest(
        client=client,
        redirect_uri=CLAUDE_CALLBACK,
        state="s",
        scopes=["mcp.read"],
        code_challenge=pkce_pair()[1],
        resource=resource,
        params={},
    )


async def wait_until_blocked_on_a_lock(engine: AsyncEngine) -> None:
    """PostgreSQL: until another connection waits for a lock (the second insert waiting for the
    first transaction). Polls the server's own view; no fixed sleeps."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(2000):
        async with engine.connect() as probe:
            if (await probe.scalar(query)) or 0:
                return
        await asyncio.sleep(0)
    raise AssertionError("the second approval never reached the grant insert")


async def test_second_approval_waiting_on_the_first_replaces_its_grant(
    tmp_path: Path, database_url: str
) -> None:
    """Deterministic interleaving: approval A has inserted the pair's grant but not committed;
    approval B reaches its own insert (on PostgreSQL it waits on uq_grants_owner; SQLite makes
    it wait for A's write lock); A commits; B must still succeed, replacing A's grant."""
    settings = make_settings(tmp_path, database_url)
    engine = make_async_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        athlete_id, client_pk = await seed_athlete_and_client(sessions)
        request = await request_for(sessions, client_pk, settings.mcp_resource)

        async def approve() -> str:
            async with transaction(sessions) as db:
                return await issue_code(db, settings, request, athlete_id, ["mcp.read"], NOW)

        async with transaction(sessions) as first:
            code_a = await issue_code(first, settings, request, athlete_id, ["mcp.read"], NOW)
            second = asyncio.create_task(approve())
            if engine.dialect.name == "postgresql":
                await wait_until_blocked_on_a_lock(engine)
            else:
                await asyncio.sleep(0)  # let B start; SQLite serialises B behind A either way
        code_b = await second

        async with sessions() as db:
            grants = (await db.scalars(select(Grant))).all()
            live_codes = (await db.scalars(select(AuthorizationCode.code_hash))).all()
        assert code_a != code_b
        assert len(grants) == 1 and grants[0].revoked_at is None
        assert live_codes == [hash_token(code_b)]  # A's code went with the grant it replaced
    finally:
        await engine.dispose()


def second_browser_session(gateway: Gateway) -> str:
    """Another signed-in browser (say, a phone) for the same athlete; returns its cookie."""
    raw = secrets.token_urlsafe(32)
    with gateway.db() as db, db.begin():
        db.add(
            BrowserSession(
                session_hash=hashlib.sha256(raw.encode()).hexdigest(),
                athlete_id=gateway.athlete_id,
                created_at=gateway.now,
                last_seen_at=gateway.now,
                expires_at=gateway.now + timedelta(days=1),
            )
        )
    return raw


def approve_at_once(
    gateway: Gateway, browsers: list[httpx.Client], forms: list[dict[str, list[str]]]
) -> list[httpx.Response]:
    """POST every consent form from its own browser, released together by a barrier."""
    barrier = threading.Barrier(len(forms))
    responses: dict[int, httpx.Response] = {}

    def post(index: int) -> None:
        barrier.wait()
        responses[index] = browsers[index].post(f"{gateway.base}/authorize", data=forms[index])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [responses[i] for i in range(len(forms))]


def consent_form(gateway: Gateway, browser: httpx.Client, client_id: str) -> dict[str, list[str]]:
    """The consent page's form, approved, as this browser would submit it."""
    _, challenge = pkce_pair()
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge, scope="mcp.read")
    page = browser.get(f"{gateway.base}/authorize", params=params)
    assert page.status_code == 200, page.text[:300]
    form = {key: [value] for key, value in params.items()}
    form |= {"csrf_token": [csrf_of(page.text)], "decision": ["approve"]}
    form["approved_scope"] = ["mcp.read"]
    return form


def test_simultaneous_approvals_over_http_both_redirect_with_a_code(gateway: Gateway) -> None:
    """The laptop and the phone approve the same client at once, three times over."""
    client_id = gateway.register()["client_id"]
    phone = httpx.Client(cookies={"gw_session": second_browser_session(gateway)}, timeout=30)
    browsers = [gateway.browser, phone]
    try:
        for _ in range(3):
            forms = [consent_form(gateway, browser, client_id) for browser in browsers]
            for response in approve_at_once(gateway, browsers, forms):
                assert response.status_code == 303, (response.status_code, response.text[:300])
                assert "code" in query_of(response.headers["location"])
            with gateway.db() as db:
                live = db.scalar(
                    select(func.count()).select_from(Grant).where(Grant.revoked_at.is_(None))
                )
            assert live == 1
    finally:
        phone.close()
