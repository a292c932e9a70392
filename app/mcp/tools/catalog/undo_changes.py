"""``undo_changes``: revert applied changes from the journal (one change, a batch, or all since
a local day) through the same pipeline as any write: a preview first, then apply with its
confirmation handle. A change whose object was changed on Intervals.icu since is never
overwritten: the preview names it and leaves it out."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog.list_changes import Since, start_of_day
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, tool
from app.mcp.tools.schema import optional_argument_schema
from app.mcp.tools.writes import Confirm, WriteAnswer, plan_undo, store_of, submit
from app.writes.changes import REFUSALS, ClaimStatus

MAX_UNDO = 200
NOTHING_MATCHES = "No applied changes match; list_changes shows them."


@tool(
    title="Undo changes",
    toolset="changes",
    scope=WRITE,
    example={"since": "2026-07-29"},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Reverts changes in Intervals.icu, which can delete objects made through the gateway or "
        "overwrite later edits; a change is undone once."
    ),
)
async def undo_changes(
    ctx: AthleteContext,
    change_ids: Annotated[
        list[int] | None, Field(max_length=100, json_schema_extra=optional_argument_schema)
    ] = None,
    batch_id: Annotated[
        str | None, Field(max_length=32, json_schema_extra=optional_argument_schema)
    ] = None,
    since: Since = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Revert changes from list_changes: by id, batch or since a day. Previews; applies with
    confirm."""
    if not change_ids and batch_id is None and since is None:
        raise ToolFailure("Name what to undo: change_ids, batch_id or since.")
    entries = await store_of(ctx).entries(
        change_ids=change_ids or (),
        batch_id=batch_id,
        since=start_of_day(ctx, since),
        limit=MAX_UNDO,
    )
    if not change_ids:  # a batch or a time span: what is still in effect
        ids = {e.id for e in entries}
        entries = [e for e in entries if e.undone_at is None and e.reverts not in ids]
    if not entries:
        return WriteAnswer(status="no_change", changes=[], warnings=[NOTHING_MATCHES])
    planned, refused = await plan_undo(ctx, entries)
    if confirm is not None and refused and not planned:
        raise ToolFailure(REFUSALS[ClaimStatus.STALE])
    if not planned:
        raise ToolFailure("Nothing can be undone: " + "; ".join(refused))
    return await submit(ctx, planned, confirm, extra_warnings=refused)
