"""One-time credentials in request URLs never reach the access log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.logredact import redact_query
from tests.support.processes import free_port, wait_http


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/signin/intervals/callback?code=abc123&state=xyz",
            "/signin/intervals/callback?code=REDACTED&state=REDACTED",
        ),
        ("/cb?Code=abc&next=/account", "/cb?Code=REDACTED&next=/account"),
        ("/authorize?client_id=c1&scope=mcp.read", "/authorize?client_id=c1&scope=mcp.read"),
        ("/healthz", "/healthz"),
    ],
)
def test_redacts_only_credential_parameters(path: str, expected: str) -> None:
    assert redact_query(path) == expected


def test_serve_access_log_never_shows_an_authorization_code(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_PORT=str(port), GATEWAY_BASE_URL=f"http://127.0.0.1:{port}")
    script = Path(sys.executable).parent / "intervals-gateway"
    process = subprocess.Popen(
        [str(script), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    secret = "upstream-code-7f3a9c1e55"
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
        httpx.get(f"http://127.0.0.1:{port}/signin/intervals/callback?code={secret}&state=s1")
        httpx.get(f"http://127.0.0.1:{port}/healthz?probe=after")  # a line we know is logged
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    log = output.decode(errors="replace")
    assert "/healthz?probe=after" in log  # the access log is on, so absence below means something
    assert "/signin/intervals/callback?code=REDACTED&state=REDACTED" in log
    assert secret not in log
