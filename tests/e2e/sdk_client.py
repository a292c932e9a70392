"""The MCP Python SDK's own client (`mcp.Client` + `OAuthClientProvider`) against the running
gateway, with an `Athlete` answering the authorization requests it opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
import httpx
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from tests.e2e.athlete import Athlete, query_of
from tests.support.sdk_oauth import MemoryStorage


@dataclass
class SdkClient:
    """One installation of an SDK-based MCP client, its storage surviving reconnects."""

    mcp_url: str
    athlete: Athlete
    name: str = "SDK e2e client"
    callback: str = "http://127.0.0.1:33418/callback"
    metadata_url: str | None = None
    storage: MemoryStorage = field(default_factory=MemoryStorage)
    authorizations: list[str] = field(default_factory=list)  # authorize URLs it opened
    grant_types_sent: list[str] = field(default_factory=list)  # every /token request's grant
    result: AuthorizationCodeResult | None = None

    def provider(self) -> OAuthClientProvider:
        return OAuthClientProvider(
            server_url=self.mcp_url,
            client_metadata=OAuthClientMetadata(
                client_name=self.name,
                redirect_uris=[self.callback],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=self.storage,
            redirect_handler=self._open_browser,
            callback_handler=self._callback,
            client_metadata_url=self.metadata_url,
        )

    async def _open_browser(self, url: str) -> None:
        self.authorizations.append(url)
        location = await anyio.to_thread.run_sync(self.athlete.authorize, url)
        assert location.startswith(self.callback), location
        query = query_of(location)
        self.result = AuthorizationCodeResult(
            code=query["code"], state=query.get("state"), iss=query.get("iss")
        )

    async def _callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result

    async def _record(self, request: httpx2.Request) -> None:
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            self.grant_types_sent.append(form["grant_type"][0])

    @asynccontextmanager
    async def connect(self, auth: OAuthClientProvider | None = None) -> AsyncIterator[Client]:
        """An MCP session through the OAuth provider (one provider per connection unless
        `auth` is given)."""
        hooks: dict[str, list[Any]] = {"request": [self._record]}
        async with (
            httpx2.AsyncClient(auth=auth or self.provider(), timeout=30, event_hooks=hooks) as http,
            Client(streamable_http_client(self.mcp_url, http_client=http)) as client,
        ):
            yield client

    @property
    def access_token(self) -> str:
        assert self.storage.tokens is not None
        return self.storage.tokens.access_token


def bearer_status(mcp_url: str, token: str) -> int:
    """HTTP status of one `tools/list` request to /mcp with `token` (200 when it is accepted)."""
    response = httpx.post(
        mcp_url,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25",
        },
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        timeout=30,
    )
    return response.status_code
