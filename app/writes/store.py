"""The SQL :class:`~app.writes.changes.WriteStore`: confirmation handles (``write_previews``,
stored as SHA-256 hashes) and the journal (``write_journal``), bound to one caller.

Each method is one short transaction; nothing waits on Intervals.icu inside one. A claim is
atomic (``UPDATE ... WHERE claimed_at IS NULL``), so two concurrent applies with one handle
write upstream once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import transaction
from app.db.models import JournalRecord, OAuthClient, WritePreview
from app.writes.changes import (
    DEFAULT_CONFIRM_TTL,
    Claim,
    ClaimStatus,
    JournalEntry,
    PlannedChange,
    hash_handle,
    new_handle,
    same_digest,
)


def new_batch_id() -> str:
    """A short public id for one applied write (shown in the journal; not a secret)."""
    return "b_" + secrets.token_hex(6)


def entry_of(row: JournalRecord) -> JournalEntry:
    return JournalEntry(
        id=row.id,
        batch_id=row.batch_id,
        client_id=row.client_id,
        grant_id=row.grant_id,
        kind=row.kind,
        key=row.target_key,
        label=row.label,
        before=row.before,
        after=row.after,
        applied_at=row.applied_at,
        undone_at=row.undone_at,
        undone_by=row.undone_by,
        reverts=row.reverts_id,
        coach=coach_label(row.coach_name, row.coach_intervals_id),
    )


def coach_label(name: str | None, intervals_id: str | None) -> str | None:
    """``Maria Santos (i100004)`` for a change a coach made; None for the athlete's own."""
    if intervals_id is None:
        return None
    return f"{name} ({intervals_id})" if name else intervals_id


@dataclass
class SqlWriteStore:
    """Handles and journal of one caller: ``athlete_pk`` through ``grant_id`` of ``client_id``."""

    sessions: async_sessionmaker[AsyncSession]
    athlete_pk: int
    grant_id: int | None
    """None for the athlete's own account page."""
    client_id: str
    ttl: timedelta = DEFAULT_CONFIRM_TTL
    coach_intervals_id: str | None = None
    """Set when a coach acts for this athlete: journal entries name the coach (issue 18)."""
    coach_name: str | None = None

    async def issue(
        self, request: str, state: str, summary: str, now: datetime
    ) -> tuple[str, datetime]:
        handle, expires_at = new_handle(), now + self.ttl
        async with transaction(self.sessions) as db:
            db.add(
                WritePreview(
                    handle_hash=hash_handle(handle),
                    athlete_id=self.athlete_pk,
                    grant_id=self.grant_id,
                    request_digest=request,
                    state_digest=state,
                    summary=summary[:500],
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        return handle, expires_at

    async def claim(self, handle: str, request: str, state: str, now: datetime) -> Claim:
        async with transaction(self.sessions) as db:
            row = await self._preview(db, handle)
            if row is None:
                return Claim(ClaimStatus.UNKNOWN)
            if row.athlete_id != self.athlete_pk or row.grant_id != self.grant_id:
                return Claim(ClaimStatus.FOREIGN)
            if not same_digest(row.request_digest, request):
                return Claim(ClaimStatus.DIFFERENT)
            if row.batch_id is not None:
                return Claim(ClaimStatus.APPLIED, row.batch_id)
            if row.claimed_at is not None:
                return Claim(ClaimStatus.IN_PROGRESS)
            if row.expires_at <= now:
                return Claim(ClaimStatus.EXPIRED)
            if not same_digest(row.state_digest, state):
                return Claim(ClaimStatus.STALE)
            claimed = await db.execute(
                update(WritePreview)
                .where(WritePreview.id == row.id, WritePreview.claimed_at.is_(None))
                .values(claimed_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return Claim(ClaimStatus.IN_PROGRESS)
        return Claim(ClaimStatus.OK)

    async def release(self, handle: str) -> None:
        """Give a claimed handle back after the upstream write failed (so a retry may apply)."""
        async with transaction(self.sessions) as db:
            await db.execute(
                update(WritePreview)
                .where(
                    WritePreview.handle_hash == hash_handle(handle),
                    WritePreview.batch_id.is_(None),
                )
                .values(claimed_at=None)
            )

    async def record(self, handle: str, applied: Sequence[PlannedChange], now: datetime) -> str:
        batch = new_batch_id()
        async with transaction(self.sessions) as db:
            for change in applied:
                db.add(
                    JournalRecord(
                        batch_id=batch,
                        athlete_id=self.athlete_pk,
                        grant_id=self.grant_id,
                        client_id=self.client_id,
                        kind=change.kind,
                        target_key=change.key,
                        label=change.label[:200],
                        before=None if change.before is None else dict(change.before),
                        after=None if change.after is None else dict(change.after),
                        reverts_id=change.reverts,
                        applied_at=now,
                        coach_intervals_id=self.coach_intervals_id,
                        coach_name=self.coach_name,
                    )
                )
                if change.reverts is not None:
                    await db.execute(
                        update(JournalRecord)
                        .where(
                            JournalRecord.id == change.reverts,
                            JournalRecord.athlete_id == self.athlete_pk,
                        )
                        .values(undone_at=now, undone_by=batch)
                    )
            await db.execute(
                update(WritePreview)
                .where(WritePreview.handle_hash == hash_handle(handle))
                .values(batch_id=batch)
            )
        return batch

    async def entries(
        self,
        *,
        change_ids: Sequence[int] = (),
        batch_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[JournalEntry]:
        """The athlete's journal (every client's changes), newest first."""
        query = select(JournalRecord).where(JournalRecord.athlete_id == self.athlete_pk)
        if change_ids:
            query = query.where(JournalRecord.id.in_(list(change_ids)))
        if batch_id is not None:
            query = query.where(JournalRecord.batch_id == batch_id)
        if since is not None:
            query = query.where(JournalRecord.applied_at >= since)
        query = query.order_by(JournalRecord.applied_at.desc(), JournalRecord.id.desc())
        async with self.sessions() as db:
            rows = (await db.scalars(query.limit(limit))).all()
            return await named([entry_of(row) for row in rows], db)

    @staticmethod
    async def _preview(db: AsyncSession, handle: str) -> WritePreview | None:
        row: WritePreview | None = await db.scalar(
            select(WritePreview).where(WritePreview.handle_hash == hash_handle(handle))
        )
        return row


async def entries_of(db: AsyncSession, athlete_pk: int, limit: int = 100) -> list[JournalEntry]:
    """The athlete's journal (every client's changes and the account page's), newest first."""
    query = (
        select(JournalRecord)
        .where(JournalRecord.athlete_id == athlete_pk)
        .order_by(JournalRecord.applied_at.desc(), JournalRecord.id.desc())
        .limit(limit)
    )
    rows = (await db.scalars(query)).all()
    return await named([entry_of(row) for row in rows], db)


async def named(entries: list[JournalEntry], db: AsyncSession) -> list[JournalEntry]:
    """The entries with each application shown by its registered name (else its client id)."""
    ids = {e.client_id for e in entries}
    rows = await db.execute(
        select(OAuthClient.client_id, OAuthClient.name).where(OAuthClient.client_id.in_(ids))
    )
    names = {client_id: name for client_id, name in rows if name}
    return [replace(e, client_id=names.get(e.client_id, e.client_id)) for e in entries]
