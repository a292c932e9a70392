"""The access-log row of a call on the caller's own data is written straight on the event loop
when SQLite's write lock is free (app/db/engine.py ``LoopSqliteWriter``, issue 20), and never
waits there: with the lock taken, nothing is written on that path and the caller's ordinary
queued unit of work writes the row instead."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.db.access_log import OWN_ACCESS_INSERT
from app.db.engine import _write_locks, loop_writer, transaction
from tests.conftest import make_settings
from tests.mcp.access_log_rows import (
    A_ROW_READ_BACK,
    a_row,
    add_athlete,
    count_access_rows,
    only_access_row,
    opened,
    sqlite_on_the_loop,
)


async def test_own_row_is_written_at_once_and_reads_like_any_other(
    tmp_path: Path, database_url: str
) -> None:
    async with opened(make_settings(tmp_path, database_url)) as (engine, sessions):
        writer = loop_writer(sessions)
        if engine.dialect.name != "sqlite":
            assert writer is None  # PostgreSQL: the ordinary unit of work only
            return
        assert writer is not None and loop_writer(sessions) is writer  # one per engine
        athlete = await add_athlete(sessions, "i900001", "Aroha")
        assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        row = await only_access_row(sessions, athlete.id)
        assert (row.by, row.tool, row.categories, row.mode, row.outcome) == A_ROW_READ_BACK
        assert row.at.tzinfo is not None  # stored as every other UTC time is


async def test_a_taken_write_lock_is_never_waited_for_on_the_loop(tmp_path: Path) -> None:
    async with sqlite_on_the_loop(tmp_path, "i900002", "Lena") as opened_db:
        database, engine, sessions, athlete, writer = opened_db
        other = sqlite3.connect(database, isolation_level=None)  # another process, say
        other.execute("BEGIN IMMEDIATE")
        try:
            assert not writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        finally:
            other.execute("ROLLBACK")
            other.close()

        queue = _write_locks[engine.sync_engine].lock  # this process's queued writer
        await queue.acquire()
        try:
            assert not writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        finally:
            queue.release()

        count = await count_access_rows(sessions)
        assert count == 0  # refused attempts wrote nothing
        assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))


async def test_a_row_written_on_the_loop_is_stored_as_the_queued_path_stores_it(
    tmp_path: Path,
) -> None:
    """The loop writer sends its row straight to the driver, through the columns' own bind
    processing: the stored text equals the ordinary unit of work's, and a row the database
    refuses raises a database error, leaves nothing open and the next row is written."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.db.access_log import record_own_access

    async with sqlite_on_the_loop(tmp_path, "i900003", "Mia") as opened_db:
        database, _, sessions, athlete, writer = opened_db
        assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        async with transaction(sessions) as db:
            await record_own_access(
                db,
                athlete_pk=athlete.id,
                client_id="claude-desktop",
                tool="get_activities",
                categories=("activities",),
                mode="read",
                outcome="ok",
            )
        raw = sqlite3.connect(database)
        try:
            rows = raw.execute(
                "SELECT athlete_id, actor_id, actor_name, client_id, tool, categories, mode, "
                "outcome, typeof(at), length(at) FROM access_log ORDER BY id"
            ).fetchall()
        finally:
            raw.close()
        assert len(rows) == 2 and rows[0] == rows[1]
        refused = {**a_row(athlete.id), "client_id": None}  # NOT NULL
        try:
            writer.try_execute(OWN_ACCESS_INSERT, refused)
        except SQLAlchemyError:
            pass
        else:
            raise AssertionError("a refused row must raise")
        assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        count = await count_access_rows(sessions)
        assert count == 3


async def test_a_row_is_one_autocommit_statement_and_is_readable_at_once(tmp_path: Path) -> None:
    """The row is one ``INSERT`` in SQLite's autocommit mode (its own transaction, committed
    when the statement completes: https://sqlite.org/lang_transaction.html), not ``BEGIN
    IMMEDIATE`` / ``INSERT`` / ``COMMIT``: a third of the driver calls of every tool call, and
    another connection reads the row as soon as ``try_execute`` returns."""
    async with sqlite_on_the_loop(tmp_path, "i900004", "Noa") as opened_db:
        database, _, _, athlete, writer = opened_db
        assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))  # connection opened
        driver = writer._open().connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection)
        sent: list[str] = []
        driver.set_trace_callback(sent.append)
        try:
            assert writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        finally:
            driver.set_trace_callback(None)
        assert len(sent) == 1 and sent[0].lstrip().upper().startswith("INSERT")
        assert not driver.in_transaction
        other = sqlite3.connect(database)
        try:
            (count,) = other.execute("SELECT count(*) FROM access_log").fetchone()
        finally:
            other.close()
        assert count == 2
