"""The gateway's shared request budget toward Intervals.icu.

Intervals.icu limits requests per client IP (about 10/s sustained, 30/s bursts and 132 per 10 s;
intervals-api.md §3.4). Every athlete served by this process shares that IP, so the whole process
draws from one token bucket. Waiting requests are served round-robin per athlete (one heavy
athlete cannot starve the others) and each athlete has a cap on concurrent requests. A caller
that would wait longer than ``max_wait`` gets :class:`RateLimited` with a retry hint instead.

Clock and sleep are injectable so tests run on virtual time. Callers depend on the async
:class:`Budget` interface, so a budget shared between instances (Redis) can replace the
in-memory :class:`RateBudget`; :func:`budget_from_settings` picks one from the settings.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from app.intervals.errors import GatewayBudgetExhausted, RateLimited
from app.redis_state import RedisState, RedisTokenBucket, SharedStateUnavailable

if TYPE_CHECKING:
    from app.settings import Settings

__all__ = [
    "AthleteUsage",
    "Budget",
    "Clock",
    "RateBudget",
    "SharedBudget",
    "Sleep",
    "budget_from_settings",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_EPSILON = 1e-9


class Budget(Protocol):
    """The request budget toward Intervals.icu shared by every athlete (and, later, instance)."""

    def slot(self, athlete_key: str) -> AbstractAsyncContextManager[None]:
        """Hold a slot for one request; raises :class:`RateLimited` when the wait is too long."""
        ...

    async def pause(self, seconds: float) -> None:
        """Stop granting requests for ``seconds`` (Intervals.icu answered 429, Retry-After)."""
        ...


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[None]
    deadline: float


@dataclass
class AthleteUsage:
    """What the shared budget did for one athlete: requests let through, requests refused
    (:class:`GatewayBudgetExhausted`), and the time they waited (for one of the athlete's
    concurrent slots and for a token) in total and at most."""

    granted: int = 0
    refused: int = 0
    waited_seconds: float = 0.0
    longest_wait_seconds: float = 0.0

    def record_wait(self, seconds: float) -> None:
        self.waited_seconds += seconds
        self.longest_wait_seconds = max(self.longest_wait_seconds, seconds)


@dataclass(eq=False)
class _AthleteSlots:
    semaphore: asyncio.Semaphore
    users: int = 0
    queue: deque[_Waiter] = field(default_factory=deque)


class _Slot:
    """``RateBudget.slot``: on entry one of the athlete's concurrent slots (its semaphore) and
    then one token (:class:`RateLimited` when the wait would be too long, counted as refused);
    on exit the semaphore back and the athlete's slots forgotten once unused."""

    __slots__ = ("budget", "key", "slots")

    def __init__(self, budget: RateBudget, athlete_key: str) -> None:
        self.budget = budget
        self.key = athlete_key

    async def __aenter__(self) -> None:
        budget, key = self.budget, self.key
        self.slots = slots = budget._enter(key)
        usage = budget.usage.get(key)
        if usage is None:
            usage = budget.usage[key] = AthleteUsage()
        asked = budget._clock()
        try:
            await slots.semaphore.acquire()
        except BaseException:
            budget._leave(key, slots)
            raise
        try:
            await budget._acquire(key, slots)
        except BaseException as error:
            if isinstance(error, RateLimited):
                usage.refused += 1
            slots.semaphore.release()
            budget._leave(key, slots)
            raise
        usage.granted += 1
        usage.record_wait(budget._clock() - asked)

    async def __aexit__(self, *exc_info: object) -> None:  # released whatever ended the call
        self.slots.semaphore.release()
        self.budget._leave(self.key, self.slots)


class RateBudget:
    """Token bucket (``rate_per_second``, ``burst``) with per-athlete fair queueing.

    Use ``async with budget.slot(athlete_key): <one HTTP request>``.
    """

    def __init__(
        self,
        rate_per_second: float = 10.0,
        burst: int = 30,
        *,
        per_athlete_concurrency: int = 4,
        max_wait: float = 5.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0 or burst < 1 or per_athlete_concurrency < 1 or max_wait < 0:
            raise ValueError("rate must be > 0, burst and concurrency >= 1, max_wait >= 0")
        self.rate = float(rate_per_second)
        self.burst = int(burst)
        self.per_athlete_concurrency = int(per_athlete_concurrency)
        self.max_wait = float(max_wait)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._resume_at = -math.inf
        self._athletes: dict[str, _AthleteSlots] = {}
        self._turns: deque[str] = deque()  # athletes with waiters, in round-robin order
        self._pump: asyncio.Task[None] | None = None
        self.usage: dict[str, AthleteUsage] = {}
        """Per-athlete fairness figures since start (:class:`AthleteUsage`), by athlete key."""

    # -- public API -------------------------------------------------------------------------

    def slot(self, athlete_key: str) -> _Slot:
        """Hold one of the athlete's concurrent slots and one token for the enclosed request
        (a context manager of its own rather than ``asynccontextmanager``'s generator: it is
        entered once per upstream request)."""
        return _Slot(self, athlete_key)

    def _enter(self, athlete_key: str) -> _AthleteSlots:
        """The athlete's slots, counting one more user of them."""
        slots = self._athletes.get(athlete_key)
        if slots is None:
            slots = _AthleteSlots(asyncio.Semaphore(self.per_athlete_concurrency))
            self._athletes[athlete_key] = slots
        slots.users += 1
        return slots

    def _leave(self, athlete_key: str, slots: _AthleteSlots) -> None:
        """One user fewer; the athlete's slots are forgotten when none is left or queued."""
        slots.users -= 1
        if slots.users == 0 and not slots.queue:
            self._athletes.pop(athlete_key, None)

    async def pause(self, seconds: float) -> None:
        """Stop granting tokens for ``seconds`` (Intervals.icu answered 429 with Retry-After)."""
        if seconds <= 0:
            return
        now = self._clock()
        self._refill(now)
        self._tokens = 0.0
        self._resume_at = max(self._resume_at, now + seconds)

    @property
    def waiting(self) -> int:
        """Requests currently queued for a token."""
        return sum(len(s.queue) for s in self._athletes.values())

    # -- internals --------------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        start = max(self._updated, self._resume_at)
        if now > start:
            self._tokens = min(float(self.burst), self._tokens + (now - start) * self.rate)
        self._updated = max(self._updated, now)

    def _estimate(self, athlete_key: str, position: int, now: float) -> float:
        """Seconds until the ``position``-th queued request of this athlete is served, assuming
        round-robin service and no new arrivals."""
        ahead = position
        for key, slots in self._athletes.items():
            if key != athlete_key:
                ahead += min(len(slots.queue), position)
        missing = max(0.0, ahead - self._tokens)
        return max(0.0, self._resume_at - now) + missing / self.rate

    async def _acquire(self, athlete_key: str, slots: _AthleteSlots) -> None:
        now = self._clock()
        self._refill(now)
        if not self._turns and now >= self._resume_at and self._tokens >= 1 - _EPSILON:
            self._tokens -= 1
            return
        wait = self._estimate(athlete_key, len(slots.queue) + 1, now)
        if wait > self.max_wait:
            raise self._limited(wait)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(loop.create_future(), now + self.max_wait)
        slots.queue.append(waiter)
        if athlete_key not in self._turns:
            self._turns.append(athlete_key)
        self._ensure_pump()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                if waiter.future.exception() is None:
                    self._tokens += 1  # granted but never used: give it back
            elif waiter in slots.queue:
                slots.queue.remove(waiter)
                self._forget_if_idle(athlete_key, slots)
            raise

    def _limited(self, wait: float) -> GatewayBudgetExhausted:
        seconds = max(1, math.ceil(wait))
        return GatewayBudgetExhausted(
            "This gateway's share of the Intervals.icu request budget is used up; "
            f"try again in {seconds} s.",
            retry_after=float(seconds),
        )

    def _forget_if_idle(self, athlete_key: str, slots: _AthleteSlots) -> None:
        if not slots.queue and athlete_key in self._turns:
            self._turns.remove(athlete_key)

    def _ensure_pump(self) -> None:
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    def _grant(self, now: float) -> None:
        """Hand out available tokens round-robin; expire waiters past their deadline."""
        for key in list(self._turns):
            slots = self._athletes[key]
            while slots.queue and (slots.queue[0].future.done() or slots.queue[0].deadline <= now):
                waiter = slots.queue.popleft()
                if not waiter.future.done():
                    waiter.future.set_exception(
                        self._limited(self._estimate(key, len(slots.queue) + 1, now))
                    )
            self._forget_if_idle(key, slots)
        if now < self._resume_at:
            return
        while self._turns and self._tokens >= 1 - _EPSILON:
            key = self._turns.popleft()
            slots = self._athletes[key]
            waiter = slots.queue.popleft()
            waiter.future.set_result(None)
            self._tokens -= 1
            if slots.queue:
                self._turns.append(key)

    async def _run_pump(self) -> None:
        while self._turns:
            now = self._clock()
            self._refill(now)
            self._grant(now)
            if not self._turns:
                break
            if now < self._resume_at:
                delay = self._resume_at - now
            else:
                delay = max(0.0, 1 - self._tokens) / self.rate
            heads = [self._athletes[k].queue[0].deadline for k in self._turns]
            delay = min(delay, max(0.0, min(heads) - now))
            await self._sleep(max(delay, _EPSILON))


class SharedBudget:
    """The budget of one egress address shared by every instance (Redis token bucket).

    Each request first goes through this process's :class:`RateBudget` (round-robin between
    athletes, per-athlete concurrency cap), then takes a token from the shared bucket, waiting
    for one up to ``max_wait`` in total. While Redis does not answer, the local budget alone
    limits the process (fail open with a local fallback: Intervals.icu's own 429 remains the
    backstop) and a warning is logged once a minute; the next call tries Redis again.
    """

    def __init__(
        self,
        local: RateBudget,
        bucket: RedisTokenBucket,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.local = local
        self.bucket = bucket
        self._clock = clock
        self._sleep = sleep
        self._warned_at = -math.inf

    @asynccontextmanager
    async def slot(self, athlete_key: str) -> AsyncIterator[None]:
        asked = self._clock()
        async with self.local.slot(athlete_key):
            await self._shared_token(asked + self.local.max_wait)
            yield

    async def pause(self, seconds: float) -> None:
        """Pause this process and, through Redis, every other instance on the same address."""
        await self.local.pause(seconds)
        try:
            await self.bucket.pause(seconds)
        except SharedStateUnavailable as error:
            self._warn(error)

    async def _shared_token(self, deadline: float) -> None:
        while True:
            try:
                wait = await self.bucket.take()
            except SharedStateUnavailable as error:
                self._warn(error)
                return
            if wait <= 0:
                return
            now = self._clock()
            if now + wait > deadline:
                raise self.local._limited(wait)
            await self._sleep(wait)

    def _warn(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning(
                "Redis unreachable for the shared Intervals.icu budget (%s): "
                "this process limits itself alone until it answers",
                type(error).__name__,
            )


def budget_from_settings(settings: Settings, redis: RedisState | None = None) -> Budget:
    """The budget implementation chosen by ``settings.shared_state_backend``."""
    local = RateBudget(
        settings.upstream_rate_per_second,
        settings.upstream_burst,
        per_athlete_concurrency=settings.upstream_per_athlete_concurrency,
        max_wait=settings.upstream_max_wait_seconds,
    )
    if settings.shared_state_backend == "memory":
        return local
    if settings.shared_state_backend == "redis":
        if redis is None:
            raise ValueError("the redis backend needs the app's RedisState")
        bucket = RedisTokenBucket(redis, settings.upstream_rate_per_second, settings.upstream_burst)
        return SharedBudget(local, bucket)
    raise ValueError(f"unknown shared state backend {settings.shared_state_backend!r}")
