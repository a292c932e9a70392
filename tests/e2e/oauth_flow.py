"""A minimal public OAuth client scripted over HTTP (RFC 7591 registration, RFC 6749 §4.1 code
flow with RFC 7636 PKCE and RFC 8707 resource): used to pre-issue a bearer token for clients
configured with a static `Authorization` header."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.e2e.athlete import Athlete, query_of

LOOPBACK_CALLBACK = "http://127.0.0.1:33420/callback"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_url(
    base: str, client_id: str, redirect_uri: str, challenge: str, **extra: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": secrets.token_urlsafe(8),
        **extra,
    }
    return f"{base}/authorize?{urlencode(params)}"


def register_public_client(base: str, name: str, redirect_uri: str = LOOPBACK_CALLBACK) -> str:
    """POST /register (RFC 7591 §3.1); returns the new client id."""
    response = httpx.post(
        f"{base}/register",
        json={"client_name": name, "redirect_uris": [redirect_uri]},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["client_id"])


def issue_tokens(base: str, mcp_url: str, athlete: Athlete, name: str) -> dict[str, Any]:
    """Register a public client, let `athlete` approve it, redeem the code: the token response."""
    client_id = register_public_client(base, name)
    verifier, challenge = pkce_pair()
    url = authorize_url(base, client_id, LOOPBACK_CALLBACK, challenge, resource=mcp_url)
    code = query_of(athlete.authorize(url))["code"]
    response = httpx.post(
        f"{base}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
            "client_id": client_id,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
