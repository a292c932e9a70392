"""The embedded default: `intervals-gateway serve` with no settings at all comes up ready."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.processes import free_port, wait_http


def serve(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_PORT"] = str(port)
    env["GATEWAY_BASE_URL"] = f"http://127.0.0.1:{port}"
    script = Path(sys.executable).parent / "intervals-gateway"
    return subprocess.Popen(
        [str(script), "serve", *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_serve_with_no_settings_migrates_generates_a_dev_key_and_is_ready(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, port)
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", process)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
        key_file = tmp_path / "var" / "dev-encryption.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert (tmp_path / "var" / "gateway.db").exists()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert b"DEVELOPMENT ENCRYPTION KEY" in stderr


def test_serve_with_two_workers_answers_from_both_processes(tmp_path: Path) -> None:
    port = free_port()
    process = serve(tmp_path, port, "--workers", "2")
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", process)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert stderr.count(b"Started server process") == 2
