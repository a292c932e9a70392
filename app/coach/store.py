"""The database side of coach access: athletes' shares with coaches (table ``coach_shares``).

The athlete's sharing page (issue 18, K2) calls :func:`share_with_coach` and
:func:`stop_sharing` with the app's roster cache (``services(request).rosters``); the MCP
endpoint reads :func:`gateway_roster`. Every change invalidates the coach's cached roster
(app/coach/roster.py), so the next tool call on this instance sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coach.policy import CATEGORIES, SharingPolicy
from app.coach.roster import RosterCache, RosterEntry
from app.db.models import Athlete, CoachShare, Credential, utcnow


async def share_with_coach(
    db: AsyncSession,
    athlete_pk: int,
    coach_intervals_id: str,
    *,
    hidden: Iterable[str] = (),
    hidden_until: datetime | None = None,
    cache: RosterCache,
) -> CoachShare:
    """Share the athlete's data with the coach (or change what is hidden from them). Unknown
    categories are refused (ValueError) before anything is stored."""
    policy = SharingPolicy.hiding(hidden, hidden_until)
    row = (
        await db.execute(
            select(CoachShare).where(
                CoachShare.athlete_id == athlete_pk,
                CoachShare.coach_intervals_id == coach_intervals_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = CoachShare(athlete_id=athlete_pk, coach_intervals_id=coach_intervals_id)
        db.add(row)
    row.hidden = sorted(policy.hidden)
    row.hidden_until = policy.until
    row.updated_at = utcnow()
    await db.flush()
    cache.invalidate(coach_intervals_id)
    return row


async def stop_sharing(
    db: AsyncSession, athlete_pk: int, coach_intervals_id: str, *, cache: RosterCache
) -> bool:
    """Stop sharing with the coach; True when a share was removed."""
    result = await db.execute(
        delete(CoachShare).where(
            CoachShare.athlete_id == athlete_pk,
            CoachShare.coach_intervals_id == coach_intervals_id,
        )
    )
    cache.invalidate(coach_intervals_id)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def policy_of(row: CoachShare) -> SharingPolicy:
    """The stored choice as a policy (categories no longer known are ignored)."""
    return SharingPolicy.hiding([c for c in row.hidden or () if c in CATEGORIES], row.hidden_until)


async def gateway_roster(db: AsyncSession, coach_intervals_id: str) -> list[RosterEntry]:
    """Athletes who signed in here, are not disabled, hold a usable credential and share with
    the coach."""
    rows = await db.execute(
        select(CoachShare, Athlete.intervals_id, Athlete.name, Athlete.timezone)
        .join(Athlete, CoachShare.athlete_id == Athlete.id)
        .join(Credential, Credential.athlete_id == Athlete.id)
        .where(
            CoachShare.coach_intervals_id == coach_intervals_id,
            Athlete.disabled_at.is_(None),
            Credential.rejected_at.is_(None),
        )
    )
    return [
        RosterEntry(
            intervals_id=intervals_id,
            name=name,
            source="gateway",
            athlete_pk=share.athlete_id,
            policy=policy_of(share),
            timezone=timezone,
        )
        for share, intervals_id, name, timezone in rows
    ]


async def shares_of_athlete(db: AsyncSession, athlete_pk: int) -> list[CoachShare]:
    """The athlete's shares (for their sharing page), oldest first."""
    rows = await db.execute(
        select(CoachShare).where(CoachShare.athlete_id == athlete_pk).order_by(CoachShare.id)
    )
    return list(rows.scalars())
