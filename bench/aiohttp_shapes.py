"""The aiohttp transport's per-request cost against other call shapes of the same library
(issue 20: "the upstream client's per-request overhead"), to see which settings or shapes would
cut it.

    python -m bench.aiohttp_shapes [--requests 2000]

Every row sends the same ``GET /athlete/{id}/activities`` (10 activities, ~15 kB) to the fake
Intervals.icu (its own process, 0 ms latency) one request after another over a kept-alive
connection, on uvloop as the gateway runs, through a session configured as
``AiohttpTransport`` configures its own (no cookie jar, the same timeouts, headers and
connector). Figures per request: this process's CPU time (best of three runs) and the Python
function calls under cProfile (the steadier figure on a shared machine; the response arrives in
a varying number of reads, so it moves by a few calls between runs). Rows marked "changes the
request" send other bytes upstream, or drop a time limit, so the gateway cannot take them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from bench.upstream_request import Fetch, Rows, over_fake_upstream, print_rows, rows_of


async def shapes(
    base: str, athlete: str, key: str
) -> tuple[Callable[[], Awaitable[None]], dict[str, Fetch]]:
    """The fetches to time, by row name, and what closes their sessions."""
    import aiohttp
    from yarl import URL

    from app.intervals import ApiKey
    from app.intervals.client import with_query
    from app.intervals.transport import AiohttpTransport, TransportResponse

    today = date.today()
    params = [
        ("oldest", f"{(today - timedelta(days=30)).isoformat()}T00:00:00"),
        ("newest", f"{today.isoformat()}T23:59:59"),
        ("limit", "10"),
    ]
    url = with_query(f"{base}/api/v1/athlete/{athlete}/activities", params)
    headers = {"Authorization": ApiKey(key).authorization_header()}
    shipped = AiohttpTransport()
    bare = AiohttpTransport()
    session = bare._open()  # the transport's own session settings, used without the transport
    untimed = AiohttpTransport()
    plain = untimed._open()
    plain._timeout = aiohttp.ClientTimeout(total=None, sock_connect=5.0)
    encoded = URL(url, encoded=True)

    async def as_shipped() -> bytes:
        return (await shipped.send("GET", url, headers)).body

    async def without_slots() -> bytes:
        response = await session.request("GET", url, headers=headers, allow_redirects=False)
        return TransportResponse(response.status, response.headers, await response.read()).body

    async def private_request() -> bytes:
        response = await session._request("GET", url, headers=headers, allow_redirects=False)
        return await response.read()

    async def url_object() -> bytes:
        response = await session.request("GET", encoded, headers=headers, allow_redirects=False)
        return await response.read()

    async def no_accept_encoding() -> bytes:
        response = await session.request(
            "GET",
            url,
            headers=headers,
            allow_redirects=False,
            skip_auto_headers=("Accept-Encoding",),
        )
        return await response.read()

    async def no_read_timeout() -> bytes:
        response = await plain.request("GET", url, headers=headers, allow_redirects=False)
        return await response.read()

    async def close() -> None:
        for transport in (shipped, bare, untimed):
            await transport.aclose()

    return close, {
        "AiohttpTransport.send (as shipped)": as_shipped,
        "session.request, no connection-slot semaphore": without_slots,
        "session._request (private: no request context manager)": private_request,
        "URL object built once, encoded=True (changes the request: %3A, not ':')": url_object,
        "skip_auto_headers Accept-Encoding (changes the request)": no_accept_encoding,
        "no sock_read timeout (changes the time limits)": no_read_timeout,
    }


async def measure(base: str, athlete: str, key: str, requests: int) -> Rows:
    closing, found = await shapes(base, athlete, key)
    rows = await rows_of(found, requests)
    await closing()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aiohttp_shapes")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    rows = over_fake_upstream(
        "gw-shapes-", lambda base, athlete, key: measure(base, athlete, key, args.requests)
    )
    print_rows("call shape", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
