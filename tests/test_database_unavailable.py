"""A database that cannot answer gives clear, retryable answers, never a 500 (issue 12, case 1
and 2): 503 with Retry-After on /mcp before any JSON-RPC work, OAuth temporarily_unavailable
at /token, a "try again" page for browsers; one log line per failure with the request id.
Bookkeeping writes (a grant's last use) never fail a tool call."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.db.availability import is_unavailable
from app.db.engine import make_async_engine
from app.db.migrations import upgrade_to_head
from app.main import create_app
from tests.conftest import make_settings
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import BERLIN, gateway_settings, seed_caller
from tests.support.gateway import gateway_app
from tests.support.live import free_port, live_server

CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "get_activities", "arguments": {"limit": 1}},
}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


def closed_postgres_url() -> str:
    """A PostgreSQL URL on a loopback port where nothing listens: the database is down."""
    return f"postgresql://gateway@127.0.0.1:{free_port()}/gateway"


@contextmanager
def serving(tmp_path: Path, database_url: str, **overrides: object) -> Iterator[str]:
    port = free_port()
    settings = gateway_settings(
        tmp_path, database_url, port, oauth_purge_interval_seconds=0, **overrides
    )
    if database_url.startswith("sqlite"):
        upgrade_to_head(settings)
    with live_server(create_app(settings), port) as url:
        yield url


def unavailable_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.db.unavailable"]


async def test_mcp_answers_503_with_retry_after_while_postgres_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with serving(tmp_path, closed_postgres_url()) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            headers = {**MCP_HEADERS, "Authorization": "Bearer gwa_some-token"}
            response = await http.post(f"{url}/mcp", json=CALL, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"] == "temporarily_unavailable"
    assert "jsonrpc" not in response.text  # answered before any JSON-RPC work
    lines = unavailable_lines(caplog)
    assert len(lines) == 1 and response.headers["x-request-id"] in lines[0].getMessage()
    assert lines[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere


async def test_token_endpoint_answers_temporarily_unavailable_while_postgres_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "c"}
    with serving(tmp_path, closed_postgres_url()) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(f"{url}/token", data=form)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "temporarily_unavailable"
    assert len(unavailable_lines(caplog)) == 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_browser_pages_show_a_try_again_page_while_postgres_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    query = {
        "client_id": "some-client",
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1/cb",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    with serving(tmp_path, closed_postgres_url()) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            page = await http.get(f"{url}/authorize", params=query, headers={"Accept": "text/html"})
    assert page.status_code == 503
    assert page.headers["retry-after"] == "2"
    assert page.headers["content-type"].startswith("text/html")
    assert "Try again" in page.text
    assert page.headers["x-frame-options"] == "DENY"  # still a page with the page headers
    assert not [r for r in caplog.records if r.exc_info]


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process's writer (an operator command, a second worker) holding SQLite's lock."""
    other = sqlite3.connect(database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_sqlite_busy_at_token_is_503_then_recovers(tmp_path: Path) -> None:
    database = tmp_path / "gw.db"
    form = {"grant_type": "refresh_token", "refresh_token": "unknown", "client_id": "nobody"}
    with serving(tmp_path, f"sqlite:///{database}", database_busy_timeout_seconds=0.2) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            with write_lock_held(database):
                busy = await http.post(f"{url}/token", data=form)
            after = await http.post(f"{url}/token", data=form)
    assert busy.status_code == 503
    assert busy.json()["error"] == "temporarily_unavailable"
    assert busy.headers["retry-after"] == "2"
    assert after.status_code == 401  # the database answers again: an ordinary OAuth error
    assert after.json()["error"] == "invalid_client"


async def test_tool_call_succeeds_while_the_last_use_cannot_be_written(tmp_path: Path) -> None:
    database = tmp_path / "gw.db"
    port = free_port()
    settings = gateway_settings(
        tmp_path,
        f"sqlite:///{database}",
        port,
        oauth_purge_interval_seconds=0,
        database_busy_timeout_seconds=0.2,
    )
    fake = FakeIntervals()
    upgrade_to_head(settings)
    app, _, _ = gateway_app(settings, fake)
    with live_server(app, port) as url:
        seeded = await seed_caller(settings, BERLIN)
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {seeded.token}"}
        async with httpx.AsyncClient(timeout=30) as http:
            with write_lock_held(database):
                response = await http.post(f"{url}/mcp", json=CALL, headers=headers)
    assert response.status_code == 200
    result = response.json()["result"]
    assert result.get("isError") is not True, result
    assert result["structuredContent"]["activities"]


async def test_pool_exhaustion_is_a_retryable_failure(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, database_pool_timeout_seconds=0.2)
    engine = make_async_engine(settings)
    held = []
    try:
        with pytest.raises(Exception) as caught:
            for _ in range(40):  # more than the pool holds on either backend
                connection = await engine.connect()
                held.append(connection)
                await connection.execute(text("SELECT 1"))
        assert is_unavailable(caught.value)
        assert len(held) in (15, 30)  # SQLite file 5 + 10, PostgreSQL 10 + 20
    finally:
        for connection in held:
            await connection.close()
        await engine.dispose()


async def test_statement_timeout_is_a_retryable_failure(
    tmp_path: Path, backend: str, database_url: str
) -> None:
    if backend != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    settings = make_settings(tmp_path, database_url, database_statement_timeout_seconds=0.2)
    engine = make_async_engine(settings)
    try:
        async with engine.connect() as connection:
            with pytest.raises(Exception) as caught:
                await connection.execute(text("SELECT pg_sleep(2)"))
        assert is_unavailable(caught.value)
    finally:
        await engine.dispose()


async def test_a_missing_table_is_not_mistaken_for_an_outage(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    engine = make_async_engine(settings)
    try:
        async with engine.connect() as connection:
            with pytest.raises(Exception) as caught:
                await connection.execute(text("SELECT * FROM tokens"))
        assert not is_unavailable(caught.value)  # a bug or a missing migration: a real 500
    finally:
        await engine.dispose()
