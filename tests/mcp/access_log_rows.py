"""Shared setup of the one-statement access-log writer tests (issue 20): the row of a call on
the caller's own data, an engine's sessions disposed afterwards, an athlete to log for, and a
migrated SQLite file the tests can also open with the standard library driver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.access_log import AccessRow, access_rows, own_access_values
from app.db.engine import (
    LoopSqliteWriter,
    dispose_engine,
    loop_writer,
    make_async_engine,
    make_sessionmaker,
    transaction,
)
from app.db.migrations import upgrade_to_head
from app.db.models import AccessRecord, Athlete
from app.settings import Settings
from tests.conftest import make_settings

Sessions = async_sessionmaker[AsyncSession]


def a_row(athlete_pk: int, tool: str = "get_activities") -> dict[str, Any]:
    """A finished read of the athlete's activities through Claude Desktop."""
    return own_access_values(
        athlete_pk=athlete_pk,
        client_id="claude-desktop",
        tool=tool,
        categories=("activities",),
        mode="read",
        outcome="ok",
    )


A_ROW_READ_BACK = ("you", "get_activities", "activities", "read", "ok")
"""``by, tool, categories, mode, outcome`` of :func:`a_row` as the access log reads it back."""


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[tuple[AsyncEngine, Sessions]]:
    """An engine on the settings' database and its sessions; the engine (and its writers)
    disposed after."""
    engine = make_async_engine(settings)
    try:
        yield engine, make_sessionmaker(engine)
    finally:
        await dispose_engine(engine)


async def add_athlete(sessions: Sessions, intervals_id: str, name: str) -> Athlete:
    async with transaction(sessions) as db:
        athlete = Athlete(intervals_id=intervals_id, name=name)
        db.add(athlete)
    return athlete


async def only_access_row(sessions: Sessions, athlete_pk: int) -> AccessRow:
    """The athlete's one access-log row, read in a session of its own (fails unless exactly
    one is stored)."""
    async with sessions() as db:
        (row,) = await access_rows(db, athlete_pk)
    return row


async def count_access_rows(sessions: Sessions) -> int:
    async with sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(AccessRecord)) or 0)


def migrated_sqlite_file(tmp_path: Path) -> tuple[Path, Settings]:
    """A SQLite file at the migration head and settings on it."""
    database = tmp_path / "gateway.db"
    settings = make_settings(tmp_path, f"sqlite:///{database}")
    upgrade_to_head(settings)
    return database, settings


class OnTheLoop(NamedTuple):
    """A migrated SQLite file opened with its on-loop access-log writer and one athlete."""

    database: Path
    engine: AsyncEngine
    sessions: Sessions
    athlete: Athlete
    writer: LoopSqliteWriter


@asynccontextmanager
async def sqlite_on_the_loop(
    tmp_path: Path, intervals_id: str, name: str
) -> AsyncIterator[OnTheLoop]:
    """:func:`migrated_sqlite_file` opened (:func:`opened`), athlete ``name`` added, and the
    engine's loop writer (app/db/engine.py ``loop_writer``), which a SQLite file always has."""
    database, settings = migrated_sqlite_file(tmp_path)
    async with opened(settings) as (engine, sessions):
        athlete = await add_athlete(sessions, intervals_id, name)
        writer = loop_writer(sessions)
        assert writer is not None
        yield OnTheLoop(database, engine, sessions, athlete, writer)
