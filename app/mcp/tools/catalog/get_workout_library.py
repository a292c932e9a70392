"""``get_workout_library``: ``GET /athlete/{id}/folders`` (intervals-api.md §2.6): the folders
and plans of the athlete's workout library with how many workouts each holds. The workouts
themselves are one call away (``get_folder_workouts``). Folders another athlete shares with
this one are counted but not listed: every answer is about the acting athlete's own data."""

from __future__ import annotations

from app.intervals.models import Folder
from app.mcp.tools.catalog._library import folder_workouts, short
from app.mcp.tools.kit import Answer, AthleteContext, join, tool, upstream_errors


class LibraryFolder(Answer):
    """A folder (``FOLDER``) or training plan (``PLAN``) of the library."""

    id: int
    type: str | None = None
    name: str | None = None
    workouts: int
    duration_weeks: int | None = None
    description: str | None = None

    @classmethod
    def from_upstream(cls, folder: Folder) -> LibraryFolder:
        return cls(
            id=folder.id,
            type=folder.type,
            name=folder.name,
            workouts=folder_workouts(folder),
            duration_weeks=folder.duration_weeks,
            description=short(folder.description),
        )

    def line(self) -> str:
        weeks = f"{self.duration_weeks} weeks" if self.duration_weeks else None
        head = f"{self.type or 'FOLDER'} {self.name or ''} [{self.id}]".replace("  ", " ")
        line = f"{head}: {join([f'{self.workouts} workouts', weeks])}"
        return line + (f"\n  {self.description}" if self.description else "")


class WorkoutLibrary(Answer):
    """The library's folders and plans, in upstream order."""

    schema_note = "shared_left_out: folders other athletes share with you, not listed."

    count: int
    shared_left_out: int | None = None
    folders: list[LibraryFolder]

    def text(self) -> str:
        total = sum(f.workouts for f in self.folders)
        head = f"{self.count} folders/plans, {total} workouts"
        if self.shared_left_out:
            head += f"; {self.shared_left_out} shared by other athletes left out"
        return "\n".join([head, *(f.line() for f in self.folders)])


@tool(
    title="Workout library",
    toolset="library",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the workout library in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_workout_library(ctx: AthleteContext) -> WorkoutLibrary:
    """Folders and plans of your workout library, with workout counts."""
    async with upstream_errors("your workout library"):
        folders = await ctx.api.list_folders()
    own = [f for f in folders if f.athlete_id in (None, ctx.athlete_id)]
    return WorkoutLibrary(
        count=len(own),
        shared_left_out=(len(folders) - len(own)) or None,
        folders=[LibraryFolder.from_upstream(f) for f in own],
    )
