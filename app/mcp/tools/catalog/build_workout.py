"""``build_workout``: a structured workout -> Intervals.icu workout text (no upstream call).

The text goes into ``description`` of ``POST /athlete/{id}/events`` or ``/workouts``
(intervals-api.md §2.5, §2.6); the rules and the load formula are in app/training/workouts.py.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    ToolFailure,
    duration,
    optional_argument_schema,
    tool,
)
from app.mcp.tools.schema import JsonSchema
from app.training.workouts import BuiltWorkout, WorkoutError, build, parse_block


def unpublished_sizes(schema: JsonSchema) -> None:
    """Publish ``blocks`` as an array of strings: the item and array sizes are checked, not
    printed (a longer list or block is refused as "blocks must be a array")."""
    for key in ("minItems", "maxItems"):
        schema.pop(key, None)
    schema["items"] = {"type": "string"}


class WorkoutStep(Answer):
    """One step as the preview lists it."""

    where: str
    line: str
    times: int


class BuiltWorkoutAnswer(Answer):
    """The workout text with its duration, distance, estimated load and steps."""

    schema_note = "load: hours*IF^2*100 over load_covers_s; IF: 4th-power mean of step IFs"

    workout_text: str
    total_s: int
    total_m: float | None = None
    load: int | None = None
    intensity_factor: float | None = None
    load_covers_s: int
    steps: list[WorkoutStep]

    @classmethod
    def of(cls, built: BuiltWorkout) -> BuiltWorkoutAnswer:
        return cls(
            workout_text=built.text,
            total_s=built.total_secs,
            total_m=built.total_meters or None,
            load=built.load,
            intensity_factor=built.intensity_factor,
            load_covers_s=built.estimated_secs,
            steps=[WorkoutStep(where=s.where, line=s.line, times=s.times) for s in built.steps],
        )

    def text(self) -> str:
        head = f"{duration(self.total_s)} timed"
        if self.total_m:
            head += f", {self.total_m:g} m by distance"
        if self.load is not None:
            covered = (
                ""
                if self.load_covers_s == self.total_s
                else f" (over {duration(self.load_covers_s)})"
            )
            head += f", load ~{self.load} IF {self.intensity_factor}{covered}"
        else:
            head += ", load unknown (no timed step of known intensity)"
        return head + "\n" + self.workout_text


EXAMPLE = {
    "blocks": [
        "warmup | 600s ramp 50-75 %ftp",
        "3x | SST: 720s 88-92 %ftp; 300s 55 %ftp",
    ]
}
GRAMMAR = (
    "[warmup|cooldown] [Nx] [label]|step;... step: [label:] 600s|400mtr [ramp] value[-to] "
    "unit [90rpm]; unit %ftp w %lthr %hrmax %pace s/km s/100m power_zone hr_zone pace_zone"
)
"""The compact grammar of a block (app/training/workouts.py ``parse_block``), published as the
description of ``blocks``: one string per block reads far shorter than nested objects."""


@tool(
    title="Build workout",
    toolset="library",
    example=EXAMPLE,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Computes workout text from its arguments alone; changes nothing, calls no outside system."
    ),
)
async def build_workout(
    ctx: AthleteContext,
    blocks: Annotated[
        list[Annotated[str, Field(max_length=2000)]],
        Field(
            min_length=1, max_length=30, description=GRAMMAR, json_schema_extra=unpublished_sizes
        ),
    ],
    ftp: Annotated[
        int | None, Field(ge=50, le=700, json_schema_extra=optional_argument_schema)
    ] = None,
) -> BuiltWorkoutAnswer:
    """Intervals.icu workout text, duration and load; saves nothing (ftp: for w)."""
    try:
        parsed = [parse_block(text, number) for number, text in enumerate(blocks, start=1)]
        return BuiltWorkoutAnswer.of(build(parsed, ftp))
    except WorkoutError as refused:
        raise ToolFailure(f"Workout refused: {refused}.") from None
