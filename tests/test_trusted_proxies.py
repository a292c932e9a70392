"""Client addresses behind a proxy (security review M2): `serve` honours X-Forwarded-For only
from GATEWAY_TRUSTED_PROXIES; from any other peer the header is ignored, so nobody picks their
own address for the per-address limits. Observed on a real `serve` process through the
registration limit (one registration per address per hour)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import httpx
import pytest

from app.cli import proxy_options
from app.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.support.processes import die_with_parent, free_port, wait_http

_names = count()


@contextmanager
def serving(tmp_path: Path, trusted_proxies: str) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "FORWARDED"))}
    env.update(
        GATEWAY_PORT=str(port),
        GATEWAY_BASE_URL=f"http://127.0.0.1:{port}",
        GATEWAY_OAUTH_REGISTER_PER_ADDRESS_PER_HOUR="1",
        GATEWAY_TRUSTED_PROXIES=trusted_proxies,
    )
    script = Path(sys.executable).parent / "intervals-gateway"
    process = subprocess.Popen(
        [str(script), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def register(base: str, forwarded_for: str) -> int:
    """One valid dynamic registration (each a different client, so none is a reuse)."""
    metadata = {
        "client_name": f"proxied client {next(_names)}",
        "redirect_uris": ["http://127.0.0.1/callback"],
    }
    headers = {"X-Forwarded-For": forwarded_for}
    return httpx.post(f"{base}/register", json=metadata, headers=headers).status_code


def test_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    with serving(tmp_path, "") as base:
        assert register(base, "203.0.113.1") != 429
        assert register(base, "203.0.113.2") == 429  # same peer, whatever the header says


def test_forwarded_for_from_a_peer_outside_the_trusted_list_is_ignored(tmp_path: Path) -> None:
    with serving(tmp_path, "10.9.9.9") as base:
        assert register(base, "203.0.113.1") != 429
        assert register(base, "203.0.113.2") == 429


def test_forwarded_for_from_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    with serving(tmp_path, "127.0.0.0/8") as base:
        assert register(base, "203.0.113.1") != 429
        assert register(base, "203.0.113.2") != 429  # another client behind the proxy
        assert register(base, "203.0.113.1") == 429  # the first client again


def test_trusted_proxies_accept_addresses_and_networks(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=" 10.0.0.5, 172.18.0.0/16 ,::1")
    assert settings.trusted_proxy_list == ["10.0.0.5/32", "172.18.0.0/16", "::1/128"]
    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.5/32", "172.18.0.0/16", "::1/128"],
    }
    assert proxy_options(make_settings(tmp_path)) == {"proxy_headers": False}


@pytest.mark.parametrize("value", ["*", "proxy.internal", "10.0.0.0/40"])
def test_a_wrong_trusted_proxy_names_the_setting(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", value)
    with pytest.raises(SettingsError, match="GATEWAY_TRUSTED_PROXIES"):
        load_settings()
