"""Grants: what an athlete authorised a client to do, and the end of all its tokens.

One grant per athlete x client (x redirect URI for Client ID Metadata Document clients, whose
client id is shared by every installation). A new authorization replaces the previous grant for
the same pair: the old row and everything issued under it are deleted. Revoking a grant keeps
the row (for the account page) with ``revoked_at`` set and revokes all its tokens.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuthorizationCode, Grant, OAuthClient, Token, utcnow
from app.oauth.redirect_uris import redirect_key


def grant_redirect_key(client: OAuthClient, redirect_uri: str) -> str:
    """The third part of a grant's identity: the redirect URI for shared CIMD client ids."""
    return redirect_key(redirect_uri) if client.origin == "cimd" else ""


async def replace_grant(
    db: AsyncSession,
    athlete_id: int,
    client: OAuthClient,
    redirect_uri: str,
    scope: str,
    resource: str,
    now: datetime,
) -> Grant:
    """Create the athlete's grant for `client`, deleting any previous one for the same pair."""
    key = grant_redirect_key(client, redirect_uri)
    await db.execute(
        delete(Grant).where(
            Grant.athlete_id == athlete_id,
            Grant.client_pk == client.id,
            Grant.redirect_key == key,
        )
    )
    grant = Grant(
        athlete_id=athlete_id,
        client_pk=client.id,
        redirect_key=key,
        scope=scope,
        resource=resource,
        created_at=now,
    )
    db.add(grant)
    await db.flush()
    return grant


async def revoke_grant_tokens(db: AsyncSession, grant_id: int, now: datetime) -> int:
    """Revoke every live token of a grant and mark its unused codes used; returns tokens revoked."""
    result = await db.execute(
        update(Token)
        .where(Token.grant_id == grant_id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await db.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.grant_id == grant_id, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def end_grant(db: AsyncSession, grant_id: int, now: datetime | None = None) -> None:
    """Mark a grant revoked and revoke all its tokens (RFC 7009 §2.1: the grant ends)."""
    now = now or utcnow()
    await db.execute(
        update(Grant).where(Grant.id == grant_id, Grant.revoked_at.is_(None)).values(revoked_at=now)
    )
    await revoke_grant_tokens(db, grant_id, now)


async def revoke_grant(db: AsyncSession, grant_id: int, athlete_id: int) -> bool:
    """Revoke one of the athlete's grants and all its tokens; False if it is not theirs."""
    owner = await db.scalar(select(Grant.athlete_id).where(Grant.id == grant_id))
    if owner is None or owner != athlete_id:
        return False
    await end_grant(db, grant_id)
    return True


async def revoke_athlete_tokens(db: AsyncSession, athlete_id: int) -> int:
    """Revoke every grant of an athlete (sign-out everywhere, key change, disable); returns the
    number of grants ended."""
    grant_ids = (
        await db.scalars(
            select(Grant.id).where(Grant.athlete_id == athlete_id, Grant.revoked_at.is_(None))
        )
    ).all()
    now = utcnow()
    for grant_id in grant_ids:
        await end_grant(db, grant_id, now)
    return len(grant_ids)


async def live_grant_count(db: AsyncSession, client_pk: int) -> int:
    """Grants of a client that are not revoked (a client with live grants is never purged)."""
    count = await db.scalar(
        select(func.count())
        .select_from(Grant)
        .where(Grant.client_pk == client_pk, Grant.revoked_at.is_(None))
    )
    return int(count or 0)
