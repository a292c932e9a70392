"""``get_sport_settings``: the sport settings inside ``GET /athlete/{id}`` (intervals-api.md
§2.1, ``SportSettings``): per group of sports the thresholds (FTP, indoor FTP, eFTP from the
power model, W', LTHR, max HR, threshold pace), the athlete's weight, and the power, heart-rate
and pace zones with their names and bounds.

How upstream defines the zones: ``power_zones`` are the tops of each zone in % of FTP,
``hr_zones`` the tops in bpm, ``pace_zones`` the tops in % of threshold pace (as speed: more
is faster). Each list ends with the open top (``999``). One request answers every sport."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.intervals.models import SportSettings
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    ToolFailure,
    join,
    rounded,
    tool,
    upstream_errors,
    with_unit,
)
from app.mcp.tools.schema import checked_not_published
from app.mcp.tools.units import PaceUnits

OPEN_TOP = 999
"""Upstream's top of the last zone (no upper bound)."""


class Zone(Answer):
    """One zone: name, % bounds as upstream defines them, and absolute bounds."""

    name: str
    from_pct: float | None = None
    to_pct: float | None = None
    bounds: str | None = None

    def line(self) -> str:
        pct = _span(self.from_pct, self.to_pct, "%")
        return join([self.name, pct, self.bounds])


class SportZones(Answer):
    """One sport group's thresholds and zones."""

    types: list[str]
    ftp_w: int | None = None
    indoor_ftp_w: int | None = None
    eftp_w: int | None = None
    w_prime_j: int | None = None
    lthr_bpm: int | None = None
    max_hr_bpm: int | None = None
    threshold_pace: str | None = None
    power_zones_pct_of: str | None = None
    power_zones: list[Zone] | None = None
    hr_zones_pct_of: str | None = None
    hr_zones: list[Zone] | None = None
    pace_zones_pct_of: str | None = None
    pace_zones: list[Zone] | None = None

    def lines(self) -> list[str]:
        head = join(
            [
                with_unit("ftp_w", self.ftp_w, "FTP"),
                with_unit("indoor_ftp_w", self.indoor_ftp_w, "indoor FTP"),
                with_unit("eftp_w", self.eftp_w, "eFTP"),
                f"W' {self.w_prime_j} J" if self.w_prime_j else None,
                with_unit("lthr_bpm", self.lthr_bpm, "LTHR"),
                with_unit("max_hr_bpm", self.max_hr_bpm, "max HR"),
                f"{self.threshold_pace} threshold pace" if self.threshold_pace else None,
            ]
        )
        out = [f"{'/'.join(self.types) or 'sport'}: {head or 'no thresholds set'}"]
        for kind, of, zones in (
            ("power", self.power_zones_pct_of, self.power_zones),
            ("HR", self.hr_zones_pct_of, self.hr_zones),
            ("pace", self.pace_zones_pct_of, self.pace_zones),
        ):
            if zones:
                label = f"{kind} zones (% of {of})" if of else f"{kind} zones"
                out.append(f"  {label}: " + "; ".join(z.line() for z in zones))
        return out


class SportSettingsAnswer(Answer):
    """Thresholds and zones per sport, and the athlete's weight."""

    schema_note = (
        "Zones: from_pct..to_pct as upstream defines them (power % FTP, HR % LTHR, pace % "
        "threshold pace as speed), bounds absolute; pace in the athlete's units."
    )

    weight_kg: float | None = None
    sports: list[SportZones]

    def text(self) -> str:
        head = with_unit("weight_kg", self.weight_kg, "weight") or "weight not set"
        if not self.sports:
            return f"{head}; no sport settings"
        return "\n".join([head, *(line for s in self.sports for line in s.lines())])


def _span(low: float | None, high: float | None, unit: str) -> str | None:
    """``55-75%``, ``>150%``, ``<55%``."""
    if low is None and high is None:
        return None
    if not low:
        return f"<{_num(high)}{unit}"
    if high is None:
        return f">{_num(low)}{unit}"
    return f"{_num(low)}-{_num(high)}{unit}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _tops(tops: list[float]) -> list[tuple[float | None, float | None]]:
    """Zone tops -> (bottom, top) pairs; the first starts at 0, the last (999) is open."""
    pairs: list[tuple[float | None, float | None]] = []
    bottom: float | None = 0
    for top in tops:
        pairs.append((bottom, None if top >= OPEN_TOP else top))
        bottom = top
    return pairs


def _names(names: list[str], count: int) -> list[str]:
    return [
        f"Z{i + 1} {names[i]}" if i < len(names) and names[i] else f"Z{i + 1}" for i in range(count)
    ]


def power_zones(sport: SportSettings) -> list[Zone] | None:
    """Power zones: tops in % of FTP; watts from the FTP."""
    if not sport.power_zones:
        return None
    names = _names(sport.power_zone_names, len(sport.power_zones))
    zones = []
    for name, (low, high) in zip(names, _tops(sport.power_zones), strict=True):
        watts = None
        if sport.ftp:
            w_low = None if low is None else round(sport.ftp * low / 100)
            w_high = None if high is None else round(sport.ftp * high / 100)
            watts = _span(w_low, w_high, " W")
        zones.append(Zone(name=name, from_pct=low, to_pct=high, bounds=watts))
    return zones


def hr_zones(sport: SportSettings) -> list[Zone] | None:
    """Heart-rate zones: tops in bpm (the last is max HR); % of LTHR alongside."""
    if not sport.hr_zones:
        return None
    names = _names(sport.hr_zone_names, len(sport.hr_zones))
    zones = []
    for name, (low, high) in zip(names, _tops([float(z) for z in sport.hr_zones]), strict=True):
        pct_low = pct_high = None
        if sport.lthr:
            pct_low = None if low is None else rounded(low / sport.lthr * 100, 0)
            pct_high = None if high is None else rounded(high / sport.lthr * 100, 0)
        bpm = _span(
            None if low is None else round(low), None if high is None else round(high), " bpm"
        )
        zones.append(Zone(name=name, from_pct=pct_low, to_pct=pct_high, bounds=bpm))
    return zones


def pace_zones(sport: SportSettings, units: PaceUnits) -> list[Zone] | None:
    """Pace zones: tops in % of threshold pace as speed (higher is faster); absolute paces
    from the threshold pace, slow bound first."""
    if not sport.pace_zones:
        return None
    first = sport.types[0] if sport.types else None
    names = _names(sport.pace_zone_names, len(sport.pace_zones))
    zones = []
    for name, (low, high) in zip(names, _tops(sport.pace_zones), strict=True):
        bounds = None
        if sport.threshold_pace:
            slow = units.pace(first, sport.threshold_pace * low / 100) if low else None
            fast = None if high is None else units.pace(first, sport.threshold_pace * high / 100)
            if slow and fast:
                bounds = f"{slow.split(' ')[0]}-{fast}"
            elif fast:
                bounds = f"slower than {fast}"
            elif slow:
                bounds = f"faster than {slow}"
        zones.append(Zone(name=name, from_pct=low, to_pct=high, bounds=bounds))
    return zones


def sport_zones(sport: SportSettings, units: PaceUnits) -> SportZones:
    first = sport.types[0] if sport.types else None
    power = power_zones(sport)
    hr = hr_zones(sport)
    pace = pace_zones(sport, units)
    return SportZones(
        types=sport.types,
        ftp_w=sport.ftp,
        indoor_ftp_w=sport.indoor_ftp if sport.indoor_ftp != sport.ftp else None,
        eftp_w=sport.eftp,
        w_prime_j=sport.w_prime,
        lthr_bpm=sport.lthr,
        max_hr_bpm=sport.max_hr,
        threshold_pace=units.pace(first, sport.threshold_pace),
        power_zones_pct_of="FTP" if power else None,
        power_zones=power,
        hr_zones_pct_of="LTHR" if hr and sport.lthr else None,
        hr_zones=hr,
        pace_zones_pct_of="threshold pace" if pace else None,
        pace_zones=pace,
    )


@tool(
    title="Sport settings",
    toolset="settings",
    example={"sport": "Ride"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads sport settings in the athlete's own Intervals.icu account; changes nothing there "
        "or anywhere public."
    ),
)
async def get_sport_settings(
    ctx: AthleteContext,
    sport: Annotated[
        str | None,
        Field(
            max_length=40,
            description="e.g. Ride, Run, Swim",
            json_schema_extra=checked_not_published,
        ),
    ] = None,
) -> SportSettingsAnswer:
    """Per sport: FTP, eFTP, LTHR, max HR, threshold pace, weight; power, HR and pace zones with
    bounds."""
    async with upstream_errors("your sport settings"):
        athlete = await ctx.api.get_athlete()
    ctx.owned(athlete.id, "athlete profile")
    units = PaceUnits.from_profile(
        athlete.measurement_preference,
        [(s.types, s.pace_units) for s in athlete.sport_settings],
    )
    chosen = athlete.sport_settings
    if sport is not None:
        wanted = sport.strip().lower()
        chosen = [s for s in chosen if wanted in (t.lower() for t in s.types)]
        if not chosen:
            known = ", ".join(t for s in athlete.sport_settings for t in s.types[:1])
            raise ToolFailure(f"No sport settings for {sport}; yours: {known or 'none'}.")
    return SportSettingsAnswer(
        weight_kg=athlete.icu_weight or athlete.weight,
        sports=[sport_zones(s, units) for s in chosen],
    )
