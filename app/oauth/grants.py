"""Grants: what an athlete authorised a client to do, and the end of all its tokens.

One grant per athlete x client (x redirect URI for Client ID Metadata Document clients, whose
client id is shared by every installation). A new authorization replaces the previous grant for
the same pair: the old row and everything issued under it are deleted. Revoking a grant keeps
the row (for the account page) with ``revoked_at`` set and revokes all its tokens.

Two approvals for the same pair can arrive at once (a double-clicked consent button, two tabs).
The later one to write replaces the earlier one, exactly as if they had come one after the other:
on PostgreSQL the loser's insert waits for the winner and then violates ``uq_grants_owner``, so the
replacement is retried in a savepoint, where the winner's committed grant is now visible and
deleted; SQLite serialises the two writers and never reaches the conflict.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Grant, OAuthClient
from app.db.revocation import (
    end_grant as end_grant,
)
from app.db.revocation import (
    forget_verified as forget_verified,
)
from app.db.revocation import (
    revoke_athlete_tokens as revoke_athlete_tokens,
)
from app.db.revocation import (
    revoke_grant as revoke_grant,
)
from app.db.revocation import (
    revoke_grant_tokens as revoke_grant_tokens,
)
from app.oauth.redirect_uris import redirect_key

REPLACE_ATTEMPTS = 3
"""Tries of :func:`replace_grant` against concurrent approvals for the same pair."""


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
    """Create the athlete's grant for `client`, deleting any previous one for the same pair
    (also one committed meanwhile by a concurrent approval: see the module docstring)."""
    grant = Grant(
        athlete_id=athlete_id,
        client_pk=client.id,
        redirect_key=grant_redirect_key(client, redirect_uri),
        scope=scope,
        resource=resource,
        created_at=now,
    )
    for _ in range(REPLACE_ATTEMPTS - 1):
        try:
            return await swap_grant(db, grant)
        except IntegrityError:
            grant = copy_of(grant)  # a concurrent approval won the insert: replace its grant
    return await swap_grant(db, grant)


def copy_of(grant: Grant) -> Grant:
    """A fresh, unsaved copy of a grant whose insert was rolled back."""
    return Grant(
        athlete_id=grant.athlete_id,
        client_pk=grant.client_pk,
        redirect_key=grant.redirect_key,
        scope=grant.scope,
        resource=grant.resource,
        created_at=grant.created_at,
    )


async def swap_grant(db: AsyncSession, grant: Grant) -> Grant:
    """In a savepoint: delete the pair's current grant (cascading to its codes and tokens) and
    insert `grant`. Raises IntegrityError if another transaction inserted one meanwhile."""
    async with db.begin_nested():
        await db.execute(
            delete(Grant).where(
                Grant.athlete_id == grant.athlete_id,
                Grant.client_pk == grant.client_pk,
                Grant.redirect_key == grant.redirect_key,
            )
        )
        db.add(grant)
        await db.flush()
    forget_verified(db, athlete_pk=grant.athlete_id)  # the replaced grant's tokens are gone
    return grant


async def live_grant_count(db: AsyncSession, client_pk: int) -> int:
    """Grants of a client that are not revoked (a client with live grants is never purged)."""
    count = await db.scalar(
        select(func.count())
        .select_from(Grant)
        .where(Grant.client_pk == client_pk, Grant.revoked_at.is_(None))
    )
    return int(count or 0)
