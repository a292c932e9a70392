"""The fake as a real HTTP server (uvicorn on a loopback port) and as ``python -m``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.intervals import ApiKey, IntervalsClient, RateBudget
from tests.fake_intervals import DEMO_ATHLETES, FakeIntervals, FakeServer
from tests.fake_intervals.server import free_port
from tests.intervals.conftest import LENA, TODAY
from tests.intervals.test_secrets import assert_clean

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeIntervals(seed=42, today=TODAY)) as running:
        yield running


async def test_client_against_real_server(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore debug logging included
    async with IntervalsClient(server.api_base_url, budget=RateBudget(100, 20)) as client:
        lena = client.session(ApiKey(LENA.api_key))
        acts = await lena.list_activities("2026-04-01", "2026-04-30", limit=3)
        streams = await lena.get_streams(acts[0].id, ["heartrate"])
        await lena.list_events()
        server.fake.faults.fail(503)
        wellness = await lena.get_wellness("2026-04-30")
    assert len(acts) == 3 and streams[0].type == "heartrate" and len(streams[0].data) > 600
    assert str(wellness.id) == "2026-04-30"
    assert [r.status for r in server.fake.requests][-2:] == [503, 200]
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    for record in caplog.records:
        assert_clean(record.getMessage())


def test_module_entry_point_prints_demo_credentials() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fake_intervals",
            "--port",
            str(port),
            "--today",
            TODAY.isoformat(),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        while not any(DEMO_ATHLETES[-1].api_key in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        for athlete in DEMO_ATHLETES:
            assert athlete.id in banner and athlete.api_key in banner
        deadline = time.monotonic() + 10
        while True:  # poll until uvicorn accepts connections
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/athlete/0", auth=("API_KEY", LENA.api_key)
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 200 and response.json()["id"] == LENA.id
    finally:
        proc.terminate()
        proc.wait(timeout=10)
