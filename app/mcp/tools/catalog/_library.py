"""Workout library shapes shared by the library and plan tools (``Folder``, ``Workout``,
``workout_doc``; intervals-api.md §2.6 and §4.5)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.intervals.models import Folder, Workout
from app.mcp.tools.kit import Answer, join, rounded, whole, with_unit
from app.mcp.tools.units import RUN_PACE_UNITS, SWIM_PACE_UNITS, PaceUnits

DESCRIPTION_CHARS = 160
STEP_LINE = re.compile(r"^\s*(?:-|\d+x\s*$)")
TARGET_UNITS = {
    "%ftp": "% FTP",
    "w": " W",
    "%lthr": "% LTHR",
    "%hr": "% max HR",
    "hr": " bpm",
    "%pace": "% threshold pace",
    "%mmp": "% MMP",
    "rpm": " rpm",
}
TARGET_KEYS = ("power", "hr", "pace", "cadence")


def short(text: str | None, limit: int = DESCRIPTION_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters with an ellipsis (the full text is on request)."""
    if not text:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plan_day(day: int | None) -> str | None:
    """A plan workout's ``day`` (0 = the plan's first day) as ``week 2 day 3``."""
    if day is None:
        return None
    week, weekday = divmod(day, 7)
    return f"week {week + 1} day {weekday + 1}"


def folder_workouts(folder: Folder) -> int:
    """How many workouts a folder holds (upstream's count, else its children)."""
    return folder.num_workouts if folder.num_workouts is not None else len(folder.children)


def first_folder(fake: Any, athlete: str) -> int:
    """The athlete's first library folder in the fake (for examples)."""
    return int(min(fake.athletes[athlete].folders))


def first_library_workout(fake: Any, athlete: str) -> int:
    """The athlete's first library workout in the fake (for examples)."""
    return int(min(fake.athletes[athlete].workouts))


class WorkoutSummary(Answer):
    """A library workout: name, sport, planned time, distance and load."""

    id: int
    name: str | None = None
    type: str | None = None
    plan_day: str | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    training_load: int | None = None
    intensity_pct: float | None = None
    indoor: bool | None = None
    tags: list[str] | None = None

    @classmethod
    def summary_fields(cls, workout: Workout) -> dict[str, object]:
        return {
            "id": workout.id,
            "name": workout.name,
            "type": workout.type,
            "plan_day": plan_day(workout.day),
            "moving_time_s": workout.moving_time or None,
            "distance_m": rounded(workout.distance) or None,
            "training_load": whole(workout.icu_training_load),
            "intensity_pct": rounded(workout.icu_intensity),
            "indoor": workout.indoor or None,
            "tags": workout.tags or None,
        }

    @classmethod
    def from_upstream(cls, workout: Workout) -> WorkoutSummary:
        return cls.model_validate(cls.summary_fields(workout))

    def line(self) -> str:
        head = join([self.plan_day, self.type, self.name]).replace(", ", " ", 2)
        body = join(
            [
                with_unit("moving_time_s", self.moving_time_s),
                with_unit("distance_m", self.distance_m),
                with_unit("training_load", self.training_load, "load"),
                with_unit("intensity_pct", self.intensity_pct, "intensity"),
                "indoor" if self.indoor else None,
                "tags " + " ".join(self.tags) if self.tags else None,
            ]
        )
        return f"{head} [{self.id}]" + (f": {body}" if body else "")


def _value(target: dict[str, Any]) -> str | None:
    """``{"start": 88, "end": 92}`` -> ``88-92``; ``{"value": 95}`` -> ``95``."""
    start, end, value = target.get("start"), target.get("end"), target.get("value")
    if start is not None and end is not None:
        return f"{start:g}-{end:g}" if isinstance(start, float | int) else None
    if isinstance(value, float | int):
        return f"{value:g}"
    return None


@dataclass(frozen=True)
class Thresholds:
    """The thresholds a workout's percentages resolve against, when its ``workout_doc``
    carries them (doc-level ``ftp`` W, ``lthr`` bpm, ``threshold_pace`` m/s with
    ``pace_units``; intervals-api.md §4.5)."""

    ftp: float | None = None
    lthr: float | None = None
    threshold_pace: float | None = None
    sport: str | None = None
    units: PaceUnits = field(default_factory=PaceUnits)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], sport: str | None) -> Thresholds:
        def number(key: str) -> float | None:
            value = doc.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                return None
            return float(value)

        units = str(doc.get("pace_units") or "")
        pace = PaceUnits(
            run=units if units in RUN_PACE_UNITS else PaceUnits.run,
            swim=units if units in SWIM_PACE_UNITS else PaceUnits.swim,
        )
        return cls(number("ftp"), number("lthr"), number("threshold_pace"), sport, pace)

    def absolute(self, units: str, percents: list[float]) -> str | None:
        """``88-92`` % of FTP as ``(232-243 W)``, of LTHR as bpm, of threshold pace as pace."""
        if units == "%ftp" and self.ftp:
            return "-".join(str(round(self.ftp * p / 100)) for p in percents) + " W"
        if units == "%lthr" and self.lthr:
            return "-".join(str(round(self.lthr * p / 100)) for p in percents) + " bpm"
        if units == "%pace" and self.threshold_pace:
            paces = [self.units.pace(self.sport, self.threshold_pace * p / 100) for p in percents]
            if all(paces):
                suffix = str(paces[-1]).split(" ")[1]
                return "-".join(str(p).split(" ")[0] for p in paces) + f" {suffix}"
        return None


def step_target(step: dict[str, Any], ref: Thresholds) -> str | None:
    """A step's targets with what they are of: ``88-92% FTP (232-243 W)``, ``80% threshold
    pace (5:10 /km)``, ``90 rpm`` (units per the workout syntax: ``%ftp``, ``w``, ``%lthr``,
    ``%hr``, ``%pace``, ``rpm``); absolute values when the workout carries the threshold."""
    parts = []
    for key in TARGET_KEYS:
        target = step.get(key)
        if not isinstance(target, dict):
            continue
        value = _value(target)
        if value is None:
            continue
        units = str(target.get("units") or "")
        text = value + TARGET_UNITS.get(units, f" {units}".rstrip())
        absolute = ref.absolute(units, [float(v) for v in value.split("-")])
        parts.append(f"{text} ({absolute})" if absolute else text)
    return ", ".join(parts) or None


class StepPart(Answer):
    """One step inside a repeat: label, duration or distance, target."""

    label: str | None = None
    duration_s: int | None = None
    distance_m: float | None = None
    target: str | None = None
    ramp: bool | None = None

    @classmethod
    def step_fields(cls, step: dict[str, Any], ref: Thresholds) -> dict[str, Any]:
        return {
            "label": step.get("text") or None,
            "duration_s": whole(step.get("duration")) or None,
            "distance_m": rounded(step.get("distance")) or None,
            "target": step_target(step, ref),
            "ramp": True if step.get("ramp") else None,
        }

    def line(self, indent: str) -> str:
        size = with_unit("duration_s", self.duration_s) or with_unit("distance_m", self.distance_m)
        target = ("ramp " if self.ramp else "") + (self.target or "")
        return f"{indent}- {join([self.label, size, target or None])}"


class Step(StepPart):
    """One step of a workout; a repeat (``reps``) holds its steps (Intervals.icu repeats
    do not nest)."""

    reps: int | None = None
    steps: list[StepPart] | None = None

    @classmethod
    def from_doc(cls, step: dict[str, Any], ref: Thresholds) -> Step:
        inner = step.get("steps")
        reps = step.get("reps")
        parts = (
            [StepPart(**StepPart.step_fields(s, ref)) for s in inner if isinstance(s, dict)]
            if isinstance(inner, list)
            else []
        )
        fields = StepPart.step_fields(step, ref)
        if parts:
            fields["label"] = None if fields["label"] == f"{reps}x" else fields["label"]
        return cls(
            **fields,
            reps=int(reps) if isinstance(reps, int) and parts else None,
            steps=parts or None,
        )

    def lines(self) -> list[str]:
        if not self.steps:
            return [self.line("")]
        head = join([f"{self.reps or 1}x", self.label, with_unit("duration_s", self.duration_s)])
        return [head, *(s.line("  ") for s in self.steps)]


def notes(description: str | None) -> str | None:
    """The lines of a workout text that are not steps (``- 10m 90%``) or repeats (``3x``)."""
    kept = [
        line.strip()
        for line in (description or "").splitlines()
        if line.strip() and not STEP_LINE.match(line)
    ]
    return "\n".join(kept) or None
