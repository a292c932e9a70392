"""Attempt limiting (sign-in, registration): at most N attempts per key in a sliding window.

Callers depend on the async :class:`AttemptCounter` interface, so a counter shared between
instances (Redis) can replace the in-memory one: :func:`attempt_counter` picks the
implementation from ``settings.shared_state_backend``. The in-memory counter is per-process
state: with several instances each enforces its own window (documented in docs/operations.md);
upstream budgets toward Intervals.icu live in app/intervals.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.settings import Settings


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


def attempt_counter(
    settings: Settings, max_attempts: int, window_seconds: float, clock: Callable[[], float]
) -> AttemptCounter:
    """The counter implementation chosen by ``settings.shared_state_backend``."""
    if settings.shared_state_backend == "memory":
        return MemoryAttemptCounter(AttemptLimiter(max_attempts, window_seconds, clock))
    raise ValueError(f"unknown shared state backend {settings.shared_state_backend!r}")
