"""``save_workout``: create (``POST /athlete/{id}/workouts``) or update (``PUT
/athlete/{id}/workouts/{workoutId}``) a library workout through the write pipeline."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog._calendar import Name, Sport, Text
from app.mcp.tools.catalog._library_writes import (
    WORKOUTS,
    first_folder,
    first_library_workout,
    folder_values,
)
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, optional_argument_schema, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set, submit
from app.writes.changes import PlannedChange

OptionalId = Annotated[int | None, Field(ge=1, json_schema_extra=optional_argument_schema)]


@tool(
    title="Save library workout",
    toolset="library",
    scope=WRITE,
    example=lambda fake, athlete: {
        "workout_id": first_library_workout(fake, athlete),
        "folder_id": first_folder(fake, athlete),
        "description": "- 10m 60%\n\n5x\n- 3m 110%\n- 3m 50%",
    },
    owned={"workout_id": "workout", "folder_id": "folder"},
    read_only=False,
    destructive=True,
    idempotent=False,
    open_world=True,
    hints_because=(
        "Creates a library workout in Intervals.icu, or overwrites an existing one's text and "
        "name; each create adds one more."
    ),
)
async def save_workout(
    ctx: AthleteContext,
    workout_id: OptionalId = None,
    folder_id: OptionalId = None,
    name: Name = None,
    description: Text = None,
    type: Sport = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Create a library workout (folder_id, name) or update one (workout_id); text from
    build_workout. Previews; applies with confirm."""
    wanted = only_set(
        {"folder_id": folder_id, "name": name, "description": description, "type": type}
    )
    if folder_id is not None and await folder_values(ctx, folder_id) is None:
        raise ToolFailure(f"No folder {folder_id} found in your library.")
    if workout_id is None:
        if folder_id is None or name is None:
            raise ToolFailure("A new workout needs folder_id and name (or give workout_id).")
        change = PlannedChange("workout", None, f"new workout {name!r}", None, wanted)
        return await submit(ctx, [change], confirm)
    if not wanted:
        raise ToolFailure("Give at least one of folder_id, name, description or type.")
    current = await WORKOUTS.read(ctx, str(workout_id), list(wanted))
    if current is None:
        raise ToolFailure(f"No workout {workout_id} found in your library.")
    change = PlannedChange("workout", str(workout_id), f"workout {workout_id}", current, wanted)
    return await submit(ctx, [change], confirm)
