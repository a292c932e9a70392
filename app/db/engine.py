"""Engines and sessions: async for request paths, sync for Alembic and operator commands."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.settings import Settings

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across crashes, fewer fsyncs
    cursor.close()


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


def _listen_sqlite(engine: Engine, url: URL) -> None:
    database = sqlite_file(url)
    if database is not None:
        event.listen(engine, "connect", _restrict_sqlite_files(database))
    event.listen(engine, "connect", _sqlite_pragmas)


def make_sync_engine(settings: Settings) -> Engine:
    """A synchronous engine (Alembic, CLI commands, readiness checks in threads)."""
    url = settings.sqlalchemy_url
    _prepare_sqlite_dir(url)
    engine = create_engine(url, pool_pre_ping=True)
    if url.get_backend_name() == "sqlite":
        _listen_sqlite(engine, url)
    return engine


def make_async_engine(settings: Settings) -> AsyncEngine:
    """The async engine used by request handlers."""
    url = settings.async_sqlalchemy_url
    _prepare_sqlite_dir(url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # A server can drop idle connections; SQLite files cannot, so only PostgreSQL pays for
        # the liveness check on checkout.
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _listen_sqlite(engine.sync_engine, url)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session


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
