"""One-row PostgreSQL writes in a single round trip, on a few connections held for them: the
hot path of every tool call, its access-log row (issue 20).

Through an ORM unit of work (:func:`app.db.engine.transaction`) that row costs a pool
checkout and return (with its reset), a session, ``INSERT`` and ``COMMIT``: two round trips
through the async driver adapter and about 1 ms of gateway CPU. Here the same row is one
autocommit ``INSERT`` (https://www.postgresql.org/docs/current/sql-begin.html: without
``BEGIN`` every statement runs in its own transaction, committed when it completes), sent as a
prepared statement straight through psycopg on the event loop. The row is committed when
:meth:`PostgresRowWriter.try_execute` returns True, so it is readable from any session at once,
as before.

The connections are taken from the engine's pool once (with its connect arguments: timeouts,
``statement_timeout``) and detached from it, so the pool keeps its full size for everything
else. A writer holds at most a few of them: a write that finds them all busy, finds the loop
changed, or meets any database error writes nothing and says so (False), and the caller takes
the ordinary path, which waits its turn and logs a failure. A connection that failed (the
server dropped it, a statement was cancelled) is closed and a fresh one is taken next time.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert

from app.db.one_row import Processor, RowStatements, one_per_engine, sessions_engine

log = logging.getLogger(__name__)

DEDICATED_CONNECTIONS = 2
"""Connections a writer holds at most; more writes at once take the ordinary path."""


class PostgresRowWriter:
    """Single-statement autocommit writes on up to ``connections`` psycopg connections held
    for them (module docstring)."""

    def __init__(self, engine: AsyncEngine, connections: int = DEDICATED_CONNECTIONS) -> None:
        self._engine = engine
        self._limit = connections
        self._idle: list[AsyncCursor[Any]] = []
        """A cursor on each idle held connection, kept with it: one object per connection, not
        one per row (psycopg's ``AsyncConnection.execute`` makes a cursor every time)."""
        self._held = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._statements = RowStatements(engine.dialect)
        self._disposed = False

    async def try_execute(self, statement: Insert, parameters: Mapping[str, Any]) -> bool:
        """Run the one-row ``statement`` with ``parameters`` as its own committed transaction:
        True when written and committed; False (nothing written, the caller's ordinary path
        should write it) when every held connection is busy, or on any database error."""
        loop = asyncio.get_running_loop()
        if self._disposed:
            return False
        if self._loop is not None and self._loop is not loop:
            return False  # connections belong to the loop that opened them
        try:
            sql, processors = self._compile(statement, parameters)
            values = {
                key: processors[key](value) if key in processors else value
                for key, value in parameters.items()
            }
        except (ValueError, TypeError, SQLAlchemyError) as error:
            log.warning("access-log row not prepared for one trip (%s)", type(error).__name__)
            return False  # the ordinary path meets the same problem and logs it
        cursor = self._idle.pop() if self._idle else await self._take(loop)
        if cursor is None:
            return False
        try:
            await cursor.execute(sql, values, prepare=True)
        except psycopg.Error as error:
            log.info(
                "access-log row not written on a held connection (%s %s); it takes the "
                "ordinary path",
                type(error).__name__,
                error.sqlstate or "",
            )
            self._give_back(cursor)
            return False
        except BaseException:
            self._drop(cursor)  # cancelled mid-statement: its state is unknown
            raise
        self._give_back(cursor)
        return True

    def _give_back(self, cursor: AsyncCursor[Any]) -> None:
        """Keep a healthy connection (with its cursor) for the next write; close a broken one
        (the server dropped it), or any once the engine was disposed."""
        connection = cursor.connection
        healthy = (
            not connection.broken and connection.pgconn.transaction_status == TransactionStatus.IDLE
        )
        if healthy and not self._disposed:
            self._idle.append(cursor)
        else:
            self._drop(cursor)

    async def _take(self, loop: asyncio.AbstractEventLoop) -> AsyncCursor[Any] | None:
        """The cursor of an idle held connection, of a newly opened one while fewer than the
        limit are held, or None (all busy, or the pool could not give one)."""
        if self._idle:
            return self._idle.pop()
        if self._held >= self._limit:
            return None
        self._held += 1
        try:
            connection = await self._open()
        except (SQLAlchemyError, psycopg.Error, OSError) as error:
            self._held -= 1
            log.info("access-log connection not opened (%s)", type(error).__name__)
            return None
        except BaseException:
            self._held -= 1
            raise
        self._loop = loop
        return connection.cursor()

    async def _open(self) -> AsyncConnection[Any]:
        """A connection from the engine's pool, detached from it and switched to autocommit."""
        proxied = await self._engine.raw_connection()
        connection = proxied.driver_connection
        proxied.detach()  # ours now: the pool opens another in its place when it needs one
        assert isinstance(connection, AsyncConnection)
        try:
            if connection.info.transaction_status != TransactionStatus.IDLE:
                await connection.rollback()  # the pool's liveness check may have begun one
            await connection.set_autocommit(True)
        except BaseException:
            connection.pgconn.finish()
            raise
        return connection

    def _compile(
        self, statement: Insert, parameters: Mapping[str, Any]
    ) -> tuple[str, Mapping[str, Processor]]:
        """The statement's SQL for these columns and the bind processors of their types
        (e.g. UTC datetimes, app/db/models.py), compiled once per statement and column set
        (app/db/one_row.py)."""
        compiled = self._statements.get(statement, tuple(parameters))
        if compiled.names != parameters.keys():
            raise ValueError("statement binds other parameters than the row's columns")
        return compiled.sql, compiled.processors

    def _drop(self, cursor: AsyncCursor[Any]) -> None:
        """Close a failed connection at once (no await: safe while being cancelled)."""
        self._held -= 1
        cursor.connection.pgconn.finish()

    async def dispose(self) -> None:
        """Close the idle held connections (busy ones are closed when their write ends)."""
        self._disposed = True
        idle, self._idle = self._idle, []
        for cursor in idle:
            self._held -= 1
            await cursor.connection.close()


_writers: weakref.WeakKeyDictionary[Engine, PostgresRowWriter] = weakref.WeakKeyDictionary()


def postgres_writer(sessions: async_sessionmaker[AsyncSession]) -> PostgresRowWriter | None:
    """The :class:`PostgresRowWriter` of the sessions' PostgreSQL engine (made on first use,
    one per engine); None for other databases and drivers."""
    engine = sessions_engine(sessions)
    if engine is None or engine.dialect.name != "postgresql":
        return None
    if engine.dialect.driver != "psycopg":
        return None
    return one_per_engine(_writers, engine, PostgresRowWriter)


async def dispose_postgres_writer(engine: AsyncEngine) -> None:
    """Close the engine's :class:`PostgresRowWriter` connections, if it has a writer."""
    writer = _writers.pop(engine.sync_engine, None)
    if writer is not None:
        await writer.dispose()
