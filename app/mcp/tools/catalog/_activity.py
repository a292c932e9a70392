"""Activity shapes shared by the activity tools: summary and detail, intervals, and the
ownership-checked fetch of one activity (``GET /activity/{id}``, intervals-api.md §2.2)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import Field, TypeAdapter

from app.intervals.models import Activity, Interval, IntervalGroup
from app.mcp.tools.answers import unit_formatters
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    join,
    rounded,
    scaled,
    upstream_errors,
    whole,
    with_unit,
)
from app.mcp.tools.kit import Detail as Detail  # re-exported: tools import it from here
from app.mcp.tools.schema import checked_not_published
from app.mcp.tools.units import Formatter, PaceUnits, any_pace, has_pace

STUB_NOTE = "Imported from Strava: Intervals.icu does not share its details through the API."

ActivityId = Annotated[
    str, Field(pattern=r"^i?[0-9]{1,20}$", json_schema_extra=checked_not_published)
]
"""An activity id: published as a plain string (ids like ``i170317118`` explain themselves);
the pattern is checked, and a refusal quotes the example (app/mcp/tools/arguments.py)."""
ActivityIdShort = ActivityId
"""The same activity id (the name the tools near their size budget import)."""


A = TypeVar("A", bound=Answer)


@cache
def list_of(model: type[A]) -> TypeAdapter[list[A]]:
    """One validator for a whole list of ``model`` (built once per model)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


async def fetch_own_activity(
    ctx: AthleteContext, activity_id: str, *, intervals: bool = False
) -> Activity:
    """``GET /activity/{id}``, refused unless the activity belongs to the acting athlete."""
    what = f"activity {activity_id}"
    async with upstream_errors(what):
        activity = await ctx.api.get_activity(activity_id, intervals=intervals)
    ctx.owned(activity.icu_athlete_id, what)
    return activity


def latest_ride(fake: Any, athlete: str) -> str:
    """The athlete's most recent ride in the fake (it has intervals and power)."""
    rides = [
        a
        for a in fake.athletes[athlete].activities.values()
        if a.get("type") in ("Ride", "VirtualRide") and a.get("source") != "STRAVA"
    ]
    return str(max(rides, key=lambda a: a["start_date_local"])["id"])


async def pace_units_for(ctx: AthleteContext, sports: list[str | None]) -> PaceUnits | None:
    """The athlete's pace units when one of ``sports`` is read as pace (else no profile call)."""
    return await ctx.pace_units() if any_pace(sports) else None


def local_iso(activity: Activity) -> str:
    """The activity's local start as ISO 8601 without an offset (upstream's own form)."""
    start = activity.start_date_local
    return (start if start.tzinfo is None else start.replace(tzinfo=None)).isoformat()


SUMMARY_READS = (
    "name",
    "type",
    "distance",
    "moving_time",
    "total_elevation_gain",
    "icu_training_load",
    "average_heartrate",
    "icu_average_watts",
    "average_speed",
    "note",
)
"""The :class:`Activity` attributes :meth:`ActivitySummary.summary_fields` reads (besides
``id`` and ``start_date_local``, always sent); ``note`` is a Strava stub's ``_note``."""
DETAIL_READS = (
    *SUMMARY_READS,
    "elapsed_time",
    "max_heartrate",
    "average_cadence",
    "icu_weighted_avg_watts",
    "icu_ftp",
    "icu_intensity",
    "calories",
    "icu_ctl",
    "icu_atl",
    "icu_rpe",
    "feel",
    "trainer",
    "commute",
    "race",
    "source",
    "description",
    "tags",
    "interval_summary",
    "paired_event_id",
)
"""What :meth:`ActivityDetail.from_upstream` reads."""


SUMMARY_UNITS = (
    ("distance_m", ""),
    ("moving_time_s", ""),
    ("elevation_gain_m", "up"),
    ("training_load", "load"),
    ("avg_power_w", "avg"),
)
"""The number fields of an activity's line, in its order (the pace goes before the power)."""
SUMMARY_HEART_RATE = (("avg_hr_bpm", "avg"),)
DETAIL_UNITS = (
    ("normalized_power_w", "NP"),
    ("avg_hr_bpm", "avg"),
    ("max_hr_bpm", "max"),
    ("intensity_pct", "intensity"),
)
"""The number fields a detail's line adds after the summary's."""


_LINE_FORMATTERS: dict[type, tuple[object, tuple[tuple[str, Formatter], ...]]] = {}


def line_formatters(shape: type[ActivitySummary]) -> tuple[tuple[str, Formatter], ...]:
    """The formatters of ``shape.line_units`` (:func:`unit_formatters`), kept per class (and
    its ``line_units`` tuple): a class lookup instead of hashing the nested tuple on every
    line."""
    units = shape.line_units
    kept = _LINE_FORMATTERS.get(shape)
    if kept is None or kept[0] is not units:
        kept = _LINE_FORMATTERS[shape] = (units, unit_formatters(units))
    return kept[1]


class ActivitySummary(Answer):
    """One activity's summary fields."""

    schema_note = "avg_pace in the athlete's units (runs, swims); rpe, feel: see scales."
    line_units: ClassVar[tuple[tuple[str, str], ...]] = (*SUMMARY_UNITS, *SUMMARY_HEART_RATE)
    """The number fields of the line, formatted in one pass (:meth:`fields_text`):
    :data:`SUMMARY_UNITS`, then those a shape shows after them (here the heart rate)."""

    id: str
    start_date_local: str
    name: str | None = None
    type: str | None = None
    distance_m: float | None = None
    moving_time_s: int | None = None
    elevation_gain_m: float | None = None
    training_load: float | None = None
    avg_hr_bpm: int | None = None
    avg_power_w: int | None = None
    avg_pace: str | None = None
    note: str | None = None

    @classmethod
    def summary_fields(cls, activity: Activity, pace: PaceUnits | None) -> dict[str, object]:
        return {
            "id": activity.id,
            "start_date_local": local_iso(activity),
            "name": activity.name,
            "type": activity.type,
            "distance_m": rounded(activity.distance),
            "moving_time_s": activity.moving_time,
            "elevation_gain_m": rounded(activity.total_elevation_gain),
            "training_load": rounded(activity.icu_training_load),
            "avg_hr_bpm": whole(activity.average_heartrate),
            "avg_power_w": whole(activity.icu_average_watts),
            "avg_pace": pace.pace(activity.type, activity.average_speed) if pace else None,
            "note": STUB_NOTE if activity.is_stub else None,
        }

    @classmethod
    def answer_fields(cls, activity: Activity, pace: PaceUnits | None) -> dict[str, object]:
        """The answer's fields of ``activity`` (a detail adds its own)."""
        return cls.summary_fields(activity, pace)

    @classmethod
    def from_upstream(cls, activity: Activity, pace: PaceUnits | None) -> Self:
        return cls.model_validate(cls.answer_fields(activity, pace))

    @classmethod
    def all_from_upstream(
        cls, activities: Iterable[Activity], pace: PaceUnits | None
    ) -> list[Self]:
        """:meth:`from_upstream` of each activity, validated as one list (one pass of the
        model's validator for a whole answer's activities, not one per activity)."""
        return list_of(cls).validate_python([cls.answer_fields(a, pace) for a in activities])

    def line(self) -> str:
        """One activity on one line; detail fields follow when present: the stub note,
        :attr:`line_units` with the pace before the power, then :meth:`more_text`. The values
        are read from the model's ``__dict__`` (pydantic keeps every field there), the
        formatters looked up once per class (:func:`line_formatters`) and the parts joined
        where they are made (ten lines an answer; issue 20)."""
        values = self.__dict__
        distance, moving, climbed, load, power, *added = [
            show(values[name]) for name, show in line_formatters(type(self))
        ]
        pace = values["avg_pace"]
        parts = [
            values["note"],
            distance,
            moving,
            climbed,
            load,
            f"{pace} avg" if pace else None,
            power,
            *added,
            *self.more_text(),
        ]
        when = values["start_date_local"].replace("T", " ")[:16]
        head = f"{when} {values['type'] or 'Activity'} {values['name'] or ''}".rstrip()
        head += f" [{values['id']}]"
        body = ", ".join(filter(None, parts))  # app/mcp/tools/answers.py join()
        return f"{head}: {body}" if body else head

    def more_text(self) -> list[str | None]:
        """What the line shows after its number fields (a shape's own words)."""
        return []

    def scales_used(self) -> set[str]:
        return set()

    @classmethod
    def scales_in(cls, activities: Iterable[ActivitySummary]) -> set[str]:
        """The scales the lines of ``activities`` (all of this shape) use: none for summaries,
        without asking each one."""
        return set()


class ActivityDetail(ActivitySummary):
    """One activity with every field the gateway passes on."""

    elapsed_time_s: int | None = None
    avg_speed_mps: float | None = None
    max_hr_bpm: int | None = None
    avg_cadence_rpm: int | None = None
    normalized_power_w: int | None = None
    ftp_w: int | None = None
    intensity_pct: float | None = None
    calories_kcal: int | None = None
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    rpe: int | None = None
    feel: int | None = None
    trainer: bool | None = None
    commute: bool | None = None
    race: bool | None = None
    source: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    interval_summary: list[str] | None = None
    paired_event_id: int | None = None

    @classmethod
    def answer_fields(cls, activity: Activity, pace: PaceUnits | None) -> dict[str, object]:
        return cls.summary_fields(activity, pace) | {
            "elapsed_time_s": activity.elapsed_time,
            "avg_speed_mps": rounded(activity.average_speed, 2),
            "max_hr_bpm": whole(activity.max_heartrate),
            "avg_cadence_rpm": whole(activity.average_cadence),
            "normalized_power_w": whole(activity.icu_weighted_avg_watts),
            "ftp_w": whole(activity.icu_ftp),
            "intensity_pct": rounded(activity.icu_intensity),
            "calories_kcal": whole(activity.calories),
            "fitness_ctl": rounded(activity.icu_ctl),
            "fatigue_atl": rounded(activity.icu_atl),
            "rpe": activity.icu_rpe,
            "feel": activity.feel,
            "trainer": activity.trainer,
            "commute": activity.commute,
            "race": activity.race,
            "source": activity.source,
            "description": activity.description or None,
            "tags": activity.tags or None,
            "interval_summary": activity.interval_summary or None,
            "paired_event_id": activity.paired_event_id,
        }

    line_units = (*SUMMARY_UNITS, *DETAIL_UNITS)

    def more_text(self) -> list[str | None]:
        return [scaled("rpe", self.rpe), scaled("feel", self.feel)]

    def line(self) -> str:
        line = super().line()
        return f"{line}\n  {self.description}" if self.description else line

    def scales_used(self) -> set[str]:
        return {key for key in ("feel", "rpe") if getattr(self, key) is not None}

    @classmethod
    def scales_in(cls, activities: Iterable[ActivitySummary]) -> set[str]:
        return set().union(*(a.scales_used() for a in activities))


def intensity_of(sport: str | None, has_power: bool) -> str:
    """What an interval's intensity is a percentage of: FTP with power, else threshold pace
    for runs and swims (intervals-api.md §3.6), else FTP."""
    return "threshold pace" if has_pace(sport) and not has_power else "FTP"


class IntervalSummary(Answer):
    """One interval of an activity (``start_time_s`` from the activity start)."""

    schema_note = "start_time_s from the activity start; intensity_pct of intensity_of."

    id: int
    type: str | None = None
    label: str | None = None
    start_time_s: int | None = None
    moving_time_s: int | None = None
    avg_power_w: int | None = None
    avg_pace: str | None = None
    intensity_pct: float | None = None
    intensity_of: str | None = None
    zone: int | None = None
    avg_hr_bpm: int | None = None

    @classmethod
    def summary_fields(
        cls, interval: Interval, sport: str | None, pace: PaceUnits | None
    ) -> dict[str, object]:
        intensity = rounded(interval.intensity, 0)
        return {
            "id": interval.id,
            "type": interval.type,
            "label": interval.label,
            "start_time_s": interval.start_time,
            "moving_time_s": interval.moving_time,
            "avg_power_w": whole(interval.average_watts),
            "avg_pace": pace.pace(sport, interval.average_speed) if pace else None,
            "intensity_pct": intensity,
            "intensity_of": None
            if intensity is None
            else intensity_of(sport, interval.average_watts is not None),
            "zone": interval.zone,
            "avg_hr_bpm": whole(interval.average_heartrate),
        }

    @classmethod
    def from_upstream(
        cls, interval: Interval, sport: str | None, pace: PaceUnits | None
    ) -> IntervalSummary:
        return cls.model_validate(cls.summary_fields(interval, sport, pace))

    def line(self) -> str:
        """``#3 WORK at 12:00: 12:00, 259 W, 141 bpm, 104 % FTP, Z4``."""
        start = with_unit("start_time_s", self.start_time_s)
        label = self.label or self.type or "interval"
        intensity = (
            f"{with_unit('intensity_pct', self.intensity_pct)} {self.intensity_of}"
            if self.intensity_pct is not None
            else None
        )
        body = join(
            [
                *self.unit_parts((("moving_time_s", ""), ("avg_power_w", ""))),
                self.avg_pace,
                *self.unit_parts((("avg_hr_bpm", ""),)),
                intensity,
                f"Z{self.zone}" if self.zone is not None else None,
                with_unit("distance_m", getattr(self, "distance_m", None)),
            ]
        )
        return f"#{self.id} {label} at {start}: {body}"


class IntervalDetail(IntervalSummary):
    """One interval with every field."""

    distance_m: float | None = None
    normalized_power_w: int | None = None
    max_power_w: int | None = None
    max_hr_bpm: int | None = None
    avg_cadence_rpm: int | None = None
    avg_speed_mps: float | None = None
    training_load: float | None = None

    @classmethod
    def from_upstream(
        cls, interval: Interval, sport: str | None, pace: PaceUnits | None
    ) -> IntervalDetail:
        return cls.model_validate(
            cls.summary_fields(interval, sport, pace)
            | {
                "distance_m": rounded(interval.distance),
                "normalized_power_w": whole(interval.weighted_average_watts),
                "max_power_w": whole(interval.max_watts),
                "max_hr_bpm": whole(interval.max_heartrate),
                "avg_cadence_rpm": whole(interval.average_cadence),
                "avg_speed_mps": rounded(interval.average_speed, 2),
                "training_load": rounded(interval.training_load),
            }
        )


class IntervalGroupOut(Answer):
    """Similar intervals grouped (e.g. 3 x 12 min at 259 W)."""

    id: str
    count: int | None = None
    moving_time_s: int | None = None
    avg_power_w: int | None = None
    normalized_power_w: int | None = None
    intensity_pct: float | None = None
    avg_hr_bpm: int | None = None
    avg_cadence_rpm: int | None = None

    @classmethod
    def from_upstream(cls, group: IntervalGroup) -> IntervalGroupOut:
        return cls(
            id=group.id,
            count=group.count,
            moving_time_s=group.moving_time,
            avg_power_w=whole(group.average_watts),
            normalized_power_w=whole(group.weighted_average_watts),
            intensity_pct=rounded(group.intensity, 0),
            avg_hr_bpm=whole(group.average_heartrate),
            avg_cadence_rpm=whole(group.average_cadence),
        )

    def line(self) -> str:
        power = with_unit("avg_power_w", self.avg_power_w) or ""
        return f"group {self.id}: {self.count} x, {power}".rstrip(", ")
