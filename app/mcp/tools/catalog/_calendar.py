"""Calendar events as a write kind, and the guardrails calendar writes run (issue 15).

Events are read with ``GET /athlete/{id}/events/{eventId}`` and written with ``POST``/``PUT``/
``DELETE`` on ``/athlete/{id}/events`` (intervals-api.md §2.5). A change tracks the fields
below under their tool names; the day is ``start_date_local``'s date (all-day events).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from app.intervals import errors as upstream
from app.intervals.models import Event
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import ISO_DATE_PATTERN, parse_day
from app.mcp.tools.errors import ToolFailure, upstream_errors
from app.mcp.tools.schema import (
    checked_not_published,
    date_argument_schema,
    optional_argument_schema,
)
from app.mcp.tools.writes import WriteAnswer, register_kind, submit
from app.training import guardrails as rules
from app.training.guardrails import Finding
from app.writes.changes import Fields, PlannedChange

Category = Literal["WORKOUT", "RACE_A", "RACE_B", "RACE_C", "NOTE", "TARGET"]
FIELDS = {
    "category": "category",
    "date": "start_date_local",
    "type": "type",
    "name": "name",
    "description": "description",
    "load": "icu_training_load",
    "external_id": "external_id",
}
"""Tool name -> upstream field of the event fields a change tracks."""
CLEARED: dict[str, Any] = {"name": "", "description": "", "load": -1, "type": "", "external_id": ""}


def event_fields(event: Event) -> dict[str, Any]:
    """The tracked fields of an upstream event, under their tool names."""
    raw = event.model_dump(mode="json")
    values = {name: raw.get(field) for name, field in FIELDS.items()}
    values["date"] = event.start_date_local.date().isoformat()
    return values


def upstream_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """Tool-named values as an ``EventEx`` body (a None clears the field)."""
    return {
        FIELDS[name]: CLEARED.get(name) if value is None else value
        for name, value in values.items()
    }


async def own_event(ctx: AthleteContext, event_id: int) -> Event:
    """The acting athlete's event, or "not found" (also for another athlete's)."""
    what = f"event {event_id}"
    async with upstream_errors(what):
        event = await ctx.api.get_event(event_id)
    ctx.owned(event.athlete_id, what)
    return event


class Events:
    """A calendar event as an :class:`~app.mcp.tools.writes.ObjectKind` (key: the event id)."""

    area = "CALENDAR"

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields | None:
        async with upstream_errors(f"event {key}"):
            try:
                event = await ctx.api.get_event(int(key))
            except upstream.NotFound:
                return None
        if event.athlete_id != ctx.athlete_id:
            return None
        values = event_fields(event)
        return {name: values.get(name) for name in fields}

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        what = f"event {change.key}" if change.key else "a new event"
        async with upstream_errors(what):
            if change.after is None:
                if change.key is None:
                    raise ToolFailure("An event that was never created cannot be deleted.")
                await ctx.api.delete_event(int(change.key))
                return change
            body = upstream_body(change.after)
            if change.before is None:
                created = await ctx.api.create_event(body)
                return dataclasses.replace(change, key=str(created.id))
            if change.key is None:
                raise ToolFailure("This event has no id to update.")
            await ctx.api.update_event(int(change.key), body)
        return change


EVENTS = register_kind("event", Events())


def label(values: Mapping[str, Any], key: str | int | None = None) -> str:
    """``event 123 "Threshold" on 2026-08-01`` for previews and the journal."""
    head = f"event {key}" if key is not None else "new event"
    name = values.get("name")
    when = values.get("date")
    return head + (f" {name!r}" if name else "") + (f" on {when}" if when else "")


# -- guardrails ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Session:
    """A planned session as the guardrails see it: its day, load and intensity (% threshold)."""

    day: date
    load: float | None
    intensity_pct: float | None = None


async def load_findings(
    ctx: AthleteContext, added: Session | None, removed: Session | None
) -> list[Finding]:
    """Weekly ramp and acute:chronic for adding ``added`` (and taking away ``removed``, for a
    move or update). Anchored on yesterday's fitness (``GET /athlete/{id}/wellness``) and
    projected over the planned loads of ``GET /athlete/{id}/events``; nothing is said for past
    days or when the athlete has no fitness data."""
    today = ctx.today()
    if added is None or not added.load or added.day < today:
        return []
    yesterday, week_ago = today - timedelta(days=1), added.day - timedelta(days=7)
    async with upstream_errors("your fitness"):
        days = await ctx.api.list_wellness(
            min(week_ago, yesterday), yesterday, fields=["ctl", "atl"], only_fields=True
        )
        planned = await ctx.api.list_events(today, added.day)
    known = {w.id: (w.ctl, w.atl) for w in days if w.ctl is not None and w.atl is not None}
    if yesterday not in known:
        return []
    loads: dict[date, float] = defaultdict(float)
    for event in planned:
        loads[event.start_date_local.date()] += event.icu_training_load or 0
    change: dict[date, float] = defaultdict(float)
    change[added.day] += added.load
    if removed is not None and removed.load and removed.day >= today:
        change[removed.day] -= removed.load
    ctl, atl = known[yesterday]
    before = after = (float(ctl or 0), float(atl or 0))
    path: dict[date, float] = {}
    day = today
    while day <= added.day:
        before = rules.project(*before, [loads[day]])
        after = rules.project(*after, [loads[day] + change[day]])
        path[day] = before[0]
        day += timedelta(days=1)
    week_ago_ctl = known[week_ago][0] if week_ago in known else path.get(week_ago)
    found: list[Finding | None] = [rules.acute_chronic(before, after, ctx.guardrails)]
    if week_ago_ctl is not None:
        found.insert(0, rules.weekly_ramp(week_ago_ctl, before[0], after[0], ctx.guardrails))
    return [f for f in found if f is not None]


async def race_findings(ctx: AthleteContext, session: Session | None) -> list[Finding]:
    """A hard session the day before an A race (``RACE_A`` events of the next day)."""
    if session is None or not rules.is_hard(session.intensity_pct, session.load, ctx.guardrails):
        return []
    next_day = session.day + timedelta(days=1)
    async with upstream_errors("your races"):
        races = await ctx.api.list_events(next_day, next_day, category=["RACE_A"])
    found = rules.hard_before_a_race(
        session.day,
        session.intensity_pct,
        session.load,
        [(r.start_date_local.date(), r.name or "A race") for r in races],
        ctx.guardrails,
    )
    return [found] if found else []


async def race_day_findings(ctx: AthleteContext, values: Mapping[str, Any]) -> list[Finding]:
    """Putting an A race on the day after a hard planned session (the other way round of
    :func:`race_findings`)."""
    if values.get("category") != "RACE_A":
        return []
    race_day = date.fromisoformat(values["date"])
    eve = race_day - timedelta(days=1)
    async with upstream_errors("your planned sessions"):
        planned = await ctx.api.list_events(eve, eve, category=["WORKOUT"])
    for event in planned:
        found = rules.hard_before_a_race(
            eve,
            event.icu_intensity,
            event.icu_training_load,
            [(race_day, values.get("name") or "A race")],
            ctx.guardrails,
        )
        if found:
            return [found]
    return []


async def paired_findings(ctx: AthleteContext, event: Event) -> list[Finding]:
    """Deleting an event an activity of its day is paired with (``paired_event_id``)."""
    day = event.start_date_local.date()
    async with upstream_errors("the activities of that day"):
        activities = await ctx.api.list_activities(
            day, day + timedelta(days=1), fields=["paired_event_id", "name"], only_fields=True
        )
    found = rules.paired_event(
        event.id,
        [(a.id, a.paired_event_id, a.name or "activity") for a in activities],
        ctx.guardrails,
    )
    return [found] if found else []


async def session_findings(
    ctx: AthleteContext, added: Session | None, removed: Session | None = None
) -> list[Finding]:
    """Every calendar guardrail for putting ``added`` on the calendar (instead of
    ``removed``)."""
    return [*await load_findings(ctx, added, removed), *await race_findings(ctx, added)]


def session_of(values: Mapping[str, Any], intensity_pct: float | None = None) -> Session | None:
    """The session a set of event values plans (workouts and races only)."""
    if values.get("category") not in ("WORKOUT", "RACE_A", "RACE_B", "RACE_C"):
        return None
    return Session(date.fromisoformat(values["date"]), values.get("load"), intensity_pct)


async def guarded_submit(
    ctx: AthleteContext,
    changes: Sequence[PlannedChange],
    confirm: str | None,
    findings: Sequence[Finding],
) -> WriteAnswer:
    """Refuse when the operator set a finding's rule to refuse; else preview/apply with the
    findings as warnings."""
    refused = rules.refusal(findings)
    if refused:
        raise ToolFailure(refused)
    return await submit(ctx, changes, confirm, extra_warnings=[f.message for f in findings])


# -- arguments shared by the calendar write tools -----------------------------------------

EventId = Annotated[int, Field(ge=1)]
OptionalCategory = Annotated[Category | None, Field(json_schema_extra=optional_argument_schema)]
Day = Annotated[str, Field(pattern=ISO_DATE_PATTERN, json_schema_extra=date_argument_schema)]
"""The athlete's local day, published as ``"format": "date"`` (checked_day refuses 2026-02-30)."""
Name = Annotated[
    str | None, Field(min_length=1, max_length=80, json_schema_extra=checked_not_published)
]
Text = Annotated[
    str | None,
    Field(max_length=4000, description="Workout text", json_schema_extra=checked_not_published),
]
Sport = Annotated[
    str | None,
    Field(
        pattern=r"^[A-Za-z]{2,30}$",
        description="Ride, Run...",
        json_schema_extra=optional_argument_schema,
    ),
]
Load = Annotated[
    float | None,
    Field(ge=0, le=2000, json_schema_extra=checked_not_published),
]


def checked_day(value: str, name: str = "date") -> str:
    """A real ``YYYY-MM-DD`` day (the pattern lets 2026-02-30 through)."""
    return parse_day(value, name).isoformat()
