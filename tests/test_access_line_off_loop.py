"""uvicorn's access line is formatted and written off the event loop (app/logqueue.py, issue
20): a reader of the gateway's output that stalls (a full pipe to a log collector) never stalls
the answers, and no line is lost: once the reader reads again, every line is there, in order.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from pathlib import Path

import httpx

from tests.e2e.stack import GATEWAY_COMMAND, fake_intervals, gateway_env
from tests.support.processes import die_with_parent, free_port, wait_http

SMALLEST_PIPE = 4096
"""Bytes a pipe holds at least (one page, Linux ``F_SETPIPE_SZ``): some 70 access lines."""
REQUESTS = 400


def test_a_stalled_log_reader_never_stalls_the_answers(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, SMALLEST_PIPE)
    with fake_intervals(tmp_path) as api:
        port = free_port()
        (tmp_path / "gateway").mkdir()
        env = {
            **os.environ,
            **gateway_env(port, api, tmp_path / "gateway", {"GATEWAY_LOG_LEVEL": "INFO"}),
        }
        base = env["GATEWAY_BASE_URL"]
        with open(tmp_path / "gateway" / "stderr.log", "wb") as errors:
            process = subprocess.Popen(
                [GATEWAY_COMMAND, "serve"],
                env=env,
                stdout=write_end,  # the access lines; nobody reads them for now
                stderr=errors,
                preexec_fn=die_with_parent,
            )
        os.close(write_end)
        read: list[bytes] = []
        reader = threading.Thread(target=read_all, args=(read_end, read), daemon=True)
        try:
            wait_http(f"{base}/readyz", process)
            with httpx.Client(timeout=10) as client:  # a stalled loop fails this in 10 s
                statuses = {
                    client.get(f"{base}/healthz?n={n}").status_code for n in range(REQUESTS)
                }
            assert statuses == {200}
        finally:
            reader.start()  # the collector reads again
            process.terminate()
            process.wait(timeout=30)
        reader.join(timeout=30)
    lines = [line for line in b"".join(read).decode().splitlines() if "GET /healthz?n=" in line]
    assert [line.split("?n=")[1].split(" ")[0] for line in lines] == [
        str(n) for n in range(REQUESTS)
    ]


def read_all(fd: int, into: list[bytes]) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while chunk := pipe.read1(65536):
            into.append(chunk)
