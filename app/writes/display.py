"""The journal as the account page shows it: one row per applied change, newest first, with
the fields it changed and whether it was undone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.mcp.tools.writes import as_text
from app.writes.changes import JournalEntry, PlannedChange
from app.writes.store import entries_of

SHOWN = 50


@dataclass(frozen=True)
class JournalRow:
    change_id: int
    batch_id: str
    applied_at: datetime
    client: str
    action: str
    label: str
    fields: list[str]
    undone_at: datetime | None
    undone_by: str | None


def journal_row(entry: JournalEntry) -> JournalRow:
    change = PlannedChange(entry.kind, entry.key, entry.label, entry.before, entry.after)
    before, after = entry.before or {}, entry.after or {}
    fields = [
        f"{n}: {as_text(before.get(n)) or '(none)'} → {as_text(after.get(n)) or '(none)'}"
        for n in change.changed_fields()
    ]
    return JournalRow(
        change_id=entry.id,
        batch_id=entry.batch_id,
        applied_at=entry.applied_at,
        client=entry.client_id,
        action=change.action,
        label=entry.label,
        fields=fields,
        undone_at=entry.undone_at,
        undone_by=entry.undone_by,
    )


async def recent_changes(db: AsyncSession, athlete_pk: int) -> list[JournalEntry]:
    return await entries_of(db, athlete_pk, SHOWN)
