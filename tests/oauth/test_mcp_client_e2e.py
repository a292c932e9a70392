"""End to end with the MCP Python SDK's own OAuth client: 401 on /mcp → protected resource
metadata → AS metadata → dynamic registration → /authorize → real sign-in (API key checked by
the fake Intervals.icu) → consent → /token → tools/list; then refresh on expiry."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from app.settings import encode_key
from tests.conftest import make_settings
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles
from tests.support.gateway import gateway_app
from tests.support.live import free_port, live_server
from tests.support.sdk_oauth import MemoryStorage

CALLBACK = "http://127.0.0.1:33418/callback"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class HeadlessBrowser:
    """Walks the authorization URL like an athlete would: sign in, then approve."""

    def __init__(self, athlete_id: str, api_key: str) -> None:
        self.athlete_id, self.api_key = athlete_id, api_key
        self.result: AuthorizationCodeResult | None = None
        self.visited: list[str] = []

    async def redirect_handler(self, url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=False, timeout=30) as browser:
            response = await browser.get(url)
            self.visited.append(urlsplit(str(response.headers.get("location", ""))).path)
            while response.status_code in (302, 303):
                location = urljoin(url, response.headers["location"])
                if location.startswith(CALLBACK):
                    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
                    self.result = AuthorizationCodeResult(
                        code=query["code"], state=query.get("state"), iss=query.get("iss")
                    )
                    return
                response = await browser.get(location)
                self.visited.append(urlsplit(location).path)
                if urlsplit(location).path == "/signin":
                    response = await self._sign_in(browser, location, response.text)
                elif "approved_scope" in response.text:
                    response = await self._approve(browser, location, response.text)
            raise AssertionError(f"flow stopped at {response.status_code}: {response.text[:300]}")

    async def _sign_in(self, browser: httpx.AsyncClient, url: str, page: str) -> httpx.Response:
        match = CSRF.search(page)
        assert match
        form = {
            "athlete_id": self.athlete_id,
            "api_key": self.api_key,
            "next": parse_qs(urlsplit(url).query)["next"][0],
            "csrf_token": match.group(1),
        }
        return await browser.post(urljoin(url, "/signin"), data=form)

    async def _approve(self, browser: httpx.AsyncClient, url: str, page: str) -> httpx.Response:
        form: dict[str, list[str]] = {}
        for name, value in HIDDEN.findall(page):
            form.setdefault(name, []).append(value)
        form["decision"] = ["approve"]
        form["approved_scope"] = re.findall(r'value="(mcp\.\w+)" checked', page)
        return await browser.post(urljoin(url, "/authorize"), data=form)

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


@contextmanager
def gateway_with_fake(tmp_path: Path, database_url: str, **overrides: Any) -> Iterator[str]:
    port = free_port()
    settings = make_settings(
        tmp_path,
        database_url,
        base_url=f"http://127.0.0.1:{port}",
        intervals_api_base_url="http://intervals.test/api/v1",
        encryption_keys=encode_key("k1", secrets.token_bytes(32)),
        **overrides,
    )
    fake = FakeIntervals()
    app, _, _ = gateway_app(settings, fake)
    with live_server(app, port) as base:
        yield base


async def list_tools_with_oauth(
    base: str, browser: HeadlessBrowser, storage: MemoryStorage, metadata_url: str | None = None
) -> int:
    auth = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="SDK test client",
            redirect_uris=[CALLBACK],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
        client_metadata_url=metadata_url,
    )
    async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
        transport = streamable_http_client(f"{base}/mcp", http_client=http)
        async with Client(transport) as client:
            return len((await client.list_tools()).tools)


async def test_sdk_client_discovers_registers_signs_in_and_calls_tools(
    tmp_path: Path, database_url: str
) -> None:
    athlete = DEMO_ATHLETES[0]
    browser, storage = HeadlessBrowser(athlete.id, athlete.api_key), MemoryStorage()
    with gateway_with_fake(tmp_path, database_url) as base:
        assert await list_tools_with_oauth(base, browser, storage) > 0
    assert "/signin" in browser.visited and "/authorize" in browser.visited
    assert storage.client is not None and storage.client.client_id.startswith("gwd_")
    assert storage.tokens is not None and storage.tokens.refresh_token
    assert browser.result is not None and browser.result.iss == base


async def test_sdk_client_with_a_client_id_metadata_document(
    tmp_path: Path, database_url: str, tls: TlsFiles, host: DocumentHost
) -> None:
    client_id = host.document("/sdk-client.json", client_name="SDK CIMD", redirect_uris=[CALLBACK])
    athlete = DEMO_ATHLETES[1]
    browser, storage = HeadlessBrowser(athlete.id, athlete.api_key), MemoryStorage()
    overrides = {"cimd_extra_ca_file": tls.ca, "cimd_allow_loopback": True}
    with gateway_with_fake(tmp_path, database_url, **overrides) as base:
        assert await list_tools_with_oauth(base, browser, storage, client_id) > 0
    assert storage.client is not None and storage.client.client_id == client_id
    assert host.hits == ["/sdk-client.json"]
