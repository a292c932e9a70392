"""Client ID Metadata Document fetches are disciplined: slow DNS stays inside the fetch time
limit and off the threads secret checks use, fetches are rate-limited per address, failures are
cached briefly and all look alike, and a client row is stored only when an athlete approves."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.engine import make_async_engine, make_sessionmaker
from app.db.models import OAuthClient
from app.oauth.client_documents import (
    DNS_THREADS,
    FETCH_FAILED,
    ClientDocumentError,
    ClientDocumentResolver,
)
from app.oauth.purge import purge_once
from tests.conftest import make_settings
from tests.oauth.conftest import CHATGPT_CALLBACK, Gateway, GatewayFactory, pkce_pair, query_of
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles
from tests.support.live import free_port

SLOW_ZONE = ".slow.test"
DEAD_ZONE = ".nowhere.test"


@dataclass
class StubDns:
    """Stands in for the system resolver: names under SLOW_ZONE hang (an attacker's slow
    authoritative server) until `release` is set; names under DEAD_ZONE do not resolve."""

    real: Callable[..., Any]
    release: threading.Event = field(default_factory=threading.Event)
    entered: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(SLOW_ZONE):
            self.entered.release()
            self.release.wait(120)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if name.endswith(DEAD_ZONE):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.real(host, *args, **kwargs)

    def wait_entered(self, count: int, timeout: float = 30) -> bool:
        return all(self.entered.acquire(timeout=timeout) for _ in range(count))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubDns]:
    stub = StubDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", stub.getaddrinfo)
    yield stub
    stub.release.set()


@pytest.fixture
def cimd_gateway(make_gateway: GatewayFactory, tls: TlsFiles) -> Gateway:
    return make_gateway(cimd_extra_ca_file=tls.ca, cimd_allow_loopback=True)


def authorize_page(gateway: Gateway, client_id: str, client: httpx.Client | None = None) -> Any:
    params = gateway.authorize_params(client_id, CHATGPT_CALLBACK, pkce_pair()[1])
    return (client or gateway.browser).get(f"{gateway.base}/authorize", params=params)


def error_message(page: httpx.Response) -> str:
    match = re.search(r'<p class="error">(.*?)</p>', page.text, re.S)
    assert match, page.text[:300]
    return html.unescape(match.group(1)).strip()


def cimd_rows(gateway: Gateway) -> int:
    with gateway.db() as db:
        count = db.scalar(
            select(func.count()).select_from(OAuthClient).where(OAuthClient.origin == "cimd")
        )
        return int(count or 0)


def move_fetch_clock(gateway: Gateway, seconds: float) -> None:
    """Advance the virtual clock of the document cache and fetch limiter."""
    documents = gateway.app.state.oauth.documents
    now = documents.clock() + seconds
    documents.clock = lambda: now


# -- M6: slow name resolution -------------------------------------------------------------------


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_slow_dns_ends_at_the_fetch_limit_and_never_stalls_token_requests(
    make_gateway: GatewayFactory, dns: StubDns, loop: str
) -> None:
    gateway = make_gateway(
        loop=loop, cimd_fetch_timeout_seconds=1, cimd_fetches_per_address_per_hour=1000
    )
    secret = gateway.add_operator_client(
        name="ChatGPT",
        client_id="35_openai",
        auth_method="client_secret_post",
        redirect_uris=[CHATGPT_CALLBACK],
    )
    assert secret
    flow = gateway.authorize("35_openai", redirect_uri=CHATGPT_CALLBACK)

    # More hanging lookups than any thread pool of the process has threads.
    slow_ids = [f"https://h{i}{SLOW_ZONE}/client.json" for i in range(40)]
    with httpx.Client(timeout=20) as browser, ThreadPoolExecutor(len(slow_ids)) as pool:
        pages = [pool.submit(authorize_page, gateway, cid, browser) for cid in slow_ids]
        assert dns.wait_entered(1), "no lookup started"

        token = httpx.post(
            f"{gateway.base}/token",
            data={
                "grant_type": "authorization_code",
                "code": flow.code,
                "redirect_uri": flow.redirect_uri,
                "code_verifier": flow.verifier,
                "client_id": "35_openai",
                "client_secret": secret,
            },
            timeout=10,
        )
        assert token.status_code == 200, token.text
        assert not dns.release.is_set()

        # Every authorization ends at its time limit while its lookup still hangs.
        for page in pages:
            response = page.result(timeout=30)
            assert response.status_code == 400
            assert "could not be fetched" in error_message(response)
        assert not dns.release.is_set()


# -- hardening 3: one message for every fetch failure -------------------------------------------


def test_every_fetch_failure_gives_the_same_message(
    make_gateway: GatewayFactory,
    cimd_gateway: Gateway,
    tls: TlsFiles,
    host: DocumentHost,
    dns: StubDns,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.oauth.client_documents")
    production_like = make_gateway(cimd_extra_ca_file=tls.ca)  # loopback refused
    target = host.document("/ok.json")
    host.put("/big.json", {"client_name": "x" * 6000})
    host.put("/moved.json", b"", status=302, location=target)
    host.put("/gone.json", b"", status=404)
    attempts = [
        (production_like, target),  # not a public address
        (production_like, target.replace("127.0.0.1", "localhost")),
        (cimd_gateway, f"https://docs{DEAD_ZONE}/client.json"),  # does not resolve
        (cimd_gateway, f"https://127.0.0.1:{free_port()}/client.json"),  # nothing listens
        (cimd_gateway, host.url("/gone.json")),
        (cimd_gateway, host.url("/moved.json")),
        (cimd_gateway, host.url("/big.json")),
    ]
    messages = set()
    for gateway, client_id in attempts:
        page = authorize_page(gateway, client_id)
        assert page.status_code == 400 and "location" not in page.headers
        messages.add(error_message(page))
    assert len(messages) == 1, messages
    (message,) = messages
    assert "could not be fetched" in message
    for detail in ("resolve", "public", "HTTP", "5 KB", "404", "refused"):
        assert detail not in message
    for detail in ("does not resolve", "non-public", "HTTP 404", "HTTP 302", "larger than 5 KB"):
        assert detail in caplog.text, f"the operator's log says why: {detail}"


# -- L4: rate limit, failure cache, rows only at approval, row cap ------------------------------


def test_fetches_are_rate_limited_per_address(
    make_gateway: GatewayFactory, tls: TlsFiles, host: DocumentHost
) -> None:
    gateway = make_gateway(
        cimd_extra_ca_file=tls.ca, cimd_allow_loopback=True, cimd_fetches_per_address_per_hour=3
    )
    fresh = host.document("/fresh.json")
    host.routes["/fresh.json"][2]["cache-control"] = "no-store"
    kept = host.document("/kept.json")
    host.routes["/kept.json"][2]["cache-control"] = "max-age=3600"
    assert authorize_page(gateway, kept).status_code == 200
    for _ in range(2):
        assert authorize_page(gateway, fresh).status_code == 200
    limited = authorize_page(gateway, fresh)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "too many" in error_message(limited).lower()
    assert host.hits.count("/fresh.json") == 2, "a no-store document is not fetched past the limit"
    assert authorize_page(gateway, kept).status_code == 200, "cached documents still serve"
    move_fetch_clock(gateway, 3601)
    assert authorize_page(gateway, fresh).status_code == 200
    assert host.hits.count("/fresh.json") == 3


def test_failures_are_cached_briefly(cimd_gateway: Gateway, host: DocumentHost) -> None:
    host.put("/broken.json", b"", status=500)
    url = host.url("/broken.json")
    first = authorize_page(cimd_gateway, url)
    second = authorize_page(cimd_gateway, url)
    assert first.status_code == second.status_code == 400
    assert error_message(first) == error_message(second)
    assert host.hits.count("/broken.json") == 1
    host.document("/broken.json")  # fixed by its author
    move_fetch_clock(cimd_gateway, 61)
    assert authorize_page(cimd_gateway, url).status_code == 200
    assert host.hits.count("/broken.json") == 2


def test_client_row_is_stored_only_when_the_athlete_approves(
    cimd_gateway: Gateway, host: DocumentHost
) -> None:
    client_id = host.document("/app.json")
    signed_out = httpx.get(
        f"{cimd_gateway.base}/authorize",
        params=cimd_gateway.authorize_params(client_id, CHATGPT_CALLBACK, pkce_pair()[1]),
    )
    assert signed_out.status_code == 303 and "/signin" in signed_out.headers["location"]
    assert authorize_page(cimd_gateway, client_id).status_code == 200
    denied = cimd_gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK, decision="deny")
    assert denied.params["error"] == "access_denied"
    assert cimd_rows(cimd_gateway) == 0

    flow = cimd_gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK)
    assert cimd_rows(cimd_gateway) == 1
    response = cimd_gateway.exchange(client_id, flow)
    assert response.status_code == 200, response.text


async def test_stored_metadata_document_clients_are_capped_and_purged(
    make_gateway: GatewayFactory, tls: TlsFiles, host: DocumentHost
) -> None:
    gateway = make_gateway(cimd_extra_ca_file=tls.ca, cimd_allow_loopback=True, cimd_clients_max=1)
    first, second = host.document("/first.json"), host.document("/second.json")
    gateway.authorize(first, redirect_uri=CHATGPT_CALLBACK)
    refused = gateway.authorize(second, redirect_uri=CHATGPT_CALLBACK)
    assert query_of(refused.location)["error"] == "temporarily_unavailable"
    assert cimd_rows(gateway) == 1
    again = gateway.authorize(first, redirect_uri=CHATGPT_CALLBACK)
    assert "code" in again.params, "clients already stored keep working at the cap"

    tokens = gateway.exchange(first, again).json()
    revoked = gateway.http.post(
        f"{gateway.base}/revoke", data={"token": tokens["refresh_token"], "client_id": first}
    )
    assert revoked.status_code == 200
    engine = make_async_engine(gateway.settings)
    try:
        later = gateway.now + timedelta(days=8)
        await purge_once(make_sessionmaker(engine), gateway.settings, now=later)
    finally:
        await engine.dispose()
    assert cimd_rows(gateway) == 0, "a metadata-document client without a live grant is purged"
    _, session = gateway.add_athlete("i2002", "Grace Hopper")  # the purge ended the old session
    gateway.browser.cookies.set("gw_session", session)
    assert "code" in gateway.authorize(second, redirect_uri=CHATGPT_CALLBACK).params


async def test_resolver_lookups_have_their_own_threads_and_the_fetch_limit(
    tmp_path: Path,
) -> None:
    """Unit level, with an injected lookup: more hanging lookups than the resolver has threads
    each end at the fetch limit, and the loop's default executor stays free meanwhile."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def hanging_lookup(host: str, port: int) -> list[str]:
        started.release()
        release.wait(60)
        return ["93.184.216.34"]

    settings = make_settings(tmp_path, cimd_fetch_timeout_seconds=0.5)
    resolver = ClientDocumentResolver(settings, lookup=hanging_lookup)
    try:
        fetches = [
            asyncio.create_task(resolver.get(f"https://h{i}{SLOW_ZONE}/c.json", f"10.0.0.{i}"))
            for i in range(3 * DNS_THREADS)
        ]
        assert await asyncio.to_thread(started.acquire, timeout=10)
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 5) == "free"
        results = await asyncio.wait_for(asyncio.gather(*fetches, return_exceptions=True), 10)
        assert all(isinstance(r, ClientDocumentError) for r in results)
        assert {str(r) for r in results} == {FETCH_FAILED}
        assert not release.is_set(), "every fetch ended while its lookup still hung"
    finally:
        release.set()
