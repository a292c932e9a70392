"""Library workouts and folders as write kinds (intervals-api.md §2.6): ``GET/POST/PUT/DELETE
/athlete/{id}/workouts[/{workoutId}]`` and ``GET/POST/PUT/DELETE /athlete/{id}/folders``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from app.intervals import errors as upstream
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.errors import ToolFailure, upstream_errors
from app.mcp.tools.writes import register_kind
from app.writes.changes import Fields, PlannedChange

WORKOUT_FIELDS = ("folder_id", "name", "description", "type")
FOLDER_FIELDS = ("name", "description", "type")
CLEARED: dict[str, Any] = {"description": "", "type": ""}


def body(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as an upstream body (None clears the field)."""
    return {k: CLEARED.get(k) if v is None else v for k, v in values.items()}


async def workout_values(ctx: AthleteContext, workout_id: int) -> dict[str, Any] | None:
    """The tracked fields of one of the athlete's library workouts (None: gone)."""
    async with upstream_errors(f"workout {workout_id}"):
        try:
            workout = await ctx.api.get_workout(workout_id)
        except upstream.NotFound:
            return None
    if workout.athlete_id is not None and workout.athlete_id != ctx.athlete_id:
        return None
    raw = workout.model_dump(mode="json")
    return {k: raw.get(k) for k in WORKOUT_FIELDS}


async def folder_values(ctx: AthleteContext, folder_id: int) -> dict[str, Any] | None:
    """The tracked fields of one of the athlete's folders, plus how many workouts it holds."""
    async with upstream_errors("your workout library"):
        folders = await ctx.api.list_folders()
    for folder in folders:
        if folder.id == folder_id and folder.athlete_id in (None, ctx.athlete_id):
            raw = folder.model_dump(mode="json")
            return {**{k: raw.get(k) for k in FOLDER_FIELDS}, "workouts": len(folder.children)}
    return None


class Workouts:
    """A library workout as an :class:`~app.mcp.tools.writes.ObjectKind` (key: its id)."""

    area = "LIBRARY"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields | None:
        values = await workout_values(ctx, int(key))
        return None if values is None else {f: values.get(f) for f in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        async with upstream_errors(f"workout {change.key or change.label}"):
            if change.after is None and change.key is not None:
                await ctx.api.delete_workout(int(change.key))
                return change
            if change.after is None:
                raise ToolFailure("A workout that was never created cannot be deleted.")
            if change.before is None:
                created = await ctx.api.create_workout(body(change.after))
                return dataclasses.replace(change, key=str(created.id))
            await ctx.api.update_workout(int(change.key or 0), body(change.after))
        return change


class Folders:
    """A library folder or plan as an :class:`~app.mcp.tools.writes.ObjectKind`."""

    area = "LIBRARY"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields | None:
        values = await folder_values(ctx, int(key))
        return None if values is None else {f: values.get(f) for f in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        async with upstream_errors(f"folder {change.key or change.label}"):
            if change.after is None and change.key is not None:
                current = await folder_values(ctx, int(change.key))
                if current and current["workouts"]:
                    raise ToolFailure(
                        f"Folder {change.key} now holds {current['workouts']} workouts; it is "
                        "not deleted (deleting a folder deletes its workouts)."
                    )
                await ctx.api.delete_folder(int(change.key))
                return change
            if change.after is None:
                raise ToolFailure("A folder that was never created cannot be deleted.")
            if change.before is None:
                created = await ctx.api.create_folder(body(change.after))
                return dataclasses.replace(change, key=str(created.id))
            await ctx.api.update_folder(int(change.key or 0), body(change.after))
        return change


WORKOUTS = register_kind("workout", Workouts())
FOLDERS = register_kind("folder", Folders())


def first_folder(fake: Any, athlete: str) -> int:
    """The athlete's first library folder in the fake (for examples)."""
    return int(min(fake.athletes[athlete].folders))


def first_library_workout(fake: Any, athlete: str) -> int:
    """The athlete's first library workout in the fake (for examples)."""
    return int(min(fake.athletes[athlete].workouts))
