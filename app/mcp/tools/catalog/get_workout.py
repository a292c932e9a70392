"""``get_workout``: ``GET /athlete/{id}/workouts/{workoutId}`` (intervals-api.md §2.6 and
§4.5): one library workout with its structure from ``workout_doc`` (steps, repeats, durations,
targets with what their percentages are of), refused unless it belongs to the acting athlete."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.catalog._event import percent_targets
from app.mcp.tools.catalog._library import (
    Step,
    Thresholds,
    WorkoutSummary,
    first_library_workout,
    notes,
)
from app.mcp.tools.kit import AthleteContext, tool, upstream_errors, whole


class WorkoutDetail(WorkoutSummary):
    """A library workout with its steps."""

    schema_note = (
        "targets: what the % are of; steps: duration_s or distance_m and a target (% of FTP, "
        "LTHR or threshold pace; absolute when the workout carries the threshold); notes: "
        "workout text that is not a step."
    )

    folder_id: int | None = None
    targets: str | None = None
    ftp_w: int | None = None
    steps: list[Step] | None = None
    notes: str | None = None
    workout_text: str | None = None

    def text(self) -> str:
        lines = [self.line()]
        if self.targets and not self.steps:
            lines.append(f"targets {self.targets}")
        if self.steps:
            lines += [line for step in self.steps for line in step.lines()]
        elif self.workout_text:
            lines.append(self.workout_text)
        if self.notes:
            lines.append(f"notes: {self.notes}")
        return "\n".join(lines)


@tool(
    title="Library workout",
    toolset="library",
    example=lambda fake, athlete: {"workout_id": first_library_workout(fake, athlete)},
    owned={"workout_id": "workout"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one library workout in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_workout(
    ctx: AthleteContext,
    workout_id: Annotated[int, Field(ge=1)],
) -> WorkoutDetail:
    """A library workout's steps: durations, targets and what the % are of."""
    what = f"workout {workout_id}"
    async with upstream_errors(what):
        workout = await ctx.api.get_workout(workout_id)
    ctx.owned(workout.athlete_id, what)
    doc = workout.workout_doc or {}
    ref = Thresholds.from_doc(doc, workout.type)
    raw_steps = doc.get("steps")
    steps = (
        [Step.from_doc(s, ref) for s in (raw_steps or []) if isinstance(s, dict)]
        if isinstance(raw_steps, list)
        else []
    )
    return WorkoutDetail.model_validate(
        WorkoutSummary.summary_fields(workout)
        | {
            "folder_id": workout.folder_id,
            "targets": percent_targets(workout.description, workout.type, workout.target),
            "ftp_w": whole(ref.ftp),
            "steps": steps or None,
            "notes": notes(workout.description) if steps else None,
            "workout_text": None if steps else (workout.description or None),
        }
    )
