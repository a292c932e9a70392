"""Typed answers of the tools (published as ``outputSchema``; sent as ``structuredContent``).

Units are in the field names (``_m`` metres, ``_s`` seconds, ``_w`` watts, ``_bpm`` beats per
minute, ``_mps`` metres per second, ``_pct`` per cent); subjective scales are named in
:data:`SCALES` and repeated in each answer that carries such a value. Nulls are never sent.
Dates and times are athlete-local (``start_date_local``), never UTC.

The published schemas are kept small (app/mcp/tools/schema.py): no per-field descriptions, only
a short ``schema_note`` on the models whose fields need one (scales, derived values).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from app.mcp.tools.schema import compact_model_schema

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

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    schema_note: ClassVar[str | None] = None
    """The one description published in ``outputSchema`` for this model, if any."""


# -- activities -------------------------------------------------------------------------------


class ActivityOut(Answer):
    """One activity. Summary fields always; the rest with ``detail``."""

    schema_note = "rpe 1-10, 10 maximal; feel 1-5, 1 strong, 5 weak."

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
    note: str | None = None
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


class ActivityList(Answer):
    """``get_activities``: activities in a local date window, newest first."""

    timezone: str
    oldest: str
    newest: str
    count: int
    more_available: bool | None = None
    activities: list[ActivityOut]
    scales: dict[str, str] | None = None


class ActivityDetails(Answer):
    """``get_activity_details``: one activity in full."""

    activity: ActivityOut
    scales: dict[str, str] | None = None


class IntervalOut(Answer):
    """One interval of an activity (times in seconds from the activity start)."""

    schema_note = "start_time_s: from the activity start."

    id: int
    type: str | None = None
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

    schema_note = (
        "form_tsb = fitness_ctl - fatigue_atl. sleep_score 0-100. 1-4, 1 best: sleep_quality, "
        "soreness, fatigue, stress, mood, motivation, injury."
    )

    date: str
    fitness_ctl: float | None = None
    fatigue_atl: float | None = None
    form_tsb: float | None = None
    ramp_rate: float | None = None
    weight_kg: float | None = None
    resting_hr_bpm: int | None = None
    hrv_rmssd_ms: float | None = None
    sleep_hours: float | None = None
    sleep_score: float | None = None
    sleep_quality: int | None = None
    readiness: float | None = None
    soreness: int | None = None
    fatigue: int | None = None
    stress: int | None = None
    mood: int | None = None
    motivation: int | None = None
    injury: int | None = None
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

    schema_note = "Planned values (a workout's time, distance, load)."

    id: int
    category: str
    start_date_local: str
    end_date_local: str | None = None
    name: str | None = None
    type: str | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    training_load: float | None = None
    intensity_pct: float | None = None
    indoor: bool | None = None
    description: str | None = None
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
