"""Attempt limiting (sign-in, registration): at most N attempts per key in a sliding window.

Per-process state: with several instances each enforces its own window (documented in
docs/operations.md); upstream budgets toward Intervals.icu live in app/intervals.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


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
