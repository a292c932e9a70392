"""The end of grants and tokens: revoke one grant, or every grant of an athlete.

Shared by the account pages (disconnect an app, delete the account, key replaced), the OAuth
endpoints (RFC 7009 revocation, refresh-token reuse) and the MCP layer (Intervals.icu rejected
the stored key). It sits below all three, on the tables alone, so none of them imports
another for it; app/oauth/grants.py re-exports it next to the rest of the grant lifecycle.

Whatever ends a grant, a token or a credential also calls :func:`forget_verified` on its
session: when that transaction commits, the verified-token cache (app/db/token_cache.py) of
this process forgets the athlete or grant at once, and the other instances within a second
(through Redis). A rolled-back transaction forgets nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.db.models import AuthorizationCode, Grant, Token, utcnow
from app.db.token_cache import athlete_scope, grant_scope

_ENDED = "gateway.ended_verifications"
_LOCAL = "gateway.stale_verifications"
_SINK = "gateway.revocation_sink"


class RevocationSink(Protocol):
    """Receives, after commit, the scopes (``athlete:<id>``, ``grant:<id>``, ``all``) whose
    cached verifications must go (app/db/token_cache.py ``Revocations``)."""

    def ended(self, scopes: frozenset[str], *, everywhere: bool = True) -> None: ...


def attach_revocation_sink(
    sessions: async_sessionmaker[AsyncSession], sink: RevocationSink
) -> None:
    """Sessions made by ``sessions`` hand their committed revocations to ``sink``."""
    sessions.kw["info"] = {**sessions.kw.get("info", {}), _SINK: sink}


def sink_info(sink: RevocationSink) -> dict[str, object]:
    """``info`` for a hand-made ``Session(engine, info=...)`` handing revocations to ``sink``."""
    return {_SINK: sink}


def forget_verified(
    db: AsyncSession | Session,
    *,
    athlete_pk: int | None = None,
    grant_id: int | None = None,
    everywhere: bool = True,
) -> None:
    """Once this transaction commits, cached verifications of the athlete's tokens (or the
    grant's) are forgotten: in every instance, or only here when ``everywhere`` is False
    (bookkeeping that only refreshes what the cache shows, never a revocation)."""
    pending = db.info.setdefault(_ENDED if everywhere else _LOCAL, set())
    if athlete_pk is not None:
        pending.add(athlete_scope(athlete_pk))
    if grant_id is not None:
        pending.add(grant_scope(grant_id))


@event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    ended = session.info.pop(_ENDED, None)
    stale = session.info.pop(_LOCAL, None)
    sink = session.info.get(_SINK)
    if sink is None:
        return
    if ended:
        sink.ended(frozenset(ended))
    if stale:
        sink.ended(frozenset(stale), everywhere=False)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_ENDED, None)
    session.info.pop(_LOCAL, None)


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
    forget_verified(db, grant_id=grant_id)
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
    forget_verified(db, athlete_pk=athlete_id)
    return len(grant_ids)
