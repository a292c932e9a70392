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
