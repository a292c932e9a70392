"""The end of grants and tokens: revoke one grant, or every grant of an athlete.

Shared by the account pages (disconnect an app, delete the account, key replaced), the OAuth
endpoints (RFC 7009 revocation, refresh-token reuse) and the MCP layer (Intervals.icu rejected
the stored key). It sits below all three, on the tables alone, so none of them imports
another for it; app/oauth/grants.py re-exports it next to the rest of the grant lifecycle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuthorizationCode, Grant, Token, utcnow


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
