"""Folding SQLite's write-ahead log into the database file off the event loop (issue 20, the
tail of a tool call).

SQLite checkpoints the log itself (https://sqlite.org/wal.html#automatic_checkpoint): the
connection whose commit takes the log past 1,000 pages copies the pages into the database file
right after that commit, and under ``synchronous=NORMAL`` the checkpoint is the moment SQLite
syncs to disk: the log, the directory and the database file (three ``fdatasync``, 5-15 ms on a
disk). The connection committing most is the access-log writer on the event loop
(:class:`app.db.engine.LoopSqliteWriter`, some three pages a tool call), so every ~330th call
paid the checkpoint before its answer, and every other call in flight waited on the blocked
loop. That connection turns the automatic checkpoint off (``PRAGMA wal_autocheckpoint=0``) and
reports each row to a :class:`WalFolder`, which checkpoints in a worker thread instead:

1. a ``PASSIVE`` checkpoint (https://sqlite.org/c3ref/wal_checkpoint_v2.html) copies and syncs
   all it can while the loop keeps writing rows;
2. a second ``PASSIVE`` checkpoint while this process's writers queue on the event loop (the
   in-process write lock of app/db/engine.py; the loop writer sees it taken and its callers
   take the ordinary queued path) copies the few pages written during the first, so the log is
   fully folded, and starts the log again from its beginning (the one disk sync a restart
   costs happens in the worker too): the log file stays bounded (a log never fully folded only
   grows).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

FOLD_EVERY_WRITES = 250
"""Rows written on the loop between two folds: some 750 log pages at the access-log row's
three, under the 1,000 pages at which SQLite's other connections still checkpoint themselves."""


FOLD_BUSY_TIMEOUT_SECONDS = 0.1
"""How long the fold's connection waits for SQLite's locks (another process's write)."""


def checkpoint(database: Path, *, restart: bool = False) -> bool:
    """One ``PRAGMA wal_checkpoint(PASSIVE)`` of the database file on a connection of its own,
    syncing as the gateway's connections do (``synchronous=NORMAL``); waits at most
    :data:`FOLD_BUSY_TIMEOUT_SECONDS` for a lock (in the worker thread, never on the loop).
    True when every frame of the log is in the database file.

    ``restart``: then also start the log again from its beginning, here rather than in the next
    writer (SQLite restarts a fully folded log in the first write after the fold, and syncs the
    new log header to disk there: https://sqlite.org/src/info/ff5be73dee): a one-page write
    that changes nothing (``PRAGMA user_version`` set to its own value)."""
    uri = f"file:{quote(str(database))}?mode=rw"  # never creates a missing database
    # a short busy timeout: reading the log's index can meet a commit under way on the loop
    wait = FOLD_BUSY_TIMEOUT_SECONDS
    with closing(sqlite3.connect(uri, uri=True, timeout=wait, isolation_level=None)) as connection:
        connection.execute("PRAGMA synchronous=NORMAL")
        busy, frames, folded = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        complete = busy == 0 and frames == folded
        if restart and complete and frames > 0:
            _restart_log(connection)
    return bool(complete)


def _restart_log(connection: sqlite3.Connection) -> None:
    """A write unit that changes nothing, so SQLite starts the folded log again (and syncs
    its header) on this connection; skipped when another process holds the write lock."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # another process writing: that writer restarts the log
        return
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        connection.execute(f"PRAGMA user_version = {int(version)}")
        connection.execute("COMMIT")
    except sqlite3.Error:
        connection.execute("ROLLBACK")
        raise


class WalFolder:
    """Checkpoints the log of one SQLite database file in a worker thread, every
    :data:`FOLD_EVERY_WRITES` rows reported by :meth:`written`, one fold at a time."""

    def __init__(
        self,
        database: Path,
        writers: asyncio.Lock | None,
        every: int = FOLD_EVERY_WRITES,
    ) -> None:
        self.database = database
        self.every = every
        self._writers = writers
        self._writes = 0
        self._fold: asyncio.Task[None] | None = None

    def written(self) -> None:
        """One more row committed on the loop; starts a fold when it is due and none runs."""
        self._writes += 1
        if self._writes >= self.every and not self._folding():
            self._start()

    def _start(self) -> None:
        self._writes = 0
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a caller outside any event loop: nothing to hold up, fold here
            self._fold_here()
            return
        self._fold = loop.create_task(self._folded(), name="sqlite-wal-fold")

    def _fold_here(self) -> None:
        try:
            checkpoint(self.database, restart=True)
        except sqlite3.Error as error:
            log.warning("SQLite log checkpoint of %s failed: %s", self.database.name, error)

    async def settled(self) -> None:
        """Wait for the fold under way, if there is one."""
        if self._fold is not None:
            await asyncio.shield(self._fold)

    async def folded(self) -> None:
        """Fold the log now (after the fold under way) and wait for it."""
        await self.settled()
        self._start()
        await self.settled()

    def close(self) -> None:
        """Stop waiting for a fold under way (its thread finishes the checkpoint it began)."""
        if self._fold is not None:
            self._fold.cancel()
            self._fold = None

    def _folding(self) -> bool:
        return self._fold is not None and not self._fold.done()

    async def _folded(self) -> None:
        try:
            await asyncio.to_thread(checkpoint, self.database)  # the loop keeps writing
            if self._writers is None:
                return
            async with self._writers:  # this process's writers wait on the loop meanwhile
                await asyncio.to_thread(checkpoint, self.database, restart=True)
        except sqlite3.Error as error:  # the next fold tries again; SQLite's log stays valid
            log.warning("SQLite log checkpoint of %s failed: %s", self.database.name, error)
