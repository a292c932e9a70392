""" "Continue with Intervals.icu": the OAuth 2.0 authorization-code flow (RFC 6749 §4.1) with
Intervals.icu as the authorization server, for deployments that registered an Intervals.icu app.

Intervals.icu specifics (forum "Intervals.icu OAuth support"): authorize at
``/oauth/authorize?client_id&redirect_uri&scope&state``; exchange at ``/api/oauth/token`` with
``client_id``, ``client_secret`` and ``code`` in the form body (client_secret_post). The token
response names the athlete (``{"access_token", "scope", "athlete": {"id", "name"}}``) and has
no refresh token or expiry. ``state`` (RFC 6749 §10.12) is a random value kept in a short-lived
HttpOnly cookie and compared in constant time on the callback.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from app.accounts.signin import safe_next_path
from app.settings import Settings

if TYPE_CHECKING:
    import httpx

STATE_COOKIE = "gw_upstream_oauth"
STATE_MAX_AGE = 600
CALLBACK_PATH = "/signin/intervals/callback"
TOKEN_TIMEOUT_SECONDS = 15.0
UNREACHABLE = "Intervals.icu could not be reached just now. Please try again."
UNEXPECTED = "Intervals.icu sent an unexpected answer. Please try again."


class UpstreamOAuthFailed(Exception):
    """The Intervals.icu OAuth flow did not produce a usable token; the message is for users."""


@dataclass(frozen=True)
class UpstreamOAuthConfig:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scope: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"UpstreamOAuthConfig(client_id={self.client_id!r}, token_url={self.token_url!r})"


@dataclass(frozen=True)
class UpstreamToken:
    """An Intervals.icu access token and the athlete it belongs to (token kept in memory)."""

    access_token: str
    scope: str
    athlete_id: str
    athlete_name: str

    def __repr__(self) -> str:
        return f"UpstreamToken(athlete_id={self.athlete_id!r}, scope={self.scope!r})"


def upstream_oauth_config(settings: Settings) -> UpstreamOAuthConfig | None:
    """The Intervals.icu OAuth app, or None when the deployment has not configured one (or
    signs in with API keys only, ``GATEWAY_SIGNIN_METHODS=api_key``)."""
    if not settings.oauth_signin:
        return None
    return UpstreamOAuthConfig(
        client_id=settings.intervals_oauth_client_id,
        client_secret=settings.intervals_oauth_client_secret,
        authorize_url=settings.intervals_oauth_authorize_url,
        token_url=settings.intervals_oauth_token_url,
        scope=settings.intervals_oauth_scope,
        redirect_uri=f"{settings.base_url}{CALLBACK_PATH}",
    )


def new_state() -> str:
    return secrets.token_urlsafe(32)


def authorization_url(config: UpstreamOAuthConfig, state: str) -> str:
    """RFC 6749 §4.1.1 authorization request to Intervals.icu."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": config.redirect_uri,
            "scope": config.scope,
            "state": state,
        }
    )
    separator = "&" if "?" in config.authorize_url else "?"
    return f"{config.authorize_url}{separator}{query}"


def state_cookie_value(state: str, next_path: str) -> str:
    """``<state>.<base64url(next path)>``: cookie-safe, read back by :func:`read_state_cookie`."""
    encoded = base64.urlsafe_b64encode(next_path.encode()).decode().rstrip("=")
    return f"{state}.{encoded}"


def read_state_cookie(value: str | None) -> tuple[str, str] | None:
    """``(state, next path)`` from the cookie, or None if absent or malformed. The next path
    is checked again with :func:`safe_next_path` (the cookie came back from the browser)."""
    if not value or "." not in value:
        return None
    state, _, encoded = value.partition(".")
    try:
        next_path = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (state, safe_next_path(next_path)) if state else None


def state_matches(expected: str, returned: str | None) -> bool:
    """Constant-time comparison of the callback's ``state`` with the cookie's."""
    return bool(returned) and hmac.compare_digest(expected.encode(), (returned or "").encode())


async def exchange_code(
    config: UpstreamOAuthConfig,
    code: str,
    http_client_factory: Callable[[], httpx.AsyncClient] | None = None,
) -> UpstreamToken:
    """RFC 6749 §4.1.3 token request with client_secret_post (§2.3.1), then the athlete it names.

    A plain httpx form POST: Authlib's client is built on httpx2 here, so it cannot share the
    gateway's httpx client. ``http_client_factory`` (tests: a client over the fake
    Intervals.icu server) replaces the default client.
    """
    import httpx  # loaded by the first sign-in, not by every server start

    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
    }
    try:
        client = (
            http_client_factory()
            if http_client_factory is not None
            else httpx.AsyncClient(follow_redirects=False)
        )
        async with client:
            response = await client.post(
                config.token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=TOKEN_TIMEOUT_SECONDS,
                follow_redirects=False,
            )
    except httpx.HTTPError:
        raise UpstreamOAuthFailed(UNREACHABLE) from None
    if response.status_code >= 500:
        raise UpstreamOAuthFailed(UNREACHABLE)
    if response.status_code != 200:
        raise UpstreamOAuthFailed("Intervals.icu did not accept the sign-in. Please try again.")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UpstreamOAuthFailed(UNEXPECTED)
    return parse_token_response(body)


def parse_token_response(body: dict[str, Any]) -> UpstreamToken:
    """The access token and athlete from Intervals.icu's token response."""
    access_token = body.get("access_token")
    athlete = body.get("athlete")
    if not isinstance(access_token, str) or not access_token or not isinstance(athlete, dict):
        raise UpstreamOAuthFailed(UNEXPECTED)
    athlete_id = str(athlete.get("id") or "").strip()
    if not athlete_id:
        raise UpstreamOAuthFailed("Intervals.icu did not say which athlete signed in.")
    scope = body.get("scope")
    return UpstreamToken(
        access_token=access_token,
        scope=scope if isinstance(scope, str) else "",
        athlete_id=athlete_id,
        athlete_name=str(athlete.get("name") or athlete_id),
    )
