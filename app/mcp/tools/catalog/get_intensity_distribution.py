"""``get_intensity_distribution``: time in zones by sport over a window, from two upstream
requests: the window's activities with their zone times (``GET /athlete/{id}/activities``,
intervals-api.md §2.2 and §4: ``icu_zone_times`` power, ``pace_zone_times``,
``icu_hr_zone_times``) and the athlete's zone models (``GET /athlete/{id}/sport-settings``,
§2.6). Each sport is shown in its own zones (power, else pace, else HR: the basis with the
most recorded time), all sports together in HR zones, each also in three zones with the
polarisation index. Formulas: app/analytics/zones.py, docs/analytics.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from app.analytics.zones import (
    ThreeZones,
    distribution_kind,
    easy_enough,
    polarisation_index,
    three_zones,
    total_zone_times,
)
from app.intervals.models import Activity, SportSettings
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.catalog.get_training_summary import is_strava, strava_note
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    WindowAnswer,
    duration,
    rounded,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_BACK = 27
MAX_WINDOW_DAYS = 366
READS = ("type", "icu_zone_times", "icu_hr_zone_times", "pace_zone_times", "source")
"""The :class:`Activity` attributes the distribution reads (:func:`zone_lists`, the sport, and
``source`` for the Strava imports), besides ``id`` and ``start_date_local``."""
FIELDS = upstream_fields(Activity, *READS)
Basis = Literal["power", "pace", "hr"]
PREFERENCE: tuple[Basis, ...] = ("power", "pace", "hr")


class Zone(Answer):
    """Time in one of the athlete's zones."""

    zone: str
    time_s: int
    pct: float | None = None


class ThreeZoneSplit(Answer):
    """Low / moderate / high share, the polarisation index and its class."""

    low_pct: float
    moderate_pct: float
    high_pct: float
    polarisation_index: float | None = None
    kind: str | None = None
    easy_enough: bool | None = None

    @classmethod
    def of(cls, zones: ThreeZones) -> ThreeZoneSplit | None:
        pct = zones.pct()
        if pct is None:
            return None
        return cls(
            low_pct=pct[0],
            moderate_pct=pct[1],
            high_pct=pct[2],
            polarisation_index=rounded(polarisation_index(zones), 2),
            kind=distribution_kind(zones),
            easy_enough=easy_enough(zones),
        )

    def part(self) -> str:
        pi = f", PI {self.polarisation_index:g}" if self.polarisation_index is not None else ""
        kind = f" ({self.kind}{pi})" if self.kind else ""
        shares = f"low {self.low_pct:g}% / moderate {self.moderate_pct:g}%"
        return f"{shares} / high {self.high_pct:g}%{kind}"


class SportDistribution(Answer):
    """One sport's activities in its own zones and in three zones."""

    sport: str
    basis: str
    activities: int
    time_s: int
    zones: list[Zone]
    three_zone: ThreeZoneSplit | None = None

    def line(self) -> str:
        zones = ", ".join(f"{z.zone} {z.pct:g}%" for z in self.zones if z.pct)
        split = f"; {self.three_zone.part()}" if self.three_zone else ""
        head = f"{self.sport} ({self.activities}, {duration(self.time_s)}, {self.basis} zones)"
        return f"{head}: {zones}{split}"


class IntensityDistribution(WindowAnswer):
    """All sports in three HR zones first (the easy-days answer), then each sport."""

    schema_note = (
        "count = activities with zone times; three zones: low = zones 1-2, moderate = 3-4, "
        "high = 5+; easy_enough: low >= 80%; PI per Treff 2019."
    )

    overall: ThreeZoneSplit | None = None
    sports: list[SportDistribution]
    note: str | None = None

    def text(self) -> str:
        head = f"intensity {self.oldest}..{self.newest} ({self.timezone})"
        if self.overall is None:
            lines = [f"{head}: no zone times in this window"]
        else:
            verdict = (
                "easy days easy enough"
                if self.overall.easy_enough
                else "under 80% low: easy days likely too hard"
            )
            lines = [f"{head}, all sports by HR: {self.overall.part()}; {verdict}"]
        lines += [s.line() for s in self.sports]
        return "\n".join(lines + ([self.note] if self.note else []))


def zone_lists(activity: Activity) -> dict[Basis, list[int | None]]:
    """The zone-time lists an activity carries, by basis."""
    found: dict[Basis, list[int | None]] = {}
    if any(z.secs for z in activity.icu_zone_times):
        found["power"] = [z.secs for z in activity.icu_zone_times]
    if any(activity.pace_zone_times):
        found["pace"] = list(activity.pace_zone_times)
    if any(activity.icu_hr_zone_times):
        found["hr"] = list(activity.icu_hr_zone_times)
    return found


def settings_for(sport: str, settings: Sequence[SportSettings]) -> SportSettings | None:
    return next((s for s in settings if sport in s.types), None)


def zone_names(basis: Basis, setting: SportSettings | None, count: int) -> list[str]:
    names: list[str] = []
    if setting is not None:
        names = {
            "power": setting.power_zone_names,
            "pace": setting.pace_zone_names,
            "hr": setting.hr_zone_names,
        }[basis]
    return [names[i] if i < len(names) else f"Z{i + 1}" for i in range(count)]


def zones_answer(secs: list[int], names: list[str]) -> list[Zone]:
    total = sum(secs)
    return [
        Zone(zone=name, time_s=s, pct=round(100 * s / total, 1) if total else None)
        for name, s in zip(names, secs, strict=True)
    ]


def sport_distribution(
    sport: str, activities: list[Activity], setting: SportSettings | None
) -> SportDistribution | None:
    lists = [zone_lists(a) for a in activities]
    totals = {b: total_zone_times(z[b] for z in lists if b in z) for b in PREFERENCE}
    best = max(PREFERENCE, key=lambda b: (sum(totals[b]), -PREFERENCE.index(b)))
    secs = totals[best]
    if sum(secs) == 0:
        return None
    return SportDistribution(
        sport=sport,
        basis=best,
        activities=sum(1 for z in lists if best in z),
        time_s=sum(secs),
        zones=zones_answer(secs, zone_names(best, setting, len(secs))),
        three_zone=ThreeZoneSplit.of(three_zones(secs)),
    )


@tool(
    title="Intensity distribution",
    toolset="analytics",
    example={"start_date": "2026-07-01", "end_date": "2026-07-28"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities and zones in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def get_intensity_distribution(
    ctx: AthleteContext, start_date: IsoDate = None, end_date: IsoDate = None
) -> IntensityDistribution:
    """Time in zones by sport (own and 3-zone), polarisation index, are easy days easy;
    default 4 weeks."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    async with upstream_errors("intensity distribution"):
        listed = await ctx.api.list_activities(
            window.oldest, window.last_second, fields=FIELDS, only_fields=True
        )
        settings = await ctx.api.list_sport_settings()
    inside = [a for a in listed if window.contains(a.start_date_local)]
    stubs = sum(1 for a in inside if is_strava(a))
    groups: dict[str, list[Activity]] = {}
    for a in inside:
        if not is_strava(a) and zone_lists(a):
            setting = settings_for(a.type or "Other", settings)
            name = setting.types[0] if setting and setting.types else a.type or "Other"
            groups.setdefault(name, []).append(a)
    sports = [
        d
        for name, acts in groups.items()
        if (d := sport_distribution(name, acts, settings_for(name, settings))) is not None
    ]
    sports.sort(key=lambda d: -d.time_s)
    counted = [a for acts in groups.values() for a in acts]
    hr = total_zone_times(zone_lists(a).get("hr", []) for a in counted)
    return IntensityDistribution(
        **IntensityDistribution.window_fields(window, str(ctx.timezone), len(counted)),
        overall=ThreeZoneSplit.of(three_zones(hr)),
        sports=sports,
        note=strava_note(stubs),
    )
