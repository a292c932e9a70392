"""The one place where account code calls Intervals.icu: reading the athlete profile that proves
a credential works (``GET /api/v1/athlete/{id}``, id ``0`` = the credential's owner)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.intervals.client import IntervalsClient
from app.intervals.credentials import Credential

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class AthleteProfile:
    """What the gateway keeps about an athlete: Intervals.icu id, display name, time zone."""

    intervals_id: str
    name: str
    timezone: str
    coaches: bool = False
    """Intervals.icu's ``icu_coach``: the athlete coaches others (coach access, issue 18)."""


ProfileLookup = Callable[[Credential, str], Awaitable[AthleteProfile]]
"""``(credential, athlete_id) -> profile``; raises app.intervals.errors exceptions."""


def profile_lookup(client: IntervalsClient) -> ProfileLookup:
    """A lookup backed by the process-wide Intervals.icu client."""

    async def lookup(credential: Credential, athlete_id: str) -> AthleteProfile:
        athlete = await client.session(credential, athlete_id).get_athlete()
        full_name = " ".join(p for p in (athlete.firstname, athlete.lastname) if p)
        return AthleteProfile(
            intervals_id=athlete.id,
            name=(athlete.name or full_name or athlete.id)[:200],
            timezone=(athlete.timezone or DEFAULT_TIMEZONE)[:64],
            coaches=bool(athlete.icu_coach),
        )

    return lookup
