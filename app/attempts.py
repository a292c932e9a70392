"""Attempt limiting (sign-in, registration): at most N attempts per key in a sliding window.

Callers depend on the async :class:`AttemptCounter` interface, so a counter shared between
instances (Redis) can replace the in-memory one: :func:`attempt_counter` picks the
implementation from ``settings.shared_state_backend``. The in-memory counter is per-process
state: with several instances each enforces its own window (documented in docs/operations.md);
upstream budgets toward Intervals.icu live in app/intervals.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from app.redis_state import RedisState, SharedStateDown, SharedStateUnavailable

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)


class AttemptCounter(Protocol):
    """At most ``max_attempts`` per key in a sliding window; every method may do I/O."""

    async def retry_after(self, key: str) -> int | None:
        """Whole seconds until the next attempt is allowed, or None if one is allowed now."""
        ...

    async def reserve(self, key: str) -> int | None:
        """Check and count one attempt atomically: None when it may go ahead (now counted),
        else the whole seconds to wait (nothing counted)."""
        ...

    async def release(self, key: str) -> None:
        """Give back the most recent reserved attempt (it succeeded, so it does not count)."""
        ...

    async def record(self, key: str) -> None:
        """Count one attempt."""
        ...


class AttemptLimiter:
    """Sliding-window counter: `retry_after(key)` is None while attempts remain."""

    def __init__(
        self,
        max_attempts: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_attempts = max_attempts
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> int | None:
        """Whole seconds until the next attempt is allowed, or None if one is allowed now."""
        hits = self._prune(key)
        if len(hits) < self.max_attempts:
            return None
        return max(1, math.ceil(hits[0] + self.window - self.clock()))

    def reserve(self, key: str) -> int | None:
        """Check and count one attempt in a single step (no await in between, so concurrent
        requests of this process cannot all pass one remaining slot): None when the attempt
        may go ahead and is now counted, else the whole seconds to wait (nothing counted)."""
        wait = self.retry_after(key)
        if wait is None:
            self.record(key)
        return wait

    def release(self, key: str) -> None:
        """Give back the most recent reserved attempt (it succeeded, so it does not count)."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def record(self, key: str) -> None:
        if key not in self._hits and len(self._hits) >= self.max_keys:
            self._evict_idle()
        self._hits.setdefault(key, deque()).append(self.clock())

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _prune(self, key: str) -> deque[float]:
        hits = self._hits.get(key, deque())
        cutoff = self.clock() - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def _evict_idle(self) -> None:
        for key in list(self._hits):
            if not self._prune(key):
                del self._hits[key]
        while len(self._hits) >= self.max_keys:
            self._hits.pop(next(iter(self._hits)))


class MemoryAttemptCounter:
    """The in-memory :class:`AttemptCounter` of one process, over an :class:`AttemptLimiter`."""

    def __init__(self, limiter: AttemptLimiter) -> None:
        self.limiter = limiter

    async def retry_after(self, key: str) -> int | None:
        return self.limiter.retry_after(key)

    async def reserve(self, key: str) -> int | None:
        return self.limiter.reserve(key)

    async def release(self, key: str) -> None:
        self.limiter.release(key)

    async def record(self, key: str) -> None:
        self.limiter.record(key)


class RedisAttemptCounter:
    """The :class:`~app.attempts.AttemptCounter` shared by every instance through Redis.

    ``fallback`` decides what happens while Redis does not answer: None refuses every attempt
    by raising :class:`SharedStateDown` (fail closed, for limits that protect accounts; the
    web layer answers 503 "try again"), otherwise the process's own in-memory
    counter takes over until Redis answers again (fail open with a local limit).
    """

    def __init__(
        self,
        state: RedisState,
        name: str,
        max_attempts: int,
        window_seconds: float,
        fallback: AttemptCounter | None = None,
    ) -> None:
        self.state = state
        self.name = name
        self.max_attempts = max_attempts
        self.window_ms = max(1, math.ceil(window_seconds * 1000))
        self.fallback = fallback
        self._warned_at = -math.inf

    async def retry_after(self, key: str) -> int | None:
        return await self._ask(key, "check")

    async def reserve(self, key: str) -> int | None:
        return await self._ask(key, "reserve")

    async def release(self, key: str) -> None:
        try:
            await self.state.client.zpopmax(self.state.key("attempts", self._key(key)))
        except SharedStateUnavailable as error:
            self._warn(error)
            if self.fallback is not None:
                await self.fallback.release(key)

    async def record(self, key: str) -> None:
        await self._ask(key, "record")

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def _ask(self, key: str, mode: str) -> int | None:
        try:
            wait_ms = await self.state.window(
                self._key(key), self.max_attempts, self.window_ms, mode
            )
        except SharedStateUnavailable as error:
            self._warn(error)
            if self.fallback is None:
                if mode == "record":
                    return None
                raise SharedStateDown(self.name) from None
            if mode == "check":
                return await self.fallback.retry_after(key)
            if mode == "reserve":
                return await self.fallback.reserve(key)
            await self.fallback.record(key)
            return None
        return None if wait_ms < 0 else max(1, math.ceil(wait_ms / 1000))

    def _warn(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning(
                "Redis unreachable for the %s limit (%s): %s",
                self.name,
                type(error).__name__,
                "refusing attempts" if self.fallback is None else "using this process's limit",
            )


def attempt_counter(
    settings: Settings,
    max_attempts: int,
    window_seconds: float,
    clock: Callable[[], float],
    *,
    redis: RedisState | None = None,
    name: str = "attempts",
    protects_accounts: bool = True,
) -> AttemptCounter:
    """The counter implementation chosen by ``settings.shared_state_backend``.

    With Redis, ``name`` keeps this limit's keys apart from the others'; ``protects_accounts``
    makes it refuse attempts while Redis is down (else this process's own counter stands in).
    """
    memory = MemoryAttemptCounter(AttemptLimiter(max_attempts, window_seconds, clock))
    if settings.shared_state_backend == "memory":
        return memory
    if settings.shared_state_backend == "redis":
        if redis is None:
            raise ValueError("the redis backend needs the app's RedisState")
        return RedisAttemptCounter(
            redis,
            name,
            max_attempts,
            window_seconds,
            fallback=None if protects_accounts else memory,
        )
    raise ValueError(f"unknown shared state backend {settings.shared_state_backend!r}")
