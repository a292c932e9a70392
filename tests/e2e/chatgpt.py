"""A scripted connector that behaves as ChatGPT's "user-defined OAuth client" does: it discovers
the server from the 401 on /mcp, authorizes with PKCE S256 and `resource`, omits `scope` on a
reconnect, verifies the RFC 9207 `iss` of every authorization response, and authenticates to
/token with `client_secret_post`. It never contacts chatgpt.com: it reads the redirect."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.e2e.athlete import Athlete, query_of
from tests.e2e.oauth_flow import pkce_pair

CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"
RESOURCE_METADATA = re.compile(r'resource_metadata="([^"]+)"')


@dataclass
class Connector:
    """One ChatGPT connector configured with the operator's client id and secret."""

    mcp_url: str
    client_id: str
    client_secret: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    resource_metadata: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def discover(self) -> None:
        """401 challenge → protected resource metadata (RFC 9728) → AS metadata (RFC 8414)."""
        challenge = self.http.post(self.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "x"})
        assert challenge.status_code == 401
        found = RESOURCE_METADATA.search(challenge.headers["www-authenticate"])
        assert found, challenge.headers["www-authenticate"]
        self.resource_metadata = self.http.get(found.group(1)).raise_for_status().json()
        issuer = self.resource_metadata["authorization_servers"][0]
        self.metadata = (
            self.http.get(f"{issuer}/.well-known/oauth-authorization-server")
            .raise_for_status()
            .json()
        )
        assert self.metadata["issuer"] == issuer
        assert "S256" in self.metadata["code_challenge_methods_supported"]

    def connect(self, athlete: Athlete, scope: str | None) -> dict[str, Any]:
        """Authorize (the athlete signs in and approves), check state and iss, redeem the code."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": CHATGPT_CALLBACK,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": self.resource_metadata["resource"],
        }
        if scope is not None:
            params["scope"] = scope
        location = athlete.authorize(
            f"{self.metadata['authorization_endpoint']}?{urlencode(params)}"
        )
        assert location.startswith(CHATGPT_CALLBACK + "?"), location
        answer = query_of(location)
        assert answer["state"] == state
        assert answer["iss"] == self.metadata["issuer"], "RFC 9207 issuer mismatch"
        return self.token(
            grant_type="authorization_code",
            code=answer["code"],
            redirect_uri=CHATGPT_CALLBACK,
            code_verifier=verifier,
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def token(self, **form: str) -> dict[str, Any]:
        response = self.token_response(**form)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return dict(response.json())

    def token_response(self, secret: str | None = None, **form: str) -> httpx.Response:
        """POST /token with `client_secret_post` (RFC 6749 §2.3.1) and `resource` (RFC 8707)."""
        body = {
            **form,
            "client_id": self.client_id,
            "client_secret": self.client_secret if secret is None else secret,
            "resource": self.resource_metadata["resource"],
        }
        return self.http.post(self.metadata["token_endpoint"], data=body)
