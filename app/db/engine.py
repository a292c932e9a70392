"""Engines and sessions: async for request paths, sync for Alembic and operator commands.

Concurrency on the embedded SQLite database (https://sqlite.org/wal.html,
https://sqlite.org/lang_transaction.html): WAL journal (readers never wait for the writer),
every write unit of work (:func:`transaction`) starts with ``BEGIN IMMEDIATE`` so it takes the
write lock up front instead of failing on a read-to-write upgrade, and writers of one process
queue in FIFO order on an asyncio lock (waiting in the event loop, bounded by the busy timeout)
rather than spinning in SQLite's busy handler. The busy timeout still covers other processes
(a second worker, an operator command). PostgreSQL gets a short pool wait, a connect timeout
and a statement timeout so a failing database answers quickly instead of holding requests.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db.availability import DatabaseBusy
from app.db.one_row import Processor, RowStatements, one_per_engine, sessions_engine
from app.db.pg_writer import dispose_postgres_writer
from app.db.wal import WalFolder
from app.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

IMMEDIATE = "gateway_sqlite_immediate"
"""Execution option: open the SQLite transaction with ``BEGIN IMMEDIATE`` (a write unit)."""

_write_locks: weakref.WeakKeyDictionary[Engine, _WriteLock] = weakref.WeakKeyDictionary()


class _WriteLock:
    """The in-process queue of SQLite writers, with the time a writer may wait in it."""

    def __init__(self, timeout: float) -> None:
        self.lock = asyncio.Lock()
        self.timeout = timeout


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across crashes, fewer fsyncs
        cursor.close()

    return apply


def _no_checkpoint_on_commit(dbapi_connection: Any, _record: Any) -> None:
    """``PRAGMA wal_autocheckpoint=0``: this connection's commits never fold the log into the
    database file (app/db/wal.py does it in a worker thread)."""
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _sqlite_explicit_begin(dbapi_connection: Any, _record: Any) -> None:
    """Turn off the driver's own implicit BEGIN, so :func:`_sqlite_begin` decides the kind."""
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """``BEGIN IMMEDIATE`` for write units of work, a deferred ``BEGIN`` for everything else."""
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL (None for other backends and in-memory databases)."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def _prepare_sqlite_dir(url: URL) -> None:
    """Create the SQLite file's directory as 0700 (security review L10: the database holds
    athlete names, token hashes and ciphertexts). An existing directory is left as it is."""
    database = sqlite_file(url)
    if database is not None and not database.parent.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        database.parent.chmod(PRIVATE_DIR_MODE)


def _restrict_sqlite_files(database: Path) -> Callable[[Any, Any], None]:
    """A connect hook making the database file and its WAL/SHM/journal files 0600 (L10).

    It runs before the WAL pragma, so SQLite creates the -wal and -shm files with the mode of
    the database file (0600); files that already exist (an older install) are tightened too.
    """

    def restrict(_dbapi_connection: Any, _record: Any) -> None:
        for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES)):
            try:
                if path.exists() and path.stat().st_mode & 0o077:
                    path.chmod(PRIVATE_FILE_MODE)
            except OSError as error:  # not our file: say so, but keep serving
                log.warning("cannot make %s private (mode 0600): %s", path, error)

    return restrict


def _listen_sqlite(engine: Engine, url: URL, busy_timeout_ms: int) -> None:
    database = sqlite_file(url)
    if database is not None:
        event.listen(engine, "connect", _restrict_sqlite_files(database))
    event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))


def make_sync_engine(settings: Settings) -> Engine:
    """A synchronous engine (Alembic, CLI commands, readiness checks in threads)."""
    url = settings.sqlalchemy_url
    _prepare_sqlite_dir(url)
    engine = create_engine(url, pool_pre_ping=True)
    if url.get_backend_name() == "sqlite":
        _listen_sqlite(engine, url, int(settings.database_busy_timeout_seconds * 1000))
    return engine


def postgres_connect_args(settings: Settings) -> dict[str, Any]:
    """libpq parameters: give up connecting after the connect timeout, cancel statements that
    run past the statement timeout (PostgreSQL ``statement_timeout``, in milliseconds)."""
    statement_ms = int(settings.database_statement_timeout_seconds * 1000)
    return {
        "connect_timeout": max(1, round(settings.database_connect_timeout_seconds)),
        "options": f"-c statement_timeout={statement_ms}",
    }


def make_async_engine(settings: Settings) -> AsyncEngine:
    """The async engine used by request handlers."""
    url = settings.async_sqlalchemy_url
    _prepare_sqlite_dir(url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # A server can drop idle connections; SQLite files cannot, so only PostgreSQL pays for
        # the liveness check on checkout.
        kwargs.update(
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=settings.database_pool_timeout_seconds,
            connect_args=postgres_connect_args(settings),
        )
    elif url.database and url.database != ":memory:":
        # a file database is pooled too (5 + 10 connections): bound the wait for one
        kwargs.update(pool_timeout=settings.database_pool_timeout_seconds)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        sync = engine.sync_engine
        busy = settings.database_busy_timeout_seconds
        _listen_sqlite(sync, url, int(busy * 1000))
        event.listen(sync, "connect", _sqlite_explicit_begin)
        event.listen(sync, "begin", _sqlite_begin)
        _write_locks[sync] = _WriteLock(busy)
    return engine


class LoopSqliteWriter:
    """One-statement SQLite writes run at once on the event loop's thread, with the standard
    library driver, when the write lock is free; the hot path of every tool call (its
    access-log row, issue 20).

    Through the async engine a one-row write costs about 1 ms of CPU: every statement of
    ``BEGIN IMMEDIATE``, ``INSERT`` and ``COMMIT`` is a hop to aiosqlite's thread and back.
    Straight on the loop the row is one statement in SQLite's autocommit mode (its own
    transaction, committed when it completes: https://sqlite.org/lang_transaction.html), some
    25 µs of CPU in all, and never waits: its connection has no busy timeout, so when another
    writer (this process's queue, a second worker, an operator command) holds the lock, the
    statement fails whole and :meth:`try_execute` says so, and the caller takes the ordinary
    queued path (:func:`transaction`). The disk write itself (WAL append, no fsync under
    ``synchronous=NORMAL``) happens on the loop's thread.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._queue = engine.sync_engine
        url = engine.sync_engine.url.set(drivername="sqlite")
        self._engine = create_engine(url, pool_size=1, max_overflow=0)
        _listen_sqlite(self._engine, url, busy_timeout_ms=0)
        event.listen(self._engine, "connect", _no_checkpoint_on_commit)  # app/db/wal.py
        event.listen(self._engine, "connect", _sqlite_explicit_begin)
        event.listen(self._engine, "begin", _sqlite_begin)
        self._connection: Connection | None = None
        self._driver: sqlite3.Cursor | None = None
        """A cursor of the writer's driver connection, kept for every row."""
        self._statements = RowStatements(self._engine.dialect)
        database = sqlite_file(url)
        assert database is not None  # loop_writer: file databases only
        queue = _write_locks.get(self._queue)
        self._writers = queue.lock if queue is not None else None
        """This process's queue of SQLite writers (a row is never written ahead of it)."""
        self._turn_wait = queue.timeout if queue is not None else 0.0
        """How long :meth:`execute_in_turn` waits in that queue (the busy timeout)."""
        self.wal = WalFolder(database, self._writers)

    def try_execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> bool:
        """Run ``statement`` (with ``parameters``) as one autocommit statement: True when
        written and committed, False (nothing written) when the write lock is taken right now.
        Other database errors propagate (SQLAlchemy's)."""
        if self._writers is not None and self._writers.locked():
            return False
        return self._execute(statement, parameters)

    async def execute_in_turn(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> bool:
        """:meth:`try_execute` for a row nobody waits for (written after its call's answer,
        app/after_answer.py): when this process's queue of writers is busy (a unit of work,
        the log fold of app/db/wal.py) the row waits its turn there, at most the busy
        timeout, and is then written the same way, on the loop. Waiting is cheap here, and a
        row sent the ordinary way instead would keep the queue busy for the next call's row
        too. False: the turn did not come in time, or another process holds SQLite's lock."""
        writers = self._writers
        if writers is None or not writers.locked():
            return self._execute(statement, parameters)
        try:
            async with asyncio.timeout(self._turn_wait):
                await writers.acquire()
        except TimeoutError:
            return False
        try:
            return self._execute(statement, parameters)
        finally:
            writers.release()

    def _execute(self, statement: Executable, parameters: Mapping[str, Any] | None) -> bool:
        """The statement on the writer's connection, now (the caller checked the queue)."""
        sql, arguments = self._compiled(statement, parameters or {})
        driver = self._driver or self._open_driver()
        try:
            driver.execute(sql, arguments)  # its own transaction: all of it or nothing
        except sqlite3.Error as error:
            if _driver_busy(error):
                return False  # the statement failed whole: nothing written
            self.dispose()  # a fresh connection next time
            raise OperationalError(sql, arguments, error) from error
        self.wal.written()
        return True

    def _compiled(
        self, statement: Executable, parameters: Mapping[str, Any]
    ) -> tuple[str, tuple[Any, ...]]:
        """The statement's SQL for these parameter names (compiled once per statement and
        names) and the parameters in its order, through the columns' own bind processing (so
        a row reads back as one written by the ordinary path). Straight to the driver: the
        same unit through the Core connection (``begin``, ``execute``, ``commit``) costs four
        times the CPU of the SQLite work (issue 20)."""
        compiled = self._statements.get(statement, tuple(parameters))
        return compiled.sql, built_values(compiled.binds, parameters)

    def _open_driver(self) -> sqlite3.Cursor:
        """A cursor of the driver connection of :meth:`_open`, kept for the next rows; in
        autocommit mode (``isolation_level=None``: the driver begins no transaction of its
        own)."""
        driver = self._open().connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection) and driver.isolation_level is None
        self._driver = driver.cursor()
        return self._driver

    def _open(self) -> Connection:
        """The writer's one connection, kept open between writes (checked out once)."""
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(**{IMMEDIATE: True})
        return self._connection

    def dispose(self) -> None:
        self.wal.close()
        if self._driver is not None:
            self._driver.close()
            self._driver = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()


def built_values(
    binds: tuple[tuple[str, Processor | None], ...], parameters: Mapping[str, Any]
) -> tuple[Any, ...]:
    """``parameters`` in the compiled statement's positional order (``binds``: each name with
    its column type's bind processor, e.g. a UTC time to SQLite's text form)."""
    try:
        return tuple(
            [
                value if process is None or value is None else process(value)
                for name, process in binds
                for value in (parameters[name],)
            ]
        )
    except KeyError as missing:  # a column default the Core path would compute: not done here
        raise ValueError(f"the loop writer needs a value for {missing.args[0]}") from None


def _driver_busy(error: sqlite3.Error) -> bool:
    """The driver's "database is locked / busy" (another writer holds the lock)."""
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


_loop_writers: weakref.WeakKeyDictionary[Engine, LoopSqliteWriter] = weakref.WeakKeyDictionary()


def loop_writer(sessions: async_sessionmaker[AsyncSession]) -> LoopSqliteWriter | None:
    """The :class:`LoopSqliteWriter` of the sessions' file SQLite database (made on first use,
    one per engine); None for PostgreSQL and in-memory databases."""
    engine = sessions_engine(sessions)
    if engine is None:
        return None
    made = _loop_writers.get(engine.sync_engine)  # every access-log row asks: no URL parsing
    if made is not None:
        return made
    if sqlite_file(engine.sync_engine.url) is None:
        return None
    return one_per_engine(_loop_writers, engine, LoopSqliteWriter)


async def dispose_engine(engine: AsyncEngine) -> None:
    """Close the engine's pool and its :class:`LoopSqliteWriter` connection, if it has one (or
    its PostgreSQL access-log connections, app/db/pg_writer.py)."""
    writer = _loop_writers.pop(engine.sync_engine, None)
    if writer is not None:
        writer.dispose()
    await dispose_postgres_writer(engine)
    await engine.dispose()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def _writer_turn(
    sessions: async_sessionmaker[AsyncSession], wait: float | None
) -> AsyncIterator[None]:
    """Wait for this process's SQLite write turn (no-op on PostgreSQL); :class:`DatabaseBusy`
    when the queue does not move within ``wait`` (default: the busy timeout)."""
    bind = sessions.kw.get("bind")
    writer = _write_locks.get(bind.sync_engine) if isinstance(bind, AsyncEngine) else None
    if writer is None:
        yield
        return
    try:
        async with asyncio.timeout(writer.timeout if wait is None else wait):
            await writer.lock.acquire()
    except TimeoutError:
        raise DatabaseBusy("waited too long for the SQLite write lock") from None
    try:
        yield
    finally:
        writer.lock.release()


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], *, wait: float | None = None
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error. On SQLite it holds the
    write lock from its first statement (``BEGIN IMMEDIATE``): keep the work short and never
    wait on the network inside it. ``wait`` bounds the wait for the SQLite write turn."""
    async with _writer_turn(sessions, wait), sessions() as session, session.begin():
        await session.connection(execution_options={IMMEDIATE: True})
        yield session


def is_sqlite_busy(error: BaseException) -> bool:
    """SQLite's "database is locked / busy": another process held the write lock past the busy
    timeout, and the unit of work was rolled back whole. (A wait in this process's own writer
    queue that timed out is not retried: it already waited the whole busy timeout.)"""
    if isinstance(error, OperationalError):
        text = str(error.orig).lower()
        return "database is locked" in text or "database is busy" in text
    return False


async def retry_when_busy(
    work: Callable[[], Awaitable[T]], *, attempts: int = 3, pause: float = 0.05
) -> T:
    """Run a unit of work that is safe to repeat (it commits all or nothing) again when SQLite
    was busy, at most ``attempts`` times; other failures and the last busy one propagate."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except OperationalError as error:
            if attempt == attempts or not is_sqlite_busy(error):
                raise
            await asyncio.sleep(pause * attempt)
    raise AssertionError("unreachable")


async def checkpoint_sqlite_wal(engine: AsyncEngine) -> None:
    """Fold the SQLite write-ahead log into the database file and truncate it, so deleted rows
    (an account's credential ciphertext) do not linger in ``-wal`` (security review, hardening
    10; SQLite ``PRAGMA wal_checkpoint(TRUNCATE)``). No-op on other backends."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def checkpoint_sqlite_wal_sync(engine: Engine) -> None:
    """:func:`checkpoint_sqlite_wal` for synchronous engines (operator commands)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
