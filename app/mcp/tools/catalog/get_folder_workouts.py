"""``get_folder_workouts``: the workouts of one library folder or plan, from
``GET /athlete/{id}/folders`` (each folder carries its workouts as ``children``; intervals-api.md
§2.6). Plan workouts are in plan-day order (``day`` counted from the plan's start)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog._library import WorkoutSummary, first_folder
from app.mcp.tools.errors import not_found
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors

PAGE = 150
"""Workouts per answer (about 20k characters with the structured copy); more by ``offset``."""


class FolderWorkouts(Answer):
    """One folder's or plan's workouts."""

    schema_note = (
        "plan_day counts from the plan's start; ids work in get_workout; next_offset: "
        "more workouts follow (call again with offset)."
    )

    folder_id: int
    type: str | None = None
    name: str | None = None
    count: int
    offset: int | None = None
    next_offset: int | None = None
    workouts: list[WorkoutSummary]

    def text(self) -> str:
        head = f"{self.count} workouts in {self.type or 'FOLDER'} {self.name or ''} "
        head = head.replace("  ", " ") + f"[{self.folder_id}]"
        if self.offset or self.next_offset:
            first = (self.offset or 0) + 1
            head += f"; {first}-{(self.offset or 0) + len(self.workouts)} shown"
        if self.next_offset:
            head += f", the rest from offset={self.next_offset}"
        return "\n".join([head, *(w.line() for w in self.workouts)])


@tool(
    title="Workouts in a folder",
    toolset="library",
    example=lambda fake, athlete: {"folder_id": first_folder(fake, athlete)},
    owned={"folder_id": "folder"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the workout library in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_folder_workouts(
    ctx: AthleteContext,
    folder_id: Annotated[int, Field(ge=1)],
    offset: Annotated[int, Field(ge=0)] = 0,
) -> FolderWorkouts:
    """Workouts of one library folder or plan: name, sport, duration, load."""
    what = f"folder {folder_id}"
    async with upstream_errors("your workout library"):
        folders = await ctx.api.list_folders()
    folder = next((f for f in folders if f.id == folder_id), None)
    if folder is None:
        raise not_found(what)
    ctx.owned(folder.athlete_id, what)
    children = sorted(
        folder.children, key=lambda w: (w.day is None, w.day or 0, w.name or "", w.id)
    )
    page = children[offset : offset + PAGE]
    following = offset + PAGE if offset + PAGE < len(children) else None
    return FolderWorkouts(
        folder_id=folder.id,
        type=folder.type,
        name=folder.name,
        count=len(children),
        offset=offset or None,
        next_offset=following,
        workouts=[WorkoutSummary.from_upstream(w) for w in page],
    )
