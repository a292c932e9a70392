"""`GATEWAY_PORT` alone gives a consistent base URL (club-admin trial §1): without
GATEWAY_BASE_URL the loopback base URL follows the port; a loopback base URL on another port
than the one served is refused in one line; the start line names each URL once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.settings import load_settings
from tests.support.processes import free_port, wait_http


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_base_url_follows_the_port_when_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "19205")
    settings = load_settings()
    assert settings.base_url == "http://127.0.0.1:19205"
    assert settings.mcp_resource == "http://127.0.0.1:19205/mcp"


def test_port_from_the_env_file_moves_the_base_url_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GATEWAY_PORT=9124\n")
    assert load_settings().base_url == "http://127.0.0.1:9124"


def test_an_explicit_base_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "8080")
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com")
    monkeypatch.setenv("GATEWAY_ENCRYPTION_KEYS", "k1:" + "A" * 43)
    assert load_settings().base_url == "https://gw.example.com"


@pytest.mark.parametrize("port_flag", [False, True])
def test_serve_refuses_a_loopback_base_url_on_another_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port_flag: bool
) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "http://127.0.0.1:8000")
    if port_flag:
        monkeypatch.setenv("GATEWAY_PORT", "8000")  # restored after the test (--port sets it)
        args = ["serve", "--port", "19206"]
    else:
        monkeypatch.setenv("GATEWAY_PORT", "19206")
        args = ["serve"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "GATEWAY_BASE_URL" in err and "8000" in err and "19206" in err


def test_serve_with_only_a_port_advertises_that_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_PORT"] = str(port)
    script = Path(sys.executable).parent / "intervals-gateway"
    process = subprocess.Popen(
        [str(script), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/readyz", process)
        document = httpx.get(f"{base}/.well-known/oauth-protected-resource/mcp").json()
        challenge = httpx.post(f"{base}/mcp").headers["www-authenticate"]
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert document["resource"] == f"{base}/mcp"
    assert document["authorization_servers"] == [base]
    assert f'resource_metadata="{base}/' in challenge
    start = [line for line in stdout.decode().splitlines() if "serving" in line]
    assert start == [f"intervals-gateway: serving {base}"]
    assert stderr.count(b"DEVELOPMENT ENCRYPTION KEY") == 1  # the dev-key warning, once
