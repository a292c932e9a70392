"""``update_sport_settings``: ``PUT /athlete/{athleteId}/sport-settings/{id}`` (intervals-api.md
§2.7, ``{id}`` = the sport, e.g. ``Ride``) through the write pipeline: FTP, LTHR, max HR,
threshold pace. The most consequential write: its preview spells out old -> new, the change in
percent and what follows from it, and a change beyond the operator's percentage warns (or
refuses)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from app.mcp.tools.errors import upstream_errors
from app.mcp.tools.kit import WRITE, AthleteContext, ToolFailure, optional_argument_schema, tool
from app.mcp.tools.writes import Confirm, WriteAnswer, only_set, register_kind, submit
from app.training import guardrails as rules
from app.writes.changes import Fields, PlannedChange

FIELDS = {"ftp": "ftp", "lthr": "lthr", "max_hr": "max_hr", "threshold_pace_mps": "threshold_pace"}
LABELS = {
    "ftp": ("FTP", "W", "power zones and the load of power-based sessions"),
    "lthr": ("LTHR", "bpm", "heart-rate zones and HR-based load"),
    "max_hr": ("Max HR", "bpm", "heart-rate zones"),
    "threshold_pace_mps": ("Threshold pace", "m/s", "pace zones and pace-based load"),
}


class SportSettings:
    """One sport's settings as an :class:`~app.mcp.tools.writes.ObjectKind` (key: the sport)."""

    area = "SETTINGS"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields:
        async with upstream_errors(f"your {key} settings"):
            settings = await ctx.api.get_sport_settings(key)
        if settings.athlete_id is not None and settings.athlete_id != ctx.athlete_id:
            raise ToolFailure(f"No {key} sport settings found.")
        raw = settings.model_dump(mode="json")
        return {name: raw.get(FIELDS[name]) for name in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        if change.after is None or change.key is None:
            raise ToolFailure("Sport settings cannot be created or deleted by this gateway.")
        body: dict[str, Any] = {FIELDS[n]: -1 if v is None else v for n, v in change.after.items()}
        async with upstream_errors(f"your {change.key} settings"):
            await ctx.api.update_sport_settings(change.key, body)
        return change


SETTINGS = register_kind("sport_settings", SportSettings())
Threshold = Annotated[int | None, Field(ge=30, le=2500, json_schema_extra=optional_argument_schema)]
Pace = Annotated[
    float | None,
    Field(
        gt=0.3, le=12, description="m/s; 4.0 = 4:10/km", json_schema_extra=optional_argument_schema
    ),
]
Sport = Annotated[str, Field(pattern=r"^[A-Za-z]{2,30}$", description="Ride, Run, Swim...")]


def consequence(name: str, old: float | None, new: float) -> str:
    """``FTP 250 -> 280 W (+12.0%): power zones ... follow it.``"""
    title, unit, follows = LABELS[name]
    if old in (None, 0):
        return f"{title} set to {new:g} {unit} (none before): {follows} follow it."
    assert old is not None
    shown = f"{old:g} -> {new:g} {unit}"
    if name == "threshold_pace_mps":
        shown += f" ({per_km(old)} -> {per_km(new)} per km)"
    return f"{title} {shown} ({(new - old) / old * 100:+.1f}%): {follows} follow it."


def per_km(speed_mps: float) -> str:
    """A speed in m/s as ``m:ss`` per kilometre."""
    seconds = round(1000 / speed_mps)
    return f"{seconds // 60}:{seconds % 60:02d}"


@tool(
    title="Update sport thresholds",
    toolset="settings",
    scope=WRITE,
    example={"sport": "Ride", "ftp": 255},
    read_only=False,
    destructive=True,
    idempotent=True,
    open_world=True,
    hints_because=(
        "Overwrites a sport's thresholds in Intervals.icu, which re-zones its analyses (old "
        "values journaled); a repeat changes nothing."
    ),
)
async def update_sport_settings(
    ctx: AthleteContext,
    sport: Sport,
    ftp: Threshold = None,
    lthr: Threshold = None,
    max_hr: Threshold = None,
    threshold_pace_mps: Pace = None,
    confirm: Confirm = None,
) -> WriteAnswer:
    """Set a sport's FTP (W), LTHR, max HR (bpm) or threshold pace; the preview shows old ->
    new and what follows. Previews; applies with confirm."""
    wanted = only_set(
        {"ftp": ftp, "lthr": lthr, "max_hr": max_hr, "threshold_pace_mps": threshold_pace_mps}
    )
    if not wanted:
        raise ToolFailure("Give at least one of ftp, lthr, max_hr or threshold_pace_mps.")
    before = dict(await SETTINGS.read(ctx, sport, list(wanted)) or {})
    change = PlannedChange("sport_settings", sport, f"{sport} settings", before, wanted)
    notes = [consequence(n, before.get(n), v) for n, v in wanted.items() if before.get(n) != v]
    findings = [
        rules.threshold_change(LABELS[n][0], before.get(n), v, ctx.guardrails)
        for n, v in wanted.items()
    ]
    found = [f for f in findings if f is not None]
    refused = rules.refusal(found)
    if refused:
        raise ToolFailure(refused)
    return await submit(
        ctx, [change], confirm, extra_warnings=[*notes, *(f.message for f in found)]
    )
