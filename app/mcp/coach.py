"""Coach access on the multi-user endpoint: the caller's roster, and sessions for its athletes.

The roster (app/coach/roster.py) joins two sources: the caller's Intervals.icu API key's
``GET /athletes`` when their profile said at sign-in that they coach (``icu_coach``, kept as
``athletes.coaches``; a follower who does not coach gets no roster from it, and
``GET /athletes`` refuses bearer tokens), and athletes who signed in here and shared with the
caller (app/coach/store.py). It is cached per caller for a short time, invalidated when a
share changes, and consulted on every tool call.

An athlete from Intervals.icu is read with the coach's own key; an athlete who shared here is
read with their own stored credential (decrypted for that call only). A coach's changes are
recorded in the athlete's journal with the coach named (app/writes/store.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.clock import utc_now
from app.coach.roster import Roster, RosterCache, RosterEntry, merged
from app.coach.store import gateway_roster
from app.db.engine import transaction
from app.db.models import Athlete, Credential
from app.intervals.client import IntervalsClient
from app.intervals.credentials import ApiKey
from app.intervals.errors import IntervalsError
from app.intervals.session import AthleteSession
from app.mcp.identity import Caller
from app.mcp.tools.context import Clock
from app.mcp.tools.errors import ToolFailure
from app.settings import EncryptionKey
from app.vault.crypto import Vault, VaultError
from app.vault.store import SealedCredential, UpstreamCredential, unseal
from app.writes.changes import DEFAULT_CONFIRM_TTL, Claim, JournalEntry, PlannedChange
from app.writes.store import SqlWriteStore

log = logging.getLogger(__name__)


@dataclass
class CoachAccess:
    """Rosters and per-athlete sessions for callers of the multi-user endpoint."""

    sessions: async_sessionmaker[AsyncSession]
    keyring: Vault | Sequence[EncryptionKey]
    intervals: IntervalsClient
    clock: Clock = field(default=utc_now)
    cache: RosterCache = field(default_factory=RosterCache)

    async def roster(self, caller: Caller, credential: UpstreamCredential) -> Roster:
        """Everyone the caller may act for (cached briefly). When Intervals.icu cannot be
        asked, the athletes who shared here still count, and nothing is cached."""
        now = self.clock()
        cached = self.cache.get(caller.intervals_id, now)
        if cached is not None:
            return cached
        async with self.sessions() as db:
            shared = await gateway_roster(db, caller.intervals_id)
            name = await db.scalar(select(Athlete.name).where(Athlete.id == caller.athlete_pk))
        try:
            upstream = await self._intervals_roster(caller, credential)
        except IntervalsError as error:
            log.info(
                "roster of athlete row %s: Intervals.icu not asked (%s)",
                caller.athlete_pk,
                type(error).__name__,
            )
            partial = merged(caller.intervals_id, [shared], name or "")
            return replace(partial, complete=False)
        roster = merged(caller.intervals_id, [shared, upstream], name or "")
        self.cache.put(roster, now)
        return roster

    async def _intervals_roster(
        self, caller: Caller, credential: UpstreamCredential
    ) -> list[RosterEntry]:
        """``GET /athletes`` for a coach's API key (a coach: ``icu_coach`` at sign-in; no
        upstream request for anyone else)."""
        if not caller.coaches:
            return []  # a follower may read athletes upstream but does not coach them
        if not isinstance(credential, ApiKey):
            return []  # upstream refuses GET /athletes with a bearer token
        own = self.intervals.session(credential, caller.intervals_id, owner_id=caller.intervals_id)
        return [
            RosterEntry(a.id, a.name or "", "intervals", timezone=a.timezone or "UTC")
            for a in await own.list_athletes()
        ]

    async def session(
        self,
        caller: Caller,
        credential: UpstreamCredential,
        entry: RosterEntry,
        rate_key: str | None = None,
    ) -> AthleteSession:
        """A session reading ``entry``: with the coach's key, or the athlete's own credential
        when they shared here. ``rate_key`` draws its requests from another share of the rate
        budget (the roster triage: the coach's own, so a squad counts as one caller)."""
        if entry.source == "intervals" or entry.athlete_pk is None:
            return self.intervals.session(
                credential, entry.intervals_id, owner_id=caller.intervals_id, rate_key=rate_key
            )
        own = await self._athlete_credential(entry)
        return self.intervals.session(
            own, entry.intervals_id, owner_id=entry.intervals_id, rate_key=rate_key
        )

    async def _athlete_credential(self, entry: RosterEntry) -> UpstreamCredential:
        async with self.sessions() as db:
            row = await db.scalar(
                select(Credential).where(Credential.athlete_id == entry.athlete_pk)
            )
        if row is None or row.rejected_at is not None:
            raise ToolFailure(f"{entry.label} must sign in to the gateway again.")
        try:
            return unseal(self.keyring, SealedCredential.of_row(row))
        except VaultError:
            log.error("credential of athlete row %s cannot be decrypted", entry.athlete_pk)
            raise ToolFailure(f"{entry.label}'s data cannot be read right now.") from None


@dataclass
class CallerSquad:
    """The :class:`~app.mcp.tools.context.Squad` of one tool call."""

    access: CoachAccess
    caller: Caller
    credential: UpstreamCredential
    reached: set[str] = field(default_factory=set)
    """The roster athletes this call covered (their access logs record the call), whether
    their rows came from Intervals.icu or the triage's short cache."""

    async def members(self) -> Sequence[RosterEntry]:
        entries = (await self.access.roster(self.caller, self.credential)).entries
        self.reached.update(entry.intervals_id for entry in entries)
        return entries

    async def session(self, entry: RosterEntry) -> AthleteSession:
        return await self.access.session(
            self.caller, self.credential, entry, rate_key=self.caller.intervals_id
        )


@dataclass
class CoachWrites:
    """The write store of a coach acting for a roster athlete: handles bound to the coach's
    grant, journal entries in the ATHLETE's journal naming the coach. An athlete known only
    from Intervals.icu gets a gateway row (no credential, cannot sign in by it) on the first
    write, so their journal exists when they sign in."""

    sessions: async_sessionmaker[AsyncSession]
    caller: Caller
    entry: RosterEntry
    coach_name: str
    ttl: timedelta = DEFAULT_CONFIRM_TTL
    _store: SqlWriteStore | None = None

    async def issue(
        self, request: str, state: str, summary: str, now: datetime
    ) -> tuple[str, datetime]:
        return await (await self.store()).issue(request, state, summary, now)

    async def claim(self, handle: str, request: str, state: str, now: datetime) -> Claim:
        return await (await self.store()).claim(handle, request, state, now)

    async def release(self, handle: str) -> None:
        await (await self.store()).release(handle)

    async def record(self, handle: str, applied: Sequence[PlannedChange], now: datetime) -> str:
        return await (await self.store()).record(handle, applied, now)

    async def entries(
        self,
        *,
        change_ids: Sequence[int] = (),
        batch_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[JournalEntry]:
        if self._store is None and self.entry.athlete_pk is None:
            async with self.sessions() as db:
                known = await db.scalar(
                    select(Athlete.id).where(Athlete.intervals_id == self.entry.intervals_id)
                )
            if known is None:
                return []  # never written for: reading the journal creates no row
        store = await self.store()
        return await store.entries(
            change_ids=change_ids, batch_id=batch_id, since=since, limit=limit
        )

    async def store(self) -> SqlWriteStore:
        if self._store is None:
            pk = self.entry.athlete_pk or await self._athlete_row()
            self._store = SqlWriteStore(
                self.sessions,
                pk,
                self.caller.grant_id,
                self.caller.client_id,
                coach_intervals_id=self.caller.intervals_id,
                ttl=self.ttl,
                coach_name=self.coach_name or None,
            )
        return self._store

    async def _athlete_row(self) -> int:
        async with transaction(self.sessions) as db:
            pk = await db.scalar(
                select(Athlete.id).where(Athlete.intervals_id == self.entry.intervals_id)
            )
            if pk is None:
                row = Athlete(
                    intervals_id=self.entry.intervals_id,
                    name=self.entry.name,
                    timezone=self.entry.timezone,
                )
                db.add(row)
                await db.flush()
                pk = row.id
        return pk
