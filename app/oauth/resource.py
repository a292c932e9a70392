"""The resource-server side of OAuth: which access token is accepted, and for whom.

RFC 6750 §2.1 carries the token (app/mcp/auth.py reads it from the HTTP request); this module
decides whether it is accepted. Tokens are looked up by their SHA-256 hash (app/oauth/tokens.py).
Refused alike: unknown, not an access token, expired, revoked, issued for another resource
(RFC 8707 audience), grant revoked, athlete disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Athlete, Credential, Grant, OAuthClient, Token
from app.db.token_cache import TokenCache
from app.oauth.scopes import parse_scope
from app.oauth.tokens import ACCESS, hash_token
from app.vault.store import SealedCredential


@dataclass(frozen=True)
class Caller:
    """Who is calling: the athlete, through which client and grant, with which scopes."""

    athlete_pk: int
    intervals_id: str
    timezone: str
    client_id: str
    grant_id: int
    scopes: frozenset[str]
    grant_last_used_at: datetime | None = None
    credential: SealedCredential | None = None  # still encrypted; decrypted per tool call
    coaches: bool = False
    """Intervals.icu said at sign-in that this athlete coaches (their key's roster counts)."""


async def verify_access_token(
    db: AsyncSession, token: str, *, resource: str, now: datetime
) -> Caller | None:
    """The caller an access token stands for, or None if it must be refused (read from the
    database; :func:`resolve_bearer` is what the MCP endpoints run, with the cache)."""
    found = await _lookup(db, hash_token(token), resource=resource, now=now)
    return None if found is None else found[0]


async def resolve_bearer(
    sessions: async_sessionmaker[AsyncSession],
    token: str,
    *,
    resource: str,
    clock: Callable[[], datetime],
    cache: TokenCache[object] | None,
) -> Caller | None:
    """What every MCP request runs (app/mcp/server.py ``McpRuntime.verify``): the caller of
    a bearer token from the verified-token cache, else from one database lookup at the time
    ``clock`` tells then (then kept, unless a revocation was noticed meanwhile). RFC 6750
    §2.1 / RFC 8707 rules as :func:`verify_access_token`; the credential stays sealed
    either way. (The cache has its own clock: a hit reads no time here.)"""
    digest = hash_token(token)
    generation = 0
    if cache is not None:
        cached = cache.get(digest)
        if isinstance(cached, Caller):
            return cached
        generation = cache.generation
    async with sessions() as db:
        found = await _lookup(db, digest, resource=resource, now=clock())
    if found is None:
        return None
    caller, expires_at = found
    if cache is not None:
        cache.put(
            digest,
            caller,
            athlete_pk=caller.athlete_pk,
            grant_id=caller.grant_id,
            expires=expires_at.timestamp(),
            generation=generation,
        )
    return caller


async def _lookup(
    db: AsyncSession, digest: str, *, resource: str, now: datetime
) -> tuple[Caller, datetime] | None:
    """The caller a token digest stands for and the token's expiry, or None if refused.

    Refused: unknown hash, not an access token, expired, revoked, issued for another resource,
    grant revoked, athlete disabled. One indexed lookup that reads only the columns it needs
    (no ORM objects): this runs on every MCP request the cache does not answer. It also reads
    the athlete's credential, still encrypted, so a tool call needs no second database round
    trip to resolve it.
    """
    row = (
        await db.execute(
            select(
                Token.expires_at,
                Token.revoked_at,
                Token.resource,
                Token.scope,
                Grant.id.label("grant_id"),
                Grant.revoked_at.label("grant_revoked_at"),
                Grant.last_used_at.label("grant_last_used_at"),
                Athlete.id.label("athlete_pk"),
                Athlete.intervals_id,
                Athlete.timezone,
                Athlete.coaches,
                Athlete.disabled_at,
                OAuthClient.client_id,
                Credential.kind,
                Credential.key_id,
                Credential.ciphertext,
                Credential.rejected_at.label("credential_rejected_at"),
                Credential.upstream_scope,
            )
            .join(Grant, Token.grant_id == Grant.id)
            .join(Athlete, Grant.athlete_id == Athlete.id)
            .join(OAuthClient, Grant.client_pk == OAuthClient.id)
            .outerjoin(Credential, Credential.athlete_id == Athlete.id)
            .where(Token.token_hash == digest, Token.kind == ACCESS)
        )
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.resource != resource or row.grant_revoked_at is not None:
        return None
    if row.disabled_at is not None:
        return None
    sealed = None
    if row.kind is not None:
        sealed = SealedCredential(
            athlete_pk=row.athlete_pk,
            kind=row.kind,
            key_id=row.key_id,
            ciphertext=row.ciphertext,
            rejected=row.credential_rejected_at is not None,
            upstream_scope=row.upstream_scope,
        )
    caller = Caller(
        athlete_pk=row.athlete_pk,
        intervals_id=row.intervals_id,
        timezone=row.timezone,
        client_id=row.client_id,
        grant_id=row.grant_id,
        scopes=frozenset(parse_scope(row.scope)),
        grant_last_used_at=row.grant_last_used_at,
        credential=sealed,
        coaches=bool(row.coaches),
    )
    return caller, row.expires_at
