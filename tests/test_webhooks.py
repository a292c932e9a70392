"""Intervals.icu webhooks (issue 21): ``POST /webhooks/intervals`` over the real app.

The cache behind ``services.freshness`` is a recording invalidator here (the answer cache has
its own tests; tests/test_webhook_freshness.py runs both together against the fake).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.intervals.freshness import Area
from app.intervals.webhooks import (
    MalformedDelivery,
    areas_for,
    parse_delivery,
    secret_matches,
)
from app.redis_state import RedisState
from app.settings import Settings
from app.web.body_limit import WEBHOOK_BODY_LIMIT
from app.web.webhooks import (
    REFUSAL_WINDOW_SECONDS,
    REFUSALS_PER_ADDRESS,
    SeenInMemory,
    SeenInRedis,
    WebhookWorker,
)
from tests.support.freshness import RecordingFreshness
from tests.support.gateway import Gateway, gateway_settings, in_process_gateway

SECRET = "whsec-" + "x" * 24
ATHLETE = "i100001"
URL = "/webhooks/intervals"


def event(
    kind: str = "WELLNESS_UPDATED",
    athlete: str = ATHLETE,
    timestamp: str = "2026-11-30T07:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    return {"athlete_id": athlete, "type": kind, "timestamp": timestamp, **extra}


def delivery(*events: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    return {"secret": secret, "events": list(events)}


@pytest.fixture
def webhook_settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, intervals_webhook_secret=SECRET)


def worker_of(gateway: Gateway) -> WebhookWorker:
    found: WebhookWorker = gateway.app.state.webhooks
    return found


@asynccontextmanager
async def hooked_gateway(settings: Settings) -> AsyncIterator[tuple[Gateway, RecordingFreshness]]:
    """A gateway with webhooks on, athlete i100001 signed in, a recording cache."""
    async with in_process_gateway(settings) as gateway:
        gateway.add_athlete(ATHLETE, "Signed In")
        recorder = RecordingFreshness()
        worker = worker_of(gateway)
        worker.services = dataclasses.replace(worker.services, freshness=recorder)
        yield gateway, recorder


def counted(gateway: Gateway, outcome: str) -> float:
    value = gateway.app.state.observer.registry.get_sample_value(
        "gateway_webhook_events_total", {"outcome": outcome}
    )
    return float(value or 0.0)


async def post(gateway: Gateway, body: Any) -> httpx.Response:
    return await gateway.browser.post(URL, json=body)


# -- protocol rules -------------------------------------------------------------------------------


def test_secret_matches_only_the_exact_secret() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET + "x", SECRET)
    assert not secret_matches("", SECRET)
    assert not secret_matches("", "")  # webhooks off: nothing matches


def test_each_event_type_names_the_areas_it_changes() -> None:
    assert areas_for("WELLNESS_UPDATED") == {Area.WELLNESS}
    assert areas_for("CALENDAR_UPDATED") == {Area.CALENDAR}
    assert {Area.ACTIVITIES, Area.FITNESS} <= areas_for("ACTIVITY_ANALYZED")
    assert {Area.SETTINGS, Area.PROFILE} <= areas_for("SPORT_SETTINGS_UPDATED")
    assert Area.FITNESS in areas_for("FITNESS_UPDATED")
    assert areas_for("SOMETHING_NEW") == frozenset(Area)  # unknown: forget everything


def test_a_delivery_names_its_activities_and_calendar_ids() -> None:
    parsed = parse_delivery(
        json.dumps(
            delivery(
                event("ACTIVITY_ANALYZED", activity={"id": "i55", "name": "Ride"}),
                event("CALENDAR_UPDATED", events=[{"id": 7}, {"id": 8}], deleted_events=[9]),
            )
        ).encode()
    )
    analyzed, calendar = parsed.events
    assert analyzed.activity_ids == ("i55",)
    assert calendar.object_ids == ("7", "8", "9") and calendar.activity_ids == ()
    assert analyzed.dedup_key() != calendar.dedup_key()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"events": []}', "'secret'"),
        (b'{"secret": "s", "events": {}}', "'events'"),
        (b'{"secret": "s", "events": [{"type": "X", "timestamp": "t"}]}', "athlete_id"),
    ],
)
def test_a_body_that_is_not_a_delivery_is_named(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedDelivery, match=problem):
        parse_delivery(body)


async def test_memory_forgets_an_event_after_its_window() -> None:
    now = [0.0]
    seen = SeenInMemory(seconds=lambda: now[0], window=60.0, capacity=3)
    assert await seen.first_time("a") and not await seen.first_time("a")
    now[0] = 61.0
    assert await seen.first_time("a")
    for key in "bcd":  # capacity 3: the oldest goes first
        assert await seen.first_time(key)
    assert await seen.first_time("a")


# -- the endpoint ---------------------------------------------------------------------------------


async def test_webhooks_are_off_without_a_secret(settings: Settings) -> None:
    async with in_process_gateway(settings) as gateway:
        response = await post(gateway, delivery(event(), secret=""))
    assert response.status_code == 404


async def test_a_delivery_is_answered_200_before_it_is_processed(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        recorder.hold = asyncio.Event()
        response = await post(gateway, delivery(event()))
        assert response.status_code == 200  # answered while processing waits
        assert response.json() == {"received": 1}
        await recorder.started.wait()
        assert recorder.calls == []
        recorder.hold.set()
        await worker_of(gateway).drained()
        assert recorder.calls == [(ATHLETE, frozenset({Area.WELLNESS}), ())]
        assert counted(gateway, "received") == 1 and counted(gateway, "processed") == 1


async def test_a_wrong_secret_is_refused_and_invalidates_nothing(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        response = await post(gateway, delivery(event(), secret=SECRET[:-1] + "y"))
        assert response.status_code == 403
        assert SECRET not in response.text
        await worker_of(gateway).drained()
        assert recorder.calls == []
        assert counted(gateway, "refused") == 1


async def test_malformed_deliveries_get_a_clear_400(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        response = await gateway.browser.post(
            URL, content=b"{oops", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400 and "not JSON" in response.json()["detail"]
        response = await post(gateway, delivery({"athlete_id": ATHLETE, "type": "X"}))
        assert response.status_code == 400 and "timestamp" in response.json()["detail"]
        assert recorder.calls == []


async def test_an_oversized_body_is_refused_with_413(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        many = [{"id": n, "name": "x" * 200} for n in range(400)]  # ~100 KiB: over the default
        response = await post(gateway, delivery(event("CALENDAR_UPDATED", events=many)))
        assert response.status_code == 200
        padding = "p" * (WEBHOOK_BODY_LIMIT + 1)
        response = await post(gateway, delivery(event(note=padding)))
        assert response.status_code == 413
        await worker_of(gateway).drained()
        assert [call[1] for call in recorder.calls] == [frozenset({Area.CALENDAR})]


async def test_duplicates_are_dropped(webhook_settings: Settings) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        first = event("CALENDAR_UPDATED", events=[{"id": 7}])
        later = event("CALENDAR_UPDATED", timestamp="2026-11-30T07:05:00Z", events=[{"id": 7}])
        other = event("CALENDAR_UPDATED", events=[{"id": 8}])
        for body in (delivery(first, first), delivery(first), delivery(later, other)):
            assert (await post(gateway, body)).status_code == 200
        await worker_of(gateway).drained()
        assert len(recorder.calls) == 3  # first once, then the later change and the other event
        assert counted(gateway, "duplicate") == 2


async def test_athletes_not_signed_in_here_are_ignored(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        response = await post(gateway, delivery(event(athlete="i999999"), event()))
        assert response.status_code == 200
        await worker_of(gateway).drained()
        assert [call[0] for call in recorder.calls] == [ATHLETE]
        assert counted(gateway, "ignored") == 1


async def test_activity_events_name_the_activity(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        body = delivery(event("ACTIVITY_ANALYZED", activity={"id": "i4242"}))
        assert (await post(gateway, body)).status_code == 200
        await worker_of(gateway).drained()
        ((athlete, areas, activities),) = recorder.calls
        assert athlete == ATHLETE and Area.ACTIVITIES in areas and activities == ("i4242",)


# -- several instances share what they have seen (Redis) -------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set; run under scripts/with-redis.sh")
async def test_two_instances_on_redis_drop_each_others_duplicates(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(
        tmp_path,
        database_url,
        intervals_webhook_secret=SECRET,
        shared_state_backend="redis",
        redis_url=REDIS_URL,
        redis_key_prefix=f"t{secrets.token_hex(4)}:",
    )
    recorders = [RecordingFreshness(), RecordingFreshness()]
    async with (
        in_process_gateway(settings) as one,
        in_process_gateway(settings, fake=one.fake) as two,
    ):
        one.add_athlete(ATHLETE, "Signed In")
        for gateway, recorder in zip((one, two), recorders, strict=True):
            worker = worker_of(gateway)
            worker.services = dataclasses.replace(worker.services, freshness=recorder)
        body = delivery(event("CALENDAR_UPDATED", events=[{"id": 7}]))
        assert (await post(one, body)).status_code == 200
        await worker_of(one).drained()
        assert (await post(two, body)).status_code == 200
        await worker_of(two).drained()
    assert len(recorders[0].calls) == 1 and recorders[1].calls == []


async def test_a_full_queue_refuses_the_whole_delivery(webhook_settings: Settings) -> None:
    """Past the queue's bound nothing of the delivery is queued: 503, Intervals.icu retries."""
    async with hooked_gateway(webhook_settings) as (gateway, _recorder):
        small = WebhookWorker(worker_of(gateway).services, SeenInMemory(), asyncio.Queue(2))
        gateway.app.state.webhooks = small  # a queue no worker empties
        assert (await post(gateway, delivery(event()))).status_code == 200
        three = delivery(*(event(timestamp=f"t{n}") for n in range(3)))
        response = await post(gateway, three)
        assert response.status_code == 503
        assert small.queue.qsize() == 1


async def test_dedup_on_an_unreachable_redis_lets_the_event_through() -> None:
    """Forgetting a cached answer twice is harmless; missing a change is not."""
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    seen = SeenInRedis(RedisState(client, "t:"))
    try:
        assert await seen.first_time("k") and await seen.first_time("k")
    finally:
        await client.aclose()


async def test_an_address_guessing_the_secret_is_stopped_before_its_body_is_read(
    webhook_settings: Settings,
) -> None:
    async with hooked_gateway(webhook_settings) as (gateway, recorder):
        for n in range(REFUSALS_PER_ADDRESS):
            response = await post(gateway, delivery(event(), secret=f"guess-{n}"))
            assert response.status_code == 403
        response = await post(gateway, delivery(event()))  # even the right secret, now
        assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
        other = gateway.new_browser("198.51.100.77")
        async with other:
            assert (await other.post(URL, json=delivery(event()))).status_code == 200
        await worker_of(gateway).drained()
        assert len(recorder.calls) == 1
        gateway.advance(REFUSAL_WINDOW_SECONDS + 1)
        assert (await post(gateway, delivery(event(timestamp="later")))).status_code == 200
