"""``get_athlete_profile``: ``GET /athlete/{id}`` (intervals-api.md §2.1): the acting athlete's
profile and, per sport, the thresholds that percentages and zones refer to. The athlete's own
API key, which upstream includes, is dropped while parsing (app/intervals/models.py)."""

from __future__ import annotations

from app.intervals.models import Athlete, SportSettings
from app.mcp.tools.kit import Answer, AthleteContext, join, tool, upstream_errors, with_unit
from app.mcp.tools.units import PaceUnits


class SportThresholds(Answer):
    """One sport's settings: FTP, heart-rate thresholds, threshold pace."""

    types: list[str]
    ftp_w: int | None = None
    lthr_bpm: int | None = None
    max_hr_bpm: int | None = None
    threshold_pace: str | None = None

    @classmethod
    def from_upstream(cls, sport: SportSettings, pace: PaceUnits) -> SportThresholds:
        first = sport.types[0] if sport.types else None
        return cls(
            types=sport.types,
            ftp_w=sport.ftp,
            lthr_bpm=sport.lthr,
            max_hr_bpm=sport.max_hr,
            threshold_pace=pace.pace(first, sport.threshold_pace),
        )

    def line(self) -> str:
        parts = [
            with_unit("ftp_w", self.ftp_w, "FTP"),
            with_unit("lthr_bpm", self.lthr_bpm, "LTHR"),
            with_unit("max_hr_bpm", self.max_hr_bpm, "max"),
            f"{self.threshold_pace} threshold" if self.threshold_pace else None,
        ]
        return f"{'/'.join(self.types) or 'sport'}: {join(parts) or 'no thresholds set'}"


class AthleteProfile(Answer):
    """The athlete's profile and per-sport thresholds."""

    schema_note = "threshold_pace in the athlete's own units."

    id: str
    name: str | None = None
    timezone: str | None = None
    city: str | None = None
    country: str | None = None
    weight_kg: float | None = None
    resting_hr_bpm: int | None = None
    units: str | None = None
    sports: list[SportThresholds]

    @classmethod
    def from_upstream(cls, athlete: Athlete) -> AthleteProfile:
        pace = PaceUnits.from_profile(
            athlete.measurement_preference,
            [(s.types, s.pace_units) for s in athlete.sport_settings],
        )
        return cls(
            id=athlete.id,
            name=athlete.name,
            timezone=athlete.timezone,
            city=athlete.city,
            country=athlete.country,
            weight_kg=athlete.icu_weight or athlete.weight,
            resting_hr_bpm=athlete.icu_resting_hr,
            units=athlete.measurement_preference,
            sports=[SportThresholds.from_upstream(s, pace) for s in athlete.sport_settings],
        )

    def text(self) -> str:
        place = ", ".join(p for p in (self.city, self.country) if p)
        head = join(
            [
                f"{self.name or 'Athlete'} [{self.id}]",
                place,
                self.timezone,
                with_unit("weight_kg", self.weight_kg),
                with_unit("resting_hr_bpm", self.resting_hr_bpm, "rest"),
            ]
        )
        return "\n".join([head, *(s.line() for s in self.sports)])


@tool(
    title="Athlete profile",
    toolset="core",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the profile and sport settings in the athlete's own Intervals.icu account; changes"
        " nothing there or anywhere public."
    ),
)
async def get_athlete_profile(ctx: AthleteContext) -> AthleteProfile:
    """Your profile: name, timezone, weight, resting HR; per sport FTP, threshold HR and pace
    (zones: get_sport_settings)."""
    async with upstream_errors("your athlete profile"):
        athlete = await ctx.api.get_athlete()
    ctx.owned(athlete.id, "athlete profile")
    return AthleteProfile.from_upstream(athlete)
