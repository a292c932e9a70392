"""``update_activity``: ``PUT /activity/{id}`` (intervals-api.md §2.2) through the write
pipeline: rename, description, RPE (1-10, 10 hardest), feel (1-5, 1 strong), tags. Only the
acting athlete's own activities; Strava stubs cannot be edited through the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from app.mcp.tools.catalog._activity import ActivityId, fetch_own_activity, latest_ride
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, tool, upstream_errors
from app.mcp.tools.schema import checked_not_published, optional_argument_schema
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set, register_kind, submit
from app.writes.changes import Fields, PlannedChange

FIELDS = {
    "name": "name",
    "description": "description",
    "rpe": "icu_rpe",
    "feel": "feel",
    "tags": "tags",
}
CLEARED: dict[str, Any] = {"name": "", "description": "", "rpe": -1, "feel": -1, "tags": []}


class Activities:
    """An activity as an :class:`~app.mcp.tools.writes.ObjectKind` (key: the activity id)."""

    area = "ACTIVITY"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields:
        raw = (await fetch_own_activity(ctx, key)).model_dump(mode="json")
        return {n: raw.get(FIELDS[n]) for n in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        if change.after is None or change.key is None:
            raise ToolFailure("Activities cannot be created or deleted by this gateway.")
        body = {FIELDS[n]: CLEARED[n] if v is None else v for n, v in change.after.items()}
        async with upstream_errors(f"activity {change.key}"):
            await ctx.api.update_activity(change.key, body)
        return change


ACTIVITIES = register_kind("activity", Activities())
Text = Annotated[str | None, Field(max_length=4000, json_schema_extra=checked_not_published)]
Name = Annotated[
    str | None, Field(min_length=1, max_length=200, json_schema_extra=checked_not_published)
]
Rpe = Annotated[
    int | None,
    Field(ge=1, le=10, description="10 hardest", json_schema_extra=optional_argument_schema),
]
Feel = Annotated[
    int | None,
    Field(ge=1, le=5, description="1 strong", json_schema_extra=optional_argument_schema),
]
Tags = Annotated[
    list[
        Annotated[str, Field(min_length=1, max_length=60, json_schema_extra=checked_not_published)]
    ]
    | None,
    Field(
        max_length=30, description="Replaces all tags", json_schema_extra=optional_argument_schema
    ),
]


@tool(
    title="Update activity",
    toolset="activities",
    scope=WRITE,
    example=lambda fake, athlete: {"activity_id": latest_ride(fake, athlete), "rpe": 6},
    owned={"activity_id": "activity"},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Overwrites an activity's name, description, RPE, feel or tags in Intervals.icu (old "
        "values journaled); a repeat changes nothing."
    ),
)
async def update_activity(
    ctx: AthleteContext,
    activity_id: ActivityId,
    name: Name = None,
    description: Text = None,
    rpe: Rpe = None,
    feel: Feel = None,
    tags: Tags = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Rename an activity or set its description, RPE, feel or tags. Previews; applies with
    confirm."""
    wanted = only_set(
        {"name": name, "description": description, "rpe": rpe, "feel": feel, "tags": tags}
    )
    if not wanted:
        raise ToolFailure("Give at least one of name, description, rpe, feel or tags.")
    before = await ACTIVITIES.read(ctx, activity_id, list(wanted))
    change = PlannedChange("activity", activity_id, f"activity {activity_id}", before, wanted)
    return await submit(ctx, [change], confirm)
