"""Typed answers of the tools (published as ``outputSchema``; sent as ``structuredContent``).

Units are in the field names (``_m`` metres, ``_s`` seconds, ``_w`` watts, ``_bpm`` beats per
minute, ``_mps`` metres per second, ``_pct`` per cent); subjective scales are named in
:data:`SCALES` and repeated in each answer that carries such a value. Nulls are never sent.
Dates and times are athlete-local (``start_date_local``), never UTC.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SCALES: dict[str, str] = {
    "feel": "1-5: 1 strong, 2 good, 3 normal, 4 poor, 5 weak",
    "rpe": "1-10 perceived exertion: 1 very easy .. 10 maximal",
    "sleep_quality": "1-4: 1 great, 2 good, 3 average, 4 poor",
    "soreness": "1-4: 1 low .. 4 extreme",
    "fatigue": "1-4: 1 low .. 4 extreme",
    "stress": "1-4: 1 low .. 4 extreme",
    "mood": "1-4: 1 great .. 4 grumpy",
    "motivation": "1-4: 1 extreme .. 4 low",
    "injury": "1-4: 1 none .. 4 injured",
}


class Answer(BaseModel):
    """Base of every answer: unknown fields refused, so the schema is the contract."""

    model_config = ConfigDict(extra="forbid")


# -- activities -------------------------------------------------------------------------------


class ActivityOut(Answer):
    """One activity. Summary fields always; the rest with ``detail``."""

    id: str
    start_date_local: str = Field(description="Local start, YYYY-MM-DDTHH:MM:SS (no zone)")
    name: str | None = None
    type: str | None = Field(None, description="Sport, e.g. Ride, Run, Swim")
    distance_m: float | None = None
    moving_time_s: int | None = None
    elevation_gain_m: float | None = None
    training_load: float | None = Field(None, description="Intervals.icu training load")
    avg_hr_bpm: int | None = None
    avg_power_w: int | None = None
    note: str | None = Field(None, description="Why details are missing (Strava imports)")
    elapsed_time_s: int | None = None
    avg_speed_mps: float | None = None
    max_hr_bpm: int | None = None
    avg_cadence_rpm: int | None = None
    normalized_power_w: int | None = None
    ftp_w: int | None = None
    intensity_pct: float | None = Field(None, description="Intensity factor x 100")
    calories_kcal: int | None = None
    fitness_ctl: float | None = Field(None, description="Fitness (CTL) after this activity")
    fatigue_atl: float | None = Field(None, description="Fatigue (ATL) after this activity")
    rpe: int | None = Field(None, description=SCALES["rpe"])
    feel: int | None = Field(None, description=SCALES["feel"])
    trainer: bool | None = None
    commute: bool | None = None
    race: bool | None = None
    source: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    interval_summary: list[str] | None = None
    paired_event_id: int | None = None


class ActivityList(Answer):
    """``get_activities``: activities in a local date window, newest first."""

    timezone: str = Field(description="The athlete's timezone; all dates are local to it")
    oldest: str = Field(description="First day of the window (inclusive)")
    newest: str = Field(description="Last day of the window (inclusive)")
    count: int
    more_available: bool | None = Field(
        None, description="True when the limit was reached: narrow the window or raise the limit"
    )
    activities: list[ActivityOut]
    scales: dict[str, str] | None = None


class ActivityDetails(Answer):
    """``get_activity_details``: one activity in full."""

    activity: ActivityOut
    scales: dict[str, str] | None = None


class IntervalOut(Answer):
    """One interval of an activity (times in seconds from the activity start)."""

    id: int
    type: str | None = Field(None, description="WORK or RECOVERY")
    label: str | None = None
    start_time_s: int | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    avg_power_w: int | None = None
    normalized_power_w: int | None = None
    max_power_w: int | None = None
    intensity_pct: float | None = None
    zone: int | None = None
    avg_hr_bpm: int | None = None
    max_hr_bpm: int | None = None
    avg_cadence_rpm: int | None = None
    avg_speed_mps: float | None = None
    training_load: float | None = None


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


class ActivityIntervals(Answer):
    """``get_activity_intervals``: the intervals (and with ``detail`` the groups)."""

    activity_id: str
    start_date_local: str
    name: str | None = None
    count: int
    intervals: list[IntervalOut]
    groups: list[IntervalGroupOut] | None = None


# -- wellness ---------------------------------------------------------------------------------


class WellnessDayOut(Answer):
    """One day of wellness (``date`` is the athlete-local day)."""

    date: str
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = Field(None, description="Fitness minus fatigue")
    ramp_rate: float | None = None
    weight_kg: float | None = None
    resting_hr_bpm: int | None = None
    hrv_rmssd_ms: float | None = None
    sleep_hours: float | None = None
    sleep_score: float | None = Field(None, description="0-100")
    sleep_quality: int | None = Field(None, description=SCALES["sleep_quality"])
    readiness: float | None = None
    soreness: int | None = Field(None, description=SCALES["soreness"])
    fatigue: int | None = Field(None, description=SCALES["fatigue"])
    stress: int | None = Field(None, description=SCALES["stress"])
    mood: int | None = Field(None, description=SCALES["mood"])
    motivation: int | None = Field(None, description=SCALES["motivation"])
    injury: int | None = Field(None, description=SCALES["injury"])
    steps: int | None = None
    comments: str | None = None
    hrv_sdnn_ms: float | None = None
    avg_sleeping_hr_bpm: int | None = None
    spo2_pct: float | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    body_fat_pct: float | None = None
    vo2max_ml_kg_min: float | None = None
    respiration_per_min: float | None = None
    kcal_consumed: int | None = None
    menstrual_phase: str | None = None


class WellnessList(Answer):
    """``get_wellness_data``: one entry per day that has data, oldest first."""

    timezone: str
    oldest: str
    newest: str
    count: int
    days: list[WellnessDayOut]
    scales: dict[str, str] | None = None


# -- calendar ---------------------------------------------------------------------------------


class EventOut(Answer):
    """A calendar event: planned workout, race, note, ..."""

    id: int
    category: str = Field(description="WORKOUT, RACE_A/B/C, NOTE, HOLIDAY, SICK, ...")
    start_date_local: str
    end_date_local: str | None = None
    name: str | None = None
    type: str | None = None
    moving_time_s: int | None = Field(None, description="Planned duration")
    distance_m: float | None = None
    training_load: float | None = Field(None, description="Planned training load")
    intensity_pct: float | None = None
    indoor: bool | None = None
    description: str | None = Field(None, description="Workout text or note")
    tags: list[str] | None = None


class EventList(Answer):
    """``get_events``: calendar events in a local date window, in date order."""

    timezone: str
    oldest: str
    newest: str
    count: int
    more_available: bool | None = None
    events: list[EventOut]


class EventDetails(Answer):
    """``get_event_by_id``: one calendar event in full."""

    event: EventOut
