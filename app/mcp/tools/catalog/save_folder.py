"""``save_folder``: create (``POST /athlete/{id}/folders``) or update (``PUT
/athlete/{id}/folders/{folderId}``) a library folder or plan through the write pipeline."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.mcp.tools.catalog._calendar import Name
from app.mcp.tools.catalog._library_writes import FOLDERS, first_folder
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, optional_argument_schema, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set, submit
from app.writes.changes import PlannedChange

FolderId = Annotated[int | None, Field(ge=1, json_schema_extra=optional_argument_schema)]
Kind = Annotated[
    Literal["FOLDER", "PLAN"] | None, Field(json_schema_extra=optional_argument_schema)
]
About = Annotated[str | None, Field(max_length=2000, json_schema_extra=optional_argument_schema)]


@tool(
    title="Save library folder",
    toolset="library",
    scope=WRITE,
    example=lambda fake, athlete: {
        "folder_id": first_folder(fake, athlete),
        "description": "Key sessions of the winter block",
    },
    owned={"folder_id": "folder"},
    read_only=False,
    destructive=True,
    idempotent=False,
    open_world=True,
    hints_because=(
        "Creates a library folder or plan in Intervals.icu, or overwrites an existing one's name "
        "and description; each create adds one more."
    ),
)
async def save_folder(
    ctx: AthleteContext,
    folder_id: FolderId = None,
    name: Name = None,
    description: About = None,
    type: Kind = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Create a library folder or plan (name) or rename/describe one (folder_id). Previews;
    applies with confirm."""
    wanted = only_set({"name": name, "description": description, "type": type})
    if folder_id is None:
        if name is None:
            raise ToolFailure("A new folder needs a name (or give folder_id to update one).")
        change = PlannedChange("folder", None, f"new folder {name!r}", None, wanted)
        return await submit(ctx, [change], confirm)
    if not wanted:
        raise ToolFailure("Give at least one of name, description or type.")
    current = await FOLDERS.read(ctx, str(folder_id), list(wanted))
    if current is None:
        raise ToolFailure(f"No folder {folder_id} found in your library.")
    change = PlannedChange("folder", str(folder_id), f"folder {folder_id}", current, wanted)
    return await submit(ctx, [change], confirm)
