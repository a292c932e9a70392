"""``POST /webhooks/intervals``: Intervals.icu OAuth-app webhook deliveries (docs/webhooks.md).

The handler is thin: it reads the (size-bounded, app/web/body_limit.py) body, parses it and
checks the secret with the protocol rules of app/intervals/webhooks.py, puts the events on a
bounded queue and answers 200 at once (never 204: Intervals.icu retries those). Workers started
with the app's lifespan (:func:`run_webhooks`) then drop duplicates (:class:`SeenEvents`: this
process's memory, or Redis ``SET NX`` with an expiry so every instance agrees), ignore athletes
who never signed in here, and tell the answer cache what changed through
``services.freshness.invalidate``. Failures are logged by event type only: never the secret,
never an athlete's data.

With ``GATEWAY_INTERVALS_WEBHOOK_SECRET`` unset the endpoint answers 404, as for any unknown
path; the answer cache then relies on its TTL.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from app.attempts import AttemptCounter, attempt_counter
from app.db.models import Athlete
from app.intervals.webhooks import (
    MalformedDelivery,
    WebhookEvent,
    areas_for,
    describe,
    parse_delivery,
    secret_matches,
)
from app.observe import observer
from app.redis_state import RedisError, RedisState
from app.services import Services, services_of
from app.web.body_limit import WEBHOOK_PATH
from app.web.client_address import client_limiter_key

log = logging.getLogger(__name__)

SEEN_SECONDS = 24 * 3600.0
"""How long an event is remembered for dropping its duplicates."""
SEEN_MAX_IN_MEMORY = 50_000
"""Events remembered by one process (oldest forgotten first)."""
QUEUE_SIZE = 10_000
"""Events waiting for processing; past it a delivery gets 503 and Intervals.icu retries."""
WORKERS = 4
"""Events processed at once (each does one database read and one invalidation)."""
REFUSALS_PER_ADDRESS = 20
REFUSAL_WINDOW_SECONDS = 900.0
"""Deliveries with a wrong secret one client address may send in the window; past it the
address gets 429 before its body is read (someone guessing the secret)."""

router = APIRouter()


class SeenEvents(Protocol):
    """Remembers processed events so a duplicate delivery is dropped."""

    async def first_time(self, key: str) -> bool:
        """True the first time ``key`` is offered within the remembering window."""
        ...


class SeenInMemory:
    """This process's memory of recent events: bounded, expiring, oldest dropped first."""

    def __init__(
        self,
        seconds: Callable[[], float] = time.monotonic,
        window: float = SEEN_SECONDS,
        capacity: int = SEEN_MAX_IN_MEMORY,
    ) -> None:
        self._seconds = seconds
        self._window = window
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, key: str) -> bool:
        now = self._seconds()
        while self._seen and (
            len(self._seen) >= self._capacity or next(iter(self._seen.values())) <= now
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + self._window
        return True


class SeenInRedis:
    """Every instance's memory of recent events: ``SET key NX PX window`` in the shared Redis.
    If Redis does not answer the event counts as new (processing it twice only forgets a
    cached answer twice)."""

    def __init__(self, redis: RedisState, window: float = SEEN_SECONDS) -> None:
        self._redis = redis
        self._window_ms = int(window * 1000)

    async def first_time(self, key: str) -> bool:
        try:
            stored = await self._redis.client.set(
                self._redis.key("webhook", key), b"1", nx=True, px=self._window_ms
            )
        except RedisError as error:
            log.warning("webhook: Redis unavailable for deduplication (%s)", type(error).__name__)
            return True
        return bool(stored)


@dataclass
class WebhookWorker:
    """The queue between the endpoint and the processing, with its worker tasks."""

    services: Services
    seen: SeenEvents
    queue: asyncio.Queue[WebhookEvent]
    refusals: AttemptCounter | None = None
    """Wrong-secret deliveries per client address (None: not limited)."""

    def offer(self, events: tuple[WebhookEvent, ...]) -> bool:
        """Queue a delivery's events; False (nothing queued) when they do not all fit."""
        if self.queue.maxsize and self.queue.qsize() + len(events) > self.queue.maxsize:
            return False
        for event in events:
            self.queue.put_nowait(event)
        return True

    async def drained(self) -> None:
        """Wait until every queued event has been processed (tests, shutdown)."""
        await self.queue.join()

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.process(event)
            except Exception:  # one bad event must not stop the worker
                log.exception("webhook: processing a %s event failed", event.type)
            finally:
                self.queue.task_done()

    async def process(self, event: WebhookEvent) -> None:
        """Drop a duplicate, ignore an athlete unknown here, else invalidate their areas."""
        if not await self.seen.first_time(event.dedup_key()):
            observer().webhook_event("duplicate")
            return
        if not await self.athlete_known(event.athlete_id):
            observer().webhook_event("ignored")
            return
        await self.services.freshness.invalidate(
            event.athlete_id, areas_for(event.type), activity_ids=event.activity_ids
        )
        observer().webhook_event("processed")

    async def athlete_known(self, intervals_id: str) -> bool:
        async with self.services.sessions() as db:
            found = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == intervals_id))
        return found is not None


def seen_events_for(services: Services) -> SeenEvents:
    """Redis when the instances share state there, else this process's memory."""
    if services.redis is not None:
        return SeenInRedis(services.redis)
    return SeenInMemory(seconds=services.clock.seconds)


@asynccontextmanager
async def run_webhooks(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """Start the workers for the app's lifespan (only when webhooks are on)."""
    if not services.settings.intervals_webhook_secret:
        yield
        return
    refusals = attempt_counter(
        services.settings,
        REFUSALS_PER_ADDRESS,
        REFUSAL_WINDOW_SECONDS,
        services.clock.seconds,
        redis=services.redis,
        name="webhook-refused",
        protects_accounts=False,
    )
    worker = WebhookWorker(services, seen_events_for(services), asyncio.Queue(QUEUE_SIZE), refusals)
    tasks = [asyncio.create_task(worker.run()) for _ in range(WORKERS)]
    app.state.webhooks = worker
    try:
        yield
    finally:
        del app.state.webhooks
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status, headers={"cache-control": "no-store"})


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def intervals_webhook(request: Request) -> JSONResponse:
    """Receive one delivery: 404 when webhooks are off, 429 for an address that sent too
    many wrong secrets, 400 for a body that is not a delivery, 403 for a wrong secret, 503
    when the queue is full, else 200 at once."""
    svc = services_of(request.app)
    expected = svc.settings.intervals_webhook_secret
    worker: WebhookWorker | None = getattr(request.app.state, "webhooks", None)
    if not expected or worker is None:
        return JSONResponse({"detail": "Not Found"}, 404)
    address = client_limiter_key(request)
    wait = await worker.refusals.retry_after(address) if worker.refusals else None
    if wait is not None:
        response = _answer(429, "too many deliveries with a wrong secret")
        response.headers["retry-after"] = str(wait)
        return response
    try:
        delivery = parse_delivery(await request.body())
    except MalformedDelivery as error:
        observer().webhook_event("malformed")
        return _answer(400, str(error))
    if not secret_matches(delivery.secret, expected):
        observer().webhook_event("refused")
        log.warning("webhook: delivery refused, wrong secret")
        if worker.refusals is not None:
            await worker.refusals.record(address)
        return _answer(403, "wrong webhook secret")
    for _ in delivery.events:
        observer().webhook_event("received")
    if not worker.offer(delivery.events):
        log.warning("webhook: queue full, delivery of %s refused", describe(delivery.events))
        return _answer(503, "busy, retry later")
    return JSONResponse({"received": len(delivery.events)}, 200)
