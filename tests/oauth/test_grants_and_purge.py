"""Grant revocation (used by the account page and the MCP layer) and the purge."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import AuthorizationCode, BrowserSession, OAuthClient, Token
from app.oauth.grants import revoke_athlete_tokens, revoke_grant
from app.oauth.purge import purge_forever, purge_once, start_purge_task
from tests.oauth.conftest import CHATGPT_CALLBACK, Gateway


async def test_revoke_grant_only_for_its_athlete_and_kills_its_tokens(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    grant_id = gateway.grants()[0].id
    engine = make_async_engine(gateway.settings)
    sessions = make_sessionmaker(engine)
    try:
        async with transaction(sessions) as db:
            assert await revoke_grant(db, grant_id, gateway.athlete_id + 99) is False
        assert gateway.access_token_usable(tokens["access_token"])
        async with transaction(sessions) as db:
            assert await revoke_grant(db, grant_id, gateway.athlete_id) is True
        assert not gateway.access_token_usable(tokens["access_token"])
        assert (
            gateway.refresh(client_id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
        )

        _, first = gateway.connect()
        _, second = gateway.connect()
        async with transaction(sessions) as db:
            assert await revoke_athlete_tokens(db, gateway.athlete_id) == 2
        assert not gateway.access_token_usable(first["access_token"])
        assert not gateway.access_token_usable(second["access_token"])
    finally:
        await engine.dispose()


async def test_purge_removes_expired_rows_and_abandoned_clients_only(gateway: Gateway) -> None:
    live_client, tokens = gateway.connect()
    abandoned = gateway.register(client_name="Abandoned")["client_id"]
    revoked_client, revoked_tokens = gateway.connect()
    gateway.http.post(
        f"{gateway.base}/revoke",
        data={"token": revoked_tokens["refresh_token"], "client_id": revoked_client},
    )
    gateway.add_operator_client(
        name="ChatGPT", client_id="35_openai", auth_method="none", redirect_uris=[CHATGPT_CALLBACK]
    )
    unused_code = gateway.authorize("35_openai", CHATGPT_CALLBACK)  # never redeemed

    engine = make_async_engine(gateway.settings)
    try:
        later = gateway.now + timedelta(days=8)
        result = await purge_once(make_sessionmaker(engine), gateway.settings, now=later)
    finally:
        await engine.dispose()

    with gateway.db() as db:
        clients = set(db.scalars(select(OAuthClient.client_id)))
        # never purged: a client with a live grant, and operator clients
        assert clients == {live_client, "35_openai"}
        assert db.scalars(select(AuthorizationCode)).all() == []
        assert db.scalars(select(BrowserSession)).all() == []
        kinds = [t.kind for t in db.scalars(select(Token))]
    assert "access" not in kinds and "refresh" in kinds
    assert result.clients == 2 and result.sessions == 1 and result.codes >= 1
    assert unused_code.code
    gateway.advance(8 * 86400)
    assert gateway.refresh(live_client, tokens["refresh_token"]).status_code == 200
    assert gateway.refresh(abandoned, "gwr_x").status_code == 401


async def test_registrations_that_never_got_a_grant_expire_within_hours(
    gateway: Gateway,
) -> None:
    """M4: junk registrations free their place after oauth_unused_client_seconds, not days."""
    unused = gateway.register(client_name="Never used")["client_id"]
    used, _ = gateway.connect(client_name="Used")
    engine = make_async_engine(gateway.settings)
    try:
        sessions = make_sessionmaker(engine)
        hours = timedelta(seconds=gateway.settings.oauth_unused_client_seconds)
        early = await purge_once(sessions, gateway.settings, now=gateway.now + hours / 2)
        assert early.clients == 0
        later = await purge_once(sessions, gateway.settings, now=gateway.now + hours)
    finally:
        await engine.dispose()
    assert later.clients == 1
    with gateway.db() as db:
        remaining = set(db.scalars(select(OAuthClient.client_id)))
    assert unused not in remaining and used in remaining
    assert gateway.settings.oauth_unused_client_seconds <= 6 * 3600


async def test_periodic_purge_task_starts_unless_disabled(gateway: Gateway) -> None:
    engine = make_async_engine(gateway.settings)
    try:
        sessions = make_sessionmaker(engine)
        assert (
            start_purge_task(
                sessions, gateway.settings.model_copy(update={"oauth_purge_interval_seconds": 0})
            )
            is None
        )
        task = start_purge_task(sessions, gateway.settings)
        assert task is not None and not task.done()
        task.cancel()
    finally:
        await engine.dispose()


async def test_periodic_purge_deletes_expired_sessions_each_interval(gateway: Gateway) -> None:
    with gateway.db() as db, db.begin():
        db.add(
            BrowserSession(
                session_hash="0" * 64,
                athlete_id=gateway.athlete_id,
                created_at=gateway.now - timedelta(days=9),
                last_seen_at=gateway.now - timedelta(days=9),
                expires_at=gateway.now - timedelta(days=2),
            )
        )
    intervals: list[float] = []

    async def one_interval_then_stop(seconds: float) -> None:
        intervals.append(seconds)
        if len(intervals) > 1:
            raise asyncio.CancelledError

    engine = make_async_engine(gateway.settings)
    try:
        with pytest.raises(asyncio.CancelledError):
            await purge_forever(make_sessionmaker(engine), gateway.settings, one_interval_then_stop)
    finally:
        await engine.dispose()
    assert intervals == [3600, 3600]
    with gateway.db() as db:
        hashes = set(db.scalars(select(BrowserSession.session_hash)))
    assert "0" * 64 not in hashes and len(hashes) == 1  # the live session stays
