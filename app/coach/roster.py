"""A coach's roster: the athletes a signed-in caller may act for, and the ``athlete`` argument.

Two sources (issue 18): Intervals.icu itself (an API key's ``GET /athletes``: athletes the key
owner coaches or follows with permission; a bearer token cannot call it) and athletes who
signed in to this gateway and chose to share with the caller (app/coach/store.py). The roster
is re-checked on the server for every tool call, through :class:`RosterCache` (a short TTL,
and :meth:`RosterCache.invalidate` when a share changes), so a model-supplied athlete outside
it is refused on every call, not only when the tool list was built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from app.coach.policy import EVERYTHING_SHARED, SharingPolicy

Source = Literal["intervals", "gateway"]


class NotOnRoster(Exception):
    """The ``athlete`` argument names nobody the caller may act for (or several people)."""


@dataclass(frozen=True)
class RosterEntry:
    """One athlete the caller may act for.

    ``source`` says whose credential reads them: ``intervals`` the caller's own (Intervals.icu
    lets it read this athlete), ``gateway`` the athlete's own stored credential (they signed in
    here and shared with the caller; ``athlete_pk`` is their row)."""

    intervals_id: str
    name: str
    source: Source = "intervals"
    athlete_pk: int | None = None
    policy: SharingPolicy = EVERYTHING_SHARED
    timezone: str = "UTC"

    @property
    def label(self) -> str:
        """``Lena Vogel (i100002)``: how answers name the athlete they are about."""
        return f"{self.name} ({self.intervals_id})" if self.name else self.intervals_id


@dataclass(frozen=True)
class Roster:
    """Everyone ``owner_id`` may act for besides themself (empty: not a coach)."""

    owner_id: str
    entries: tuple[RosterEntry, ...] = ()
    owner_name: str = ""

    def __bool__(self) -> bool:
        return bool(self.entries)

    def resolve(self, value: str) -> RosterEntry:
        """The entry ``value`` names: an Intervals.icu id (``i123`` or bare ``123``) or a name,
        case-insensitive, matching one athlete only (a full name or a unique first word)."""
        wanted = " ".join(value.split()).casefold()
        if not wanted:
            raise NotOnRoster("Name an athlete on your roster (id or name).")
        bare = wanted.removeprefix("i")
        for entry in self.entries:
            if entry.intervals_id.casefold() in (wanted, f"i{bare}") or (
                entry.intervals_id == bare
            ):
                return entry
        named = [e for e in self.entries if e.name.casefold() == wanted]
        if not named:
            named = [e for e in self.entries if e.name.casefold().split()[:1] == [wanted]]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise NotOnRoster(
                f"Several athletes on your roster match {value!r}: "
                + ", ".join(e.label for e in named)
                + "; give the id."
            )
        raise NotOnRoster(
            f"{value!r} is not on your roster: no athlete of that id or name shares their data "
            "with you."
        )


def merged(owner_id: str, groups: Sequence[Sequence[RosterEntry]], owner_name: str = "") -> Roster:
    """One roster from several sources, without the owner; the first source naming an athlete
    wins (a gateway share, with the athlete's own credential and hiding choices, comes first)."""
    seen: dict[str, RosterEntry] = {}
    for group in groups:
        for entry in group:
            if entry.intervals_id != owner_id and entry.intervals_id not in seen:
                seen[entry.intervals_id] = entry
    ordered = sorted(seen.values(), key=lambda e: (e.name.casefold(), e.intervals_id))
    return Roster(owner_id, tuple(ordered), owner_name)


@dataclass
class RosterCache:
    """Each caller's roster for ``ttl``; :meth:`invalidate` when a share changes. One per app
    (``Services.rosters``), process-local and bounded (the oldest entry goes first when full):
    with several instances, another instance sees a change within ``ttl``."""

    ttl: timedelta = timedelta(seconds=60)
    max_entries: int = 10_000
    _entries: dict[str, tuple[datetime, Roster]] = field(default_factory=dict, repr=False)

    def get(self, owner_id: str, now: datetime) -> Roster | None:
        entry = self._entries.get(owner_id)
        if entry is None or now - entry[0] >= self.ttl:
            return None
        return entry[1]

    def put(self, roster: Roster, now: datetime) -> None:
        self._entries.pop(roster.owner_id, None)
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[roster.owner_id] = (now, roster)

    def invalidate(self, owner_id: str | None = None) -> None:
        """Forget one coach's roster (all when None): the next call reads it afresh."""
        if owner_id is None:
            self._entries.clear()
        else:
            self._entries.pop(owner_id, None)
