"""``create_event``: ``POST /athlete/{id}/events`` (intervals-api.md §2.5) through the write
pipeline: a planned workout, race, note or target on one day, with the calendar guardrails."""

from __future__ import annotations

from app.mcp.tools.catalog._calendar import (
    Category,
    Day,
    Load,
    Name,
    Sport,
    Text,
    checked_day,
    guarded_submit,
    label,
    race_day_findings,
    session_findings,
    session_of,
)
from app.mcp.tools.kit import WRITE, AthleteContext, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set
from app.writes.changes import PlannedChange


@tool(
    title="Create calendar event",
    toolset="calendar",
    scope=WRITE,
    example={
        "category": "WORKOUT",
        "date": "2026-08-01",
        "name": "Threshold",
        "type": "Ride",
        "description": "- 10m 60%\n3x\n- 10m 95%\n- 5m 55%",
        "load": 75,
    },
    read_only=False,
    destructive=False,
    idempotent=False,
    open_world=True,
    hints_because=(
        "Adds a new event to the athlete's Intervals.icu calendar, seen by their coach; "
        "overwrites nothing; each confirmed call adds one more."
    ),
)
async def create_event(
    ctx: AthleteContext,
    category: Category,
    date: Day,
    name: Name = None,
    description: Text = None,
    type: Sport = None,
    load: Load = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Add a workout (text from build_workout), race, note or target to the calendar.
    Previews; applies with confirm."""
    values = only_set(
        {
            "category": category,
            "date": checked_day(date),
            "name": name,
            "description": description,
            "type": type,
            "load": load,
        }
    )
    change = PlannedChange("event", None, label(values), None, values)
    findings = [
        *await session_findings(ctx, session_of(values)),
        *await race_day_findings(ctx, values),
    ]
    return await guarded_submit(ctx, [change], confirm, findings)
