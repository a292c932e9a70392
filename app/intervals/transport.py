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
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.request import getproxies_environment
from urllib.request import proxy_bypass_environment as _bypass  # type: ignore[attr-defined]

import aiohttp

if TYPE_CHECKING:
    import httpx

__all__ = [
    "KEEPALIVE_SECONDS",
    "USER_AGENT",
    "AiohttpTransport",
    "EnvironmentProxies",
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
        import httpx

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


_no_proxy_covers: Callable[[str, dict[str, str]], bool] = _bypass
"""``NO_PROXY`` matching as urllib does it (``proxy_bypass_environment``, public since Python 2
but not in the type stubs): the host, with or without port, against the ``no`` entry."""

PROXY_SCHEMES = ("http", "https")
"""The proxies both transports speak to: plain HTTP and HTTP over TLS (``CONNECT`` tunnels)."""


@dataclass(frozen=True)
class EnvironmentProxies:
    """The proxy settings of the environment, read once when a transport is built:
    ``HTTP_PROXY`` / ``HTTPS_PROXY`` per URL scheme, ``ALL_PROXY`` for any scheme, and
    ``NO_PROXY`` for the hosts reached directly (lower-case names win, as in curl and
    :func:`urllib.request.getproxies_environment`; ``NO_PROXY`` matched as
    :func:`urllib.request.proxy_bypass_environment` does: host suffixes, optional ports, ``*``).
    The proxy chosen for a host is remembered, so a request costs one dictionary look-up."""

    settings: Mapping[str, str] = field(repr=False)
    """``getproxies_environment()``: scheme (``http``, ``https``, ``all``, ``no``) to value
    (kept out of ``repr``: a proxy URL may hold credentials)."""
    _chosen: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls) -> EnvironmentProxies:
        """The proxies named in the process environment now. A proxy without a scheme is
        taken as ``http://``; one of another scheme (``socks5://``) is refused with a
        :class:`ValueError` naming the variable, never its value (it may hold credentials)."""
        settings: dict[str, str] = {}
        for scheme, value in getproxies_environment().items():
            if scheme == "no":
                settings[scheme] = value
            elif scheme in (*PROXY_SCHEMES, "all"):
                settings[scheme] = _proxy_url(scheme, value)
        return cls(settings)

    def __bool__(self) -> bool:
        return any(scheme != "no" for scheme in self.settings)

    def for_url(self, url: str) -> str | None:
        """The proxy URL to send ``url`` through, or None to connect directly."""
        origin = url.split("/", 3)[:3]
        key = "/".join(origin)
        try:
            return self._chosen[key]
        except KeyError:
            pass
        scheme = origin[0].rstrip(":").lower()
        hostport = origin[-1].partition("?")[0].rpartition("@")[2]
        proxy = self.settings.get(scheme) or self.settings.get("all")
        if proxy is not None and _no_proxy_covers(hostport, dict(self.settings)):
            proxy = None
        self._chosen[key] = proxy
        return proxy


def _proxy_url(scheme: str, value: str) -> str:
    url = value if "://" in value else f"http://{value}"
    if url.split("://", 1)[0].lower() not in PROXY_SCHEMES:
        raise ValueError(
            f"{scheme.upper()}_PROXY: only http:// and https:// proxies are supported "
            "for requests to Intervals.icu"
        )
    return url


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
        import httpx  # only this transport loads httpx (aiohttp is the server's default)

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
        import httpx

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
    (``DummyCookieJar``: nothing an answer sets is kept or sent back), the environment's proxies
    read once when the transport is built (:class:`EnvironmentProxies`; aiohttp's own
    ``trust_env`` would read them and ``.netrc`` in a thread on every request), the TLS trust
    of httpx (certifi, or ``SSL_CERT_FILE``), gzip/deflate answers decompressed. aiohttp has no
    wait limit for a free pooled connection, so a semaphore of ``max_connections`` holds the
    pool's place: a request that cannot get a slot within ``Timeouts.pool`` fails as
    ``PoolTimeout`` (as httpx's does), and the connector itself never queues."""

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        max_connections: int = 100,
        proxies: EnvironmentProxies | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts()
        self.max_connections = max_connections
        self.proxies = EnvironmentProxies.read() if proxies is None else proxies
        self._proxied = bool(self.proxies)
        self._slots = asyncio.Semaphore(max_connections)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections,
            limit_per_host=0,
            keepalive_timeout=KEEPALIVE_SECONDS,
            ssl=default_tls_context(),
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
        proxy = self.proxies.for_url(url) if self._proxied else None
        await self._take_slot()
        try:
            response = await session.request(
                method, url, headers=headers, data=data, allow_redirects=False, proxy=proxy
            )
            # read() takes the whole body and gives the connection back to the pool at its end
            # (or closes it when reading fails), so no ``async with`` around the response
            return TransportResponse(response.status, response.headers, await response.read())
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


def default_tls_context() -> ssl.SSLContext:
    """The certificates httpx trusts by default (``httpx.create_ssl_context()``): the file
    ``$SSL_CERT_FILE`` names, else the directory ``$SSL_CERT_DIR`` names, else certifi's
    bundle, built here so the aiohttp transport does not load httpx."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


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
