"""Two gateway processes behind a real nginx on one PostgreSQL and one Redis, on loopback.

PostgreSQL and Redis come from scripts/with-postgres.sh and scripts/with-redis.sh
(TEST_POSTGRES_URL / TEST_POSTGRES_CTL, TEST_REDIS_URL / TEST_REDIS_CTL); nginx is Debian's
(scripts/install-scale-deps.sh). Missing pieces skip the tests with the reason, or fail them
under E2E_REQUIRED=1 (CI must never pass by skipping).

The gateways run as `uvicorn --factory app.asgi:app_from_environment` (what `serve --workers`
runs) rather than `intervals-gateway serve`: their public base URL is the proxy's loopback
address, which `serve` refuses on another port than its own (a loopback base URL must name the
port served); with a public https URL in production `serve` is what runs (deploy/).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import GATEWAY_COMMAND, fake_intervals, gateway_env
from tests.support.processes import free_port, python_module, running, wait_http

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def require_topology() -> tuple[str, str, str, str]:
    """(postgres url, postgres ctl, redis url, redis ctl), or skip/fail with the reason."""
    missing = [
        name
        for name in ("TEST_POSTGRES_URL", "TEST_POSTGRES_CTL", "TEST_REDIS_URL", "TEST_REDIS_CTL")
        if not os.environ.get(name)
    ]
    reason = ""
    if missing:
        reason = (
            f"{', '.join(missing)} not set; "
            "run under scripts/with-postgres.sh scripts/with-redis.sh"
        )
    elif not Path(NGINX).exists():
        reason = "nginx not found; run scripts/install-scale-deps.sh"
    if reason:
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    env = os.environ
    return (
        env["TEST_POSTGRES_URL"],
        env["TEST_POSTGRES_CTL"],
        env["TEST_REDIS_URL"],
        env["TEST_REDIS_CTL"],
    )


@dataclass
class Instance:
    name: str
    base: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


@dataclass
class Topology:
    proxy: str
    """The public base URL (nginx); every instance's GATEWAY_BASE_URL."""
    instances: list[Instance]
    env: dict[str, str]
    postgres_ctl: str
    redis_ctl: str
    work: Path
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def mcp_url(self) -> str:
        return f"{self.proxy}/mcp"


def _create_database(admin_url: str) -> str:
    from tests.conftest import PostgresAdmin

    admin = PostgresAdmin(admin_url)
    try:
        url = admin.url_for(admin.create())
    finally:
        admin.engine.dispose()
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def _nginx(work: Path, port: int, port_a: int, port_b: int) -> Iterator[str]:
    work.mkdir(parents=True, exist_ok=True)
    conf = TEMPLATE.read_text().format(
        user="user root;" if os.geteuid() == 0 else "",
        work=work,
        port=port,
        port_a=port_a,
        port_b=port_b,
    )
    (work / "nginx.conf").write_text(conf)
    args = [NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"]
    with running(args, f"http://127.0.0.1:{port}/healthz", log=work / "nginx.log"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def topology(work: Path, **extra_env: str) -> Iterator[Topology]:
    postgres_url, postgres_ctl, redis_url, redis_ctl = require_topology()
    database = _create_database(postgres_url)
    proxy_port, port_a, port_b = free_port(), free_port(), free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    with ExitStack() as stack:
        fake_api = stack.enter_context(fake_intervals(work))
        env = gateway_env(proxy_port, fake_api, work, None)
        env.update(
            {
                "GATEWAY_BASE_URL": proxy,
                "GATEWAY_DATABASE_URL": database,
                "GATEWAY_SHARED_STATE_BACKEND": "redis",
                "GATEWAY_REDIS_URL": redis_url,
                "GATEWAY_REDIS_KEY_PREFIX": f"scale-{uuid.uuid4().hex[:8]}:",
                "GATEWAY_AUTO_MIGRATE": "false",
                "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
                **extra_env,
            }
        )
        upgrade = subprocess.run(
            [GATEWAY_COMMAND, "db", "upgrade"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert upgrade.returncode == 0, upgrade.stderr
        instances = []
        for name, port in (("a", port_a), ("b", port_b)):
            args = python_module(
                "uvicorn",
                "--factory",
                "app.asgi:app_from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            )
            process = stack.enter_context(
                running(
                    args,
                    f"http://127.0.0.1:{port}/readyz",
                    env=env,
                    log=work / f"gateway-{name}.log",
                )
            )
            instances.append(Instance(name, f"http://127.0.0.1:{port}", process))
        proxy = stack.enter_context(_nginx(work / "nginx", proxy_port, port_a, port_b))
        yield Topology(proxy, instances, env, postgres_ctl, redis_ctl, work)


def control(ctl: str, action: str) -> None:
    subprocess.run([ctl, action], check=True, capture_output=True, timeout=90)


def wait_ready(base: str) -> None:
    wait_http(f"{base}/readyz", _NoProcess(), timeout=60)


class _NoProcess:
    """Stands in for a Popen in wait_http when the server is not ours to watch."""

    def poll(self) -> None:
        return None


MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


def tools_list(url: str, token: str, client: httpx.Client | None = None) -> httpx.Response:
    """One `tools/list` request to `url` (an /mcp URL) with `token`."""
    sender = client or httpx
    return sender.post(  # type: ignore[no-any-return]
        url,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        timeout=30,
    )


@dataclass
class Load:
    """Requests sent in a loop on a thread until stopped: (start time, status or error)."""

    url: str
    token: str
    results: list[tuple[float, int | str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=60)

    def _run(self) -> None:
        with httpx.Client() as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    outcome: int | str = tools_list(self.url, self.token, client).status_code
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                self.results.append((started, outcome))
                time.sleep(0.02)

    def between(self, start: float, end: float) -> list[int | str]:
        return [outcome for at, outcome in self.results if start <= at < end]
