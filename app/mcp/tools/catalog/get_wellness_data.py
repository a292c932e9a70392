"""``get_wellness_data``: ``GET /athlete/{id}/wellness`` with ``oldest`` / ``newest`` local
days, both inclusive, and ``fields`` = what the answer reads (intervals-api.md §2.4). Wellness
is camelCase upstream; answers use named units, and every subjective scale states which end is
good (app/mcp/tools/scales.py)."""

from __future__ import annotations

from app.intervals.models import Wellness
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    Detail,
    IsoDate,
    WindowAnswer,
    join,
    legends,
    rounded,
    scale_lines,
    scaled,
    tool,
    upstream_errors,
    whole,
)

SUMMARY_READS = (
    "ctl",
    "atl",
    "ramp_rate",
    "weight",
    "resting_hr",
    "hrv",
    "sleep_secs",
    "sleep_score",
    "sleep_quality",
    "readiness",
    "soreness",
    "fatigue",
    "stress",
    "mood",
    "motivation",
    "injury",
    "steps",
    "comments",
)
"""The :class:`Wellness` attributes :meth:`WellnessDay.summary_fields` reads (``id`` is always
sent)."""
DETAIL_READS = (
    *SUMMARY_READS,
    "hrv_sdnn",
    "avg_sleeping_hr",
    "spo2",
    "systolic",
    "diastolic",
    "body_fat",
    "vo2max",
    "respiration",
    "kcal_consumed",
    "menstrual_phase",
)
"""What :meth:`WellnessDayDetail.from_upstream` reads."""
DEFAULT_DAYS_BACK = 6
MAX_WINDOW_DAYS = 92
SCALED = ("sleep_quality", "soreness", "fatigue", "stress", "mood", "motivation", "injury")


def form(fitness: float | None, fatigue: float | None) -> float | None:
    """Form (TSB) as displayed: the difference of the two values *as rounded for display*, so
    ``form = fitness - fatigue`` holds for the numbers the athlete reads."""
    if fitness is None or fatigue is None:
        return None
    return round(fitness - fatigue, 1)


class WellnessDay(Answer):
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

    @classmethod
    def summary_fields(cls, day: Wellness) -> dict[str, object]:
        fitness, fatigue = rounded(day.ctl), rounded(day.atl)
        return {
            "date": day.id.isoformat(),
            "fitness_ctl": fitness,
            "fatigue_atl": fatigue,
            "form_tsb": form(fitness, fatigue),
            "ramp_rate": rounded(day.ramp_rate),
            "weight_kg": rounded(day.weight),
            "resting_hr_bpm": day.resting_hr,
            "hrv_rmssd_ms": rounded(day.hrv),
            "sleep_hours": None if day.sleep_secs is None else round(day.sleep_secs / 3600, 1),
            "sleep_score": rounded(day.sleep_score, 0),
            "sleep_quality": day.sleep_quality,
            "readiness": rounded(day.readiness, 0),
            "soreness": day.soreness,
            "fatigue": day.fatigue,
            "stress": day.stress,
            "mood": day.mood,
            "motivation": day.motivation,
            "injury": day.injury,
            "steps": day.steps,
            "comments": day.comments or None,
        }

    @classmethod
    def from_upstream(cls, day: Wellness) -> WellnessDay:
        return cls.model_validate(cls.summary_fields(day))

    def has_data(self) -> bool:
        return any(value is not None for key, value in self if key != "date")

    def scales_used(self) -> set[str]:
        return {key for key in SCALED if getattr(self, key) is not None}

    def line(self) -> str:
        """One wellness day on one line."""
        body = join(
            [
                *self.unit_parts(
                    (
                        ("fitness_ctl", "CTL"),
                        ("fatigue_atl", "ATL"),
                        ("form_tsb", "form"),
                        ("weight_kg", ""),
                        ("resting_hr_bpm", "rest"),
                        ("hrv_rmssd_ms", "HRV"),
                    )
                ),
                f"{self.sleep_hours:g} h sleep" if self.sleep_hours is not None else None,
                *(scaled(key, getattr(self, key)) for key in SCALED),
                f"{self.steps} steps" if self.steps is not None else None,
                self.comments,
            ]
        )
        return f"{self.date}: {body}"


class WellnessDayDetail(WellnessDay):
    """One day of wellness with every field."""

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

    @classmethod
    def from_upstream(cls, day: Wellness) -> WellnessDayDetail:
        return cls.model_validate(
            cls.summary_fields(day)
            | {
                "hrv_sdnn_ms": rounded(day.hrv_sdnn),
                "avg_sleeping_hr_bpm": whole(day.avg_sleeping_hr),
                "spo2_pct": rounded(day.spo2),
                "systolic_mmhg": day.systolic,
                "diastolic_mmhg": day.diastolic,
                "body_fat_pct": rounded(day.body_fat),
                "vo2max_ml_kg_min": rounded(day.vo2max),
                "respiration_per_min": rounded(day.respiration),
                "kcal_consumed": day.kcal_consumed,
                "menstrual_phase": day.menstrual_phase,
            }
        )


class WellnessList(WindowAnswer):
    """One entry per day that has data, oldest first."""

    days: list[WellnessDayDetail | WellnessDay]
    scales: dict[str, str] | None = None

    def text(self) -> str:
        head = f"wellness {self.oldest}..{self.newest} ({self.timezone}): {self.count} days"
        return "\n".join([head, *(d.line() for d in self.days), *scale_lines(self.scales)])


@tool(
    title="Wellness data",
    toolset="core",
    example={"start_date": "2026-07-27", "end_date": "2026-07-28"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads wellness days in the athlete's own Intervals.icu account; changes nothing there or"
        " anywhere public."
    ),
)
async def get_wellness_data(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    detail: Detail = False,
) -> WellnessList:
    """Daily fitness, fatigue, form, weight, resting HR, HRV, sleep, mood; default last 7 days."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    fields = upstream_fields(Wellness, *(DETAIL_READS if detail else SUMMARY_READS))
    async with upstream_errors("wellness data"):
        records = await ctx.api.list_wellness(
            window.oldest, window.newest, fields=fields, only_fields=True
        )
    in_window = sorted(
        (r for r in records if window.oldest <= r.id <= window.newest), key=lambda r: r.id
    )
    shape = WellnessDayDetail if detail else WellnessDay
    days = [d for d in (shape.from_upstream(r) for r in in_window) if d.has_data()]
    return WellnessList(
        **WellnessList.window_fields(window, str(ctx.timezone), len(days)),
        days=days,
        scales=legends(set().union(*(d.scales_used() for d in days))),
    )
