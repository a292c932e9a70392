"""Who may sign in: the access policy (``open`` or ``allowlist``) and the operator allowlist.

Athlete ids are compared exactly as Intervals.icu spells them (``i12345`` for new accounts, a
bare number for some old ones); the operator copies them from Intervals.icu.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AllowedAthlete, Athlete
from app.intervals import ids
from app.settings import Settings


def canonical_athlete_id(value: str) -> str:
    """A validated, real athlete id (``0``, "the key's owner", is refused here)."""
    text = ids.athlete_id(value)
    if text == "0":
        raise ids.InvalidId("athlete id 0 means 'the key's owner'; give the real id")
    return text


def allowlist_athlete_id(value: str, *, legacy: bool = False) -> str:
    """An athlete id for ``allowlist add``. Intervals.icu ids look like ``i12345``; only
    accounts from its early years have bare numbers (``2049151``, intervals-api.md 3.2). A bare
    number is far more often an ``i`` id typed without its ``i``, which would never match the
    key owner's id at sign-in, so it is refused unless ``legacy`` says it is such an old id."""
    text = canonical_athlete_id(value)
    if text.startswith("i") or legacy:
        return text
    raise ids.InvalidId(
        f"{text} has no leading 'i'. Intervals.icu athlete ids look like i{text}: run "
        f"'allowlist add i{text}'. Only accounts from Intervals.icu's early years have bare "
        f"numeric ids; if this athlete's id really is {text} (as shown on their Intervals.icu "
        "settings page), add it with --legacy-id."
    )


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str = ""


async def check_access(db: AsyncSession, settings: Settings, intervals_id: str) -> AccessDecision:
    """Whether this athlete may sign in: the operator's disable flag, then the access policy."""
    athlete = await find_athlete(db, intervals_id)
    if athlete is not None and athlete.is_disabled:
        return AccessDecision(
            False, "This account has been disabled by the gateway's operator. Contact them."
        )
    if settings.access_policy == "open" or await is_allowlisted(db, intervals_id):
        return AccessDecision(True)
    return AccessDecision(
        False,
        f"This gateway is limited to its club's or team's athletes, and athlete "
        f"{intervals_id} is not on its list. Ask the operator to add you.",
    )


async def find_athlete(db: AsyncSession, intervals_id: str) -> Athlete | None:
    """The account for an Intervals.icu athlete id, if any."""
    result = await db.execute(select(Athlete).where(Athlete.intervals_id == intervals_id))
    return result.scalar_one_or_none()


async def is_allowlisted(db: AsyncSession, intervals_id: str) -> bool:
    entry = await db.get(AllowedAthlete, canonical_athlete_id(intervals_id))
    return entry is not None


async def allowlist_add(db: AsyncSession, intervals_id: str, note: str = "") -> bool:
    """Add an athlete id; False if it was already listed."""
    key = canonical_athlete_id(intervals_id)
    if await db.get(AllowedAthlete, key) is not None:
        return False
    db.add(AllowedAthlete(intervals_id=key, note=note[:200]))
    await db.flush()
    return True


async def allowlist_remove(db: AsyncSession, intervals_id: str) -> bool:
    """Remove an athlete id; False if it was not listed."""
    result = await db.execute(
        delete(AllowedAthlete).where(
            AllowedAthlete.intervals_id == canonical_athlete_id(intervals_id)
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def allowlist_entries(db: AsyncSession) -> Sequence[AllowedAthlete]:
    result = await db.execute(select(AllowedAthlete).order_by(AllowedAthlete.intervals_id))
    return result.scalars().all()
