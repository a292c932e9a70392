"""The wire under the Intervals.icu client: send one HTTP request, get status, headers and the
whole body back. Two implementations of one small :class:`Transport` protocol:

* :class:`AiohttpTransport`, the production default (``GATEWAY_UPSTREAM_CLIENT=aiohttp``): a
  quarter of httpx's CPU per request (bench/upstream_clients.py, issue 20);
* :class:`HttpxTransport`, over an ``httpx.AsyncClient`` (``GATEWAY_UPSTREAM_CLIENT=httpx``, and
  every test that injects ``httpx.ASGITransport`` to reach the fake Intervals.icu in-process).

Both behave alike: connect / read / pool time limits (the client adds the total per attempt),
idle connections dropped after :data:`KEEPALIVE_SECONDS`, at most ``max_connections`` open, no
redirect followed, ``User-Agent`` and ``Accept: application/json`` on every request, JSON bodies
encoded the same way (compact UTF-8, RFC 8259), and failures raised as :class:`TransportTimeout`
or :class:`TransportUnreachable` naming only the kind of failure, never the URL or a header.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
import httpx

__all__ = [
    "KEEPALIVE_SECONDS",
    "USER_AGENT",
    "AiohttpTransport",
    "HttpxTransport",
    "Timeouts",
    "Transport",
    "TransportFailure",
    "TransportResponse",
    "TransportTimeout",
    "TransportUnreachable",
    "UpstreamClient",
    "encode_json",
    "open_transport",
]

KEEPALIVE_SECONDS = 4.0
"""Idle connections are dropped before a server with a 5 s keep-alive (uvicorn's default)
closes them, so no request is sent on a connection being closed."""
USER_AGENT = "intervals-gateway/0.1 (+https://github.com/intervals-gateway)"
DEFAULT_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}

UpstreamClient = Literal["aiohttp", "httpx"]
"""The HTTP library the Intervals.icu client sends with (``GATEWAY_UPSTREAM_CLIENT``)."""


@dataclass(frozen=True)
class Timeouts:
    """Per-attempt limits in seconds: TCP/TLS connect, each socket read, the whole attempt, and
    the wait for a free pooled connection (far shorter than a read: when other athletes' slow
    requests hold the pool, fail fast rather than queue behind them)."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 45.0
    pool: float = 2.0

    def httpx_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.read, pool=self.pool)


@dataclass(frozen=True, slots=True)
class TransportResponse:
    """One answer: status code, headers (looked up case-insensitively) and the whole body,
    already decompressed."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportFailure(Exception):
    """No answer arrived. ``kind`` names the failure (e.g. ``ReadTimeout``,
    ``ClientConnectorError``) for messages and logs; it never holds the URL or a header."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class TransportTimeout(TransportFailure):
    """A connect, read or pool wait ran out of time."""


class TransportUnreachable(TransportFailure):
    """The connection failed: refused, reset, closed mid-answer, or an unreadable answer."""


class Transport(Protocol):
    """Sends one request and reads its whole answer."""

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], json: Any = None
    ) -> TransportResponse:
        """``method url`` with ``headers`` (added to the defaults) and ``json`` as the body
        (None: no body). Raises :class:`TransportTimeout` or :class:`TransportUnreachable`."""
        ...

    async def aclose(self) -> None:
        """Close the pooled connections (only those this transport opened itself)."""
        ...


def encode_json(value: Any) -> bytes:
    """A JSON request body as httpx encodes ``json=``: compact separators, UTF-8 text rather than
    ``\\u`` escapes, and no NaN / Infinity (not JSON, RFC 8259 §6)."""
    return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class HttpxTransport:
    """Over an ``httpx.AsyncClient``: the one given (tests inject one over
    ``httpx.ASGITransport``; the caller closes it) or one built and owned here."""

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        timeouts: Timeouts | None = None,
        max_connections: int = 100,
    ) -> None:
        self._owns = http is None
        self.http = http or httpx.AsyncClient(
            timeout=(timeouts or Timeouts()).httpx_timeout(),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=min(20, max_connections),
                keepalive_expiry=KEEPALIVE_SECONDS,
            ),
            headers=DEFAULT_HEADERS,
            follow_redirects=False,
        )

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], json: Any = None
    ) -> TransportResponse:
        try:
            response = await self.http.request(method, url, json=json, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransportTimeout(type(exc).__name__) from None
        except httpx.HTTPError as exc:
            raise TransportUnreachable(type(exc).__name__) from None
        return TransportResponse(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        if self._owns:
            await self.http.aclose()


class AiohttpTransport:
    """Over one ``aiohttp.ClientSession``, opened on the first request (inside the running
    event loop, which aiohttp binds it to) and closed by :meth:`aclose`.

    Configured for an API client that sends credentials in a header: no cookie jar
    (``DummyCookieJar``: nothing an answer sets is kept or sent back), no proxy or ``.netrc``
    lookup from the environment (``trust_env=False``; aiohttp would read ``.netrc`` in a thread
    on every request), the TLS trust of httpx (certifi, or ``SSL_CERT_FILE``), gzip/deflate
    answers decompressed. aiohttp has no wait limit for a free pooled connection, so a
    semaphore of ``max_connections`` holds the pool's place: a request that cannot get a slot
    within ``Timeouts.pool`` fails as ``PoolTimeout`` (as httpx's does), and the connector
    itself never queues."""

    def __init__(self, *, timeouts: Timeouts | None = None, max_connections: int = 100) -> None:
        self.timeouts = timeouts or Timeouts()
        self.max_connections = max_connections
        self._slots = asyncio.Semaphore(max_connections)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ssl=httpx.create_ssl_context(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=DEFAULT_HEADERS,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeouts.connect, sock_read=self.timeouts.read
            ),
            trust_env=False,
            auto_decompress=True,
            raise_for_status=False,
        )
        return self._session

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], json: Any = None
    ) -> TransportResponse:
        session = self._session or self._open()
        data = None
        if json is not None:
            data = encode_json(json)
            headers = {**headers, "Content-Type": "application/json"}
        await self._take_slot()
        try:
            async with session.request(
                method, url, headers=headers, data=data, allow_redirects=False
            ) as response:
                body = await response.read()
                return TransportResponse(response.status, response.headers, body)
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise TransportTimeout(type(exc).__name__) from None
        except aiohttp.ClientError as exc:
            raise TransportUnreachable(type(exc).__name__) from None
        finally:
            self._slots.release()

    async def _take_slot(self) -> None:
        """One of ``max_connections`` places, waiting at most ``Timeouts.pool`` for one."""
        if not self._slots.locked():
            await self._slots.acquire()  # free: returns at once
            return
        try:
            async with asyncio.timeout(self.timeouts.pool):
                await self._slots.acquire()
        except TimeoutError:
            raise TransportTimeout("PoolTimeout") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def open_transport(
    kind: UpstreamClient,
    http: httpx.AsyncClient | None,
    timeouts: Timeouts,
    max_connections: int,
) -> Transport:
    """The transport the client sends with: over ``http`` when one is given (tests), else
    the library ``kind`` names, with these limits."""
    if http is None and kind == "aiohttp":
        return AiohttpTransport(timeouts=timeouts, max_connections=max_connections)
    return HttpxTransport(http, timeouts=timeouts, max_connections=max_connections)
