"""The local demo (`make demo`): it starts, prints working demo sign-ins and the MCP URL, and
Ctrl-C stops both servers."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from typing import IO

import httpx

from tests.e2e.athlete import Athlete
from tests.e2e.oauth_flow import issue_tokens
from tests.e2e.sdk_client import bearer_status
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.support.processes import ROOT, die_with_parent, free_port

ATHLETE_LINE = re.compile(r"^\s+(i?\d+)\s+.+?\s(fake-key-\S+)$")


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_demo_prints_working_sign_ins_and_stops_on_ctrl_c() -> None:
    port, fake_port = free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "tests.demo", "--port", str(port), "--fake-port", str(fake_port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=die_with_parent,
    )
    assert demo.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(demo.stdout, lines), daemon=True).start()
    printed: list[str] = []
    try:
        while (line := lines.get(timeout=60)) is not None and "Demo ready." not in line:
            printed.append(line.rstrip("\n"))
        base = f"http://127.0.0.1:{port}"
        assert f"MCP server URL {base}/mcp" in printed
        found = [m for m in map(ATHLETE_LINE.match, printed) if m]
        accounts = {m.group(1): m.group(2) for m in found}
        assert accounts == {a.id: a.api_key for a in DEMO_ATHLETES}
        athlete_id, api_key = next(iter(accounts.items()))
        person = Athlete(base, athlete_id, api_key)
        token = issue_tokens(base, f"{base}/mcp", person, "Demo check")["access_token"]
        person.close()
        assert bearer_status(f"{base}/mcp", token) == 200
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=30)
    assert code == 0
    for url in (f"{base}/readyz", f"http://127.0.0.1:{fake_port}/api/v1/athlete/0"):
        try:
            httpx.get(url, timeout=2)
        except httpx.TransportError:
            continue
        raise AssertionError(f"{url} still answers after Ctrl-C")
