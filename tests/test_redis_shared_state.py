"""State shared between instances through Redis (GATEWAY_SHARED_STATE_BACKEND=redis; issue 19).

Each "instance" here is its own app or its own RedisState (its own connection pool) on one
real Redis server (scripts/with-redis.sh sets TEST_REDIS_URL; without it these tests skip, and
fail under E2E_REQUIRED=1 as CI runs them). "Redis down" is a closed loopback port.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.attempts import AttemptCounter, attempt_counter
from app.intervals.errors import GatewayBudgetExhausted
from app.intervals.ratelimit import budget_from_settings
from app.main import create_app
from app.redis_state import RedisState, SharedStateDown
from app.settings import Settings
from tests.accounts.harness import CSRF_INPUT, gateway_settings, running_gateway
from tests.accounts.test_signin_limits import post_signin
from tests.conftest import make_settings
from tests.fake_intervals import FakeIntervals

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        reason = "TEST_REDIS_URL not set; run under scripts/with-redis.sh"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test's own, so tests never see each other's counts."""
    return f"gw-test-{uuid.uuid4().hex[:12]}:"


def shared(tmp_path: Path, url: str, prefix: str, **overrides: object) -> Settings:
    return make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'gw.db'}",
        shared_state_backend="redis",
        redis_url=url,
        redis_key_prefix=prefix,
        **overrides,
    )


@pytest.fixture
async def two_instances(
    tmp_path: Path, redis_url: str, prefix: str
) -> AsyncIterator[tuple[RedisState, RedisState]]:
    settings = shared(tmp_path, redis_url, prefix)
    first, second = RedisState.from_settings(settings), RedisState.from_settings(settings)
    yield first, second
    await first.aclose()
    await second.aclose()


def test_the_redis_backend_needs_a_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GATEWAY_REDIS_URL"):
        make_settings(tmp_path, shared_state_backend="redis")


def counter(
    settings: Settings, redis: RedisState, limit: int, *, protects: bool = True
) -> AttemptCounter:
    return attempt_counter(
        settings,
        limit,
        600.0,
        lambda: 0.0,
        redis=redis,
        name="signin",
        protects_accounts=protects,
    )


async def test_attempts_on_one_instance_count_on_the_other(
    tmp_path: Path, two_instances: tuple[RedisState, RedisState], redis_url: str, prefix: str
) -> None:
    settings = shared(tmp_path, redis_url, prefix)
    first, second = (counter(settings, state, 3) for state in two_instances)
    assert [await first.reserve("198.51.100.7") for _ in range(2)] == [None, None]
    assert await second.reserve("198.51.100.7") is None
    wait = await first.reserve("198.51.100.7")
    assert wait is not None and 590 <= wait <= 600
    assert await second.retry_after("198.51.100.7") == wait
    assert await second.reserve("198.51.100.8") is None  # other addresses are unaffected


async def test_a_released_attempt_is_given_back_to_every_instance(
    tmp_path: Path, two_instances: tuple[RedisState, RedisState], redis_url: str, prefix: str
) -> None:
    settings = shared(tmp_path, redis_url, prefix)
    first, second = (counter(settings, state, 2) for state in two_instances)
    assert await first.reserve("a") is None
    assert await first.reserve("a") is None
    assert await second.reserve("a") is not None
    await first.release("a")
    assert await second.reserve("a") is None


async def test_account_limits_refuse_and_the_others_fall_back_while_redis_is_down(
    tmp_path: Path,
) -> None:
    settings = shared(tmp_path, DEAD_REDIS, "gw:")
    dead = RedisState.from_settings(settings)
    try:
        signin = counter(settings, dead, 3)
        with pytest.raises(SharedStateDown):  # fail closed: refused (the web layer answers 503)
            await signin.reserve("a")
        registration = counter(settings, dead, 2, protects=False)
        assert [await registration.reserve("a") for _ in range(3)][:2] == [None, None]
        assert await registration.reserve("a") is not None  # the process's own limit holds
    finally:
        await dead.aclose()


async def test_the_upstream_budget_is_shared_by_the_instances(
    tmp_path: Path, two_instances: tuple[RedisState, RedisState], redis_url: str, prefix: str
) -> None:
    settings = shared(
        tmp_path,
        redis_url,
        prefix,
        upstream_rate_per_second=0.1,
        upstream_burst=2,
        upstream_max_wait_seconds=0,
    )
    first, second = (budget_from_settings(settings, state) for state in two_instances)
    async with first.slot("athlete-a"):
        pass
    async with second.slot("athlete-b"):
        pass
    with pytest.raises(GatewayBudgetExhausted) as refused:
        async with second.slot("athlete-c"):
            pass
    assert refused.value.retry_after is not None and refused.value.retry_after >= 5


async def test_a_pause_asked_by_intervals_stops_every_instance(
    tmp_path: Path, two_instances: tuple[RedisState, RedisState], redis_url: str, prefix: str
) -> None:
    settings = shared(tmp_path, redis_url, prefix, upstream_max_wait_seconds=1)
    first, second = (budget_from_settings(settings, state) for state in two_instances)
    await first.pause(30)
    with pytest.raises(GatewayBudgetExhausted):
        async with second.slot("athlete-a"):
            pass


async def test_the_budget_falls_back_to_the_process_while_redis_is_down(tmp_path: Path) -> None:
    settings = shared(tmp_path, DEAD_REDIS, "gw:", upstream_burst=2, upstream_max_wait_seconds=0)
    dead = RedisState.from_settings(settings)
    try:
        budget = budget_from_settings(settings, dead)
        for _ in range(2):
            async with budget.slot("athlete-a"):
                pass
        with pytest.raises(GatewayBudgetExhausted):  # the local bucket still limits
            async with budget.slot("athlete-a"):
                pass
    finally:
        await dead.aclose()


async def test_one_instance_leads_the_purge_until_its_lock_expires(
    two_instances: tuple[RedisState, RedisState],
) -> None:
    first, second = two_instances
    assert await first.hold_leadership("purge", 30)
    assert not await second.hold_leadership("purge", 30)
    assert await first.hold_leadership("purge", 30)  # renewed by its holder
    await first.client.delete(first.key("leader", "purge"))  # as if it expired
    assert await second.hold_leadership("purge", 30)
    assert not await first.hold_leadership("purge", 30)


async def test_messages_published_on_one_instance_reach_the_other(
    two_instances: tuple[RedisState, RedisState],
) -> None:
    first, second = two_instances
    messages = second.listen("revocations")
    receiving = messages.__anext__()
    task = asyncio.ensure_future(receiving)
    for _ in range(100):
        await first.publish("revocations", "token-hash-1")
        done, _ = await asyncio.wait({task}, timeout=0.05)
        if done:
            break
    assert task.result() == "token-hash-1"
    await messages.aclose()


def test_readyz_reports_redis(tmp_path: Path, database_url: str, redis_url: str) -> None:
    live = make_settings(tmp_path, database_url, shared_state_backend="redis", redis_url=redis_url)
    with TestClient(create_app(live)) as client:
        assert client.get("/readyz").json()["redis"] == "ok"
    dead = make_settings(tmp_path, database_url, shared_state_backend="redis", redis_url=DEAD_REDIS)
    with TestClient(create_app(dead)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["redis"].startswith("redis unreachable")
        assert "127.0.0.1:1" not in ready.text


async def test_signin_attempts_through_two_gateways_share_one_limit(
    tmp_path: Path, database_url: str, redis_url: str, prefix: str
) -> None:
    """A guesser spreading sign-in attempts over two instances is still limited once."""
    settings = gateway_settings(
        tmp_path,
        database_url,
        signin_attempts_per_address=2,
        shared_state_backend="redis",
        redis_url=redis_url,
        redis_key_prefix=prefix,
    )
    async with (
        running_gateway(settings, FakeIntervals()) as first,
        running_gateway(settings, FakeIntervals()) as second,
    ):
        assert await post_signin(first.browser, "wrong-key-1") == 400
        assert await post_signin(second.browser, "wrong-key-2") == 400
        assert await post_signin(first.browser, "wrong-key-3") == 429
        assert await post_signin(second.browser, "wrong-key-4") == 429


async def test_signin_is_refused_while_redis_is_down_and_nothing_reaches_intervals(
    tmp_path: Path, database_url: str
) -> None:
    """Fail closed: the sign-in limit protects accounts, so without Redis nobody may guess."""
    settings = gateway_settings(
        tmp_path, database_url, shared_state_backend="redis", redis_url=DEAD_REDIS
    )
    async with running_gateway(settings, FakeIntervals()) as gateway:
        page = await gateway.browser.get("/signin")
        match = CSRF_INPUT.search(page.text)
        assert match
        refused = await gateway.browser.post(
            "/signin",
            data={"athlete_id": "", "api_key": "wrong-key-1", "csrf_token": match.group(1)},
            headers={"Accept": "text/html"},
        )
        assert refused.status_code == 503
        assert "cannot check its sign-in limits right now" in refused.text
        assert refused.headers["retry-after"]
        assert not gateway.fake.requests.matching("GET", "/api/v1/athlete/")


@pytest.fixture
async def silent_redis() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: Redis hung or overloaded."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0"
    for writer in held:
        writer.close()
    server.close()


async def test_a_hung_redis_degrades_like_a_dead_one_after_the_timeout(
    tmp_path: Path, silent_redis: str
) -> None:
    settings = shared(
        tmp_path,
        silent_redis,
        "gw:",
        redis_timeout_seconds=0.2,
        upstream_burst=1,
        upstream_max_wait_seconds=0,
    )
    hung = RedisState.from_settings(settings)
    try:
        with pytest.raises(SharedStateDown):  # refused, not stuck
            await counter(settings, hung, 3).reserve("a")
        async with budget_from_settings(settings, hung).slot("athlete-a"):
            pass  # served on the local budget
        assert (await hung.problem() or "").startswith("redis unreachable")
    finally:
        await hung.aclose()
