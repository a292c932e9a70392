"""The answer cache through the full stack (create_app, bearer tokens, MCP over HTTP, the fake
Intervals.icu), in memory and in Redis: one athlete's cached data is never served to another,
a coach reading a roster athlete is cached apart from the athlete, a narrower upstream grant
never reads what a broader credential cached, a write through the gateway is seen at once,
and Redis holds no readable health data (values sealed, no credential in any key)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete
from app.intervals.answer_cache import answer_cache_from_settings
from app.intervals.freshness import Area, Invalidator
from app.keyring import resolve_key_ring
from app.mcp.tools.catalog._activity import latest_ride
from app.redis_state import RedisState
from app.services import VaultSealer, services_of
from app.vault.crypto import Vault
from app.vault.store import save_credential
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import gateway_settings, mcp_client
from tests.mcp.test_tools import TODAY
from tests.support.gateway import Gateway, live_gateway
from tests.support.live import free_port

BY_ID = {a.id: a for a in DEMO_ATHLETES}
COACH, LENA, AROHA = (BY_ID[i] for i in ("i100004", "i100002", "i100001"))
MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture(params=["memory", "redis"])
def cache_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The cache settings of one cache_backend (Redis only under scripts/with-redis.sh)."""
    if request.param == "memory":
        return {"answer_cache": "memory"}
    if not REDIS_URL:
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail("TEST_REDIS_URL not set; run under scripts/with-redis.sh", pytrace=False)
        pytest.skip("TEST_REDIS_URL not set; run under scripts/with-redis.sh")
    return {
        "answer_cache": "auto",
        "shared_state_backend": "redis",
        "redis_url": REDIS_URL,
        "redis_key_prefix": f"gw-cache-{uuid.uuid4().hex[:10]}:",
    }


@contextmanager
def cached_gateway(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> Iterator[Gateway]:
    port = free_port()
    settings = gateway_settings(tmp_path, database_url, port, **cache_backend)
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    with live_gateway(settings, port, fake) as gateway:
        gateway.pin(MOMENT)
        yield gateway


@asynccontextmanager
async def invalidator_of(gw: Gateway) -> AsyncIterator[Invalidator]:
    """The gateway's own Invalidator (memory: one process), or with Redis another instance's,
    built from the same settings in the test's event loop (the server runs in its own)."""
    if gw.settings.shared_state_backend != "redis":
        yield services_of(gw.app).freshness
        return
    redis = RedisState.from_settings(gw.settings)
    try:
        cache = answer_cache_from_settings(
            gw.settings,
            now=lambda: gw.now,
            redis=redis,
            sealer=VaultSealer(Vault(resolve_key_ring(gw.settings))),
        )
        assert cache is not None
        yield cache
    finally:
        await redis.aclose()


def wellness_requests(gw: Gateway, athlete: str) -> int:
    return len([r for r in gw.fake.requests.matching("GET", "/wellness") if athlete in r.path])


def cached(result: Any) -> bool:
    """Whether the answer's text says it came from the answer cache (``as of T (cached)``;
    a live answer's text says nothing, its ``as_of`` is the call's time)."""
    as_of = (result.structured_content or {}).get("as_of")
    return as_of is not None and result.content[0].text.endswith(f"as of {as_of} (cached)")


async def ask(gw: Gateway, token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async with mcp_client(gw.mcp_url, token) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    return result


async def test_two_athletes_and_a_coach_never_share_cached_answers(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> None:
    with cached_gateway(tmp_path, database_url, cache_backend) as gw:
        lena, aroha, coach = await gw.seed(LENA), await gw.seed(AROHA), await gw.seed(COACH)
        own = await ask(gw, lena.token, "get_athlete_profile", {})
        gw.advance(10)
        other = await ask(gw, aroha.token, "get_athlete_profile", {})
        assert "Lena" in own.content[0].text and "Aroha" in other.content[0].text
        assert "Lena" not in other.content[0].text
        assert not cached(other)  # not served from Lena's entry

        await ask(gw, lena.token, "get_wellness_data", {})
        gw.advance(10)
        by_coach = await ask(gw, coach.token, "get_wellness_data", {"athlete": "lena"})
        assert wellness_requests(gw, LENA.id) == 2  # the coach's key: an entry of its own
        assert not cached(by_coach)
        gw.advance(10)
        again = await ask(gw, lena.token, "get_wellness_data", {})
        coach_again = await ask(gw, coach.token, "get_wellness_data", {"athlete": "lena"})
        assert wellness_requests(gw, LENA.id) == 2  # each served from its own entry
        assert again.structured_content["as_of"] == "2026-07-29T10:00:10Z" and cached(again)
        assert coach_again.structured_content["as_of"] == "2026-07-29T10:00:20Z"
        assert cached(coach_again)
        assert coach_again.content[0].text.startswith("About Lena Vogel (i100002):")

        ride = latest_ride(gw.fake, LENA.id)  # GET /activity/{id}: no athlete in the path
        await ask(gw, lena.token, "get_activity_details", {"activity_id": ride})
        async with mcp_client(gw.mcp_url, aroha.token) as client:
            foreign = await client.call_tool("get_activity_details", {"activity_id": ride})
        assert foreign.is_error and "Lena" not in foreign.content[0].text
        asked = [r.athlete for r in gw.fake.requests.matching("GET", f"/activity/{ride}")]
        assert asked == [LENA.id, AROHA.id]  # Aroha's call went upstream with her own key


async def test_a_narrower_upstream_grant_never_reads_what_the_key_cached(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> None:
    with cached_gateway(tmp_path, database_url, cache_backend) as gw:
        lena = await gw.seed(LENA)
        await ask(gw, lena.token, "get_wellness_data", {})
        scope = "ACTIVITY:READ,SETTINGS:READ"
        token = gw.fake.oauth.issue_token(LENA.id, scope=scope)
        engine = make_async_engine(gw.settings)
        try:
            async with transaction(make_sessionmaker(engine)) as db:
                pk = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == LENA.id))
                assert pk is not None
                ring = resolve_key_ring(gw.settings)
                await save_credential(db, ring, pk, "oauth_token", token, upstream_scope=scope)
        finally:
            await engine.dispose()
        # Written beside the gateway, as another process would: no revocation notice, so a
        # verified-token cache (on with Redis) keeps the old caller until its seconds pass.
        gw.advance(gw.settings.token_cache_ttl + 1)
        async with mcp_client(gw.mcp_url, lena.token) as client:
            refused = await client.call_tool("get_wellness_data", {})
        assert refused.is_error and "WELLNESS" in refused.content[0].text
        assert wellness_requests(gw, LENA.id) == 1


def ftp_of(result: Any) -> int:
    return next(s["ftp_w"] for s in result.structured_content["sports"] if "Ride" in s["types"])


async def confirmed(client: Any, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    preview = await client.call_tool(name, arguments)
    assert not preview.is_error, preview.content[0].text
    done = await client.call_tool(
        name, {**arguments, "confirm": preview.structured_content["confirm"]}
    )
    assert not done.is_error, done.content[0].text
    return dict(done.structured_content)


async def test_a_write_and_its_undo_through_the_gateway_are_seen_at_once(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> None:
    with cached_gateway(tmp_path, database_url, cache_backend) as gw:
        lena = await gw.seed(LENA, scope="mcp.read mcp.write")
        before = ftp_of(await ask(gw, lena.token, "get_sport_settings", {}))
        gw.advance(5)
        async with mcp_client(gw.mcp_url, lena.token) as client:
            change = await confirmed(
                client, "update_sport_settings", {"sport": "Ride", "ftp": before + 7}
            )
            after = await client.call_tool("get_sport_settings", {})
            assert ftp_of(after) == before + 7 and not cached(after)
            await confirmed(client, "undo_changes", {"batch_id": change["batch_id"]})
            undone = await client.call_tool("get_sport_settings", {})
        assert ftp_of(undone) == before and not cached(undone)


async def test_the_invalidator_a_webhook_calls_drops_what_changed_upstream(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> None:
    args = {"start_date": "2026-07-29", "end_date": "2026-08-12"}
    with cached_gateway(tmp_path, database_url, cache_backend) as gw:
        services = services_of(gw.app)
        assert services.freshness is services.intervals.answers
        lena, coach = await gw.seed(LENA), await gw.seed(COACH)
        first = await ask(gw, lena.token, "get_events", args)
        by_coach = await ask(gw, coach.token, "get_events", {**args, "athlete": "lena"})
        assert first.structured_content["count"] > 0
        assert by_coach.structured_content["count"] == first.structured_content["count"]
        gw.fake.athletes[LENA.id].events.clear()  # changed upstream, e.g. in the web app
        gw.advance(5)
        stale = await ask(gw, lena.token, "get_events", args)
        assert stale.structured_content["as_of"] == "2026-07-29T10:00:00Z" and cached(stale)
        async with invalidator_of(gw) as freshness:
            await freshness.invalidate(LENA.id, [Area.CALENDAR])  # what a webhook does
        fresh = await ask(gw, lena.token, "get_events", args)
        coach_fresh = await ask(gw, coach.token, "get_events", {**args, "athlete": "lena"})
        for answer in (fresh, coach_fresh):  # the athlete's entries and the coach's about her
            assert not cached(answer)
            assert answer.structured_content["count"] == 0


async def test_redis_holds_no_readable_health_data_and_no_credential(
    tmp_path: Path, database_url: str, cache_backend: dict[str, Any]
) -> None:
    if cache_backend["answer_cache"] == "memory":
        pytest.skip("about Redis")
    with cached_gateway(tmp_path, database_url, cache_backend) as gw:
        lena = await gw.seed(LENA)
        await ask(gw, lena.token, "get_wellness_data", {})
        await ask(gw, lena.token, "get_athlete_profile", {})
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = list(redis.scan_iter(match=f"{cache_backend['redis_key_prefix']}answers:*"))
        values = [redis.get(k) or b"" for k in keys if b":gen:" not in k]
    finally:
        redis.close()
    assert values
    everything = b"".join(keys) + b"".join(values)
    assert LENA.api_key.encode() not in everything
    assert b"Lena" not in everything and b"restingHR" not in everything
    assert b"timezone" not in everything
