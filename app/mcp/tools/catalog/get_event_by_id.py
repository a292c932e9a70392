"""``get_event_by_id``: ``GET /athlete/{id}/events/{eventId}`` (plural ``events``: the original
server used ``/event/`` and got 404s), refused unless the event belongs to the acting athlete."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog._event import EventDetail, first_workout
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors


class EventDetails(Answer):
    """One calendar event in full."""

    event: EventDetail

    def text(self) -> str:
        return self.event.line()


@tool(
    title="Calendar event",
    toolset="calendar",
    example=lambda fake, athlete: {"event_id": first_workout(fake, athlete)},
    owned={"event_id": "event"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one calendar event in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_event_by_id(
    ctx: AthleteContext,
    event_id: Annotated[int, Field(ge=1)],
) -> EventDetails:
    """One calendar event in full, with its workout text."""
    what = f"event {event_id}"
    async with upstream_errors(what):
        event = await ctx.api.get_event(event_id)
    ctx.owned(event.athlete_id, what)
    return EventDetails(event=EventDetail.from_upstream(event))
