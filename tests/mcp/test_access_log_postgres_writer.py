"""On PostgreSQL the access-log row of a call on the caller's own data is one autocommit INSERT
on a connection held for it (app/db/pg_writer.py, issue 20): committed before the answer is
sent, as the ordinary unit of work was; many calls at once all logged; a dropped connection
costs no row and is replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db.access_log import OWN_ACCESS_INSERT, access_rows
from app.db.pg_writer import DEDICATED_CONNECTIONS, PostgresRowWriter, postgres_writer
from tests.conftest import make_settings
from tests.mcp.access_log_rows import (
    A_ROW_READ_BACK,
    Sessions,
    a_row,
    add_athlete,
    count_access_rows,
    only_access_row,
    opened,
)
from tests.mcp.support import AUCKLAND, mcp_client, running_gateway

Held = tuple[Sessions, PostgresRowWriter]


@pytest.fixture
async def row_writer(tmp_path: Path, database_url: str) -> AsyncIterator[Held | None]:
    """Sessions on the test's database and their PostgreSQL row writer; None on SQLite, which
    has its own loop writer."""
    async with opened(make_settings(tmp_path, database_url)) as (_, sessions):
        writer = postgres_writer(sessions)
        yield None if writer is None else (sessions, writer)


async def count_rows(database_url: str, tmp_path: Path) -> int:
    async with opened(make_settings(tmp_path, database_url)) as (_, sessions):
        return await count_access_rows(sessions)


async def drop_other_connections(database_url: str, tmp_path: Path) -> int:
    """What a server restart or an idle-connection reaper does to every other session."""
    settings = make_settings(tmp_path, database_url)
    async with opened(settings) as (engine, _), engine.connect() as connection:
        dropped = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        await connection.commit()
        return int(dropped or 0)


async def one_trip_writers(database_url: str, tmp_path: Path) -> int:
    """Sessions whose last statement was a bare access-log INSERT: the held connections (an
    ordinary unit of work ends with COMMIT)."""
    settings = make_settings(tmp_path, database_url)
    async with opened(settings) as (engine, _), engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND query LIKE 'INSERT INTO access_log%'"
            )
        )
        return int(found or 0)


async def test_row_is_committed_at_once_and_reads_like_any_other(
    tmp_path: Path, database_url: str
) -> None:
    async with opened(make_settings(tmp_path, database_url)) as (engine, sessions):
        writer = postgres_writer(sessions)
        if engine.dialect.name != "postgresql":
            assert writer is None  # SQLite has its own loop writer
            return
        assert writer is not None and postgres_writer(sessions) is writer  # one per engine
        athlete = await add_athlete(sessions, "i900011", "Aroha")
        assert await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id))
        row = await only_access_row(sessions, athlete.id)  # another session, at once: committed
        assert (row.by, row.tool, row.categories, row.mode, row.outcome) == A_ROW_READ_BACK
        assert row.at.tzinfo is not None  # stored as every other UTC time is


async def test_writes_beyond_the_held_connections_are_refused_not_queued(
    tmp_path: Path, database_url: str, row_writer: Held | None
) -> None:
    if row_writer is None:
        return  # SQLite has its own loop writer
    sessions, writer = row_writer
    athlete = await add_athlete(sessions, "i900012", "Lena")
    rows = [a_row(athlete.id, tool=f"tool_{n}") for n in range(20)]
    written = await asyncio.gather(*(writer.try_execute(OWN_ACCESS_INSERT, r) for r in rows))
    assert 1 <= written.count(True) <= DEDICATED_CONNECTIONS  # the rest: refused at once
    async with sessions() as db:
        stored = {r.tool for r in await access_rows(db, athlete.id)}
    # exactly the writes that said True are stored: a refused one wrote nothing
    assert stored == {r["tool"] for r, ok in zip(rows, written, strict=True) if ok}
    assert await one_trip_writers(database_url, tmp_path) <= DEDICATED_CONNECTIONS


async def test_a_dropped_connection_writes_nothing_then_is_replaced(
    tmp_path: Path, database_url: str, row_writer: Held | None
) -> None:
    if row_writer is None:
        return  # SQLite has its own loop writer
    sessions, writer = row_writer
    athlete = await add_athlete(sessions, "i900013", "Mere")
    assert await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id, "before"))
    assert await drop_other_connections(database_url, tmp_path) >= 1
    assert not await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id, "lost"))
    assert await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id, "after"))
    async with sessions() as db:
        stored = [r.tool for r in await access_rows(db, athlete.id)]
    assert sorted(stored) == ["after", "before"]


async def test_fifty_calls_at_once_are_all_logged(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        aroha = await gw.seed(AUCKLAND, client_id="claude-desktop")
        async with mcp_client(gw.mcp_url, aroha.token) as client:
            results = await asyncio.gather(
                *(client.call_tool("get_wellness_data", {}) for _ in range(50))
            )
        assert not any(result.is_error for result in results)
        assert await count_rows(database_url, tmp_path) == 50
        if gw.settings.sqlalchemy_url.get_backend_name() == "postgresql":
            assert 1 <= await one_trip_writers(database_url, tmp_path) <= DEDICATED_CONNECTIONS


async def test_calls_after_the_database_dropped_its_connections_are_still_logged(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        aroha = await gw.seed(AUCKLAND, client_id="claude-desktop")
        async with mcp_client(gw.mcp_url, aroha.token) as client:
            first = await client.call_tool("get_wellness_data", {})
            if gw.settings.sqlalchemy_url.get_backend_name() == "postgresql":
                assert await drop_other_connections(database_url, tmp_path) >= 1
            second = await client.call_tool("get_wellness_data", {})
            third = await client.call_tool("get_wellness_data", {})
        assert not (first.is_error or second.is_error or third.is_error)
        assert await count_rows(database_url, tmp_path) == 3
        if gw.settings.sqlalchemy_url.get_backend_name() == "postgresql":
            assert await one_trip_writers(database_url, tmp_path) == 1  # a fresh one took over


async def test_a_refused_row_writes_nothing_and_keeps_the_connection(
    row_writer: Held | None,
) -> None:
    if row_writer is None:
        return  # SQLite has its own loop writer
    sessions, writer = row_writer
    athlete = await add_athlete(sessions, "i900014", "Tane")
    assert await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id, "first"))
    (held,) = writer._idle
    # the athlete's row deleted meanwhile: the foreign key refuses the INSERT
    assert not await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id + 1000))
    assert await writer.try_execute(OWN_ACCESS_INSERT, a_row(athlete.id, "next"))
    async with sessions() as db:
        stored = sorted(r.tool for r in await access_rows(db, athlete.id))
    assert stored == ["first", "next"]
    assert writer._idle == [held]  # a refused statement does not cost the connection
