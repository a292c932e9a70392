"""The athlete's sharing choices on the account page (issue 18): which coaches may act for them
through the gateway, and per coach which data categories stay hidden and until when.

Plain functions: the form is parsed here (clear errors for bad input, nothing stored until it
is valid); app/coach/store.py stores the choice and invalidates the coach's cached roster;
app/coach/policy.py applies it to every answer a coach receives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coach.policy import CATEGORIES
from app.coach.store import policy_of, shares_of_athlete
from app.db.models import Athlete

CATEGORY_LABELS: Mapping[str, str] = {
    "weight": "Weight and body fat",
    "wellness_notes": "Wellness notes (comments, injury, soreness)",
    "location": "Location (city, country, GPS positions)",
}
"""What the sharing form calls each category of app/coach/policy.py."""
_COACH_ID = re.compile(r"i?([1-9][0-9]{0,11})")


class SharingRefused(ValueError):
    """The sharing form cannot be accepted; the message says why."""


@dataclass(frozen=True)
class SharingChoice:
    """A validated sharing form: the coach (``i123``), the hidden categories, and the moment
    they stop being hidden (None: until the athlete changes it)."""

    coach_id: str
    hidden: tuple[str, ...]
    until: datetime | None


@dataclass(frozen=True)
class ShareRow:
    """One coach the athlete shares with, as the account page shows it."""

    coach_id: str
    coach_name: str
    hidden: frozenset[str]
    until: date | None
    active_now: frozenset[str]


def coach_id_of(raw: str) -> str:
    """``i123`` from ``i123`` or ``123`` (the coach's Intervals.icu athlete id)."""
    match = _COACH_ID.fullmatch(raw.strip())
    if match is None:
        raise SharingRefused(
            "Enter the coach's Intervals.icu athlete id, like i123456 (their profile URL)."
        )
    return f"i{match.group(1)}"


def parse_choice(form: Mapping[str, str], own_id: str, zone: ZoneInfo) -> SharingChoice:
    """The choice in ``form``: ``coach_id``, ``hide_<category>`` checkboxes and ``until``
    (a date, ``YYYY-MM-DD``: hidden through that day in the athlete's time zone)."""
    coach = coach_id_of(form.get("coach_id", ""))
    if coach == own_id:
        raise SharingRefused("That is your own athlete id; enter your coach's.")
    hidden = tuple(c for c in CATEGORIES if form.get(f"hide_{c}") == "on")
    until = _end_of_day(form.get("until", "").strip(), zone)
    if until is not None and not hidden:
        raise SharingRefused("Choose what to hide, or leave the date empty.")
    return SharingChoice(coach, hidden, until)


def _end_of_day(raw: str, zone: ZoneInfo) -> datetime | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise SharingRefused("The date must look like 2026-12-31.") from None
    return datetime.combine(day + timedelta(days=1), time(), zone)


async def share_rows(
    db: AsyncSession, athlete_pk: int, zone: ZoneInfo, now: datetime
) -> list[ShareRow]:
    """The athlete's shares with their coaches' names (when the coach has signed in here)."""
    shares = await shares_of_athlete(db, athlete_pk)
    names = await _names(db, [s.coach_intervals_id for s in shares])
    rows = []
    for share in shares:
        policy = policy_of(share)
        last_day = None
        if policy.until is not None:
            last_day = (policy.until.astimezone(zone) - timedelta(seconds=1)).date()
        rows.append(
            ShareRow(
                coach_id=share.coach_intervals_id,
                coach_name=names.get(share.coach_intervals_id, ""),
                hidden=policy.hidden,
                until=last_day,
                active_now=policy.hidden_now(now),
            )
        )
    return rows


async def _names(db: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await db.execute(
        select(Athlete.intervals_id, Athlete.name).where(Athlete.intervals_id.in_(ids))
    )
    return {intervals_id: name for intervals_id, name in rows.all()}
