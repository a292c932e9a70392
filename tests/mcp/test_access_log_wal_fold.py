"""The access-log row written on the event loop (app/db/engine.py ``LoopSqliteWriter``) never
folds SQLite's write-ahead log into the database file there: that checkpoint syncs the log,
the directory and the database file to disk (three ``fdatasync``, 5-15 ms on a disk), and with
SQLite's automatic checkpoint every ~330th tool call paid it before its answer while every other
call in flight waited on the blocked loop (issue 20, the tail). The checkpoint runs in a worker
thread instead (app/db/wal.py), and the log still stays bounded."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from app.db.access_log import OWN_ACCESS_INSERT
from tests.mcp.access_log_rows import (
    a_row,
    count_access_rows,
    sqlite_on_the_loop,
)

ROWS = 1_500  # some 4,500 log pages: over SQLite's automatic checkpoint (1,000 pages) four times


def wal_frames(database: Path) -> int:
    """Frames in the database's write-ahead log file (32-byte header, 24 + page per frame)."""
    wal = Path(f"{database}-wal")
    page = sqlite3.connect(database).execute("PRAGMA page_size").fetchone()[0]
    return max(0, (wal.stat().st_size - 32) // (24 + page)) if wal.exists() else 0


async def test_rows_written_on_the_loop_never_checkpoint_there(tmp_path: Path) -> None:
    async with sqlite_on_the_loop(tmp_path, "i900010", "Kiri") as opened_db:
        database, _, sessions, athlete, writer = opened_db
        writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        await writer.wal.folded()  # start from a folded log
        size_before = database.stat().st_size

        # no await in between: nothing but the loop's own work runs
        for _ in range(ROWS):
            assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))

        assert database.stat().st_size == size_before  # no page copied into the file on the loop
        assert wal_frames(database) >= 3 * ROWS  # every row still in the log

        await writer.wal.folded()  # the worker thread's checkpoint
        assert database.stat().st_size > size_before  # folded into the database file
        assert await count_access_rows(sessions) == ROWS + 1


def wal_restarts(database: Path) -> int:
    """The log's first salt (its header, bytes 16-19): one more each time SQLite starts the log
    again from its beginning, which it does only after a complete fold."""
    return int.from_bytes(Path(f"{database}-wal").read_bytes()[16:20], "big")


async def test_a_fold_while_rows_keep_coming_still_starts_the_log_again(tmp_path: Path) -> None:
    """Rows written while the worker folds (tool calls go on meanwhile) are folded too, and the
    fold starts the log again from its beginning, so the log file stays bounded however busy
    the gateway is (a log never fully folded only grows)."""
    async with sqlite_on_the_loop(tmp_path, "i900011", "Tane") as opened_db:
        database, _, sessions, athlete, writer = opened_db
        written = 0
        for _ in range(3):
            restarts = wal_restarts(database)
            fold = asyncio.create_task(writer.wal.folded())
            while not fold.done():
                # False while the fold holds this process's write lock: a call would queue
                written += writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
                await asyncio.sleep(0)  # the call's other awaits
            await fold
            # started again by the time the fold is done (in the fold itself, with the disk
            # sync that costs; or by a row written right after a complete first pass)
            assert wal_restarts(database) != restarts
            assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
            written += 1
        assert await count_access_rows(sessions) == written


def test_rows_written_outside_an_event_loop_are_folded_there(tmp_path: Path) -> None:
    """A caller with no event loop (a script, an operator command) has no loop to hold up: the
    fold runs in its own thread of control, and the row's write still succeeds."""
    from app.db.wal import WalFolder

    database = tmp_path / "rows.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE rows (x TEXT)")
    folder = WalFolder(database, None, every=2)
    try:
        size_before = database.stat().st_size
        for row in ("a" * 3000, "b" * 3000):
            writer.execute("INSERT INTO rows (x) VALUES (?)", (row,))
            folder.written()
        assert database.stat().st_size > size_before  # folded into the database file
        assert writer.execute("SELECT count(*) FROM rows").fetchone() == (2,)
    finally:
        writer.close()
