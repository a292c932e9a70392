"""`make demo` (tests/demo.py) on a busy port, and with the documented settings (club-admin
trial §1): a clear one-line refusal before anything is printed as ready, and GATEWAY_PORT /
GATEWAY_BASE_URL honoured."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.support.processes import ROOT, die_with_parent, free_port

pytestmark = pytest.mark.slow


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.demo", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=die_with_parent,
    )


def test_a_busy_gateway_port_is_refused_before_anything_starts() -> None:
    with socket.socket() as other:  # another server already listens on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        busy = other.getsockname()[1]
        process = demo("--port", str(busy), "--fake-port", str(free_port()))
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"port {busy} (gateway) is already in use" in output
    assert "Demo ready" not in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1


def test_gateway_port_and_base_url_settings_are_honoured() -> None:
    port = free_port()
    base = f"http://localhost:{port}"
    env = {"GATEWAY_PORT": str(port), "GATEWAY_BASE_URL": base}
    process = demo("--fake-port", str(free_port()), env=env)
    assert process.stdout is not None
    printed = []
    try:
        for line in process.stdout:
            printed.append(line)
            if "Demo ready." in line or "could not start" in line:
                break
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert f"MCP server URL {base}/mcp\n" in printed, printed
