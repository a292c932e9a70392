"""Work a request does after its answer was handed to the transport (issue 20).

A tool call's access-log row (app/mcp/caller.py ``CallerSessions.record_call``) is bookkeeping
the answer does not depend on. On PostgreSQL its write is a network round trip; written before
the answer, it sat on the call's critical path. A request that opens :func:`open_slot` (the
``tools/call`` fast path, app/mcp/fastpath.py) gets such work put in its slot instead, and runs
it (:meth:`AfterAnswer.run`) in the same request task once the answer's last bytes were sent:
uvicorn's graceful shutdown waits for request tasks, so it waits for the row too, and a client
that disconnects after reading its answer still has its row written.

Readers of what such work writes (the account page's access log, app/db/access_log.py) first
wait for this process's work pending at that moment (:func:`settled`), so a client that got its
answer and then reads its log on the same process finds the row. Work pending in another
process is not waited for; a process that dies between an answer and its row loses that row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from typing import Any

log = logging.getLogger(__name__)

SETTLE_WAIT_SECONDS = 5.0
"""How long a reader waits at most for pending work (a write stuck longer is not waited for)."""

Work = Callable[..., Awaitable[None]]

_pending: set[AfterAnswer] = set()
"""The slots holding work not yet run, of every event loop of this process."""


class AfterAnswer:
    """A request's work to run after its answer was sent, in the order it was put here."""

    __slots__ = ("_done", "_loop", "_work")

    def __init__(self) -> None:
        self._work: list[tuple[Work, tuple[Any, ...]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Future[None] | None = None
        """Made only when a reader waits for this slot (:func:`settled`)."""

    def defer(self, work: Work, *args: Any) -> None:
        """Run ``await work(*args)`` after the answer; pending (for :func:`settled`) from now."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            _pending.add(self)
        self._work.append((work, args))

    async def run(self) -> None:
        """Run the deferred work, each piece to its end; a failing piece is logged and the
        rest still run. The slot is settled when all have ended (or this task is cancelled)."""
        if not self._work:
            return
        work, self._work = self._work, []
        try:
            for function, args in work:
                try:
                    await function(*args)
                except Exception:
                    log.exception("work after the answer failed (%s)", _name(function))
        finally:
            _pending.discard(self)
            done = self._done
            if done is not None and not done.done():
                done.set_result(None)

    def _waited_for(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[None] | None:
        """A future settled when this slot's work has run, for a reader on ``loop`` (None:
        the slot belongs to another event loop)."""
        if self._loop is not loop:
            return None
        if self._done is None:
            self._done = loop.create_future()
        return self._done


def _name(function: Work) -> str:
    return getattr(function, "__qualname__", type(function).__name__)


after_answer: ContextVar[AfterAnswer | None] = ContextVar("after_answer", default=None)
"""The current request's :class:`AfterAnswer` slot, while a request that runs one is served;
None otherwise (work is then done at once, as before)."""


def open_slot() -> tuple[AfterAnswer, Token[AfterAnswer | None]]:
    """A new slot for the current request, and the token that closes it (:func:`close_slot`)."""
    slot = AfterAnswer()
    return slot, after_answer.set(slot)


def close_slot(token: Token[AfterAnswer | None]) -> None:
    """Stop putting work in the request's slot (what is in it still runs)."""
    after_answer.reset(token)


class answer_then_run:
    """``async with answer_then_run():`` around serving a request and sending its answer: a
    new slot is open inside (:func:`open_slot`); on the way out, however the request ended,
    it is closed and its work run (:meth:`AfterAnswer.run`). A class rather than an
    ``asynccontextmanager`` generator: the fast path enters it once per tool call."""

    __slots__ = ("_slot", "_token")

    async def __aenter__(self) -> AfterAnswer:
        self._slot, self._token = open_slot()
        return self._slot

    async def __aexit__(self, *exc_info: object) -> None:
        close_slot(self._token)
        await self._slot.run()


async def settled(wait_seconds: float = SETTLE_WAIT_SECONDS) -> None:
    """Wait until the work pending now on this event loop has run (at most ``wait_seconds``
    seconds): what a reader of the access log calls first, so a row of an answer already
    given is read back."""
    if not _pending:
        return
    loop = asyncio.get_running_loop()
    waiting = [done for slot in list(_pending) if (done := slot._waited_for(loop)) is not None]
    if waiting:
        await asyncio.wait(waiting, timeout=wait_seconds)
