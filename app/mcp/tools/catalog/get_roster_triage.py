"""``get_roster_triage``: one compact row per athlete on the caller's roster, sorted by who
needs attention (app/coach/triage.py has the signals and their points; docs/clubs.md
"Roster triage"). Two upstream reads per athlete (``GET /athlete/{id}/wellness``, ``GET
/athlete/{id}/events``), at most :data:`PARALLEL` athletes at a time, all drawn under the
coach's own share of the gateway's rate budget. The reads go through the per-athlete answer
cache (app/intervals/answer_cache.py), so paging through a large squad asks Intervals.icu
nothing more while the cache holds them, and an athlete's webhook or a write through the
gateway refreshes their row at once (no rows are kept apart from that cache). Each row is
filtered by that athlete's sharing policy, like every answer about them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field

from app.coach.roster import RosterEntry
from app.coach.triage import (
    EVENTS_AHEAD_DAYS,
    EVENTS_BACK_DAYS,
    WELLNESS_DAYS,
    Day,
    Planned,
    assess,
)
from app.mcp.tools.context import zone_or_utc
from app.mcp.tools.kit import Answer, AthleteContext, ToolFailure, join, tool, upstream_errors

PARALLEL = 4
"""Athletes read at once (each read is two sequential requests)."""
MAX_SQUAD = 100
"""Athletes triaged in one call (200 upstream requests at most)."""
MAX_PAGE_SIZE = 50


class TriageRow(Answer):
    """One athlete: the measures and why they need attention (score: higher first)."""

    athlete: str
    score: int
    reasons: list[str] = []
    acwr: float | None = None
    form_pct: float | None = None
    hrv_vs_baseline_pct: float | None = None
    missed_workouts: int | None = None
    last_training: str | None = None
    next_race: str | None = None
    unreadable: str | None = None

    def line(self) -> str:
        measures = join(
            [
                f"acute:chronic {self.acwr}" if self.acwr is not None else None,
                f"form {self.form_pct} %" if self.form_pct is not None else None,
                f"HRV {self.hrv_vs_baseline_pct:+g} %"
                if self.hrv_vs_baseline_pct is not None
                else None,
                f"missed {self.missed_workouts}" if self.missed_workouts else None,
                f"last training {self.last_training}" if self.last_training else None,
                f"next race {self.next_race}" if self.next_race else None,
            ]
        )
        why = self.unreadable or "; ".join(self.reasons) or "nothing to flag"
        return f"[{self.score}] {self.athlete}: {why}" + (f" ({measures})" if measures else "")


class RosterTriage(Answer):
    """The roster's rows, most in need of attention first, one page of them."""

    athletes: int
    page: int
    pages: int
    rows: list[TriageRow]

    def text(self) -> str:
        head = f"Roster triage: {self.athletes} athletes, page {self.page} of {self.pages}"
        return "\n".join([head, *(row.line() for row in self.rows)])


@tool(
    title="Roster triage",
    toolset="coach",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the data athletes share with the coach in Intervals.icu; changes nothing there or "
        "anywhere public."
    ),
)
async def get_roster_triage(
    ctx: AthleteContext,
    page: Annotated[int, Field(ge=1)] = 1,
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> RosterTriage:
    """Your roster (athletes who share their data with you), one row each, most in need of
    attention first: acute:chronic load, form, HRV vs baseline, missed planned workouts, last
    training, next race."""
    squad = ctx.squad
    members = list(await squad.members()) if squad is not None else []
    if squad is None or not members:
        raise ToolFailure("Nobody shares their data with you, so there is no roster.")
    members = members[:MAX_SQUAD]
    now = ctx.now()
    gate = asyncio.Semaphore(PARALLEL)

    async def one(entry: RosterEntry) -> TriageRow:
        async with gate:
            return await _row(ctx, entry, now)

    rows = sorted(
        await asyncio.gather(*(one(m) for m in members)),
        key=lambda r: (-r.score, r.athlete.casefold()),
    )
    pages = max(1, -(-len(rows) // page_size))
    if page > pages:
        raise ToolFailure(f"page {page} is past the last page ({pages}).")
    start = (page - 1) * page_size
    return RosterTriage(
        athletes=len(rows), page=page, pages=pages, rows=rows[start : start + page_size]
    )


async def _row(ctx: AthleteContext, entry: RosterEntry, now: datetime) -> TriageRow:
    """One athlete's row (their local today), or a row saying why they could not be read."""
    assert ctx.squad is not None
    try:
        session = await ctx.squad.session(entry)
        async with upstream_errors(entry.label):
            profile_today = now.astimezone(zone_or_utc(entry.timezone)).date()
            wellness = await session.list_wellness(
                profile_today - timedelta(days=WELLNESS_DAYS),
                profile_today,
                fields=["ctl", "atl", "ctlLoad", "hrv"],
                only_fields=True,
            )
            events = await session.list_events(
                profile_today - timedelta(days=EVENTS_BACK_DAYS),
                profile_today + timedelta(days=EVENTS_AHEAD_DAYS),
            )
    except ToolFailure as failure:
        return TriageRow(athlete=entry.label, score=100, unreadable=str(failure))
    days = [Day(w.id, w.ctl, w.atl, w.ctl_load, w.hrv) for w in wellness]
    planned = [Planned(e.start_date_local.date(), e.category, e.name) for e in events]
    triage = assess(days, planned, profile_today)
    race = triage.next_race
    row = TriageRow(
        athlete=entry.label,
        score=triage.score,
        reasons=triage.reasons,
        acwr=triage.acwr,
        form_pct=triage.form_pct,
        hrv_vs_baseline_pct=triage.hrv_vs_baseline_pct,
        missed_workouts=triage.missed_workouts or None,
        last_training=None if triage.last_load_day is None else triage.last_load_day.isoformat(),
        next_race=None if race is None else f"{race.day.isoformat()} {race.name or ''}".strip(),
    )
    return TriageRow.model_validate(entry.policy.filter(row.model_dump(), now))
