"""Undo from the athlete's account page: the same pipeline as ``undo_changes`` (plan from the
journal, refuse what changed upstream since, preview, apply, journal), opened for the signed-in
athlete with their stored credential. The click on the page is the confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Athlete, Credential
from app.intervals.client import IntervalsClient
from app.mcp.tools.context import AthleteContext, zone_or_utc
from app.mcp.tools.errors import ToolFailure
from app.mcp.tools.writes import plan_undo, submit
from app.vault.crypto import Vault, VaultError
from app.vault.store import SealedCredential, unseal
from app.writes.changes import DEFAULT_CONFIRM_TTL
from app.writes.store import SqlWriteStore

ACCOUNT_PAGE = "account page"
NO_CREDENTIAL = "Your Intervals.icu connection is missing or was rejected; replace the key first."


@dataclass(frozen=True)
class UndoOutcome:
    """What the account page says after an undo: done (with the undo's batch) or why not."""

    undone: int
    message: str


async def sealed_credential(db: AsyncSession, athlete_pk: int) -> SealedCredential | None:
    row = await db.scalar(select(Credential).where(Credential.athlete_id == athlete_pk))
    if row is None or row.rejected_at is not None:
        return None
    return SealedCredential.of_row(row)


async def undo_batch(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    intervals: IntervalsClient,
    athlete: Athlete,
    batch_id: str,
    now: datetime,
) -> UndoOutcome:
    """Revert the still-effective changes of ``batch_id`` for ``athlete``."""
    async with sessions() as db:
        sealed = await sealed_credential(db, athlete.id)
    if sealed is None:
        return UndoOutcome(0, NO_CREDENTIAL)
    try:
        credential = unseal(vault, sealed)
    except VaultError:
        return UndoOutcome(0, NO_CREDENTIAL)
    store = SqlWriteStore(sessions, athlete.id, None, ACCOUNT_PAGE, ttl=DEFAULT_CONFIRM_TTL)
    session = intervals.session(credential, athlete.intervals_id, owner_id=athlete.intervals_id)
    ctx = AthleteContext(
        api=session,
        athlete_id=athlete.intervals_id,
        timezone=zone_or_utc(athlete.timezone),
        now=lambda: now,
        writes=store,
    )
    try:
        entries = await store.entries(batch_id=batch_id, limit=500)
        ids = {e.id for e in entries}
        entries = [e for e in entries if e.undone_at is None and e.reverts not in ids]
        if not entries:
            return UndoOutcome(0, "Nothing in that batch is left to undo.")
        planned, refused = await plan_undo(ctx, entries)
        if not planned:
            return UndoOutcome(0, "Nothing was undone: " + "; ".join(refused))
        preview = await submit(ctx, planned, None)
        if preview.confirm is None:
            return UndoOutcome(0, "Nothing to undo: Intervals.icu already holds those values.")
        applied = await submit(ctx, planned, preview.confirm)
    except ToolFailure as failure:
        return UndoOutcome(0, f"Nothing was undone: {failure}")
    return UndoOutcome(len(applied.changes), undo_message(applied.changes, refused))


def undo_message(changes: Sequence[object], refused: Sequence[str]) -> str:
    message = f"Undone: {len(changes)} change(s)."
    if refused:
        message += " Not undone: " + "; ".join(refused)
    return message
