"""Pydantic models for Intervals.icu payloads (field names from the OpenAPI ``components.schemas``).

Lenient where upstream varies: unknown keys are kept (``model_extra``; athletes add custom
activity and wellness fields as top-level keys), lists may be explicit ``null``, most fields are
optional. Strict where it matters: ids and dates must be present and well-formed, otherwise the
payload is rejected as unexpected. Dates stay athlete-local (``start_date_local``), never UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "Activity",
    "ActivityCurve",
    "ActivityRef",
    "ActivitySearchResult",
    "ActivityStream",
    "ActivityUpdate",
    "Athlete",
    "AthleteSummary",
    "AthleteTrainingPlan",
    "BestEffort",
    "BestEfforts",
    "CategorySummary",
    "CurveSet",
    "CustomItem",
    "DataCurve",
    "DeletedEvents",
    "Event",
    "EventWrite",
    "Folder",
    "Gear",
    "GearReminder",
    "HistogramBucket",
    "Interval",
    "IntervalGroup",
    "Intervals",
    "IntervalsModel",
    "Message",
    "NewMessage",
    "PowerModel",
    "SportSettings",
    "SportSettingsUpdate",
    "WeekSummary",
    "Wellness",
    "WellnessUpdate",
    "Workout",
    "WorkoutWrite",
]

T = TypeVar("T")


def _none_to_empty(value: Any) -> Any:
    return [] if value is None else value


NullableList = Annotated[list[T], BeforeValidator(_none_to_empty)]
"""A list that upstream sometimes sends as ``null``; read as ``[]``."""

ActivityIdStr = Annotated[str, Field(pattern=r"^i?[0-9]{1,20}$", coerce_numbers_to_str=True)]
"""An activity id (``i170317118``; a number upstream sends is read as its digits). Checked by
pydantic-core itself, with no Python validator around it: every activity of every list goes
through it (issue 20)."""
AthleteIdStr = Annotated[
    str, Field(pattern=r"^(?:0|i?[1-9][0-9]{0,15})$", coerce_numbers_to_str=True)
]
"""An athlete id (``i100002``, ``0`` for the key's owner), read like :data:`ActivityIdStr`."""


class IntervalsModel(BaseModel):
    """Base: keep unknown keys, accept field names or aliases."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# -- athlete ---------------------------------------------------------------------------------


class PowerModel(IntervalsModel):
    """``PowerModel`` fitted to the athlete's recent best efforts; ``ftp`` is the eFTP."""

    type: str | None = None
    critical_power: int | None = Field(None, alias="criticalPower")
    w_prime: int | None = Field(None, alias="wPrime")
    p_max: int | None = Field(None, alias="pMax")
    ftp: int | None = None


class SportSettings(IntervalsModel):
    """``SportSettings`` of one group of sports (``types``): thresholds and zones. Power zones
    are % of FTP, HR zones are bpm tops, pace zones are % of threshold pace (``threshold_pace``
    in m/s; ``pace_units`` says how the athlete reads it). Each zone list ends with the top."""

    id: int
    athlete_id: AthleteIdStr | None = None
    types: NullableList[str] = []
    ftp: int | None = None
    indoor_ftp: int | None = None
    w_prime: int | None = None
    p_max: int | None = None
    power_zones: NullableList[float] = []
    power_zone_names: NullableList[str] = []
    sweet_spot_min: float | None = None
    sweet_spot_max: float | None = None
    lthr: int | None = None
    max_hr: int | None = None
    hr_zones: NullableList[int] = []
    hr_zone_names: NullableList[str] = []
    threshold_pace: float | None = None
    pace_units: str | None = None
    pace_zones: NullableList[float] = []
    pace_zone_names: NullableList[str] = []
    default_gear_id: str | None = None
    updated: str | None = None
    mmp_model: PowerModel | None = None

    @property
    def eftp(self) -> int | None:
        """Estimated FTP (W) from the power model, when upstream has one."""
        return self.mmp_model.ftp if self.mmp_model else None


class SportSettingsUpdate(IntervalsModel):
    """Body of ``PUT /athlete/{athleteId}/sport-settings/{id}``: only fields you set are sent."""

    ftp: int | None = None
    indoor_ftp: int | None = None
    w_prime: int | None = None
    p_max: int | None = None
    lthr: int | None = None
    max_hr: int | None = None
    threshold_pace: float | None = None
    power_zones: list[float] | None = None
    hr_zones: list[int] | None = None
    pace_zones: list[float] | None = None


class CustomItem(IntervalsModel):
    id: int
    athlete_id: AthleteIdStr | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    visibility: str | None = None
    index: int | None = None
    content: dict[str, Any] | None = None
    updated: str | None = None


_SECRET_ATHLETE_KEYS = ("icu_api_key", "api_key", "password")


class WithoutAthleteSecrets(IntervalsModel):
    """An athlete record with the secrets Intervals.icu includes (the athlete's own API key)
    dropped while parsing, so they can never reach a tool answer, a page or a log."""

    @model_validator(mode="before")
    @classmethod
    def _drop_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in _SECRET_ATHLETE_KEYS):
            data = {k: v for k, v in data.items() if k not in _SECRET_ATHLETE_KEYS}
        return data


class Athlete(WithoutAthleteSecrets):
    """``GET /athlete/{id}``: the athlete with ``sportSettings`` and ``custom_items``.

    Upstream includes the athlete's own ``icu_api_key``; it is dropped on parse so it can never
    reach a tool answer or a log line.
    """

    id: AthleteIdStr
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    sex: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    timezone: str | None = None
    locale: str | None = None
    measurement_preference: str | None = None
    weight: float | None = None
    icu_weight: float | None = None
    icu_resting_hr: int | None = None
    icu_date_of_birth: date | None = None
    icu_coach: bool | None = None
    sport_settings: NullableList[SportSettings] = Field([], alias="sportSettings")
    custom_items: NullableList[CustomItem] = []


class AthleteSummary(WithoutAthleteSecrets):
    """One row of ``GET /athletes`` (athletes a coach's key may read, including the caller)."""

    id: AthleteIdStr
    name: str | None = None
    timezone: str | None = None
    tags: NullableList[str] = []


# -- activities ------------------------------------------------------------------------------


class Interval(IntervalsModel):
    id: int
    type: str | None = None
    label: str | None = None
    group_id: str | None = None
    start_index: int | None = None
    end_index: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    moving_time: int | None = None
    elapsed_time: int | None = None
    distance: float | None = None
    average_watts: float | None = None
    max_watts: float | None = None
    weighted_average_watts: float | None = None
    intensity: float | None = None
    training_load: float | None = None
    zone: int | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    average_cadence: float | None = None
    average_speed: float | None = None


class IntervalGroup(IntervalsModel):
    id: str
    count: int | None = None
    start_index: int | None = None
    moving_time: int | None = None
    elapsed_time: int | None = None
    distance: float | None = None
    average_watts: float | None = None
    weighted_average_watts: float | None = None
    intensity: float | None = None
    average_heartrate: float | None = None
    average_cadence: float | None = None
    average_speed: float | None = None


class ZoneTime(IntervalsModel):
    """Seconds in one power zone (``icu_zone_times`` item: ``{"id": "Z1", "secs": 1120}``)."""

    id: str
    secs: int | None = None


class Activity(IntervalsModel):
    """``Activity`` / ``ActivityWithIntervals``; a Strava import is a stub with only ``note``."""

    id: ActivityIdStr
    icu_athlete_id: AthleteIdStr | None = None
    start_date_local: datetime
    start_date: datetime | None = None
    timezone: str | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    source: str | None = None
    external_id: str | None = None
    trainer: bool | None = None
    commute: bool | None = None
    race: bool | None = None
    distance: float | None = None
    moving_time: int | None = None
    elapsed_time: int | None = None
    total_elevation_gain: float | None = None
    average_speed: float | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    average_cadence: float | None = None
    calories: float | None = None
    icu_average_watts: float | None = None
    icu_weighted_avg_watts: float | None = None
    icu_ftp: float | None = None
    icu_intensity: float | None = None
    icu_training_load: float | None = None
    icu_ctl: float | None = None
    icu_atl: float | None = None
    icu_rpe: int | None = None
    feel: int | None = None
    pace: float | None = None
    gap: float | None = None
    threshold_pace: float | None = None
    tags: NullableList[str] = Field(default_factory=list)
    stream_types: NullableList[str] = Field(default_factory=list)
    interval_summary: NullableList[str] = Field(default_factory=list)
    paired_event_id: int | None = None
    gear: dict[str, Any] | None = None
    icu_intervals: NullableList[Interval] = Field(default_factory=list)
    icu_groups: NullableList[IntervalGroup] = Field(default_factory=list)
    icu_zone_times: NullableList[ZoneTime] = Field(default_factory=list)
    icu_hr_zone_times: NullableList[int | None] = Field(default_factory=list)
    pace_zone_times: NullableList[int | None] = Field(default_factory=list)
    note: str | None = Field(None, alias="_note")

    @property
    def is_stub(self) -> bool:
        """True for Strava-imported activities, which the API does not expose."""
        return self.note is not None


class ActivityUpdate(IntervalsModel):
    """Body of ``PUT /activity/{id}``: only fields you set change; ``-1`` clears a number."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    trainer: bool | None = None
    commute: bool | None = None
    race: bool | None = None
    icu_rpe: int | None = None
    feel: int | None = None
    tags: list[str] | None = None
    icu_ftp: int | None = None
    icu_weight: float | None = None


class ActivitySearchResult(IntervalsModel):
    id: ActivityIdStr
    name: str | None = None
    start_date_local: datetime
    type: str | None = None
    race: bool | None = None
    distance: float | None = None
    moving_time: int | None = None
    tags: NullableList[str] = []
    description: str | None = None


class ActivityRef(IntervalsModel):
    id: ActivityIdStr
    icu_athlete_id: AthleteIdStr | None = None


class Intervals(IntervalsModel):
    """``GET /activity/{id}/intervals`` (``IntervalsDTO``)."""

    id: ActivityIdStr
    analyzed: str | None = None
    icu_intervals: NullableList[Interval] = []
    icu_groups: NullableList[IntervalGroup] = []


class ActivityStream(IntervalsModel):
    type: str
    name: str | None = None
    data: NullableList[Any] = []
    data2: NullableList[Any] = []
    value_type_is_array: bool | None = Field(None, alias="valueTypeIsArray")
    custom: bool | None = None
    all_null: bool | None = Field(None, alias="allNull")


class BestEffort(IntervalsModel):
    start_index: int
    end_index: int
    average: float | None = None
    duration: int | None = None
    distance: float | None = None


class BestEfforts(IntervalsModel):
    efforts: NullableList[BestEffort] = []


class HistogramBucket(IntervalsModel):
    start: float
    secs: int | None = None
    moving_secs: int | None = Field(None, alias="movingSecs")
    watts: float | None = None
    hr: float | None = None
    cadence: int | None = None


class Message(IntervalsModel):
    id: int
    athlete_id: AthleteIdStr | None = None
    name: str | None = None
    created: str | None = None
    type: str | None = None
    content: str | None = None
    activity_id: str | None = None


class NewMessage(IntervalsModel):
    id: int


# -- curves ----------------------------------------------------------------------------------


class DataCurve(IntervalsModel):
    id: str
    label: str | None = None
    start_date_local: str | None = None
    end_date_local: str | None = None
    days: int | None = None
    secs: NullableList[int] = []
    distance: NullableList[float] = []
    values: NullableList[float | None] = []
    activity_id: NullableList[str | None] = []
    watts_per_kg: NullableList[float | None] = []


class ActivityCurve(IntervalsModel):
    """``PowerCurve`` / ``HRCurve`` / ``PaceCurve`` of one activity (``GET /activity/{id}/
    {power,hr,pace}-curve``): best value for each duration (``secs``) or, for pace, the time in
    seconds for each ``distance`` (m); ``start_index`` / ``end_index`` point into the
    activity's streams; ``type`` (pace) is the stream, ``PACE`` or ``GAP``."""

    id: str | None = None
    label: str | None = None
    start_date_local: str | None = None
    secs: NullableList[int] = []
    distance: NullableList[float] = []
    values: NullableList[float | None] = []
    start_index: NullableList[int | None] = []
    end_index: NullableList[int | None] = []
    watts_per_kg: NullableList[float | None] = []
    weight: float | None = None
    type: str | None = None

    @model_validator(mode="after")
    def _aligned(self) -> ActivityCurve:
        axis = self.secs or self.distance
        if self.values and len(self.values) != len(axis):
            raise ValueError("values and secs/distance differ in length")
        return self


class CurveSet(IntervalsModel):
    """``DataCurveSet*`` from the athlete power / HR / pace curve endpoints."""

    curves: NullableList[DataCurve] = Field([], alias="list")
    activities: dict[str, Any] | None = None


# -- athlete summary -------------------------------------------------------------------------


class _Totals(IntervalsModel):
    count: int | None = None
    time: int | None = None
    moving_time: int | None = None
    elapsed_time: int | None = None
    calories: int | None = None
    total_elevation_gain: float | None = None
    training_load: int | None = None
    srpe: int | None = None
    distance: float | None = None
    eftp: float | None = None
    eftp_per_kg: float | None = Field(None, alias="eftpPerKg")


class CategorySummary(_Totals):
    """One sport's share of a week (``CategorySummary``; ``category`` is the activity type)."""

    category: str


class WeekSummary(_Totals):
    """One row of ``GET /athlete/{id}/athlete-summary`` (``SummaryWithCats``): a week's totals
    from ``date`` (its first local day) with fitness (CTL), fatigue (ATL), form and ramp rate
    as of the week's last activity, time in zones and the totals per sport."""

    date: date
    athlete_id: AthleteIdStr | None = None
    athlete_name: str | None = None
    fitness: float | None = None
    fatigue: float | None = None
    form: float | None = None
    ramp_rate: float | None = Field(None, alias="rampRate")
    weight: float | None = None
    time_in_zones: NullableList[int | None] = Field([], alias="timeInZones")
    time_in_zones_tot: int | None = Field(None, alias="timeInZonesTot")
    by_category: NullableList[CategorySummary] = Field([], alias="byCategory")
    most_recent_wellness_id: str | None = Field(None, alias="mostRecentWellnessId")


# -- wellness --------------------------------------------------------------------------------


class _WellnessFields(IntervalsModel):
    weight: float | None = None
    resting_hr: int | None = Field(None, alias="restingHR")
    hrv: float | None = None
    hrv_sdnn: float | None = Field(None, alias="hrvSDNN")
    kcal_consumed: int | None = Field(None, alias="kcalConsumed")
    sleep_secs: int | None = Field(None, alias="sleepSecs")
    sleep_score: float | None = Field(None, alias="sleepScore")
    sleep_quality: int | None = Field(None, alias="sleepQuality")
    avg_sleeping_hr: float | None = Field(None, alias="avgSleepingHR")
    soreness: int | None = None
    fatigue: int | None = None
    stress: int | None = None
    mood: int | None = None
    motivation: int | None = None
    injury: int | None = None
    spo2: float | None = Field(None, alias="spO2")
    systolic: int | None = None
    diastolic: int | None = None
    hydration: int | None = None
    readiness: float | None = None
    body_fat: float | None = Field(None, alias="bodyFat")
    vo2max: float | None = None
    steps: int | None = None
    respiration: float | None = None
    comments: str | None = None
    menstrual_phase: str | None = Field(None, alias="menstrualPhase")


class Wellness(_WellnessFields):
    """One day of ``Wellness`` (camelCase upstream; ``id`` is the athlete-local date)."""

    id: date
    ctl: float | None = None
    atl: float | None = None
    ramp_rate: float | None = Field(None, alias="rampRate")
    ctl_load: float | None = Field(None, alias="ctlLoad")
    atl_load: float | None = Field(None, alias="atlLoad")
    sport_info: NullableList[dict[str, Any]] = Field([], alias="sportInfo")
    updated: str | None = None
    locked: bool | None = None


class WellnessUpdate(_WellnessFields):
    """Body of ``PUT /athlete/{id}/wellness/{date}``: only fields you set change; ``-1`` clears.

    ``id`` (the date) is required for the bulk endpoint and filled in for single-day updates.
    """

    id: date | None = None


# -- calendar --------------------------------------------------------------------------------


class Event(IntervalsModel):
    """``Event``: a planned workout, race, note, weekly ``TARGET`` (``for_week``, load / time /
    distance targets), ``SEASON_START``, ``PLAN`` start, ``SICK`` / ``INJURED`` / ``HOLIDAY``
    days ... ``end_date_local`` is exclusive (a one-day event ends at the next midnight)."""

    id: int
    uid: str | None = None
    athlete_id: AthleteIdStr | None = None
    calendar_id: int | None = None
    category: str
    start_date_local: datetime
    end_date_local: datetime | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    indoor: bool | None = None
    color: str | None = None
    moving_time: int | None = None
    distance: float | None = None
    icu_training_load: float | None = None
    icu_intensity: float | None = None
    icu_ctl: float | None = None
    icu_atl: float | None = None
    target: str | None = None
    external_id: str | None = None
    tags: NullableList[str] = []
    workout_doc: dict[str, Any] | None = None
    updated: str | None = None
    for_week: bool | None = None
    load_target: int | None = None
    time_target: int | None = None
    distance_target: float | None = None
    plan_folder_id: int | None = None
    plan_applied: str | None = None


class EventWrite(IntervalsModel):
    """Body of event create / update (``EventEx``). Workouts go in ``description`` (Intervals.icu
    workout text) or ``file_contents``; upstream refuses ``workout_doc``."""

    category: str | None = None
    start_date_local: datetime | None = None
    end_date_local: datetime | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    indoor: bool | None = None
    color: str | None = None
    moving_time: int | None = None
    distance: float | None = None
    icu_training_load: float | None = None
    target: str | None = None
    external_id: str | None = None
    tags: list[str] | None = None
    file_contents: str | None = None
    file_contents_base64: str | None = None
    filename: str | None = None

    @field_validator("start_date_local", "end_date_local", mode="before")
    @classmethod
    def _local_midnight(cls, value: Any) -> Any:
        """Days become local midnight (``2026-07-29T00:00:00``), the form upstream expects."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day)
        if isinstance(value, str) and len(value) == 10:
            return f"{value}T00:00:00"
        return value

    @field_validator("start_date_local", "end_date_local")
    @classmethod
    def _no_zone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("must be athlete-local time without a time zone")
        return value


class DeletedEvents(IntervalsModel):
    events_deleted: int = Field(alias="eventsDeleted")


# -- library ---------------------------------------------------------------------------------


class Workout(IntervalsModel):
    id: int
    athlete_id: AthleteIdStr | None = None
    folder_id: int | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    indoor: bool | None = None
    moving_time: int | None = None
    distance: float | None = None
    icu_training_load: float | None = None
    icu_intensity: float | None = None
    target: str | None = None
    day: int | None = None
    tags: NullableList[str] = []
    workout_doc: dict[str, Any] | None = None


class WorkoutWrite(IntervalsModel):
    """Body of ``POST /athlete/{id}/workouts`` (``WorkoutEx``)."""

    folder_id: int
    name: str = Field(max_length=80)
    description: str | None = None
    type: str | None = None
    indoor: bool | None = None
    moving_time: int | None = None
    target: str | None = None
    tags: list[str] | None = None
    day: int | None = None


class WorkoutUpdate(IntervalsModel):
    """Body of ``PUT /athlete/{id}/workouts/{workoutId}``: only the fields you set are sent."""

    folder_id: int | None = None
    name: str | None = Field(None, max_length=80)
    description: str | None = None
    type: str | None = None
    indoor: bool | None = None
    target: str | None = None
    tags: list[str] | None = None


class FolderWrite(IntervalsModel):
    """Body of ``POST /athlete/{id}/folders`` (``CreateFolderDTO``) and of its ``PUT``."""

    type: str | None = None
    name: str | None = Field(None, max_length=80)
    description: str | None = None


class Folder(IntervalsModel):
    id: int
    athlete_id: AthleteIdStr | None = None
    type: str | None = None
    name: str | None = None
    description: str | None = None
    visibility: str | None = None
    start_date_local: str | None = None
    num_workouts: int | None = None
    duration_weeks: int | None = None
    children: NullableList[Workout] = []


class AthleteTrainingPlan(IntervalsModel):
    """``GET /athlete/{id}/training-plan``: the plan (a ``PLAN`` folder with its workouts, each
    ``day`` counted from the plan's start) applied to the athlete; all fields are null when no
    plan is applied."""

    athlete_id: AthleteIdStr | None = None
    training_plan_id: int | None = None
    training_plan_start_date: date | None = None
    training_plan_last_applied: str | None = None
    training_plan_alias: str | None = None
    timezone: str | None = None
    training_plan: Folder | None = None

    @field_validator("training_plan_start_date", mode="before")
    @classmethod
    def _day_only(cls, value: Any) -> Any:
        """Upstream sends a local date, sometimes with ``T00:00:00``; keep the day."""
        if isinstance(value, str) and len(value) > 10 and value[10] == "T":
            return value[:10]
        return value


# -- gear ------------------------------------------------------------------------------------


class GearReminder(IntervalsModel):
    """``GearReminder``: a limit (``distance`` m, ``time`` s, ``activities`` or ``days``) and the
    use since ``last_reset``; ``percent_used`` is of the limit closest to being reached."""

    id: int | None = None
    gear_id: str | None = None
    name: str | None = None
    distance: float | None = None
    time: float | None = None
    activities: int | None = None
    days: int | None = None
    last_reset: str | None = None
    snoozed_until: str | None = None
    percent_used: float | None = None
    distance_used: float | None = None
    time_used: float | None = None
    activities_used: int | None = None
    days_used: int | None = None


class Gear(IntervalsModel):
    """``GET /athlete/{id}/gear``: totals are ``distance`` (m), ``time`` (s), ``activities``."""

    id: str
    athlete_id: AthleteIdStr | None = None
    type: str | None = None
    name: str | None = None
    distance: float | None = None
    time: float | None = None
    activities: int | None = None
    retired: str | None = None
    purchased: str | None = None
    notes: str | None = None
    component: bool | None = None
    component_ids: NullableList[str] = []
    reminders: NullableList[GearReminder] = []
