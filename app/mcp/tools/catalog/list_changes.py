"""``list_changes``: the journal of changes applied through this gateway for the acting athlete
(app/writes; every client's changes, newest first), with what each changed and whether it was
undone. Read-only: it reads the gateway's journal, not Intervals.icu."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import Field

from app.mcp.tools.dates import parse_day
from app.mcp.tools.kit import Answer, AthleteContext, ToolFailure, tool
from app.mcp.tools.schema import checked_not_published
from app.mcp.tools.writes import FieldChange, local_time, show, store_of
from app.writes.changes import JournalEntry, PlannedChange

DEFAULT_LIMIT = 20


class ChangeRecord(Answer):
    """One applied change."""

    change_id: int
    batch_id: str
    applied_at: str
    client: str
    coach: str | None = None
    object: str
    action: str
    fields: list[FieldChange]
    undone_at: str | None = None
    undone_by: str | None = None

    def line(self) -> str:
        parts = ", ".join(f"{f.field} {show(f.before)} -> {show(f.after)}" for f in self.fields)
        undone = f" [undone {self.undone_at} by {self.undone_by}]" if self.undone_at else ""
        return (
            f"#{self.change_id} {self.applied_at} {self.batch_id} via {self.client}"
            f"{f' by coach {self.coach}' if self.coach else ''}: "
            f"{self.action} {self.object}: {parts}{undone}"
        )


class ChangeList(Answer):
    """Applied changes, newest first (times athlete-local)."""

    count: int
    changes: list[ChangeRecord]

    def text(self) -> str:
        head = f"{self.count} changes, newest first"
        return "\n".join([head, *(c.line() for c in self.changes)])


def record_of(ctx: AthleteContext, entry: JournalEntry) -> ChangeRecord:
    change = PlannedChange(entry.kind, entry.key, entry.label, entry.before, entry.after)
    before, after = entry.before or {}, entry.after or {}
    return ChangeRecord(
        change_id=entry.id,
        batch_id=entry.batch_id,
        applied_at=local_time(ctx, entry.applied_at),
        client=entry.client_id,
        coach=entry.coach,
        object=entry.label,
        action=change.action,
        fields=[FieldChange.of(n, before.get(n), after.get(n)) for n in change.changed_fields()],
        undone_at=None if entry.undone_at is None else local_time(ctx, entry.undone_at),
        undone_by=entry.undone_by,
    )


def start_of_day(ctx: AthleteContext, since: str | None) -> datetime | None:
    """``since`` (a local day, from its midnight, or a local day and time) as an aware moment
    (None: no lower bound)."""
    if since is None:
        return None
    day, _, clock = since.partition("T")
    try:
        at = time.fromisoformat(clock) if clock else time()
    except ValueError:
        raise ToolFailure(
            "since must be a day like 2026-11-30 or a time like 2026-11-30T06:00."
        ) from None
    return datetime.combine(parse_day(day, "since"), at, ctx.timezone)


Since = Annotated[
    str | None,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$",
        description="Local day or time, e.g. 2026-07-29T06:00",
        json_schema_extra=checked_not_published,
    ),
]


@tool(
    title="List changes",
    toolset="changes",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the gateway's own journal of this athlete's changes; calls no outside system and "
        "changes nothing."
    ),
)
async def list_changes(
    ctx: AthleteContext,
    since: Since = None,
    batch_id: Annotated[
        str | None, Field(max_length=32, json_schema_extra=checked_not_published)
    ] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = DEFAULT_LIMIT,
) -> ChangeList:
    """Changes made through this gateway, newest first, with ids for undo_changes."""
    entries = await store_of(ctx).entries(
        batch_id=batch_id, since=start_of_day(ctx, since), limit=limit
    )
    records = [record_of(ctx, e) for e in entries]
    return ChangeList(count=len(records), changes=records)
