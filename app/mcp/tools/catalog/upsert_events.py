"""``upsert_events``: several calendar events keyed by your own ``external_id`` (intervals-api.md
§2.5: ``POST /athlete/{id}/events/bulk?upsert=true`` matches ``external_id``). Each event
found with that ``external_id`` (``GET /athlete/{id}/events`` within a year of the dates given)
is updated, the others are created; one preview, one confirmation, one undoable batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.mcp.tools.catalog._calendar import (
    Category,
    event_fields,
    guarded_submit,
    label,
    session_findings,
    session_of,
)
from app.mcp.tools.dates import ISO_DATE_PATTERN, parse_day
from app.mcp.tools.errors import upstream_errors
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, tool
from app.mcp.tools.schema import (
    checked_not_published,
    compact_model_schema,
    date_argument_schema,
)
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set
from app.training.guardrails import Finding
from app.writes.changes import PlannedChange

SEARCH = timedelta(days=366)


class EventItem(BaseModel):
    """One event of an upsert."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    external_id: str = Field(min_length=1, max_length=100, json_schema_extra=checked_not_published)
    category: Category
    date: str = Field(pattern=ISO_DATE_PATTERN, json_schema_extra=date_argument_schema)
    name: str | None = Field(
        None, min_length=1, max_length=80, json_schema_extra=checked_not_published
    )
    description: str | None = Field(None, max_length=4000, json_schema_extra=checked_not_published)
    type: str | None = Field(None, pattern=r"^[A-Za-z]{2,30}$")
    load: float | None = Field(None, ge=0, le=2000, json_schema_extra=checked_not_published)


@tool(
    title="Upsert calendar events",
    toolset="calendar",
    scope=WRITE,
    example={
        "events": [
            {
                "external_id": "plan-w1-d1",
                "category": "WORKOUT",
                "date": "2026-08-03",
                "name": "Endurance",
                "type": "Ride",
                "description": "- 90m 65%",
                "load": 60,
            },
            {
                "external_id": "plan-w1-note",
                "category": "NOTE",
                "date": "2026-08-03",
                "name": "Build week 1",
            },
        ]
    },
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Creates events in Intervals.icu or overwrites those matched by external_id, so a repeat "
        "changes nothing more."
    ),
)
async def upsert_events(
    ctx: AthleteContext,
    events: Annotated[list[EventItem], Field(min_length=1, max_length=30)],
    confirm: Confirm = None,
) -> WriteAnswer:
    """Create or update several events, matched by your external_id. Previews; applies with
    confirm."""
    items = [EventItem.model_validate(e) for e in events]
    ids = [i.external_id for i in items]
    if len(set(ids)) != len(ids):
        raise ToolFailure("Each external_id may appear once.")
    days = [parse_day(i.date, f"events[{n}].date") for n, i in enumerate(items)]
    async with upstream_errors("your calendar"):
        found = await ctx.api.list_events(min(days) - SEARCH, max(days) + SEARCH)
    existing = {
        e.external_id: e for e in found if e.external_id and e.athlete_id in (None, ctx.athlete_id)
    }
    changes: list[PlannedChange] = []
    findings: list[Finding] = []
    for item, day in zip(items, days, strict=True):
        values = only_set({**item.model_dump(), "date": day.isoformat()})
        event = existing.get(item.external_id)
        if event is None:
            changes.append(PlannedChange("event", None, label(values), None, values))
            findings += await session_findings(ctx, session_of(values))
            continue
        current = event_fields(event)
        before = {k: current.get(k) for k in values}
        changes.append(
            PlannedChange("event", str(event.id), label(current, event.id), before, values)
        )
        old = session_of(current, event.icu_intensity)
        new = session_of({**current, **values}, event.icu_intensity)
        if before != values:
            findings += await session_findings(ctx, new, old)
    return await guarded_submit(ctx, changes, confirm, list(dict.fromkeys(findings)))
