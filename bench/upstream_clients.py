"""The upstream HTTP client's own cost per request, side by side: the gateway's two transports
(app/intervals/transport.py, aiohttp and httpx, as ``GATEWAY_UPSTREAM_CLIENT`` picks them),
httpx configured by hand, with the query string built once, and a plain aiohttp session.

    python -m bench.upstream_clients [--requests 3000]

Each client sends the same ``GET /athlete/{id}/activities`` (10 activities, ~15 kB) to the fake
Intervals.icu (its own process, 0 ms latency) one after another over a kept-alive connection;
the figure is this process's CPU time per request (the client's cost: building the request,
writing it, parsing the response head, reading the body) and the wall-clock p50. Run it with
the machine otherwise quiet; results go to stdout (docs/benchmarks.md quotes them).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from bench.stats import summarize

Fetch = Callable[[], Awaitable[bytes]]


async def timed(fetch: Fetch, requests: int, warmup: int = 200) -> dict[str, float]:
    for _ in range(warmup):
        await fetch()
    latencies = []
    cpu = time.process_time()
    for _ in range(requests):
        began = time.perf_counter()
        body = await fetch()
        latencies.append(time.perf_counter() - began)
        assert body.startswith(b"[")
    cpu_us = 1e6 * (time.process_time() - cpu) / requests
    return {"cpu_us_per_request": round(cpu_us, 1), "p50_ms": summarize(latencies).p50_ms}


async def compare(base: str, athlete: str, key: str, requests: int) -> dict[str, dict[str, float]]:
    today = date.today()
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("oldest", f"{(today - timedelta(days=30)).isoformat()}T00:00:00"),
        ("newest", f"{today.isoformat()}T23:59:59"),
        ("limit", "10"),
    ]
    url = f"{base}/api/v1/athlete/{athlete}/activities"
    auth = httpx.BasicAuth("API_KEY", key)._auth_header
    headers = {"Authorization": auth}
    out: dict[str, dict[str, float]] = {}

    from app.intervals.client import KEEPALIVE_SECONDS, USER_AGENT, Timeouts
    from app.intervals.transport import AiohttpTransport, HttpxTransport, Transport

    query_url = url + "?" + urllib.parse.urlencode(params)
    transports: dict[str, Transport] = {
        "gateway transport, aiohttp (GATEWAY_UPSTREAM_CLIENT=aiohttp)": AiohttpTransport(),
        "gateway transport, httpx (GATEWAY_UPSTREAM_CLIENT=httpx)": HttpxTransport(),
    }
    for name, transport in transports.items():

        async def through(transport: Transport = transport) -> bytes:
            async with asyncio.timeout(45):  # as IntervalsClient wraps each attempt
                return (await transport.send("GET", query_url, headers)).body

        out[name] = await timed(through, requests)
        await transport.aclose()

    limits = httpx.Limits(
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
    )
    common = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    async with httpx.AsyncClient(
        timeout=Timeouts().httpx_timeout(), limits=limits, headers=common
    ) as http:

        async def as_configured() -> bytes:
            async with asyncio.timeout(45):
                response = await http.request("GET", url, params=params, headers=headers)
            return response.content

        out["httpx (as the gateway configures it)"] = await timed(as_configured, requests)

        async def query_in_url() -> bytes:
            target = url + "?" + urllib.parse.urlencode(params)
            async with asyncio.timeout(45):
                response = await http.request("GET", target, headers=headers)
            return response.content

        out["httpx, query encoded into the URL string per request"] = await timed(
            query_in_url, requests
        )
        out["httpx (as configured), again"] = await timed(as_configured, requests)
        full_url = httpx.URL(url + "?" + urllib.parse.urlencode(params))

        async def prebuilt() -> bytes:
            response = await http.request("GET", full_url, headers=headers)
            return response.content

        out["httpx, URL built once, no timeout wrapper"] = await timed(prebuilt, requests)

    import aiohttp

    connector = aiohttp.TCPConnector(limit=100, keepalive_timeout=KEEPALIVE_SECONDS)
    async with aiohttp.ClientSession(connector=connector, headers=common) as session:

        async def with_aiohttp() -> bytes:
            async with session.get(url, params=params, headers=headers) as response:
                return await response.read()

        out["aiohttp"] = await timed(with_aiohttp, requests)
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.run import demo_athletes, upstream

    parser = argparse.ArgumentParser(prog="python -m bench.upstream_clients")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    athlete = demo_athletes()[0]
    with TemporaryDirectory(prefix="gw-clients-") as tmp, upstream(0, Path(tmp)) as base:
        results = asyncio.run(compare(base, athlete.intervals_id, athlete.api_key, args.requests))
    for name, figures in results.items():
        print(f"{name}: {figures['cpu_us_per_request']} µs CPU/request, p50 {figures['p50_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
