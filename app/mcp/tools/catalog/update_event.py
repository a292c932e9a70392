"""``update_event``: ``PUT /athlete/{id}/events/{eventId}`` (intervals-api.md §2.5) through the
write pipeline: name, workout text, sport, load or category of one of the athlete's events."""

from __future__ import annotations

from app.mcp.tools.catalog._calendar import (
    EventId,
    Load,
    Name,
    OptionalCategory,
    Sport,
    Text,
    event_fields,
    guarded_submit,
    label,
    own_event,
    session_findings,
    session_of,
)
from app.mcp.tools.catalog._event import first_workout
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set
from app.writes.changes import PlannedChange


@tool(
    title="Update calendar event",
    toolset="calendar",
    scope=WRITE,
    example=lambda fake, athlete: {"event_id": first_workout(fake, athlete), "name": "Tempo"},
    owned={"event_id": "event"},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Overwrites an event's fields in Intervals.icu (old values journaled for undo); the same "
        "update again changes nothing."
    ),
)
async def update_event(
    ctx: AthleteContext,
    event_id: EventId,
    name: Name = None,
    description: Text = None,
    type: Sport = None,
    load: Load = None,
    category: OptionalCategory = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Change an event's name, workout text, sport, load or category (move_event changes the
    day). Previews; applies with confirm."""
    wanted = only_set(
        {"name": name, "description": description, "type": type, "load": load, "category": category}
    )
    if not wanted:
        raise ToolFailure("Give at least one of name, description, type, load or category.")
    event = await own_event(ctx, event_id)
    current = event_fields(event)
    before = {k: current[k] for k in wanted}
    change = PlannedChange("event", str(event_id), label(current, event_id), before, wanted)
    old = session_of(current, event.icu_intensity)
    new = session_of({**current, **wanted}, event.icu_intensity)
    findings = await session_findings(ctx, new, old) if load is not None or category else []
    return await guarded_submit(ctx, [change], confirm, findings)
