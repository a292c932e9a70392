"""The running system for end-to-end tests and the local demo: the fake Intervals.icu server
and the gateway (`intervals-gateway serve`) as two real processes on loopback, wired together
through environment variables exactly as an operator would configure them."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from app.db.models import Token
from tests.support.processes import free_port, python_module, running

GATEWAY_COMMAND = str(Path(sys.executable).parent / "intervals-gateway")


@dataclass(frozen=True)
class Stack:
    """A running gateway in front of a running fake Intervals.icu server."""

    base: str
    fake_api: str
    database_file: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run `intervals-gateway ARGS` against this gateway's database; returns stdout."""
        done = subprocess.run(
            [GATEWAY_COMMAND, *args],
            env={**os.environ, **self.env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stderr}"
        return done.stdout

    def expire_access_token(self, access_token: str) -> None:
        """Move an access token's expiry into the past in the gateway's own database (the
        lifetime setting has a 60 s minimum; nothing sleeps)."""
        digest = hashlib.sha256(access_token.encode()).hexdigest()
        past = datetime.now(UTC) - timedelta(minutes=1)
        with self._session() as db, db.begin():
            changed = db.execute(
                update(Token).where(Token.token_hash == digest).values(expires_at=past)
            )
            assert getattr(changed, "rowcount", 0) == 1, (
                "access token not found in the gateway's database"
            )

    def token_row(self, token: str) -> Token | None:
        """The stored row of a token (looked up by its SHA-256 hash, as the gateway does)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._session() as db:
            return db.scalar(select(Token).where(Token.token_hash == digest))

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A session on the gateway's SQLite file (the test owns it), closed with its engine."""
        engine = create_engine(f"sqlite:///{self.database_file}")
        try:
            with Session(engine, expire_on_commit=False) as db:
                yield db
        finally:
            engine.dispose()


def gateway_env(
    port: int, fake_api: str, data_dir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a gateway on http://127.0.0.1:PORT using the fake Intervals.icu."""
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return {
        "GATEWAY_BASE_URL": f"http://127.0.0.1:{port}",
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_DATABASE_URL": f"sqlite:///{data_dir / 'gateway.db'}",
        "GATEWAY_ENCRYPTION_KEYS": f"e2e:{key}",
        "GATEWAY_INTERVALS_API_BASE_URL": fake_api,
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_OAUTH_REGISTER_PER_ADDRESS_PER_HOUR": "10000",
        "GATEWAY_ANSWER_CACHE": "off",  # tests change the fake and expect fresh answers
        **(extra or {}),
    }


@contextmanager
def fake_intervals(logs: Path, port: int | None = None) -> Iterator[str]:
    """`python -m tests.fake_intervals` as its own process; yields its API base URL."""
    port = port or free_port()
    args = python_module("tests.fake_intervals", "--port", str(port))
    ready = f"http://127.0.0.1:{port}/api/v1/athlete/0"  # 401 without credentials: it is up
    with running(args, ready, log=logs / "fake-intervals.log", ready_status=401):
        yield f"http://127.0.0.1:{port}/api/v1"


@contextmanager
def gateway(
    fake_api: str,
    data_dir: Path,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """`intervals-gateway serve` (migrating a fresh SQLite database) wired to `fake_api`."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = gateway_env(port, fake_api, data_dir, extra_env)
    ready = f"http://127.0.0.1:{port}/readyz"
    log = data_dir / "gateway.log"
    with running([GATEWAY_COMMAND, "serve"], ready, env=env, log=log) as process:
        yield Stack(env["GATEWAY_BASE_URL"], fake_api, data_dir / "gateway.db", env, process)
