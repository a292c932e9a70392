"""One upstream request's cost in this process, layer by layer: the aiohttp transport alone
(``AiohttpTransport.send``), the Intervals.icu client (``IntervalsClient.request``: budget,
attempt limit, observer, decoding) and the athlete session (``AthleteSession._call``, no
answer cache), with a bare ``aiohttp.ClientSession.get`` of the same URL as the floor, and the
session over a transport that answers ``[]`` at once (the client's and session's own layers,
no network, no decoding: the steadiest CPU figure on a shared machine).

    python -m bench.upstream_request [--requests 2000] [--profile F]

Every layer sends the same ``GET /athlete/{id}/activities`` (10 activities, ~15 kB) to the fake
Intervals.icu (its own process, 0 ms latency) one request after another over a kept-alive
connection, on uvloop's event loop as the gateway runs. Figures per request: this process's
CPU time (``time.process_time``, best of three runs: the client's own work, the server's is
in the other process) and the Python function
calls (cProfile, one run: a figure other load on the machine does not change). ``--profile F``
writes the cProfile stats of the session layer's run to ``F``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

Fetch = Callable[[], Awaitable[Any]]
"""One request, however a layer sends it."""


async def cpu_per_request(fetch: Fetch, requests: int, repeat: int = 3) -> float:
    """Best-of-``repeat`` process CPU µs per request, after a warm-up."""
    for _ in range(200):
        await fetch()
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        for _ in range(requests):
            await fetch()
        best = min(best, time.process_time() - began)
    return 1e6 * best / requests


async def calls_per_request(fetch: Fetch, requests: int, profile_to: Path | None = None) -> float:
    """Python function calls per request under cProfile (stats written to ``profile_to``)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await fetch()
    profile.disable()
    if profile_to is not None:
        profile.dump_stats(profile_to)
    return int(pstats.Stats(profile).total_calls) / requests  # type: ignore[attr-defined]


async def layers(
    base: str, athlete: str, key: str
) -> tuple[Callable[[], Awaitable[None]], dict[str, Fetch]]:
    """The requests to time, by layer name (each over its own kept-alive connection), and
    what closes their connections."""
    import aiohttp

    from app.intervals import ApiKey, IntervalsClient, RateBudget
    from app.intervals.client import with_query
    from app.intervals.transport import DEFAULT_HEADERS, AiohttpTransport, TransportResponse

    today = date.today()
    params = {
        "oldest": f"{(today - timedelta(days=30)).isoformat()}T00:00:00",
        "newest": f"{today.isoformat()}T23:59:59",
        "limit": "10",
    }
    credential = ApiKey(key)
    headers = {"Authorization": credential.authorization_header()}
    api = f"{base}/api/v1"
    path = f"/athlete/{athlete}/activities"
    url = with_query(api + path, list(params.items()))

    raw = aiohttp.ClientSession(headers=DEFAULT_HEADERS)
    transport = AiohttpTransport()
    unlimited = RateBudget(1e9, 1_000_000_000)  # the budget's bookkeeping, never its waits
    client = IntervalsClient(api, upstream_client="aiohttp", budget=unlimited)
    session = client.session(credential, athlete)

    class Answered:
        """A transport that answers ``[]`` at once: the client's and session's own layers."""

        async def send(self, method: str, url: str, headers: Any, json: Any = None) -> Any:
            return TransportResponse(200, {}, b"[]")

        async def aclose(self) -> None:
            pass

    layered = IntervalsClient(api, budget=RateBudget(1e9, 1_000_000_000))
    await layered.transport.aclose()
    layered.transport = Answered()
    layered_session = layered.session(credential, athlete)

    async def layers_alone() -> Any:
        return await layered_session._call("GET", path, what="activities", params=params)

    async def bare() -> bytes:
        async with raw.get(url, headers=headers) as response:
            return await response.read()

    async def through_transport() -> bytes:
        async with asyncio.timeout(45):  # as IntervalsClient wraps each attempt
            return (await transport.send("GET", url, headers)).body

    async def through_client() -> Any:
        return await client.request(
            "GET", path, credential=credential, rate_key=athlete, params=params
        )

    async def through_session() -> Any:
        return await session._call("GET", path, what="activities", params=params)

    async def close() -> None:
        await raw.close()
        await transport.aclose()
        await client.aclose()

    return close, {
        "aiohttp.ClientSession.get, bare (the floor)": bare,
        "AiohttpTransport.send": through_transport,
        "IntervalsClient.request (aiohttp)": through_client,
        "AthleteSession._call (aiohttp, no answer cache)": through_session,
        "AthleteSession._call over a transport answering [] at once (our layers)": layers_alone,
    }


Rows = list[tuple[str, float, float]]
"""(row name, CPU µs per request, Python calls per request), one per fetch timed."""


async def rows_of(
    found: dict[str, Fetch],
    requests: int,
    profiled_row: str | None = None,
    profile_to: Path | None = None,
) -> Rows:
    """Each fetch's CPU and calls per request (calls over at most 500 requests), the
    ``profiled_row``'s cProfile stats written to ``profile_to``."""
    rows = []
    for name, fetch in found.items():
        cpu = await cpu_per_request(fetch, requests)
        profiled = profile_to if name == profiled_row else None
        calls = await calls_per_request(fetch, min(requests, 500), profiled)
        rows.append((name, cpu, calls))
    return rows


async def measure(
    base: str, athlete: str, key: str, requests: int, profile_to: Path | None
) -> Rows:
    closing, found = await layers(base, athlete, key)
    rows = await rows_of(
        found, requests, "AthleteSession._call (aiohttp, no answer cache)", profile_to
    )
    await closing()
    return rows


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, as uvicorn runs the gateway on it when installed (``loop="auto"``)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def over_fake_upstream(prefix: str, measuring: Callable[[str, str, str], Awaitable[Rows]]) -> Rows:
    """``measuring(base URL, athlete id, API key)`` run on uvloop against the fake
    Intervals.icu started in its own process, as the first demo athlete."""
    from bench.run import demo_athletes, upstream

    athlete = demo_athletes()[0]
    with (
        TemporaryDirectory(prefix=prefix) as tmp,
        upstream(0, Path(tmp)) as base,
        asyncio.Runner(loop_factory=event_loop_factory()) as runner,
    ):
        return runner.run(measuring(base, athlete.intervals_id, athlete.api_key))


def print_rows(first_column: str, rows: Rows) -> None:
    """The rows as a Markdown table."""
    print(f"| {first_column} | CPU µs/request | Python calls/request |\n| --- | ---: | ---: |")
    for name, cpu, calls in rows:
        print(f"| {name} | {cpu:.1f} | {calls:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream_request")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=Path, help="cProfile stats of the session layer")
    args = parser.parse_args(argv)
    rows = over_fake_upstream(
        "gw-upstream-",
        lambda base, athlete, key: measure(base, athlete, key, args.requests, args.profile),
    )
    print_rows("layer", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
