"""Closed-loop load: N concurrent clients each repeat one request; latencies are recorded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from app.heap import heap_frozen

Call = Callable[[httpx.AsyncClient, int], Awaitable[None]]


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    first_error: str = ""

    @property
    def throughput(self) -> float:
        return len(self.latencies_s) / self.wall_s if self.wall_s else 0.0


async def closed_loop(
    call: Call, clients: int, requests_per_client: int, warmup: int = 2
) -> LoadResult:
    """Run `clients` concurrent loops of `requests_per_client` calls, timed after a warm-up."""
    result = LoadResult()
    ready = asyncio.Barrier(clients + 1)
    go = asyncio.Event()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:

        async def attempt(index: int, measured: bool) -> bool:
            try:
                await call(http, index)
            except Exception as error:  # counted when measured; the run goes on
                result.errors += measured
                result.first_error = result.first_error or repr(error)[:300]
                return False
            return True

        async def one_client(index: int) -> None:
            for _ in range(warmup):
                await attempt(index, measured=False)
            await ready.wait()  # every client reaches the barrier, whatever its warm-up did
            await go.wait()
            for _ in range(requests_per_client):
                began = time.perf_counter()
                if await attempt(index, measured=True):
                    result.latencies_s.append(time.perf_counter() - began)

        tasks = [asyncio.create_task(one_client(i)) for i in range(clients)]
        await ready.wait()
        with heap_frozen():
            began = time.perf_counter()
            go.set()
            await asyncio.gather(*tasks)
            result.wall_s = time.perf_counter() - began
    return result


async def for_duration(call: Call, clients: int, seconds: float) -> LoadResult:
    """Run `clients` concurrent loops of `call` until `seconds` have passed (a soak run)."""
    result = LoadResult()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    began = time.perf_counter()
    deadline = began + seconds
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:

        async def one_client(index: int) -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    await call(http, index)
                except Exception as error:  # counted; the run goes on
                    result.errors += 1
                    result.first_error = result.first_error or repr(error)[:300]
                    continue
                result.latencies_s.append(time.perf_counter() - started)

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    result.wall_s = time.perf_counter() - began
    return result


@dataclass
class PairedResult:
    """The two sides of :func:`paired_loop`: each side's latencies (as :func:`closed_loop`
    records them) and, per pair where both calls succeeded, the first side's latency minus
    the second's."""

    first: LoadResult
    second: LoadResult
    differences_s: list[float] = field(default_factory=list)


async def paired_loop(first: Call, second: Call, pairs: int, warmup: int = 2) -> PairedResult:
    """One client measuring two calls as pairs: pair ``n`` runs ``first(http, n)`` and
    ``second(http, n)`` one right after the other, ``first`` leading in even pairs and
    ``second`` in odd ones, so both sides of a pair meet the same moment of a shared machine
    and neither always runs second. Each side has its own HTTP client (its own kept-alive
    connection, as in its own :func:`closed_loop`). ``warmup`` pairs (numbered before the
    timed ones) are not timed; a failed call is counted in its side's errors and leaves its
    pair out of ``differences_s``."""
    result = PairedResult(LoadResult(), LoadResult())
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with (
        httpx.AsyncClient(limits=limits, timeout=120) as first_http,
        httpx.AsyncClient(limits=limits, timeout=120) as second_http,
    ):
        sides = ((first, first_http, result.first), (second, second_http, result.second))

        async def timed(side: tuple[Call, httpx.AsyncClient, LoadResult], n: int) -> float | None:
            call, http, into = side
            began = time.perf_counter()
            try:
                await call(http, n)
            except Exception as error:  # counted when timed; the run goes on
                failed: Exception | None = error
                into.first_error = into.first_error or repr(error)[:300]
            else:
                failed = None
            elapsed = time.perf_counter() - began
            if n < warmup:
                return None
            into.wall_s += elapsed  # a side's wall time is its own calls' (its throughput)
            into.errors += failed is not None
            return None if failed else elapsed

        for n in range(warmup):
            for side in sides if n % 2 == 0 else sides[::-1]:
                await timed(side, n)
        with heap_frozen():
            for n in range(warmup, warmup + pairs):
                ordered = sides if n % 2 == 0 else sides[::-1]
                lead, follow = await timed(ordered[0], n), await timed(ordered[1], n)
                a, b = (lead, follow) if n % 2 == 0 else (follow, lead)
                if a is not None:
                    result.first.latencies_s.append(a)
                if b is not None:
                    result.second.latencies_s.append(b)
                if a is not None and b is not None:
                    result.differences_s.append(a - b)
    return result
