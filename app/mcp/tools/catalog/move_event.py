"""``move_event``: ``PUT /athlete/{id}/events/{eventId}`` with a new ``start_date_local``
(intervals-api.md §2.5) through the write pipeline, with the calendar guardrails."""

from __future__ import annotations

from app.mcp.tools.catalog._calendar import (
    Day,
    EventId,
    checked_day,
    event_fields,
    guarded_submit,
    label,
    own_event,
    session_findings,
    session_of,
)
from app.mcp.tools.catalog._event import first_workout
from app.mcp.tools.kit import WRITE, AthleteContext, tool
from app.mcp.tools.writes import Confirm, WriteAnswer
from app.writes.changes import PlannedChange


@tool(
    title="Move calendar event",
    toolset="calendar",
    scope=WRITE,
    example=lambda fake, athlete: {"event_id": first_workout(fake, athlete), "date": "2026-08-02"},
    owned={"event_id": "event"},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Overwrites an event's day in Intervals.icu (the old day is journaled for undo); moving "
        "it again to the same day changes nothing."
    ),
)
async def move_event(
    ctx: AthleteContext, event_id: EventId, date: Day, confirm: Confirm = None
) -> WriteAnswer:
    """Move an event to another day. Previews; applies with confirm."""
    event = await own_event(ctx, event_id)
    current = event_fields(event)
    day = checked_day(date)
    change = PlannedChange(
        "event", str(event_id), label(current, event_id), {"date": current["date"]}, {"date": day}
    )
    old = session_of(current, event.icu_intensity)
    new = session_of({**current, "date": day}, event.icu_intensity)
    findings = await session_findings(ctx, new, old) if day != current["date"] else []
    return await guarded_submit(ctx, [change], confirm, findings)
