"""Issue 12 cases 1-2 against real processes: PostgreSQL stopped and started under load, and a
refresh storm on the embedded SQLite database. No 500 at any moment, every 503 carries
Retry-After and matches one log line (no traceback), and the gateway recovers by itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.reliability.support import (
    ATHLETES,
    Answer,
    Gateway,
    assert_no_server_errors,
    fake_upstream,
    gateway_process,
    in_loops,
    refresh_call,
    seed_callers,
    tool_call,
)

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
POSTGRES_CTL = os.environ.get("TEST_POSTGRES_CTL", "")
OUTAGE_SECONDS = 2.0
RECOVERY_LIMIT = 20.0


def assert_logged_once_without_traceback(gateway: Gateway, answers: list[Answer]) -> None:
    log = gateway.log_text()
    assert "Traceback" not in log
    for answer in answers:
        if answer.status == 503:
            # one "database unavailable: request <id> ..." line (every line of the request
            # also carries the id in its prefix, app/observe.py)
            assert answer.request_id and log.count(f"request {answer.request_id} ") == 1


async def test_sqlite_serves_a_refresh_storm_with_tool_traffic(tmp_path: Path) -> None:
    with fake_upstream() as (_fake, api), gateway_process(api, tmp_path) as gateway:
        refresh_tokens = await seed_callers(gateway, refresh_per_athlete=24)  # 120 in all
        async with httpx.AsyncClient(timeout=60) as http:

            async def refresh(client: int, index: int) -> Answer:
                return await refresh_call(http, gateway, refresh_tokens[index * 8 + client])

            async def tools(client: int, _round: int) -> Answer:
                who = ATHLETES[client % len(ATHLETES)].intervals_id
                return await tool_call(http, gateway, who, "get_activities", {"limit": 3})

            refreshed, called = await asyncio.gather(
                in_loops(8, len(refresh_tokens) // 8, refresh), in_loops(5, 12, tools)
            )
    assert_no_server_errors([*refreshed, *called])
    assert [a.status for a in refreshed] == [200] * len(refresh_tokens)  # no 503 either
    assert all(a.status == 200 and a.tool_error is None for a in called)
    assert_logged_once_without_traceback(gateway, [*refreshed, *called])


@pytest.fixture
def postgres_database() -> Iterator[str]:
    if not (POSTGRES_URL and POSTGRES_CTL):
        pytest.skip("needs TEST_POSTGRES_URL and TEST_POSTGRES_CTL (scripts/with-postgres.sh)")
    name = f"reliability_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,  # the server restarts in between: no pooled connection survives
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pgctl(action: str) -> None:
    subprocess.run([POSTGRES_CTL, action], check=True, capture_output=True, timeout=90)


def ensure_running() -> None:
    """Leave the shared server running for the rest of the suite, whatever happened."""
    subprocess.run([POSTGRES_CTL, "start"], check=False, capture_output=True, timeout=90)


async def test_postgres_restart_under_load_gives_503s_then_recovers(
    tmp_path: Path, postgres_database: str
) -> None:
    with (
        fake_upstream() as (_fake, api),
        gateway_process(api, tmp_path, postgres_database) as gateway,
    ):
        refresh_tokens = await seed_callers(gateway, refresh_per_athlete=1)
        answers: list[Answer] = []
        done = asyncio.Event()
        async with httpx.AsyncClient(timeout=60) as http:

            async def tools(client: int) -> None:
                who = ATHLETES[client % len(ATHLETES)].intervals_id
                for _ in range(2000):  # bounded; ends when the scenario does
                    if done.is_set():
                        return
                    answers.append(await tool_call(http, gateway, who, "get_activities", {}))
                    await asyncio.sleep(0.02)

            async def refresher(token: str) -> None:
                for _ in range(2000):
                    if done.is_set():
                        return
                    answer = await refresh_call(http, gateway, token)
                    answers.append(answer)
                    if answer.status == 200:  # rotated; a 503 left the old one valid
                        token = json.loads(answer.text)["refresh_token"]
                    await asyncio.sleep(0.05)

            async def scenario() -> tuple[float, float, float]:
                await asyncio.sleep(1.0)  # steady state first
                await asyncio.to_thread(pgctl, "stop")
                stopped = time.monotonic()
                await asyncio.sleep(OUTAGE_SECONDS)
                restarting = time.monotonic()  # the server may accept before pg_ctl returns
                await asyncio.to_thread(pgctl, "start")
                started = time.monotonic()
                deadline = started + RECOVERY_LIMIT
                while time.monotonic() < deadline:  # until calls succeed again
                    recent = [a for a in answers if a.at > started + 0.5 and a.who != "refresh"]
                    if len([a for a in recent if a.status == 200]) >= 10:
                        break
                    await asyncio.sleep(0.1)
                done.set()
                return stopped, restarting, started

            try:
                loads = [*(tools(c) for c in range(6)), *(refresher(t) for t in refresh_tokens)]
                (stopped, restarting, started), *_ = await asyncio.gather(scenario(), *loads)
            finally:
                done.set()
                await asyncio.to_thread(ensure_running)

    assert_no_server_errors(answers)
    assert not [a for a in answers if a.status == 0], "connections refused or reset"
    during = [a for a in answers if stopped + 0.2 < a.at - a.seconds and a.at < restarting]
    assert during and all(a.status == 503 for a in during), {a.status for a in during}
    assert {json.loads(a.text)["error"] for a in during} == {"temporarily_unavailable"}
    after = [a for a in answers if a.at > started + 0.5 and a.who != "refresh"]
    assert len([a for a in after if a.status == 200]) >= 10, "did not recover"
    refreshed_after = [a for a in answers if a.who == "refresh" and a.at > started + 0.5]
    assert refreshed_after and refreshed_after[-1].status == 200
    assert_logged_once_without_traceback(gateway, answers)
