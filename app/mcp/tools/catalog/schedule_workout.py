"""``schedule_workout``: a library workout (``GET /athlete/{id}/workouts/{workoutId}``) put on a
day of the calendar (``POST /athlete/{id}/events``, category WORKOUT) through the write
pipeline, with the calendar guardrails."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog._calendar import (
    Day,
    Session,
    checked_day,
    guarded_submit,
    label,
    session_findings,
)
from app.mcp.tools.catalog._library_writes import first_library_workout
from app.mcp.tools.dates import parse_day
from app.mcp.tools.errors import upstream_errors
from app.mcp.tools.kit import WRITE, AthleteContext, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set
from app.writes.changes import PlannedChange

WorkoutId = Annotated[int, Field(ge=1, description="From the library")]


@tool(
    title="Schedule library workout",
    toolset="calendar",
    scope=WRITE,
    example=lambda fake, athlete: {
        "workout_id": first_library_workout(fake, athlete),
        "date": "2026-08-01",
    },
    owned={"workout_id": "workout"},
    read_only=False,
    destructive=False,
    idempotent=False,
    open_world=True,
    hints_because=(
        "Adds a calendar event in Intervals.icu from a library workout; overwrites nothing; each "
        "confirmed call adds one more."
    ),
)
async def schedule_workout(
    ctx: AthleteContext, workout_id: WorkoutId, date: Day, confirm: Confirm = None
) -> WriteAnswer:
    """Put a library workout on a calendar day. Previews; applies with confirm."""
    day = checked_day(date)
    what = f"workout {workout_id}"
    async with upstream_errors(what):
        workout = await ctx.api.get_workout(workout_id)
    ctx.owned(workout.athlete_id, what)
    values = only_set(
        {
            "category": "WORKOUT",
            "date": day,
            "name": workout.name,
            "description": workout.description,
            "type": workout.type,
            "load": workout.icu_training_load,
        }
    )
    change = PlannedChange("event", None, label(values) + f" from {what}", None, values)
    session = Session(parse_day(day, "date"), workout.icu_training_load, workout.icu_intensity)
    return await guarded_submit(ctx, [change], confirm, await session_findings(ctx, session))
