"""A tool call's access-log row is written after its answer was handed to the transport
(app/after_answer.py, issue 20): through the real gateway served by uvicorn with the
gateway's own HTTP protocol (app/web/coalesce.py), a call's answer reaches the client while
the database holds the row's write back, and the row is in the access log once the database
lets it through: also when the client hung up after reading its answer, and when the server
is shutting down gracefully. A write that fails is logged and the answer stays as it was.

The write is held by a lock the test takes on the database itself (SQLite: a write
transaction on the file; PostgreSQL: an EXCLUSIVE lock on the table, which a plain SELECT
still passes), never by sleeping."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from app import after_answer
from app.after_answer import settled
from app.db.access_log import OWN_ACCESS_INSERT
from app.db.engine import _write_locks
from app.web.coalesce import CoalescingHttpToolsProtocol
from tests.mcp.access_log_rows import a_row, count_access_rows, sqlite_on_the_loop
from tests.mcp.support import AUCKLAND, gateway_settings
from tests.mcp.test_fast_path import LEGACY, MODERN, call, headers_for
from tests.support.gateway import Gateway, gateway_app

TOOL = "get_wellness_data"
OTHER_TOOL = "get_athlete_profile"
BOUND = 30.0
"""Upper bound (seconds) of every wait for a condition; the busy and statement timeouts of
the gateway under test are longer, so a write held back is never given up on meanwhile."""


@dataclass
class Served:
    gateway: Gateway
    server: uvicorn.Server
    task: asyncio.Task[None]
    database_url: str
    token: str = ""

    async def post(self, era: str = LEGACY, tool: str = TOOL) -> httpx.Response:
        body = call(tool, {}, era)
        async with httpx.AsyncClient(timeout=BOUND) as http:
            return await http.post(
                self.gateway.mcp_url, headers=headers_for(self.token, body, era), json=body
            )


@asynccontextmanager
async def served(tmp_path: Path, database_url: str) -> AsyncIterator[Served]:
    """The gateway app on a loopback port, served as ``serve`` serves it (uvicorn with
    :class:`CoalescingHttpToolsProtocol`) on this test's event loop, a caller seeded and one
    call made (so the grant's last use is recorded before any lock is taken)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    port = listening.getsockname()[1]
    settings = gateway_settings(
        tmp_path,
        database_url,
        port,
        database_busy_timeout_seconds=60,
        database_statement_timeout_seconds=120,
    )
    app, fake, time = gateway_app(settings)
    config = uvicorn.Config(
        app,
        http=CoalescingHttpToolsProtocol,
        log_level="warning",
        timeout_graceful_shutdown=int(BOUND),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:  # connections wait in the socket's backlog until the server accepts them
        gateway = Gateway(app, None, fake, time, settings=settings, url=f"http://127.0.0.1:{port}")
        here = Served(gateway, server, task, database_url)
        here.token = (await gateway.seed(AUCKLAND, client_id="claude-desktop")).token
        first = await here.post()
        assert first.status_code == 200 and not first.json()["result"].get("isError")
        yield here
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, BOUND)
        listening.close()


# -- the database, from the test's side ----------------------------------------------------------
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


def sqlite_path(database_url: str) -> str:
    return database_url.split(":///", 1)[1]


def postgres_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


async def logged_tools(database_url: str) -> list[str]:
    """The tools of every access-log row, oldest first, read on a connection of its own."""
    query = "SELECT tool FROM access_log ORDER BY id"
    if is_postgres(database_url):
        async with await psycopg.AsyncConnection.connect(postgres_dsn(database_url)) as db:
            return [row[0] for row in await (await db.execute(query)).fetchall()]
    with sqlite3.connect(sqlite_path(database_url)) as db:
        return [row[0] for row in db.execute(query)]


@asynccontextmanager
async def write_held(database_url: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Hold every write to the access log back until the yielded ``release`` is awaited (or
    the block ends): a write transaction on the SQLite file, an EXCLUSIVE table lock on
    PostgreSQL."""
    if is_postgres(database_url):
        db = await psycopg.AsyncConnection.connect(postgres_dsn(database_url))
        await db.execute("BEGIN")
        await db.execute("LOCK TABLE access_log IN EXCLUSIVE MODE")

        async def release() -> None:
            if not db.closed:
                await db.rollback()
                await db.close()

    else:
        held = [sqlite3.connect(sqlite_path(database_url), isolation_level=None)]
        held[0].execute("BEGIN IMMEDIATE")

        async def release() -> None:
            while held:
                lite = held.pop()
                lite.execute("ROLLBACK")
                lite.close()

    try:
        yield release
    finally:
        await release()


def ok_answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    assert not result.get("isError"), result
    return result


# -- the tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_the_answer_arrives_while_its_row_is_held_and_the_row_is_written_after(
    tmp_path: Path, database_url: str, era: str
) -> None:
    async with served(tmp_path, database_url) as gw:
        before = await logged_tools(database_url)
        async with write_held(database_url) as release:
            answer = await asyncio.wait_for(gw.post(era), BOUND)
            ok_answer(answer)
            assert await logged_tools(database_url) == before  # the row waits for the database
            await release()
            await settled(BOUND)
        assert await logged_tools(database_url) == [*before, TOOL]


async def answered_on_a_socket(gw: Served) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """One tool call on a raw keep-alive connection, its whole answer read (and checked)."""
    body = json.dumps(call(TOOL, {}, LEGACY)).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers_for(gw.token, body, LEGACY).items())
    port = int(gw.gateway.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{head}"
        f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    status = await asyncio.wait_for(reader.readuntil(b"\r\n"), BOUND)
    assert status.startswith(b"HTTP/1.1 200")
    headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND)
    length = next(
        int(line.split(b":", 1)[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    ok_answer(httpx.Response(200, content=await reader.readexactly(length)))
    return reader, writer


async def test_the_row_is_written_when_the_client_hangs_up_after_its_answer(
    tmp_path: Path, database_url: str
) -> None:
    async with served(tmp_path, database_url) as gw:
        before = await logged_tools(database_url)
        async with write_held(database_url) as release:
            _, writer = await answered_on_a_socket(gw)
            writer.close()  # the client is gone before the row is written
            await writer.wait_closed()
            await release()
            await settled(BOUND)
        assert await logged_tools(database_url) == [*before, TOOL]


async def test_graceful_shutdown_waits_for_a_held_row(tmp_path: Path, database_url: str) -> None:
    async with served(tmp_path, database_url) as gw:
        before = await logged_tools(database_url)
        async with write_held(database_url) as release:
            reader, writer = await answered_on_a_socket(gw)
            gw.server.should_exit = True  # as SIGTERM asks
            # shutting down: uvicorn closes the idle keep-alive connection, then waits for
            # the request tasks still running
            assert await asyncio.wait_for(reader.read(), BOUND) == b""
            writer.close()
            assert not gw.task.done()
            await release()
            await asyncio.wait_for(gw.task, BOUND)  # lifespan ended: the engine is disposed
        assert await logged_tools(database_url) == [*before, TOOL]


async def test_a_failing_row_write_is_logged_and_the_answer_is_unchanged(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with served(tmp_path, database_url) as gw:
        first = ok_answer(await gw.post())
        rename = "ALTER TABLE access_log RENAME TO access_log_gone"
        if is_postgres(database_url):
            async with await psycopg.AsyncConnection.connect(
                postgres_dsn(database_url), autocommit=True
            ) as db:
                await db.execute(rename)
        else:
            with sqlite3.connect(sqlite_path(database_url), isolation_level=None) as lite:
                lite.execute(rename)
        with caplog.at_level(logging.WARNING):
            second = ok_answer(await gw.post())
            await settled(BOUND)
        assert second == first
        assert any(
            f"access log entry of {TOOL}" in record.getMessage() for record in caplog.records
        ), [record.getMessage() for record in caplog.records]


async def test_after_the_answer_a_row_waits_its_turn_and_is_still_written_on_the_loop(
    tmp_path: Path,
) -> None:
    """A row written after its answer, finding this process's queue of writers busy (a unit
    of work, the log fold), waits there and is then written on the loop, not sent the
    ordinary way: at one client, a row sent the ordinary way kept the queue busy when the
    next call's row came, and every later row went the ordinary way too."""
    async with sqlite_on_the_loop(tmp_path, "i900005", "Tui") as opened_db:
        _, engine, sessions, athlete, writer = opened_db
        queue = _write_locks[engine.sync_engine].lock
        await queue.acquire()
        try:
            waiting = asyncio.create_task(
                writer.execute_in_turn(OWN_ACCESS_INSERT, a_row(athlete.id))
            )
            await asyncio.sleep(0)  # it reaches the queue
            assert not waiting.done() and await count_access_rows(sessions) == 0
        finally:
            queue.release()
        assert await asyncio.wait_for(waiting, BOUND)  # written by the loop writer itself
        assert await count_access_rows(sessions) == 1
        assert writer.wal._writes == 1  # counted as a loop-writer row (app/db/wal.py)


def a_reader_waits() -> bool:
    """Whether a reader of the access log waits for a row still being written."""
    return any(slot._done is not None for slot in after_answer._pending)


async def test_the_account_page_shows_a_call_answered_while_its_row_was_being_written(
    tmp_path: Path, database_url: str
) -> None:
    async with (
        served(tmp_path, database_url) as gw,
        httpx.AsyncClient(base_url=gw.gateway.url, timeout=BOUND) as browser,
    ):
        gw.gateway.browser = browser
        signed_in = await gw.gateway.sign_in(AUCKLAND.id, AUCKLAND.api_key)
        assert signed_in.status_code in (302, 303), signed_in.text
        async with write_held(database_url) as release:
            ok_answer(await gw.post(tool=OTHER_TOOL))
            page = asyncio.create_task(browser.get("/account"))
            async with asyncio.timeout(BOUND):  # the page is served, or it waits for the row
                while not (page.done() or a_reader_waits()):  # noqa: ASYNC110 (two conditions)
                    await asyncio.sleep(0.01)
            await release()
            shown = await asyncio.wait_for(page, BOUND)
        assert shown.status_code == 200 and OTHER_TOOL in shown.text
