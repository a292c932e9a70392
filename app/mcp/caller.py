"""Credential resolution for the multi-user endpoint: caller identity -> Intervals.icu session.

Per tool call: read the caller the bearer middleware established, decrypt their stored
credential (app/vault), record the grant's last use, and open an Intervals.icu session for their
athlete. The plaintext lives only inside that call. When Intervals.icu rejects the credential,
it is marked rejected, every token of the athlete is revoked and the transport is asked to
answer 401, so the MCP client starts OAuth again and the sign-in page asks for a new key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.after_answer import after_answer
from app.clock import utc_now
from app.coach.roster import NotOnRoster, Roster, RosterCache
from app.db.access_log import (
    OWN_ACCESS_INSERT,
    own_access_values,
    record_access,
    record_own_access,
)
from app.db.availability import DatabaseUnavailable, is_unavailable
from app.db.availability import describe_failure as describe
from app.db.engine import loop_writer, transaction
from app.db.models import Grant, utcnow
from app.db.pg_writer import postgres_writer
from app.db.revocation import forget_verified, revoke_athlete_tokens
from app.intervals.client import IntervalsClient
from app.mcp.coach import CallerSquad, CoachAccess, CoachWrites
from app.mcp.identity import Caller, acting_athlete, current_caller, current_outcome
from app.mcp.tools.context import (
    AthleteContext,
    Clock,
    ToolCall,
    requested_athlete,
    zone_or_utc,
)
from app.mcp.tools.errors import (
    API_KEYS_OFFERED,
    CredentialFailed,
    CredentialUnreadable,
    ReauthRequired,
    ToolFailure,
    UpstreamSlow,
)
from app.settings import EncryptionKey
from app.training.guardrails import Limits
from app.vault.crypto import Vault, VaultError
from app.vault.store import UpstreamCredential, mark_credential_rejected, unseal
from app.writes.changes import DEFAULT_CONFIRM_TTL
from app.writes.store import SqlWriteStore

log = logging.getLogger(__name__)

REJECTED_REASON = "Intervals.icu rejected the key during a tool call"
LAST_USED_RESOLUTION = timedelta(minutes=1)
BOOKKEEPING_WAIT_SECONDS = 0.25
DATABASE_UNAVAILABLE = (
    "The gateway's database is unavailable right now; try again in a few seconds."
)


class CallDeadline:
    """When one tool call's time limit ends (event-loop time), fixed by the first step of the
    call that starts it: a coach's roster check in ``GatewayServer.call_tool``
    (:meth:`CallerSessions.roster_of`), else the call's :class:`OpenCall`. One limit for the
    whole call: the roster lookup's time counts against it."""

    __slots__ = ("ends_at",)

    def __init__(self) -> None:
        self.ends_at: float | None = None

    def start(self, seconds: float) -> float:
        """The limit's end: ``seconds`` from now when this is its first step, else as fixed."""
        if self.ends_at is None:
            self.ends_at = asyncio.get_running_loop().time() + seconds
        return self.ends_at


call_deadline: ContextVar[CallDeadline | None] = ContextVar("call_deadline", default=None)
"""The current tool call's :class:`CallDeadline` while a step before its context opens may
start its limit (set by ``GatewayServer.call_tool`` around a coach's call); None otherwise."""


def own_access_row(caller: Caller, call: ToolCall) -> dict[str, Any]:
    """The access-log row of ``call`` on the caller's own data, as both one-statement writers
    (SQLite on the loop, PostgreSQL on a held connection) insert it."""
    return own_access_values(
        athlete_pk=caller.athlete_pk,
        client_id=caller.client_id,
        tool=call.tool,
        categories=call.categories,
        mode=call.mode,
        outcome=call.outcome,
    )


@dataclass
class CallerSessions:
    """Opens the authenticated caller's :class:`AthleteContext` for one tool call."""

    sessions: async_sessionmaker[AsyncSession]
    keyring: Vault | Sequence[EncryptionKey]
    intervals: IntervalsClient
    clock: Clock = field(default=utc_now)
    call_timeout: float = 25.0
    """One total time limit per tool call (seconds), below common MCP client timeouts."""
    confirm_ttl: timedelta = DEFAULT_CONFIRM_TTL
    """How long a write preview's confirmation handle stays valid (app/writes)."""
    guardrails: Limits = field(default_factory=Limits)
    """The write guardrails' thresholds and refusals (GATEWAY_GUARDRAIL*)."""
    api_key_signin: bool = True
    """Whether athletes may connect with an API key (``Settings.api_key_signin``); False in
    OAuth-only mode, where no answer mentions API keys."""

    rosters: RosterCache = field(default_factory=RosterCache)
    """The app's roster cache (``Services.rosters``)."""
    coach: CoachAccess | None = None
    """Rosters and roster athletes' sessions (built from the fields above when None)."""

    def __post_init__(self) -> None:
        if self.coach is None:
            self.coach = CoachAccess(
                self.sessions, self.keyring, self.intervals, self.clock, self.rosters
            )

    def open(self) -> OpenCall:
        """The caller's context for one tool call, to use in ``async with`` (:class:`OpenCall`)."""
        return OpenCall(self)

    async def record_call(self, call: ToolCall) -> None:
        """Write the access-log row of a finished call (app/db/access_log.py) for the acting
        athlete, naming the caller and client. A database fault is logged, never turned into a
        failed tool call (the answer has been produced by then). In a request served by the
        fast path (an :data:`~app.after_answer.after_answer` slot open) the rows are written
        after the answer was sent, in the same request task; whose rows they are is settled
        here, from the call's context."""
        caller = current_caller.get()
        if caller is None:
            return
        acting = call.athlete_id
        if acting is None and requested_athlete.get() is None:
            acting = acting_athlete(caller)  # refused before its context opened: their own
        athletes = [acting] if acting is not None else []
        athletes += [other for other in call.also_for if other not in athletes]
        if not athletes:
            return  # refused before reaching the named athlete: nobody's data was touched
        slot = after_answer.get()
        if slot is not None:  # the fast path writes it once the answer is sent
            slot.defer(self._write_after_answer, caller, call, athletes)
            return
        await self._write_rows(caller, call, athletes)

    async def _write_after_answer(
        self, caller: Caller, call: ToolCall, athletes: list[str]
    ) -> None:
        """:meth:`_write_rows` run after the answer was sent (app/after_answer.py): any
        failure is logged, as :func:`~app.mcp.tools.registry.record` logs it."""
        try:
            own = athletes == [caller.intervals_id]
            if own and await self._record_own_in_turn(caller, call):
                return
            await self._write_rows(caller, call, athletes, at_once=not own)
        except Exception:
            log.exception("access log entry of %s not recorded", call.tool)

    async def _write_rows(
        self, caller: Caller, call: ToolCall, athletes: list[str], *, at_once: bool = True
    ) -> None:
        """The call's access-log rows, one per athlete whose data it touched: the caller's
        own in one statement when it is the only one (on SQLite's loop writer unless
        ``at_once`` is False: already tried), else in one transaction."""
        if athletes == [caller.intervals_id] and (
            (at_once and self._record_own_at_once(caller, call))
            or await self._record_own_in_one_trip(caller, call)
        ):
            return
        try:
            async with transaction(self.sessions) as db:
                for athlete in athletes:
                    if athlete == caller.intervals_id:
                        await record_own_access(
                            db,
                            athlete_pk=caller.athlete_pk,
                            client_id=caller.client_id,
                            tool=call.tool,
                            categories=call.categories,
                            mode=call.mode,
                            outcome=call.outcome,
                        )
                        continue
                    await record_access(
                        db,
                        acting=athlete,
                        actor_pk=caller.athlete_pk,
                        client_id=caller.client_id,
                        tool=call.tool,
                        categories=call.categories,
                        mode=call.mode,
                        outcome=call.outcome,
                    )
        except (SQLAlchemyError, DatabaseUnavailable) as error:
            log.warning(
                "access log entry of %s for athlete row %s not recorded (%s)",
                call.tool,
                caller.athlete_pk,
                describe(error),
            )

    def _record_own_at_once(self, caller: Caller, call: ToolCall) -> bool:
        """The access-log row of a call on the caller's own data, written at once on the event
        loop when SQLite's write lock is free (app/db/engine.py ``LoopSqliteWriter``): True when
        written. False (PostgreSQL, the lock taken, any database error) sends the row the
        ordinary way, which waits its turn and logs a failure."""
        writer = loop_writer(self.sessions)
        if writer is None:
            return False
        row = own_access_row(caller, call)
        try:
            return writer.try_execute(OWN_ACCESS_INSERT, row)
        except SQLAlchemyError:
            return False

    async def _record_own_in_turn(self, caller: Caller, call: ToolCall) -> bool:
        """After the answer, on SQLite: the row of a call on the caller's own data on the
        event loop, after waiting its turn in this process's queue of writers when that is
        busy (app/db/engine.py ``LoopSqliteWriter.execute_in_turn``): True when written.
        False (PostgreSQL, no turn in time, another process's lock, a database error) sends
        the row the ordinary way."""
        writer = loop_writer(self.sessions)
        if writer is None:
            return False
        row = own_access_row(caller, call)
        try:
            return await writer.execute_in_turn(OWN_ACCESS_INSERT, row)
        except SQLAlchemyError:
            return False

    async def _record_own_in_one_trip(self, caller: Caller, call: ToolCall) -> bool:
        """The access-log row of a call on the caller's own data, on PostgreSQL, as one
        autocommit INSERT on a held connection (app/db/pg_writer.py): True when committed.
        False (not PostgreSQL, its connections busy, any database error) sends the row the
        ordinary way, which logs a failure."""
        writer = postgres_writer(self.sessions)
        if writer is None:
            return False
        row = own_access_row(caller, call)
        return await writer.try_execute(OWN_ACCESS_INSERT, row)

    async def _context(
        self, caller: Caller, credential: UpstreamCredential
    ) -> tuple[AthleteContext, bool]:
        """The call's context, and whether it reads with the caller's own credential. Without
        an ``athlete`` argument: the caller themself. With one: the roster athlete it names,
        checked against the caller's roster now (app/mcp/coach.py), or refused."""
        assert self.coach is not None
        wanted = requested_athlete.get()
        reached: set[str] = set()
        if wanted is None:
            athlete = acting_athlete(caller)
            session = self.intervals.session(credential, athlete, owner_id=caller.intervals_id)
            own = AthleteContext(
                api=session,
                athlete_id=athlete,
                timezone=zone_or_utc(caller.timezone),
                now=self.clock,
                writes=SqlWriteStore(
                    self.sessions,
                    caller.athlete_pk,
                    caller.grant_id,
                    caller.client_id,
                    ttl=self.confirm_ttl,
                ),
                guardrails=self.guardrails,
                squad=CallerSquad(self.coach, caller, credential, reached),
                reached=reached,
            )
            return own, True
        roster = await self.coach.roster(caller, credential)
        try:
            entry = roster.resolve(wanted)
        except NotOnRoster as refusal:
            raise ToolFailure(str(refusal)) from None
        context = AthleteContext(
            api=await self.coach.session(caller, credential, entry),
            athlete_id=entry.intervals_id,
            timezone=zone_or_utc(entry.timezone),
            now=self.clock,
            writes=CoachWrites(
                self.sessions, caller, entry, roster.owner_name, ttl=self.confirm_ttl
            ),
            guardrails=self.guardrails,
            about=entry.label,
            sharing=entry.policy,
        )
        return context, entry.source == "intervals"

    async def roster_of(self, caller: Caller) -> Roster | None:
        """The caller's roster for ``tools/list`` and a tool call's coach check (None when
        their credential is unusable: the next tool call asks them to sign in again). In a
        tool call (``call_deadline`` set) a lookup starts the call's time limit, and one that
        reaches it is :class:`UpstreamSlow`, as any stalled request of the call."""
        assert self.coach is not None
        sealed = caller.credential
        if sealed is None or sealed.rejected:
            return None
        cached = self.coach.cache.get(caller.intervals_id, self.clock())
        if cached is not None:
            return cached
        try:
            credential = unseal(self.keyring, sealed)
        except VaultError:
            return None
        deadline = call_deadline.get()
        if deadline is None:
            return await self.coach.roster(caller, credential)
        try:
            async with asyncio.timeout_at(deadline.start(self.call_timeout)):
                return await self.coach.roster(caller, credential)
        except TimeoutError:
            log.info("roster lookup of athlete row %s hit the time limit", caller.athlete_pk)
            raise UpstreamSlow() from None

    async def _resolve(self, caller: Caller) -> UpstreamCredential:
        """The caller's decrypted credential (read, still sealed, with their token)."""
        sealed = caller.credential
        if sealed is None or sealed.rejected:
            await self._require_reauth(caller, REJECTED_REASON, mark=False)
            raise ReauthRequired(self.api_key_signin)
        try:
            credential = unseal(self.keyring, sealed)
        except VaultError as error:
            # A server fault (key ring without this key id, or a wrong key): the athlete's
            # credential is fine, so nothing is marked or revoked; a fixed key ring heals it.
            log.error(
                "credential of athlete row %s cannot be decrypted (key id %r): %s; check "
                "GATEWAY_ENCRYPTION_KEYS (docs/operations.md, key rotation)",
                caller.athlete_pk,
                sealed.key_id,
                error,
            )
            raise CredentialUnreadable() from None
        await self._record_use(caller)
        return credential

    async def _record_use(self, caller: Caller) -> None:
        """Record the grant's last use, at most once per LAST_USED_RESOLUTION (a write on every
        call would serialise all tool calls on the database for a minute-accurate display).
        Best effort: a busy or unreachable database skips it (waiting at most
        BOOKKEEPING_WAIT_SECONDS for the SQLite write turn)."""
        now = utcnow()
        last = caller.grant_last_used_at
        if last is not None and now - last < LAST_USED_RESOLUTION:
            return
        try:
            async with transaction(self.sessions, wait=BOOKKEEPING_WAIT_SECONDS) as db:
                await _touch_grant(db, caller.grant_id, now)
        except (SQLAlchemyError, DatabaseUnavailable) as error:
            # Bookkeeping never fails a tool call: the next call records the use instead.
            log.info("last use of grant %s not recorded (%s)", caller.grant_id, describe(error))

    async def _require_reauth(self, caller: Caller, reason: str, *, mark: bool) -> None:
        """Mark the credential rejected, revoke the athlete's tokens, ask the transport for 401."""
        try:
            async with transaction(self.sessions) as db:
                if mark:
                    await mark_credential_rejected(db, caller.athlete_pk, reason)
                revoked = await revoke_athlete_tokens(db, caller.athlete_pk)
        except (SQLAlchemyError, DatabaseUnavailable) as error:
            if not is_unavailable(error):
                raise
            log.warning(
                "athlete row %s: re-authorization not recorded (%s)",
                caller.athlete_pk,
                describe(error),
            )
            raise ToolFailure(DATABASE_UNAVAILABLE) from None
        log.info(
            "athlete row %s must sign in again (%s); %d grants revoked",
            caller.athlete_pk,
            reason,
            revoked,
        )
        outcome = current_outcome.get()
        if outcome is not None:
            outcome.reauth_required = True


class OpenCall(AbstractAsyncContextManager[AthleteContext]):
    """One tool call's :class:`AthleteContext` (``async with sessions.open() as context``):
    on entry the caller's credential is decrypted and their context opened; the block runs
    under the call's time limit (``call_timeout``; from a coach's roster check on when that
    started it: :class:`CallDeadline`) with API keys offered as the settings say.
    A time limit reached becomes :class:`UpstreamSlow`; a credential Intervals.icu rejects
    asks the caller to sign in again (:class:`ReauthRequired`), or, when it was a shared
    athlete's credential, says that athlete must. A class rather than an
    ``asynccontextmanager`` generator: it is entered once per tool call."""

    __slots__ = ("_caller", "_keys_offered", "_own_credential", "_sessions", "_time_limit")

    def __init__(self, sessions: CallerSessions) -> None:
        self._sessions = sessions
        self._own_credential = True

    async def __aenter__(self) -> AthleteContext:
        sessions = self._sessions
        caller = current_caller.get()
        if caller is None:  # the bearer middleware always sets it; refuse rather than guess
            raise ToolFailure("This request is not authenticated.")
        self._caller = caller
        credential = await sessions._resolve(caller)
        deadline = call_deadline.get()
        self._time_limit = time_limit = (
            asyncio.timeout(sessions.call_timeout)
            if deadline is None
            else asyncio.timeout_at(deadline.start(sessions.call_timeout))
        )
        await time_limit.__aenter__()
        try:
            context, self._own_credential = await sessions._context(caller, credential)
        except BaseException as error:
            await self._leave(type(error), error, error.__traceback__)
            raise
        self._keys_offered = API_KEYS_OFFERED.set(sessions.api_key_signin)
        return context

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        API_KEYS_OFFERED.reset(self._keys_offered)
        await self._leave(exc_type, exc, tb)

    async def _leave(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave the time limit, and turn what ended the call into the answer the caller
        gets (the exception raised is then the caller's; any other goes on unchanged)."""
        try:
            await self._time_limit.__aexit__(exc_type, exc, tb)
        except TimeoutError:  # the limit cancelled the call
            exc = TimeoutError()
        sessions, caller = self._sessions, self._caller
        if isinstance(exc, TimeoutError):
            log.info("tool call of athlete row %s hit the time limit", caller.athlete_pk)
            raise UpstreamSlow() from None
        if isinstance(exc, CredentialFailed):
            if not self._own_credential:  # the shared athlete's credential, not the caller's
                raise ToolFailure(
                    "Intervals.icu refused that athlete's credential; they must sign in to "
                    "the gateway again."
                ) from None
            await sessions._require_reauth(caller, REJECTED_REASON, mark=True)
            raise ReauthRequired(sessions.api_key_signin) from None


async def _touch_grant(db: AsyncSession, grant_id: int, now: datetime) -> None:
    """Record when the grant was last used (shown on the account page)."""
    await db.execute(update(Grant).where(Grant.id == grant_id).values(last_used_at=now))
    forget_verified(db, grant_id=grant_id, everywhere=False)  # the cached caller shows it
