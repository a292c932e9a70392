"""The two upstream transports (app/intervals/transport.py), aiohttp and httpx, behave alike
against the fake Intervals.icu as a real server on a loopback socket: answers, error mapping,
retries, ``Retry-After``, timeouts, refused connections, redirects not followed, empty and
invalid bodies, the headers sent and the credential never logged."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from app.intervals import (
    AccessDenied,
    ApiKey,
    CredentialRejected,
    IntervalsClient,
    IntervalsError,
    NotFound,
    RateBudget,
    RateLimited,
    RetryPolicy,
    Timeouts,
    UnexpectedPayload,
    UpstreamUnavailable,
)
from app.intervals.errors import UpstreamTimeout
from app.intervals.transport import USER_AGENT, AiohttpTransport, HttpxTransport, UpstreamClient
from app.observe import NullObserver, current_observer
from app.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.fake_intervals import FakeIntervals
from tests.intervals.conftest import LENA, SAM, TODAY, VirtualTime
from tests.intervals.test_secrets import assert_clean
from tests.support.forward_proxy import forward_proxy
from tests.support.live import free_port, live_server

if TYPE_CHECKING:
    from tests.oauth.tls import TlsFiles

KINDS: list[UpstreamClient] = ["aiohttp", "httpx"]
MOVED = "/api/v1/moved"


@dataclass
class Wire:
    """The fake behind a recorder: every request's headers and raw body as they arrived on the
    socket; ``GET /api/v1/moved`` answers ``302`` to the athlete profile."""

    fake: FakeIntervals
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    posted: threading.Event = field(default_factory=threading.Event)
    """Set when a POST arrives (the server runs in its own thread and event loop)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fake.app(scope, receive, send)
            return
        self.headers.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
        if scope["method"] == "POST":
            self.posted.set()
        if scope["path"] == MOVED:
            location = (b"location", b"/api/v1/athlete/0")
            await send(
                {"type": "http.response.start", "status": 302, "headers": [location]},
            )
            await send({"type": "http.response.body", "body": b""})
            return
        chunks: list[bytes] = []

        async def recording() -> Message:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        try:
            await self.fake.app(scope, recording, send)
        finally:
            self.bodies.append(b"".join(chunks))


class Outcomes(NullObserver):
    """The observer's ``upstream_request`` outcomes, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def upstream_request(self, status: str, seconds: float) -> None:
        self.seen.append(status)


@contextmanager
def observed() -> Iterator[Outcomes]:
    outcomes = Outcomes()
    token = current_observer.set(outcomes)
    try:
        yield outcomes
    finally:
        current_observer.reset(token)


@pytest.fixture
def fake() -> FakeIntervals:
    return FakeIntervals(seed=42, today=TODAY)


@pytest.fixture
def wire(fake: FakeIntervals) -> Iterator[tuple[Wire, str]]:
    recorder = Wire(fake)
    with live_server(recorder, lifespan="off", interface="asgi3") as url:
        yield recorder, f"{url}/api/v1"


@asynccontextmanager
async def client_for(
    kind: UpstreamClient, base: str, vt: VirtualTime, **kw: Any
) -> AsyncIterator[IntervalsClient]:
    """The client as production builds it (no injected httpx client), on virtual time for
    retries and budget waits; the network is real."""
    client = IntervalsClient(
        base,
        upstream_client=kind,
        budget=RateBudget(1000, 1000, clock=vt.clock, sleep=vt.sleep),
        retry=RetryPolicy(max_attempts=4, max_total_seconds=30, base_delay=0.5, max_delay=8),
        clock=vt.clock,
        sleep=vt.sleep,
        jitter=lambda: 0.5,
        **kw,
    )
    expected = AiohttpTransport if kind == "aiohttp" else HttpxTransport
    assert isinstance(client.transport, expected)
    async with client:
        yield client


@contextmanager
def https_fake(fake: FakeIntervals, tls: TlsFiles) -> Iterator[str]:
    """The fake Intervals.icu served over https with the certificate of ``tls`` (signed by a CA
    of its own, tests/oauth/tls.py) for the block; yields its base URL."""
    with live_server(
        fake.app,
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
        lifespan="off",
        interface="asgi3",
    ) as url:
        yield url


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> UpstreamClient:
    kind: UpstreamClient = request.param
    return kind


async def test_answer_arrives_with_the_headers_and_credential_sent(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    recorder, base = wire
    with observed() as outcomes:
        async with client_for(kind, base, vt) as client:
            lena = client.session(ApiKey(LENA.api_key))
            acts = await lena.list_activities("2026-04-01", "2026-04-30", limit=3)
            athlete = await lena.get_athlete()
    assert len(acts) == 3 and athlete.id == LENA.id
    assert [(r.auth, r.athlete, r.status) for r in fake.requests] == [("basic", LENA.id, 200)] * 2
    assert fake.requests[0].query["limit"] == "3"
    for headers in recorder.headers:
        assert headers["user-agent"] == USER_AGENT
        assert headers["accept"] == "application/json"
        assert headers["authorization"].startswith("Basic ")
        assert "cookie" not in headers
    assert outcomes.seen == ["200", "200"]


async def test_json_body_is_sent_compact_utf8(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    recorder, base = wire
    async with client_for(kind, base, vt) as client:
        event = await client.session(ApiKey(LENA.api_key)).create_event(
            {"category": "NOTE", "start_date_local": "2026-05-02", "name": "Müde ☕"}
        )
    assert event.name == "Müde ☕"
    body = recorder.bodies[-1]
    assert recorder.headers[-1]["content-type"] == "application/json"
    assert json.loads(body)["name"] == "Müde ☕"
    compact = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
    assert body == compact.encode()


async def test_refusals_map_to_the_same_errors(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    _, base = wire
    async with client_for(kind, base, vt) as client:
        lena = client.session(ApiKey(LENA.api_key))
        with pytest.raises(NotFound):
            await lena.get_activity("i1")
        with pytest.raises(AccessDenied):
            await client.session(ApiKey(SAM.api_key), LENA.id, owner_id=SAM.id).list_wellness()
        fake.faults.fail(401)
        with pytest.raises(CredentialRejected) as rejected:
            await lena.get_athlete()
    assert rejected.value.status == 401
    assert vt.sleeps == []  # none of them retried


async def test_429_retry_after_is_honoured_or_surfaced(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    _, base = wire
    async with client_for(kind, base, vt) as client:
        lena = client.session(ApiKey(LENA.api_key))
        fake.faults.rate_limit(retry_after=7)
        assert (await lena.get_athlete()).id == LENA.id
        assert 7 in vt.sleeps
        fake.faults.rate_limit(retry_after=120)
        with pytest.raises(RateLimited) as limited:
            await lena.get_athlete()
    assert limited.value.retry_after == 120
    assert [r.status for r in fake.requests] == [429, 200, 429]


async def test_gateway_errors_are_retried(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    _, base = wire
    fake.faults.fail(503, times=2)
    with observed() as outcomes:
        async with client_for(kind, base, vt) as client:
            athlete = await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert athlete.id == LENA.id
    assert vt.sleeps == [0.375, 0.75]
    assert outcomes.seen == ["503", "503", "200"]


async def test_read_timeout_is_upstream_timeout(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    """The read limit, not the attempt's total, ends the wait: the fake stalls 10 s, the total
    allows 30 s; a POST is not retried after a timeout."""
    _, base = wire
    activity = next(iter(fake.athletes[LENA.id].activities))
    fake.faults.hang(seconds=10)
    timeouts = Timeouts(connect=2, read=0.2, total=30, pool=2)
    with observed() as outcomes:
        async with client_for(kind, base, vt, timeouts=timeouts) as client:
            with pytest.raises(UpstreamTimeout) as err:
                await client.session(ApiKey(LENA.api_key)).add_message(activity, "hi")
    assert "in time" in str(err.value)
    assert outcomes.seen == ["timeout"]


async def test_full_pool_fails_fast_as_a_timeout(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    """With every connection held by a stalled request, the next one waits ``Timeouts.pool``
    for a free connection, then fails, rather than queueing behind it."""
    recorder, base = wire
    activity = next(iter(fake.athletes[LENA.id].activities))
    fake.faults.hang(seconds=10, method="POST")
    timeouts = Timeouts(connect=2, read=20, total=30, pool=0.2)
    async with client_for(kind, base, vt, timeouts=timeouts, max_connections=1) as client:
        lena = client.session(ApiKey(LENA.api_key))
        stalled = asyncio.create_task(lena.add_message(activity, "hi"))
        # until the stalled request holds the one connection
        assert await asyncio.to_thread(recorder.posted.wait, 10)
        with pytest.raises(UpstreamTimeout) as err:
            await client.session(ApiKey(SAM.api_key)).get_athlete()
        stalled.cancel()
    assert "PoolTimeout" in str(err.value)
    assert len(fake.requests) == 1  # the refused GET never reached Intervals.icu


async def test_refused_connection_is_upstream_unavailable(
    kind: UpstreamClient, vt: VirtualTime
) -> None:
    with observed() as outcomes:
        async with client_for(kind, f"http://127.0.0.1:{free_port()}/api/v1", vt) as client:
            with pytest.raises(UpstreamUnavailable) as err:
                await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert not isinstance(err.value, UpstreamTimeout)
    assert "reach Intervals.icu" in str(err.value)
    assert outcomes.seen == ["unreachable"] * 4 and len(vt.sleeps) == 3


async def test_redirect_is_not_followed(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    recorder, base = wire
    async with client_for(kind, base, vt) as client:
        with pytest.raises(UnexpectedPayload) as err:
            await client.request(
                "GET", "/moved", credential=ApiKey(LENA.api_key), rate_key="t", what="x"
            )
    assert err.value.status == 302 and "HTTP 302" in str(err.value)
    assert len(recorder.headers) == 1 and len(fake.requests) == 0


async def test_empty_body_is_none_and_invalid_json_is_unexpected(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    _, base = wire
    key = ApiKey(LENA.api_key)
    async with client_for(kind, base, vt) as client:
        fake.faults.fail(200, body="")
        empty = await client.request("GET", "/athlete/0", credential=key, rate_key="t")
        fake.faults.malformed_json()
        with pytest.raises(UnexpectedPayload) as err:
            await client.session(key).get_athlete()
    assert empty is None
    assert "not valid JSON" in str(err.value)


async def test_credential_never_logged(
    kind: UpstreamClient,
    wire: tuple[Wire, str],
    fake: FakeIntervals,
    vt: VirtualTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the HTTP libraries' own debug logging included
    _, base = wire
    async with client_for(kind, base, vt) as client:
        lena = client.session(ApiKey(LENA.api_key))
        await lena.get_athlete()
        fake.faults.fail(503)
        await lena.get_athlete()
        fake.faults.fail(422, body="bad thing")
        with pytest.raises(IntervalsError):
            await lena.get_athlete()
        with pytest.raises(CredentialRejected) as err:
            await client.session(ApiKey("wrong-key-4c1d2e")).get_athlete()
    assert caplog.records  # requests were logged
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(str(record.args))
    assert_clean(str(err.value))


async def test_setting_chooses_the_client_and_refuses_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``GATEWAY_UPSTREAM_CLIENT``: aiohttp by default, httpx on request, an injected httpx
    client always wins (tests), anything else stops startup with a one-line message."""
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env
    default = IntervalsClient.from_settings(load_settings())
    monkeypatch.setenv("GATEWAY_UPSTREAM_CLIENT", "httpx")
    chosen = IntervalsClient.from_settings(load_settings())
    async with httpx.AsyncClient() as http:
        injected = IntervalsClient.from_settings(make_settings(tmp_path), http=http)
        assert isinstance(injected.transport, HttpxTransport) and injected.transport.http is http
    assert isinstance(default.transport, AiohttpTransport)
    assert isinstance(chosen.transport, HttpxTransport)
    await default.aclose()
    await chosen.aclose()
    monkeypatch.setenv("GATEWAY_UPSTREAM_CLIENT", "curl")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("GATEWAY_UPSTREAM_CLIENT: Input should be 'aiohttp'")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_tool_call_through_the_gateway_over_aiohttp(
    tmp_path: Path, database_url: str
) -> None:
    """The whole gateway (create_app, live on a port) with its production client, aiohttp,
    sending a tool call's requests to the fake Intervals.icu over a real socket."""
    from tests.mcp.support import AUCKLAND, mcp_client
    from tests.support.gateway import gateway_settings, live_gateway

    fake = FakeIntervals()  # today's data, as the tools' default windows expect
    with live_server(fake.app, lifespan="off", interface="asgi3") as upstream:
        port = free_port()
        settings = gateway_settings(
            tmp_path,
            database_url,
            base_url=f"http://127.0.0.1:{port}",
            intervals_api_base_url=f"{upstream}/api/v1",
        )
        assert settings.upstream_client == "aiohttp"
        with live_gateway(settings, port, fake, upstream="network") as gw:
            caller = await gw.seed(AUCKLAND)
            client = gw.app.state.services.intervals
            assert isinstance(client.transport, AiohttpTransport)
            async with mcp_client(gw.mcp_url, caller.token) as mcp:
                result = await mcp.call_tool("get_activities", {})
    assert not result.is_error
    listed = fake.requests.matching("GET", "/activities")
    assert listed and all(r.auth == "basic" and r.athlete == AUCKLAND.id for r in listed)
    expected = {a["name"] for a in fake.athletes[AUCKLAND.id].activities.values()}
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert any(name in text for name in expected)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"id": "i7", "distance": 1.7976931348623157e308}',
            {"id": "i7", "distance": 1.7976931348623157e308},
        ),
        ('\ufeff{"id": "i7"}', {"id": "i7"}),  # a UTF-8 byte order mark
        ('["\\ud800", 123456789012345678901234567890]', ["\ud800", 123456789012345678901234567890]),
    ],
)
async def test_every_json_body_python_reads_is_read_alike(
    wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime, body: str, expected: Any
) -> None:
    """The fast JSON parser the client uses (pydantic-core's) accepts and yields what
    ``json.loads`` does, byte order marks and lone surrogate escapes included."""
    _, base = wire
    async with client_for("aiohttp", base, vt) as client:
        fake.faults.fail(200, body=body)
        data = await client.request(
            "GET", "/athlete/0", credential=ApiKey(LENA.api_key), rate_key="t"
        )
    assert data == expected


async def test_tls_certificate_is_verified_against_the_same_trust(
    kind: UpstreamClient,
    fake: FakeIntervals,
    vt: VirtualTime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An https Intervals.icu whose certificate no trusted CA signed is not spoken to; trusting
    its CA through ``SSL_CERT_FILE`` (as httpx reads it) makes it reachable on both."""
    from tests.oauth.tls import make_tls_files

    tls = make_tls_files(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with https_fake(fake, tls) as url:
        async with client_for(kind, f"{url}/api/v1", vt) as client:
            with pytest.raises(UpstreamUnavailable) as err:
                await client.session(ApiKey(LENA.api_key)).get_athlete()
        assert "reach Intervals.icu" in str(err.value)
        assert len(fake.requests) == 0
        monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
        async with client_for(kind, f"{url}/api/v1", vt) as client:
            assert (await client.session(ApiKey(LENA.api_key)).get_athlete()).id == LENA.id


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without proxy settings, for the test to set its own."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


async def test_requests_go_through_the_proxy_of_the_environment(
    kind: UpstreamClient,
    wire: tuple[Wire, str],
    fake: FakeIntervals,
    vt: VirtualTime,
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    """An operator behind a forward proxy sets ``HTTP_PROXY`` (credentials in its URL): every
    request to Intervals.icu goes through it, with the proxy's credentials sent to the proxy."""
    _, base = wire
    async with forward_proxy() as proxy:
        host = proxy.url.removeprefix("http://")
        no_proxy_env.setenv("HTTP_PROXY", f"http://gw:s3cret@{host}")
        no_proxy_env.setenv("NO_PROXY", "intervals.example")
        async with client_for(kind, base, vt) as client:
            lena = client.session(ApiKey(LENA.api_key))
            assert (await lena.get_athlete()).id == LENA.id
            assert len(await lena.list_activities("2026-04-01", "2026-04-30", limit=2)) == 2
    assert [line.split("?")[0] for line in proxy.lines] == [
        f"GET {base}/athlete/0",
        f"GET {base}/athlete/0/activities",
    ]
    basic = "Basic " + base64.b64encode(b"gw:s3cret").decode()
    assert proxy.proxy_authorizations == [basic, basic]
    assert [r.status for r in fake.requests] == [200, 200]


async def test_no_proxy_hosts_are_reached_directly(
    kind: UpstreamClient,
    wire: tuple[Wire, str],
    fake: FakeIntervals,
    vt: VirtualTime,
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    _, base = wire
    async with forward_proxy() as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        no_proxy_env.setenv("NO_PROXY", "intervals.example,127.0.0.1")
        async with client_for(kind, base, vt) as client:
            assert (await client.session(ApiKey(LENA.api_key)).get_athlete()).id == LENA.id
    assert proxy.lines == []
    assert [r.status for r in fake.requests] == [200]


async def test_https_goes_through_a_proxy_tunnel(
    kind: UpstreamClient,
    fake: FakeIntervals,
    vt: VirtualTime,
    tmp_path: Path,
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    """``HTTPS_PROXY`` for an https Intervals.icu: a ``CONNECT`` tunnel, the certificate still
    verified end to end."""
    from tests.oauth.tls import make_tls_files

    tls = make_tls_files(tmp_path)
    no_proxy_env.setenv("SSL_CERT_FILE", str(tls.ca))
    with https_fake(fake, tls) as url:
        async with forward_proxy() as proxy:
            no_proxy_env.setenv("HTTPS_PROXY", proxy.url)
            async with client_for(kind, f"{url}/api/v1", vt) as client:
                assert (await client.session(ApiKey(LENA.api_key)).get_athlete()).id == LENA.id
    assert proxy.lines == [f"CONNECT {url.removeprefix('https://')}"]


def test_a_proxy_the_clients_cannot_speak_to_is_refused_naming_only_the_variable(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    no_proxy_env.setenv("ALL_PROXY", "socks5://gw:s3cret@127.0.0.1:1080")
    with pytest.raises(ValueError, match="ALL_PROXY: only http:// and https://") as err:
        AiohttpTransport()
    assert "s3cret" not in str(err.value)


async def test_each_answer_gives_its_connection_back_to_the_pool(
    kind: UpstreamClient, wire: tuple[Wire, str], fake: FakeIntervals, vt: VirtualTime
) -> None:
    """With a pool of one connection, answers of every kind (data, an error, an empty body)
    leave it free for the next request: none waits for a connection an earlier one kept."""
    _, base = wire
    key = ApiKey(LENA.api_key)
    async with client_for(kind, base, vt, max_connections=1) as client:
        lena = client.session(key)
        async with asyncio.timeout(10):
            assert (await lena.get_athlete()).id == LENA.id
            with pytest.raises(NotFound):
                await lena.get_activity("i1")
            fake.faults.fail(200, body="")
            assert await client.request("GET", "/athlete/0", credential=key, rate_key="t") is None
            assert len(await lena.list_activities("2026-04-01", "2026-04-30", limit=3)) == 3
            assert (await lena.get_athlete()).id == LENA.id
    assert [r.status for r in fake.requests] == [200, 404, 200, 200, 200]
