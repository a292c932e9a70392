"""``get_activities``: ``GET /athlete/{id}/activities`` (``oldest``, ``newest``, ``limit``,
``fields`` = what the summary or detail reads; newest first; intervals-api.md §2.2). Only
activities starting on one of the window's local days are kept, whatever upstream sends."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from app.intervals.models import Activity
from app.mcp.tools.catalog._activity import (
    DETAIL_READS,
    SUMMARY_READS,
    ActivityDetail,
    ActivitySummary,
    Detail,
    pace_units_for,
)
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.kit import AthleteContext, IsoDate, WindowAnswer, legends, scale_lines, tool
from app.mcp.tools.kit import upstream_errors as upstream

DEFAULT_DAYS_BACK = 30
MAX_WINDOW_DAYS = 366
MAX_LIMIT = 100


class ActivityList(WindowAnswer):
    """Activities in a local date window, newest first."""

    activities: list[ActivityDetail | ActivitySummary]
    scales: dict[str, str] | None = None

    def text(self) -> str:
        lines = [a.line() for a in self.activities]
        return "\n".join([self.header("activities"), *lines, *scale_lines(self.scales)])


def example(fake: Any, athlete: str) -> dict[str, Any]:
    return {"start_date": "2026-07-20", "end_date": "2026-07-26", "limit": 3}


@tool(
    title="Activities",
    toolset="core",
    example=example,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities in the athlete's own Intervals.icu account; changes nothing there or "
        "anywhere public."
    ),
)
async def get_activities(
    ctx: AthleteContext,
    start_date: IsoDate = None,
    end_date: IsoDate = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 10,
    detail: Detail = False,
) -> ActivityList:
    """Activities between two dates (default: last 30 days), newest first."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    fields = upstream_fields(Activity, *(DETAIL_READS if detail else SUMMARY_READS))
    async with upstream("activities"):
        found = await ctx.api.list_activities(
            window.oldest, window.last_second, limit=limit, fields=fields, only_fields=True
        )
    kept = [a for a in found if window.contains(a.start_date_local)][:limit]
    pace = await pace_units_for(ctx, [a.type for a in kept])
    shape = ActivityDetail if detail else ActivitySummary
    activities = shape.all_from_upstream(kept, pace)
    return ActivityList(
        **ActivityList.window_fields(
            window, str(ctx.timezone), len(activities), len(found) >= limit
        ),
        activities=activities,
        scales=legends(shape.scales_in(activities)),
    )
