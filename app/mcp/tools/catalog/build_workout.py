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
from app.training.workouts import Block, BuiltWorkout, WorkoutError, build


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
        {
            "section": "warmup",
            "steps": [
                {"secs": 600, "target": {"unit": "%ftp", "value": 50, "to": 75}, "ramp": True}
            ],
        },
        {
            "repeat": 3,
            "steps": [
                {"label": "SST", "secs": 720, "target": {"unit": "%ftp", "value": 88, "to": 92}},
                {"secs": 300, "target": {"unit": "%ftp", "value": 55}},
            ],
        },
    ]
}


@tool(title="Build structured workout", toolset="library", example=EXAMPLE, open_world=False)
async def build_workout(
    ctx: AthleteContext,
    blocks: Annotated[list[Block], Field(min_length=1, max_length=30)],
    ftp: Annotated[
        int | None, Field(ge=50, le=700, json_schema_extra=optional_argument_schema)
    ] = None,
) -> BuiltWorkoutAnswer:
    """Intervals.icu workout text, duration and estimated load from blocks of steps (secs or
    meters; zones 1-7; ramp: value to `to`). Saves nothing; ftp converts w for the load."""
    try:
        return BuiltWorkoutAnswer.of(build([Block.model_validate(b) for b in blocks], ftp))
    except WorkoutError as refused:
        raise ToolFailure(f"Workout refused: {refused}.") from None
