"""Account lifecycle: create or update on sign-in, connected applications, disable / enable,
and deletion of everything that belonged to an athlete."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.policy import find_athlete
from app.accounts.sessions import end_athlete_sessions
from app.accounts.upstream import AthleteProfile
from app.db.models import Athlete, Credential, Grant, OAuthClient
from app.db.revocation import forget_verified, revoke_athlete_tokens, revoke_grant
from app.vault.crypto import Vault, VaultError
from app.vault.store import save_credential


async def upsert_athlete(db: AsyncSession, profile: AthleteProfile, now: datetime) -> Athlete:
    """Create the account for a verified athlete, or refresh its name and time zone."""
    athlete = await find_athlete(db, profile.intervals_id)
    if athlete is None:
        athlete = Athlete(intervals_id=profile.intervals_id, created_at=now)
        db.add(athlete)
    athlete.name = profile.name
    athlete.timezone = profile.timezone
    athlete.coaches = profile.coaches
    athlete.last_signin_at = now
    athlete.updated_at = now
    await db.flush()
    forget_verified(db, athlete_pk=athlete.id)  # cached callers carry the time zone and role
    return athlete


async def store_credential(
    db: AsyncSession,
    vault: Vault,
    athlete_pk: int,
    kind: str,
    secret: str,
    *,
    upstream_scope: str | None,
    now: datetime,
) -> bool:
    """Store the athlete's verified credential. When it replaces a different one (a rotated
    key, an API key swapped for an Intervals.icu sign-in, or a stored one that no longer
    decrypts), every browser session of the athlete ends: whoever held the old credential
    loses the account pages too. Returns whether sessions were ended; the caller starts a
    fresh session for the browser that presented the new credential."""
    replaced = not await _holds_credential(db, vault, athlete_pk, kind, secret)
    await save_credential(
        db, vault, athlete_pk, kind, secret, upstream_scope=upstream_scope, verified_at=now
    )
    if replaced:
        await end_athlete_sessions(db, athlete_pk)
    return replaced


async def _holds_credential(
    db: AsyncSession, vault: Vault, athlete_pk: int, kind: str, secret: str
) -> bool:
    """Whether the athlete has no credential yet or already stores exactly this one."""
    row = await db.scalar(select(Credential).where(Credential.athlete_id == athlete_pk))
    if row is None:
        return True
    if row.kind != kind:
        return False
    try:
        stored = vault.decrypt(row.key_id, row.ciphertext, athlete_pk, row.kind)
    except VaultError:
        return False
    return hmac.compare_digest(stored.encode(), secret.encode())


@dataclass(frozen=True)
class ConnectedApp:
    """One row of the account page's connected applications (an unrevoked grant)."""

    grant_id: int
    client_name: str
    scope: str
    authorised_at: datetime
    last_used_at: datetime | None


async def connected_apps(db: AsyncSession, athlete_pk: int) -> list[ConnectedApp]:
    """The athlete's live grants with their client names, newest first."""
    result = await db.execute(
        select(Grant, OAuthClient.name)
        .join(OAuthClient, OAuthClient.id == Grant.client_pk)
        .where(Grant.athlete_id == athlete_pk, Grant.revoked_at.is_(None))
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    return [
        ConnectedApp(
            grant_id=grant.id,
            client_name=name,
            scope=grant.scope,
            authorised_at=grant.created_at,
            last_used_at=grant.last_used_at,
        )
        for grant, name in result
    ]


async def disconnect_app(db: AsyncSession, athlete_pk: int, grant_id: int) -> bool:
    """Revoke one of the athlete's grants and all its tokens; False if it is not theirs."""
    return await revoke_grant(db, grant_id, athlete_pk)


async def forget_intervals_connection(db: AsyncSession, athlete_pk: int) -> int:
    """The athlete withdrew the gateway's Intervals.icu access: delete the stored credential,
    end every application's grant and tokens (app/db/revocation.py, so caches hooked there
    forget them too) and every browser session. The account itself (its change journal,
    access log and sharing) stays. Returns the number of applications disconnected."""
    await db.execute(delete(Credential).where(Credential.athlete_id == athlete_pk))
    ended = await revoke_athlete_tokens(db, athlete_pk)
    await end_athlete_sessions(db, athlete_pk)
    await db.flush()
    return ended


async def credential_row(db: AsyncSession, athlete_pk: int) -> Credential | None:
    """The athlete's credential row (metadata only; the ciphertext stays sealed)."""
    result = await db.execute(select(Credential).where(Credential.athlete_id == athlete_pk))
    return result.scalar_one_or_none()


async def disable_athlete(db: AsyncSession, athlete: Athlete, now: datetime) -> int:
    """Block sign-in and end every session and token of the athlete at once; returns the
    number of grants ended."""
    if athlete.disabled_at is None:
        athlete.disabled_at = now
    await end_athlete_sessions(db, athlete.id)
    ended = await revoke_athlete_tokens(db, athlete.id)
    await db.flush()
    return ended


async def enable_athlete(db: AsyncSession, athlete: Athlete) -> None:
    """Allow sign-in again (revoked tokens stay revoked; clients must be re-authorised)."""
    athlete.disabled_at = None
    await db.flush()


async def delete_account(db: AsyncSession, athlete_pk: int) -> bool:
    """Delete the athlete and, by database cascade, their credential, browser sessions,
    grants, authorization codes and tokens. Signing in again later creates a new account."""
    result = await db.execute(delete(Athlete).where(Athlete.id == athlete_pk))
    forget_verified(db, athlete_pk=athlete_pk)
    return bool(getattr(result, "rowcount", 0))


async def list_athletes(db: AsyncSession) -> Sequence[Athlete]:
    result = await db.execute(select(Athlete).order_by(Athlete.id))
    return result.scalars().all()
