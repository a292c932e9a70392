"""The verified-token cache (app/db/token_cache.py) and how revocations reach it: bounded,
short-lived, never past the token's expiry, forgotten by athlete or grant once a revocation
commits (never when it rolls back), and distrusted while another instance's notices could be
missed (Redis down), then emptied on resubscribing.

The Redis tests need scripts/with-redis.sh (TEST_REDIS_URL, TEST_REDIS_CTL); they skip without
it, and fail under E2E_REQUIRED=1. The two-process proof of every revocation path is
tests/scale/test_token_revocation.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.db.models import Athlete
from app.db.revocation import attach_revocation_sink, forget_verified
from app.db.token_cache import (
    EVERYTHING,
    CollectedRevocations,
    Revocations,
    TokenCache,
    athlete_scope,
    grant_scope,
    parse_notice,
)
from app.redis_state import LISTEN_SILENCE_SECONDS, RedisState
from tests.conftest import make_settings
from tests.mcp.support import AUCKLAND, BERLIN, Gateway, live_gateway
from tests.mcp.support import gateway_settings as mcp_gateway_settings
from tests.mcp.test_auth import post, request, run_sql
from tests.support.live import free_port


class Seconds:
    """A virtual clock in POSIX seconds."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def cached(
    cache: TokenCache[object], digest: str, athlete: int, grant: int, expires: float
) -> None:
    cache.put(
        digest,
        f"caller of {digest}",
        athlete_pk=athlete,
        grant_id=grant,
        expires=expires,
        generation=cache.generation,
    )


def test_an_entry_lasts_the_cache_seconds_and_never_past_the_tokens_expiry() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    cached(cache, "long", 1, 1, expires=clock.now + 3600)
    cached(cache, "short", 2, 2, expires=clock.now + 5)
    clock.now += 4.9
    assert cache.get("long") == "caller of long"
    assert cache.get("short") == "caller of short"
    clock.now += 0.1  # the token expires: so does its entry
    assert cache.get("short") is None
    clock.now += 25
    assert cache.get("long") is None  # 30 s after it was verified


def test_the_cache_holds_at_most_its_size_dropping_the_least_recently_used() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=2, clock=clock)
    cached(cache, "a", 1, 1, clock.now + 60)
    cached(cache, "b", 2, 2, clock.now + 60)
    assert cache.get("a") is not None
    cached(cache, "c", 3, 3, clock.now + 60)
    assert len(cache) == 2
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None


def test_forgetting_an_athlete_or_a_grant_drops_theirs_only() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    cached(cache, "t1", athlete=1, grant=10, expires=clock.now + 60)
    cached(cache, "t2", athlete=1, grant=11, expires=clock.now + 60)
    cached(cache, "t3", athlete=2, grant=20, expires=clock.now + 60)
    cache.forget([grant_scope(10)], "local")
    assert cache.get("t1") is None and cache.get("t2") is not None
    cache.forget([athlete_scope(1)], "local")
    assert cache.get("t2") is None and cache.get("t3") is not None
    cache.forget([EVERYTHING], "local")
    assert len(cache) == 0


def test_forgetting_stays_exact_after_many_evictions() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=2, clock=clock)
    for n in range(10):  # the LRU keeps the last two; the scope index is rebuilt on the way
        cached(cache, f"t{n}", athlete=n, grant=100 + n, expires=clock.now + 60)
    cache.forget([athlete_scope(3)], "local")  # long evicted: nothing to do
    cache.forget([grant_scope(109)], "local")
    assert cache.get("t9") is None and cache.get("t8") == "caller of t8"


def test_a_verification_read_before_a_revocation_is_not_kept_after_it() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    read_at = cache.generation  # the lookup starts; the database still says "valid"
    cache.forget([grant_scope(10)], "remote")  # the revocation commits meanwhile
    cache.put("t1", "stale", athlete_pk=1, grant_id=10, expires=clock.now + 60, generation=read_at)
    assert cache.get("t1") is None


def test_an_untrusted_cache_answers_nothing_and_keeps_nothing() -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    cached(cache, "t1", 1, 1, clock.now + 60)
    cache.trusted = False
    assert cache.get("t1") is None
    cached(cache, "t2", 2, 2, clock.now + 60)
    cache.trusted = True
    assert cache.get("t2") is None


def test_notices_name_athletes_and_grants_and_anything_else_forgets_everything() -> None:
    assert parse_notice("athlete:3 grant:7") == {"athlete:3", "grant:7"}
    assert parse_notice("all") == {EVERYTHING}
    assert parse_notice("athlete:x") == {EVERYTHING}
    assert parse_notice("token:abc") == {EVERYTHING}
    assert parse_notice("") == {EVERYTHING}


async def test_a_revocation_reaches_the_sink_when_it_commits_and_not_when_it_rolls_back(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    sessions = async_sessionmaker(engine)
    sink = CollectedRevocations()
    attach_revocation_sink(sessions, sink)
    try:
        async with sessions() as db, db.begin():
            forget_verified(db, athlete_pk=4)
            assert sink.scopes == set()  # not before the commit
        assert sink.scopes == {"athlete:4"}
        with pytest.raises(RuntimeError):
            async with sessions() as db, db.begin():
                forget_verified(db, grant_id=9)
                raise RuntimeError("the transaction fails")
        async with sessions() as db, db.begin():
            forget_verified(db, grant_id=5, everywhere=False)  # bookkeeping: this process only
        assert sink.scopes == {"athlete:4"}
    finally:
        await engine.dispose()


async def test_a_committed_revocation_empties_this_processes_cache_at_once(
    tmp_path: Path,
) -> None:
    clock = Seconds()
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    cached(cache, "t1", athlete=4, grant=1, expires=clock.now + 60)
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    sessions = async_sessionmaker(engine)
    attach_revocation_sink(sessions, Revocations(cache, None))
    try:
        async with sessions() as db, db.begin():
            forget_verified(db, athlete_pk=4)
        assert cache.get("t1") is None
    finally:
        await engine.dispose()


# -- Redis: notices between instances, outage and resubscription ---------------------------


def redis_env() -> tuple[str, str]:
    url, ctl = os.environ.get("TEST_REDIS_URL", ""), os.environ.get("TEST_REDIS_CTL", "")
    if not url or not ctl:
        reason = "TEST_REDIS_URL / TEST_REDIS_CTL not set; run under scripts/with-redis.sh"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return url, ctl


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll ``condition()`` on the event loop until true, failing after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_notices_cross_instances_and_an_outage_distrusts_then_empties_the_cache(
    tmp_path: Path,
) -> None:
    url, ctl = redis_env()
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'gw.db'}",
        shared_state_backend="redis",
        redis_url=url,
        redis_key_prefix=f"gw-test-{uuid.uuid4().hex[:12]}:",
    )
    clock = Seconds()
    first_redis, second_redis = (
        RedisState.from_settings(settings),
        RedisState.from_settings(settings),
    )
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    first = Revocations(None, first_redis)
    second = Revocations(cache, second_redis)
    assert cache.trusted is False  # not subscribed yet: nothing is trusted
    following = second.start_following()
    try:
        await until(lambda: cache.trusted)
        cached(cache, "t1", athlete=4, grant=1, expires=clock.now + 60)
        cached(cache, "t2", athlete=5, grant=2, expires=clock.now + 60)
        first.ended(frozenset({athlete_scope(4)}))
        await until(lambda: cache.get("t1") is None)
        assert cache.get("t2") is not None

        await asyncio.to_thread(subprocess.run, [ctl, "stop"], check=True)
        await until(lambda: not cache.trusted)
        assert cache.get("t2") is None  # bypassed while notices could be missed
        await asyncio.to_thread(subprocess.run, [ctl, "start"], check=True)
        await until(lambda: cache.trusted, seconds=20)
        assert len(cache) == 0  # emptied on resubscribing: notices sent meanwhile were lost
    finally:
        assert following is not None
        following.cancel()
        await first_redis.aclose()
        await second_redis.aclose()


async def test_a_redis_that_stops_answering_without_closing_is_noticed(tmp_path: Path) -> None:
    """A frozen Redis (the connection stays open, nothing answers: a silent network partition)
    is taken as lost after LISTEN_SILENCE_SECONDS; the cache is distrusted, then emptied and
    trusted again once Redis answers."""
    url, _ctl = redis_env()
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'gw.db'}",
        shared_state_backend="redis",
        redis_url=url,
        redis_key_prefix=f"gw-test-{uuid.uuid4().hex[:12]}:",
    )
    clock = Seconds()
    redis = RedisState.from_settings(settings)
    pid = int((await redis.client.info("server"))["process_id"])
    cache: TokenCache[object] = TokenCache(seconds=30, size=100, clock=clock)
    following = Revocations(cache, redis).start_following()
    try:
        await until(lambda: cache.trusted)
        cached(cache, "t1", athlete=4, grant=1, expires=clock.now + 60)
        os.kill(pid, signal.SIGSTOP)
        try:
            await until(lambda: not cache.trusted, seconds=LISTEN_SILENCE_SECONDS + 3)
        finally:
            os.kill(pid, signal.SIGCONT)
        await until(lambda: cache.trusted, seconds=20)
        assert len(cache) == 0
    finally:
        assert following is not None
        following.cancel()
        await redis.aclose()


# -- one gateway (the full app), cache turned on with the memory backend -----------------------


async def test_a_cached_token_revoked_through_the_gateway_is_refused_at_once_and_an_out_of_band_change_within_the_cache_seconds(  # noqa: E501
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    settings = mcp_gateway_settings(tmp_path, database_url, port, token_cache_seconds=30)
    with live_gateway(settings, port) as gw:
        revoked = await gw.seed(AUCKLAND)
        changed = await gw.seed(BERLIN, client_id="other-client")
        for caller in (revoked, changed):
            assert await tokens_read(gw, caller.token) == 1
            # the call recorded the grant's first use: the cached copy is refreshed once
            assert await tokens_read(gw, caller.token) == 1
            assert await tokens_read(gw, caller.token) == 0  # answered by the cache

        response = await request(
            "POST",
            f"{gw.base}/revoke",
            data={"token": revoked.token, "client_id": "test-client"},
        )
        assert response.status_code == 200
        assert (await post(gw.mcp_url, revoked.token)).status_code == 401  # at once

        # a change made behind the gateway's back (SQL by hand) is seen when the entry expires
        await run_sql(settings, update(Athlete).values(disabled_at=gw.now))
        assert (await post(gw.mcp_url, changed.token)).status_code == 200
        gw.advance(30)
        assert (await post(gw.mcp_url, changed.token)).status_code == 401


async def tokens_read(gw: Gateway, token: str) -> int:
    """How many times the database was asked for the token's row during one MCP request."""
    statements: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_: object) -> None:
        if "FROM tokens JOIN grants" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert (await post(gw.mcp_url, token)).status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return len(statements)
