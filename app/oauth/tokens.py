"""Opaque tokens and codes: generation, hashing and issuance (RFC 6749 §1.4, §1.5, §4.1.2).

Every token is ``<prefix><43 url-safe characters>`` (256 random bits), the prefix naming its kind:
``gwa_`` access token, ``gwr_`` refresh token, ``gwc_`` authorization code. Only the SHA-256 hex
digest is stored (``Token.token_hash``, ``AuthorizationCode.code_hash``); the value itself is
shown to the client once and never logged.

The MCP bearer verifier finds an access token with :func:`hash_token` and accepts it when the
row has kind ``access``, is neither expired nor revoked, its grant is not revoked, its
``resource`` equals ``settings.mcp_resource`` and the grant's athlete is not disabled.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Grant, Token
from app.digests import sha256_hex
from app.settings import Settings

ACCESS_PREFIX = "gwa_"
REFRESH_PREFIX = "gwr_"
CODE_PREFIX = "gwc_"
ACCESS = "access"
REFRESH = "refresh"
_RANDOM_BYTES = 32


def hash_token(token: str) -> str:
    """SHA-256 hex digest under which a token or code is stored and looked up."""
    return sha256_hex(token)


def new_token(prefix: str) -> str:
    """A fresh opaque value with 256 bits of entropy behind a kind prefix."""
    return prefix + secrets.token_urlsafe(_RANDOM_BYTES)


@dataclass(frozen=True)
class IssuedTokens:
    """The token response of RFC 6749 §5.1 before serialisation; secrets exist only here."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    refresh_row: Token

    def response_body(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


async def issue_tokens(
    db: AsyncSession,
    settings: Settings,
    grant: Grant,
    scope: str,
    now: datetime,
    code_id: int | None = None,
    parent_id: int | None = None,
) -> IssuedTokens:
    """Store a new access + refresh token pair for `grant` (hashes only) and return the values.

    Both rows carry the grant, scope and resource; `code_id` links tokens to the code they were
    redeemed from (code replay revokes them), `parent_id` links a rotated refresh token to its
    predecessor (reuse detection, RFC 9700 §4.14.2).
    """
    access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)

    def row(kind: str, value: str, lifetime_seconds: int) -> Token:
        return Token(
            token_hash=hash_token(value),
            kind=kind,
            grant_id=grant.id,
            code_id=code_id,
            parent_id=parent_id,
            scope=scope,
            resource=grant.resource,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
        )

    access_row = row(ACCESS, access, settings.oauth_access_token_seconds)
    refresh_row = row(REFRESH, refresh, settings.oauth_refresh_token_seconds)
    db.add_all([access_row, refresh_row])
    await db.flush()
    return IssuedTokens(access, refresh, settings.oauth_access_token_seconds, scope, refresh_row)
