"""``get_wellness_day``: ``GET /athlete/{id}/wellness/{date}`` (intervals-api.md §2.4, §4.4):
every field recorded on one local day, named with its unit, subjective scales with their
direction; fields upstream sends beyond the known ones (the athlete's custom wellness fields)
are kept under ``custom``."""

from __future__ import annotations

from typing import Any

from app.intervals.models import Wellness
from app.mcp.tools.catalog.get_wellness_data import WellnessDayDetail
from app.mcp.tools.dates import parse_day
from app.mcp.tools.kit import (
    AthleteContext,
    IsoDate,
    legends,
    rounded,
    scale_lines,
    tool,
    upstream_errors,
    with_unit,
)

EXTRA_FIELDS: dict[str, str] = {
    "hydrationVolume": "hydration_volume_l",
    "bloodGlucose": "blood_glucose_mmol_l",
    "lactate": "lactate_mmol_l",
    "abdomen": "abdomen_cm",
    "baevskySI": "baevsky_si",
    "carbohydrates": "carbohydrates_g",
    "protein": "protein_g",
    "fatTotal": "fat_total_g",
}
"""Known upstream fields not in the shared wellness model, by their answer name."""
EXTRA_TEXT: tuple[tuple[str, str, str], ...] = (
    ("hydration", "hydration", ""),
    ("hydration_volume_l", "hydration", "L"),
    ("blood_glucose_mmol_l", "blood glucose", "mmol/L"),
    ("lactate_mmol_l", "lactate", "mmol/L"),
    ("abdomen_cm", "abdomen", "cm"),
    ("baevsky_si", "Baevsky SI", ""),
    ("carbohydrates_g", "carbohydrates", "g"),
    ("protein_g", "protein", "g"),
    ("fat_total_g", "fat", "g"),
)
NOT_RECORDED = frozenset(
    {"menstrualPhasePredicted", "tempWeight", "tempRestingHR", "locked", "updated", "sportInfo"}
)
"""Upstream keys that are bookkeeping or computed, not something the athlete recorded."""


class WellnessDayFull(WellnessDayDetail):
    """Everything recorded on one day."""

    schema_note = (
        "form_tsb = fitness_ctl - fatigue_atl. sleep_score 0-100. 1-4, 1 best: sleep_quality, "
        "soreness, fatigue, stress, mood, motivation, injury. eftp_w by sport."
    )

    hydration: int | None = None
    hydration_volume_l: float | None = None
    blood_glucose_mmol_l: float | None = None
    lactate_mmol_l: float | None = None
    abdomen_cm: float | None = None
    baevsky_si: float | None = None
    carbohydrates_g: float | None = None
    protein_g: float | None = None
    fat_total_g: float | None = None
    eftp_w: dict[str, float] | None = None
    custom: dict[str, str | float | bool] | None = None
    scales: dict[str, str] | None = None
    note: str | None = None

    @classmethod
    def from_day(cls, day: Wellness) -> WellnessDayFull:
        extra: dict[str, Any] = dict(day.model_extra or {})
        known = {name: _number(extra.pop(key, None)) for key, name in EXTRA_FIELDS.items()}
        custom = {
            key: value
            for key, value in extra.items()
            if key not in NOT_RECORDED and isinstance(value, str | int | float)
        }
        eftp = {
            str(info["type"]): round(float(info["eftp"]))
            for info in day.sport_info
            if info.get("type") and isinstance(info.get("eftp"), int | float)
        }
        base = WellnessDayDetail.from_upstream(day).model_dump()
        made = cls.model_validate(
            base
            | known
            | {"hydration": day.hydration, "eftp_w": eftp or None, "custom": custom or None}
        )
        made.scales = legends(made.scales_used())
        return made

    def text(self) -> str:
        if not self.has_data():
            return f"{self.date}: nothing recorded"
        parts = [self.line()]
        more = [
            with_unit(name, getattr(self, name), label)
            for name, label in (
                ("hrv_sdnn_ms", "HRV SDNN"),
                ("avg_sleeping_hr_bpm", "avg sleeping"),
                ("spo2_pct", "SpO2"),
                ("body_fat_pct", "body fat"),
                ("kcal_consumed", "kcal consumed"),
            )
        ]
        if self.readiness is not None:
            more.append(f"readiness {self.readiness:g}")
        if self.respiration_per_min is not None:
            more.append(f"respiration {self.respiration_per_min:g}/min")
        if self.systolic_mmhg is not None and self.diastolic_mmhg is not None:
            more.append(f"BP {self.systolic_mmhg}/{self.diastolic_mmhg} mmHg")
        more += [
            f"{label} {getattr(self, name):g} {unit}".rstrip()
            for name, label, unit in EXTRA_TEXT
            if getattr(self, name) is not None
        ]
        if self.vo2max_ml_kg_min is not None:
            more.append(f"VO2max {self.vo2max_ml_kg_min:g} ml/kg/min")
        if self.menstrual_phase:
            more.append(f"menstrual phase {self.menstrual_phase}")
        more += [f"eFTP {sport} {watts:g} W" for sport, watts in (self.eftp_w or {}).items()]
        more += [f"{key}: {value}" for key, value in (self.custom or {}).items()]
        shown = [m for m in more if m]
        if shown:
            parts.append("; ".join(shown))
        return "\n".join(parts + scale_lines(self.scales))

    def has_data(self) -> bool:
        return any(
            value is not None for key, value in self if key not in ("date", "scales", "note")
        )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return rounded(value, 2)


@tool(
    title="Wellness day",
    toolset="wellness",
    example={"date": "2026-07-27"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one wellness day in the athlete's own Intervals.icu account; changes nothing there"
        " or anywhere public."
    ),
)
async def get_wellness_day(ctx: AthleteContext, date: IsoDate = None) -> WellnessDayFull:
    """All wellness fields of one day (default today), with units and scales."""
    day = parse_day(date, "date") if date else ctx.today()
    async with upstream_errors(f"wellness for {day.isoformat()}"):
        record = await ctx.api.get_wellness(day)
    answer = WellnessDayFull.from_day(record)
    if not answer.has_data():
        answer.note = "Nothing recorded on this day."
    return answer
