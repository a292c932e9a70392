"""``set_wellness``: ``PUT /athlete/{id}/wellness/{date}`` (intervals-api.md §2.4) through the
write pipeline (app/mcp/tools/writes.py): preview, confirm, journal, undo.

Fields are named as ``get_wellness_data`` names them; the subjective scales are 1-4 with 1 the
good end (app/mcp/tools/scales.py), refused outside that range. Clearing a value upstream uses
``-1`` (numbers) or an empty string (comments).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from app.mcp.tools.dates import ISO_DATE_PATTERN, parse_day
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, tool, upstream_errors
from app.mcp.tools.schema import (
    JsonSchema,
    checked_not_published,
    optional_argument_schema,
    whole_number_choices,
)
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set, register_kind, submit
from app.writes.changes import Fields, PlannedChange


def identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class WellnessField:
    """A tool-facing wellness field and its upstream name and units."""

    upstream: str
    to_upstream: Callable[[Any], Any] = identity
    from_upstream: Callable[[Any], Any] = identity


def hours_from_seconds(seconds: Any) -> Any:
    return None if seconds is None else round(seconds / 3600, 2)


FIELDS: dict[str, WellnessField] = {
    "weight_kg": WellnessField("weight"),
    "resting_hr_bpm": WellnessField("restingHR"),
    "hrv_rmssd_ms": WellnessField("hrv"),
    "sleep_hours": WellnessField("sleepSecs", lambda h: round(h * 3600), hours_from_seconds),
    "sleep_quality": WellnessField("sleepQuality"),
    "soreness": WellnessField("soreness"),
    "fatigue": WellnessField("fatigue"),
    "stress": WellnessField("stress"),
    "mood": WellnessField("mood"),
    "motivation": WellnessField("motivation"),
    "injury": WellnessField("injury"),
    "comments": WellnessField("comments"),
}


def cleared(name: str) -> Any:
    """The upstream value that clears ``name`` (``-1`` for numbers, ``""`` for text)."""
    return "" if name == "comments" else -1


class WellnessDays:
    """The wellness day as an :class:`~app.mcp.tools.writes.ObjectKind` (key: the local date)."""

    area = "WELLNESS"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields:
        async with upstream_errors(f"wellness for {key}"):
            record = await ctx.api.get_wellness(key)
        raw = record.model_dump(mode="json", by_alias=True)
        return {n: FIELDS[n].from_upstream(raw.get(FIELDS[n].upstream)) for n in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        body = {
            FIELDS[n].upstream: cleared(n) if v is None else FIELDS[n].to_upstream(v)
            for n, v in (change.after or {}).items()
        }
        async with upstream_errors(f"wellness for {change.key}"):
            await ctx.api.update_wellness(str(change.key), body)
        return change


WELLNESS = register_kind("wellness", WellnessDays())


def bounded(low: float, high: float) -> Any:
    return Field(ge=low, le=high, json_schema_extra=optional_argument_schema)


def bounded_unpublished(low: float, high: float) -> Any:
    """A range pydantic checks but the schema leaves out (see checked_not_published)."""
    return Field(ge=low, le=high, json_schema_extra=checked_not_published)


def date_schema(schema: JsonSchema) -> None:
    """A required local day, published as ``"format": "date"`` (parse_day refuses 2026-02-30)."""
    schema.pop("pattern", None)
    schema["format"] = "date"


Kg = Annotated[float | None, bounded_unpublished(20, 300)]
Bpm = Annotated[int | None, bounded(20, 200)]
Ms = Annotated[float | None, bounded_unpublished(1, 500)]
Hours = Annotated[float | None, bounded_unpublished(0, 24)]
Scale4 = Annotated[
    int | None,
    Field(ge=1, le=4, json_schema_extra=whole_number_choices),
]
Comments = Annotated[str | None, Field(max_length=2000, json_schema_extra=checked_not_published)]


@tool(
    title="Set wellness",
    toolset="wellness",
    scope=WRITE,
    example={"day": "2026-07-28", "weight_kg": 70.5, "mood": 2},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Overwrites a day's wellness values in Intervals.icu (old values journaled for undo); the"
        " same values again change nothing."
    ),
)
async def set_wellness(
    ctx: AthleteContext,
    day: Annotated[str, Field(pattern=ISO_DATE_PATTERN, json_schema_extra=date_schema)],
    weight_kg: Kg = None,
    resting_hr_bpm: Bpm = None,
    hrv_rmssd_ms: Ms = None,
    sleep_hours: Hours = None,
    sleep_quality: Scale4 = None,
    soreness: Scale4 = None,
    fatigue: Scale4 = None,
    stress: Scale4 = None,
    mood: Scale4 = None,
    motivation: Scale4 = None,
    injury: Scale4 = None,
    comments: Comments = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Set a day's wellness; 1 is best (motivation 1 extreme, injury 1 none).
    Previews; applies with confirm."""
    wanted = only_set(
        {
            "weight_kg": weight_kg,
            "resting_hr_bpm": resting_hr_bpm,
            "hrv_rmssd_ms": hrv_rmssd_ms,
            "sleep_hours": sleep_hours,
            "sleep_quality": sleep_quality,
            "soreness": soreness,
            "fatigue": fatigue,
            "stress": stress,
            "mood": mood,
            "motivation": motivation,
            "injury": injury,
            "comments": comments,
        }
    )
    if not wanted:
        raise ToolFailure("Give at least one wellness value to set.")
    key = parse_day(day, "day").isoformat()
    before = await WELLNESS.read(ctx, key, list(wanted))
    change = PlannedChange("wellness", key, f"wellness {key}", before, wanted)
    return await submit(ctx, [change], confirm)
