"""Fault injection and request recording for the fake Intervals.icu server.

``fake.faults`` queues one-shot faults (429 with or without ``Retry-After``, 5xx, hangs that
make the client time out, malformed JSON), a fixed latency, and an optional per-second limit
that answers 429 like the real server. ``fake.requests`` records every request that reached
the fake: method, path, query, JSON body, auth kind and the athlete the credential belongs to —
never the raw credential.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

AuthKind = Literal["basic", "bearer", "none", "other"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    json: Any
    auth: AuthKind
    athlete: str | None  # owner of the credential, when it was valid
    at: float  # fake clock (monotonic seconds)
    status: int = 0


class RequestLog:
    """Every request, in arrival order."""

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []

    def add(self, item: RecordedRequest) -> None:
        self._items.append(item)

    def clear(self) -> None:
        self._items.clear()

    def counts(self) -> dict[str, int]:
        """Requests so far by ``"METHOD path"`` (the query left out)."""
        return dict(Counter(f"{r.method} {r.path}" for r in self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(list(self._items))

    def __getitem__(self, index: int) -> RecordedRequest:
        return self._items[index]

    @property
    def last(self) -> RecordedRequest:
        return self._items[-1]

    def matching(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Requests with this method and/or whose path contains ``path``."""
        return [
            r
            for r in self._items
            if (method is None or r.method == method) and (path is None or path in r.path)
        ]

    def per_second(self, window: float = 1.0) -> list[int]:
        """Request counts in consecutive ``window``-second buckets from the first request."""
        if not self._items:
            return []
        start = self._items[0].at
        counts: list[int] = []
        for item in self._items:
            index = int((item.at - start) / window)
            while len(counts) <= index:
                counts.append(0)
            counts[index] += 1
        return counts

    def max_in_window(self, window: float = 1.0) -> int:
        """The most requests that arrived within any sliding ``window`` seconds."""
        times = sorted(r.at for r in self._items)
        best = 0
        lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


@dataclass
class Fault:
    kind: Literal["status", "hang", "malformed", "drop"]
    remaining: int
    status: int = 503
    retry_after: str | None = None
    body: str | None = None
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path in path
        )


@dataclass
class Faults:
    """Per-test fault controls. Every helper returns ``self`` so calls can be chained."""

    latency: float = 0.0
    queue: list[Fault] = field(default_factory=list)
    limit_per_second: int | None = None
    limit_retry_after: str | None = None
    clock: Callable[[], float] = time.monotonic
    _recent: list[float] = field(default_factory=list)

    def reset(self) -> Faults:
        self.latency = 0.0
        self.queue.clear()
        self.limit_per_second = None
        self._recent.clear()
        return self

    def delay(self, seconds: float) -> Faults:
        """Fixed latency added to every request."""
        self.latency = seconds
        return self

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: str | int | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Faults:
        """Answer the next ``times`` matching requests with ``status``."""
        self.queue.append(
            Fault(
                "status",
                times,
                status=status,
                retry_after=None if retry_after is None else str(retry_after),
                body=body,
                method=method,
                path=path,
            )
        )
        return self

    def rate_limit(
        self,
        times: int = 1,
        *,
        retry_after: str | int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Faults:
        """429 for the next ``times`` requests, with ``Retry-After`` when given."""
        return self.fail(429, times, retry_after=retry_after, method=method, path=path)

    def hang(
        self,
        times: int = 1,
        *,
        seconds: float = 30.0,
        method: str | None = None,
        path: str | None = None,
    ) -> Faults:
        """Stall the next ``times`` requests for ``seconds`` (the client should time out)."""
        self.queue.append(Fault("hang", times, seconds=seconds, method=method, path=path))
        return self

    def malformed_json(
        self, times: int = 1, *, method: str | None = None, path: str | None = None
    ) -> Faults:
        """Answer 200 with a truncated JSON body."""
        self.queue.append(Fault("malformed", times, method=method, path=path))
        return self

    def enforce_limit(self, per_second: int, *, retry_after: str | int | None = None) -> Faults:
        """Behave like upstream: 429 once more than ``per_second`` requests arrive in 1 s."""
        self.limit_per_second = per_second
        self.limit_retry_after = None if retry_after is None else str(retry_after)
        return self

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, if any (consumes one use)."""
        if self.limit_per_second is not None:
            now = self.clock()
            self._recent = [t for t in self._recent if now - t < 1.0]
            if len(self._recent) >= self.limit_per_second:
                return Fault("status", 1, status=429, retry_after=self.limit_retry_after)
            self._recent.append(now)
        for fault in self.queue:
            if fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.queue.remove(fault)
                return fault
        return None
