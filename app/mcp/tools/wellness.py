"""Wellness tool: ``get_wellness_data``.

Upstream: ``GET /athlete/{id}/wellness`` with ``oldest`` / ``newest`` local days, both inclusive
(intervals-api.md §2.4). Wellness is camelCase upstream; answers use named units and scales
(sleep quality 1-4, soreness/fatigue/stress/mood/motivation 1-4).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.intervals.models import Wellness
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import IsoDate, resolve_window
from app.mcp.tools.errors import EXPECTED_ERRORS, describe
from app.mcp.tools.models import SCALES, WellnessDayOut, WellnessList
from app.mcp.tools.numbers import rounded, whole

DEFAULT_DAYS_BACK = 6
MAX_WINDOW_DAYS = 92


def wellness_out(day: Wellness, *, detail: bool) -> WellnessDayOut:
    """The compact form of one upstream wellness record."""
    form = None if day.ctl is None or day.atl is None else rounded(day.ctl - day.atl)
    out = WellnessDayOut(
        date=day.id.isoformat(),
        fitness_ctl=rounded(day.ctl),
        fatigue_atl=rounded(day.atl),
        form_tsb=form,
        ramp_rate=rounded(day.ramp_rate),
        weight_kg=rounded(day.weight),
        resting_hr_bpm=day.resting_hr,
        hrv_rmssd_ms=rounded(day.hrv),
        sleep_hours=None if day.sleep_secs is None else round(day.sleep_secs / 3600, 1),
        sleep_score=rounded(day.sleep_score, 0),
        sleep_quality=day.sleep_quality,
        readiness=rounded(day.readiness, 0),
        soreness=day.soreness,
        fatigue=day.fatigue,
        stress=day.stress,
        mood=day.mood,
        motivation=day.motivation,
        injury=day.injury,
        steps=day.steps,
        comments=day.comments or None,
    )
    if not detail:
        return out
    return out.model_copy(
        update={
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


def _has_data(day: WellnessDayOut) -> bool:
    return any(value is not None for key, value in day if key != "date")


def _scales(days: list[WellnessDayOut]) -> dict[str, str] | None:
    keys = ("sleep_quality", "soreness", "fatigue", "stress", "mood", "motivation", "injury")
    used = {key for day in days for key in keys if getattr(day, key) is not None}
    return {key: SCALES[key] for key in sorted(used)} or None


async def get_wellness_data(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    detail: Annotated[bool, Field(description="Add all fields, not only the summary")] = False,
) -> WellnessList:
    """Daily wellness between two dates (default: the last 7 days): fitness, fatigue, form,
    weight, resting HR, HRV, sleep and how you felt."""
    window = resolve_window(
        start_date,
        end_date,
        today=ctx.today(),
        days_back=DEFAULT_DAYS_BACK,
        max_days=MAX_WINDOW_DAYS,
    )
    try:
        records = await ctx.api.list_wellness(window.oldest, window.newest)
    except EXPECTED_ERRORS as error:
        raise describe(error, "wellness data") from None
    in_window = sorted(
        (r for r in records if window.oldest <= r.id <= window.newest), key=lambda r: r.id
    )
    days = [d for d in (wellness_out(r, detail=detail) for r in in_window) if _has_data(d)]
    return WellnessList(
        timezone=str(ctx.timezone),
        oldest=window.oldest.isoformat(),
        newest=window.newest.isoformat(),
        count=len(days),
        days=days,
        scales=_scales(days),
    )
