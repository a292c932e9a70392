"""The club (issue 18): club admins, invitations, join requests, members and their usage.

Roles: the operator (the CLI, ``intervals-gateway club admin add``), club admins (the ``/club``
page), coaches (athletes others share with: app/coach) and athletes. Invitations work with the
allowlist policy: an invitation admits its holder at sign-in (pre-approved: put on the
allowlist at once; otherwise held for an admin's approval). Plain functions over one
transaction; the page handlers (club_routes.py) stay thin.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.policy import allowlist_add, allowlist_remove, canonical_athlete_id
from app.coach.roster import RosterCache
from app.db.models import (
    AccessRecord,
    Athlete,
    BrowserSession,
    ClubAdmin,
    ClubInvitation,
    ClubJoinRequest,
    CoachShare,
    OAuthClient,
)
from app.db.revocation import revoke_athlete_tokens
from app.digests import sha256_hex

TOKEN_PREFIX = "gwi_"
MAX_INVITATION_DAYS = 90
MAX_INVITATION_USES = 500


class ClubRefused(ValueError):
    """A club form cannot be accepted; the message says why."""


class Admission(StrEnum):
    """What an invitation did for its holder at sign-in."""

    ADMITTED = "admitted"
    PENDING = "pending"
    INVALID = "invalid"


def hash_invitation(raw: str) -> str:
    """SHA-256 of the invitation token (only the hash is stored; the link is shown once)."""
    return sha256_hex(raw)


# -- club admins (operator CLI) ------------------------------------------------------------


async def is_club_admin(db: AsyncSession, intervals_id: str) -> bool:
    return await db.get(ClubAdmin, intervals_id) is not None


async def make_club_admin(db: AsyncSession, intervals_id: str) -> bool:
    """Make an athlete id a club admin; False if it already was."""
    key = canonical_athlete_id(intervals_id)
    if await db.get(ClubAdmin, key) is not None:
        return False
    db.add(ClubAdmin(intervals_id=key))
    await db.flush()
    return True


async def remove_club_admin(db: AsyncSession, intervals_id: str) -> bool:
    result = await db.execute(
        delete(ClubAdmin).where(ClubAdmin.intervals_id == canonical_athlete_id(intervals_id))
    )
    return bool(getattr(result, "rowcount", 0))


async def club_admins(db: AsyncSession) -> Sequence[ClubAdmin]:
    return (await db.scalars(select(ClubAdmin).order_by(ClubAdmin.intervals_id))).all()


# -- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    """What the admin asked for, validated."""

    label: str
    days: int
    max_uses: int
    preapproved: bool


def parse_invitation(label: str, days: str, uses: str, preapproved: bool) -> NewInvitation:
    """The invitation form: a label (who it is for), days valid (1..90), uses (1..500)."""
    try:
        valid_days, max_uses = int(days.strip() or "7"), int(uses.strip() or "1")
    except ValueError:
        raise ClubRefused("Days and uses must be whole numbers.") from None
    if not 1 <= valid_days <= MAX_INVITATION_DAYS:
        raise ClubRefused(f"An invitation is valid for 1 to {MAX_INVITATION_DAYS} days.")
    if not 1 <= max_uses <= MAX_INVITATION_USES:
        raise ClubRefused(f"An invitation admits 1 to {MAX_INVITATION_USES} people.")
    return NewInvitation(" ".join(label.split())[:200], valid_days, max_uses, preapproved)


async def create_invitation(
    db: AsyncSession, creator_pk: int | None, wanted: NewInvitation, now: datetime
) -> str:
    """Store a new invitation; returns its raw token (for the link, shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(
        ClubInvitation(
            token_hash=hash_invitation(raw),
            label=wanted.label,
            created_by=creator_pk,
            created_at=now,
            expires_at=now + timedelta(days=wanted.days),
            max_uses=wanted.max_uses,
            preapproved=wanted.preapproved,
        )
    )
    await db.flush()
    return raw


async def usable_invitation(db: AsyncSession, raw: str, now: datetime) -> ClubInvitation | None:
    """The invitation ``raw`` names if it can still admit someone (not expired, revoked or
    used up)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    row = await db.scalar(
        select(ClubInvitation).where(ClubInvitation.token_hash == hash_invitation(raw))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row if row.uses < row.max_uses else None


async def redeem_invitation(
    db: AsyncSession, raw: str, intervals_id: str, name: str, now: datetime
) -> Admission:
    """At sign-in, for someone the allowlist refused: a usable invitation admits them
    (pre-approved: onto the allowlist) or files their request for an admin. Each holder uses
    the invitation once."""
    invitation = await usable_invitation(db, raw, now)
    if invitation is None or not await _take_one_use(db, invitation.id, now):
        return Admission.INVALID
    if invitation.preapproved:
        await allowlist_add(db, intervals_id, note=f"invitation {invitation.label}"[:200])
        await db.execute(
            delete(ClubJoinRequest).where(ClubJoinRequest.intervals_id == intervals_id)
        )
        return Admission.ADMITTED
    if await db.get(ClubJoinRequest, intervals_id) is None:
        db.add(
            ClubJoinRequest(
                intervals_id=intervals_id,
                name=name[:200],
                invitation_id=invitation.id,
                requested_at=now,
            )
        )
    await db.flush()
    return Admission.PENDING


async def _take_one_use(db: AsyncSession, invitation_id: int, now: datetime) -> bool:
    """Count one use in a single conditional UPDATE, so two holders signing in at the same
    moment cannot both take a single-use invitation's last use (PostgreSQL read committed)."""
    result = await db.execute(
        update(ClubInvitation)
        .where(
            ClubInvitation.id == invitation_id,
            ClubInvitation.revoked_at.is_(None),
            ClubInvitation.expires_at > now,
            ClubInvitation.uses < ClubInvitation.max_uses,
        )
        .values(uses=ClubInvitation.uses + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def open_invitations(db: AsyncSession, now: datetime) -> Sequence[ClubInvitation]:
    """Invitations that can still be used, newest first."""
    rows = await db.scalars(
        select(ClubInvitation)
        .where(
            ClubInvitation.revoked_at.is_(None),
            ClubInvitation.expires_at > now,
            ClubInvitation.uses < ClubInvitation.max_uses,
        )
        .order_by(ClubInvitation.id.desc())
    )
    return rows.all()


async def revoke_invitation(db: AsyncSession, invitation_id: int, now: datetime) -> bool:
    row = await db.get(ClubInvitation, invitation_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


# -- join requests -------------------------------------------------------------------------


async def join_requests(db: AsyncSession) -> Sequence[ClubJoinRequest]:
    return (await db.scalars(select(ClubJoinRequest).order_by(ClubJoinRequest.requested_at))).all()


async def decide_request(db: AsyncSession, intervals_id: str, *, approve: bool) -> bool:
    """Approve (onto the allowlist) or decline a waiting request; False if there was none."""
    row = await db.get(ClubJoinRequest, intervals_id)
    if row is None:
        return False
    if approve:
        await allowlist_add(db, intervals_id, note="approved by a club admin")
    await db.delete(row)
    return True


# -- members -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One athlete with an account here, as the club admin page shows them."""

    pk: int
    intervals_id: str
    name: str
    admin: bool
    coaches: tuple[str, ...]
    calls: int
    last_call: datetime | None
    clients: tuple[str, ...]


async def members(db: AsyncSession) -> list[MemberRow]:
    """Every account with its roles, coaches and usage (tool calls on their data in the access
    log: count, last, the applications' names)."""
    athletes = (await db.scalars(select(Athlete).order_by(Athlete.name, Athlete.id))).all()
    admins = {a.intervals_id for a in await club_admins(db)}
    coaches: dict[int, list[str]] = {}
    for share in await db.scalars(select(CoachShare).order_by(CoachShare.coach_intervals_id)):
        coaches.setdefault(share.athlete_id, []).append(share.coach_intervals_id)
    usage = {
        pk: (count, last)
        for pk, count, last in (
            await db.execute(
                select(AccessRecord.athlete_id, func.count(), func.max(AccessRecord.at)).group_by(
                    AccessRecord.athlete_id
                )
            )
        ).all()
    }
    clients: dict[int, set[str]] = {}
    rows = await db.execute(
        select(AccessRecord.athlete_id, AccessRecord.client_id, OAuthClient.name)
        .outerjoin(OAuthClient, OAuthClient.client_id == AccessRecord.client_id)
        .distinct()
    )
    for pk, client_id, name in rows.all():
        clients.setdefault(pk, set()).add(name or client_id)
    return [
        MemberRow(
            pk=a.id,
            intervals_id=a.intervals_id,
            name=a.name,
            admin=a.intervals_id in admins,
            coaches=tuple(coaches.get(a.id, ())),
            calls=int(usage.get(a.id, (0, None))[0]),
            last_call=usage.get(a.id, (0, None))[1],
            clients=tuple(sorted(clients.get(a.id, ()))),
        )
        for a in athletes
    ]


async def remove_member(db: AsyncSession, intervals_id: str, rosters: RosterCache) -> bool:
    """Take an athlete out of the club: off the allowlist, their applications' tokens revoked,
    their browser sessions ended, every coach share to or from them removed. Their account and
    data stay (the operator deletes accounts). False if there is no such account."""
    athlete = await db.scalar(select(Athlete).where(Athlete.intervals_id == intervals_id))
    if athlete is None:
        return False
    await allowlist_remove(db, intervals_id)
    await revoke_athlete_tokens(db, athlete.id)
    await db.execute(delete(BrowserSession).where(BrowserSession.athlete_id == athlete.id))
    await db.execute(
        delete(CoachShare).where(
            or_(CoachShare.athlete_id == athlete.id, CoachShare.coach_intervals_id == intervals_id)
        )
    )
    await db.execute(delete(ClubAdmin).where(ClubAdmin.intervals_id == intervals_id))
    rosters.invalidate()  # their coaches' cached rosters, and theirs
    return True
