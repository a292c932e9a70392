"""The embedded default: `intervals-gateway serve` with no settings at all comes up ready."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    url: str, process: subprocess.Popen[bytes], deadline_s: float = 30
) -> httpx.Response:
    """Poll until the server answers (no fixed sleep); fail fast if it exits."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not answer in time")


def test_serve_with_no_settings_migrates_generates_a_dev_key_and_is_ready(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_PORT"] = str(port)
    env["GATEWAY_BASE_URL"] = f"http://127.0.0.1:{port}"
    script = Path(sys.executable).parent / "intervals-gateway"
    process = subprocess.Popen(
        [str(script), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        key_file = tmp_path / "var" / "dev-encryption.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert (tmp_path / "var" / "gateway.db").exists()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert b"DEVELOPMENT ENCRYPTION KEY" in stderr
