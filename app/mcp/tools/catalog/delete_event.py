"""``delete_event``: ``DELETE /athlete/{id}/events/{eventId}`` (intervals-api.md §2.5) through
the write pipeline; undo re-creates the event (with a new id). Warns when an activity is paired
with the event."""

from __future__ import annotations

from app.mcp.tools.catalog._calendar import (
    FIELDS,
    EventId,
    event_fields,
    guarded_submit,
    label,
    own_event,
    paired_findings,
)
from app.mcp.tools.catalog._event import first_workout
from app.mcp.tools.kit import WRITE, AthleteContext, tool
from app.mcp.tools.writes import Confirm, WriteAnswer
from app.writes.changes import PlannedChange


@tool(
    title="Delete calendar event",
    toolset="calendar",
    scope=WRITE,
    example=lambda fake, athlete: {"event_id": first_workout(fake, athlete)},
    owned={"event_id": "event"},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Deletes an event in Intervals.icu; undo re-creates a copy with a new id, so it is "
        "irreversible; a repeat changes nothing more."
    ),
)
async def delete_event(
    ctx: AthleteContext, event_id: EventId, confirm: Confirm = None
) -> WriteAnswer:
    """Delete a calendar event (undo_changes can re-create it). Previews; applies with
    confirm."""
    event = await own_event(ctx, event_id)
    current = event_fields(event)
    before = {k: current[k] for k in FIELDS if current.get(k) is not None}
    change = PlannedChange("event", str(event_id), label(current, event_id), before, None)
    return await guarded_submit(ctx, [change], confirm, await paired_findings(ctx, event))
