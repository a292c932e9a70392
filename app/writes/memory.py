"""An in-process :class:`~app.writes.changes.WriteStore` for the single-user stdio server (one
local athlete, no database): the same rules as app/writes/store.py, kept for the process's life.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

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


@dataclass
class _Preview:
    owner: tuple[str, int]
    request: str
    state: str
    expires_at: datetime
    claimed: bool = False
    batch_id: str | None = None


@dataclass
class MemoryJournal:
    """Previews and journal shared by every caller of one process (keyed by hashed handle)."""

    previews: dict[str, _Preview] = field(default_factory=dict)
    entries: list[tuple[str, JournalEntry]] = field(default_factory=list)
    """(athlete, entry), oldest first."""
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    handles: Callable[[], str] = new_handle
    """Where handles come from (generated docs pass a fixed one so pages are reproducible)."""

    def store_for(
        self, athlete: str, grant_id: int = 0, client_id: str = "local"
    ) -> MemoryWriteStore:
        return MemoryWriteStore(self, athlete, grant_id, client_id)


@dataclass
class MemoryWriteStore:
    """One caller's view of a :class:`MemoryJournal`."""

    journal: MemoryJournal
    athlete: str
    grant_id: int = 0
    client_id: str = "local"
    ttl: timedelta = DEFAULT_CONFIRM_TTL

    async def issue(
        self, request: str, state: str, summary: str, now: datetime
    ) -> tuple[str, datetime]:
        handle, expires_at = self.journal.handles(), now + self.ttl
        self.journal.previews[hash_handle(handle)] = _Preview(
            (self.athlete, self.grant_id), request, state, expires_at
        )
        return handle, expires_at

    async def claim(self, handle: str, request: str, state: str, now: datetime) -> Claim:
        row = self.journal.previews.get(hash_handle(handle))
        if row is None:
            return Claim(ClaimStatus.UNKNOWN)
        if row.owner != (self.athlete, self.grant_id):
            return Claim(ClaimStatus.FOREIGN)
        if not same_digest(row.request, request):
            return Claim(ClaimStatus.DIFFERENT)
        if row.batch_id is not None:
            return Claim(ClaimStatus.APPLIED, row.batch_id)
        if row.claimed:
            return Claim(ClaimStatus.IN_PROGRESS)
        if row.expires_at <= now:
            return Claim(ClaimStatus.EXPIRED)
        if not same_digest(row.state, state):
            return Claim(ClaimStatus.STALE)
        row.claimed = True
        return Claim(ClaimStatus.OK)

    async def release(self, handle: str) -> None:
        row = self.journal.previews.get(hash_handle(handle))
        if row is not None and row.batch_id is None:
            row.claimed = False

    async def record(self, handle: str, applied: Sequence[PlannedChange], now: datetime) -> str:
        batch = "b_" + secrets.token_hex(6)
        for change in applied:
            entry = JournalEntry(
                id=next(self.journal.ids),
                batch_id=batch,
                client_id=self.client_id,
                grant_id=self.grant_id,
                kind=change.kind,
                key=change.key,
                label=change.label,
                before=change.before,
                after=change.after,
                applied_at=now,
                reverts=change.reverts,
            )
            self.journal.entries.append((self.athlete, entry))
            if change.reverts is not None:
                self._mark_undone(change.reverts, now, batch)
        row = self.journal.previews.get(hash_handle(handle))
        if row is not None:
            row.batch_id = batch
        return batch

    def _mark_undone(self, entry_id: int, now: datetime, batch: str) -> None:
        for index, (athlete, entry) in enumerate(self.journal.entries):
            if athlete == self.athlete and entry.id == entry_id:
                undone = replace(entry, undone_at=now, undone_by=batch)
                self.journal.entries[index] = (athlete, undone)

    async def entries(
        self,
        *,
        change_ids: Sequence[int] = (),
        batch_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[JournalEntry]:
        mine = [e for athlete, e in self.journal.entries if athlete == self.athlete]
        if change_ids:
            mine = [e for e in mine if e.id in change_ids]
        if batch_id is not None:
            mine = [e for e in mine if e.batch_id == batch_id]
        if since is not None:
            mine = [e for e in mine if e.applied_at >= since]
        return sorted(mine, key=lambda e: (e.applied_at, e.id), reverse=True)[:limit]
