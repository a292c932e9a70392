"""The vault key rotation runbook (docs/operations.md) as a rolling deploy of two real gateway
processes on one database (security review M3).

Instances X and Y serve the same athletes from one SQLite file; each restart changes one
instance's GATEWAY_ENCRYPTION_KEYS, as a rolling deploy would. At every step both instances
answer the athlete's tool calls. A replica left behind with a ring that lacks the new primary
key reports not ready and answers a temporary error, and the athlete stays connected.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from app.db.models import Athlete, Credential, Grant, OAuthClient, Token
from app.settings import encode_key, parse_key_ring
from app.vault.crypto import Vault
from tests.e2e.stack import GATEWAY_COMMAND, fake_intervals, gateway_env
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.support.processes import free_port, running

pytestmark = pytest.mark.slow

K1 = encode_key("k1", secrets.token_bytes(32))
K2 = encode_key("k2", secrets.token_bytes(32))
ATHLETE = DEMO_ATHLETES[0]
CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "get_wellness_data", "arguments": {}},
}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


class Deployment:
    """Two instances (fixed ports, so tokens stay valid across restarts) on one database."""

    def __init__(self, tmp_path: Path, fake_api: str) -> None:
        self.tmp_path = tmp_path
        self.fake_api = fake_api
        self.database = tmp_path / "gateway.db"
        self.ports = {"X": free_port(), "Y": free_port()}
        self.tokens: dict[str, str] = {}

    def env(self, name: str, ring: str) -> dict[str, str]:
        data_dir = self.tmp_path / name
        data_dir.mkdir(exist_ok=True)
        extra = {"GATEWAY_DATABASE_URL": f"sqlite:///{self.database}"}
        extra["GATEWAY_ENCRYPTION_KEYS"] = ring
        return gateway_env(self.ports[name], self.fake_api, data_dir, extra)

    @contextmanager
    def instance(self, name: str, ring: str, ready: int = 200) -> Iterator[None]:
        """`intervals-gateway serve` for instance `name` until the block ends; waits for
        /readyz to answer `ready` (503 for an instance whose ring cannot open credentials)."""
        url = f"http://127.0.0.1:{self.ports[name]}/readyz"
        log = self.tmp_path / name / "gateway.log"
        with running([GATEWAY_COMMAND, "serve"], url, self.env(name, ring), log, ready):
            yield

    def readyz(self, name: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=10)

    def call(self, name: str) -> tuple[int, dict[str, object]]:
        """A tools/call on instance `name` with that instance's token: status and result."""
        response = httpx.post(
            f"http://127.0.0.1:{self.ports[name]}/mcp",
            headers={**HEADERS, "Authorization": f"Bearer {self.tokens[name]}"},
            content=json.dumps(CALL),
            timeout=30,
        )
        if response.status_code != 200:
            return response.status_code, {}
        for line in response.text.splitlines():
            if line.startswith("data:"):
                return 200, dict(json.loads(line[5:])["result"])
        return 200, dict(json.loads(response.text)["result"])

    def works_on(self, name: str) -> bool:
        status, result = self.call(name)
        return status == 200 and result.get("isError") is False

    def seed(self, ring: str) -> None:
        """The athlete, their API key sealed under `ring`'s primary key, and a grant with an
        access token per instance (each instance is its own resource)."""
        with self.session() as db, db.begin():
            athlete = Athlete(intervals_id=ATHLETE.id, name=ATHLETE.name, timezone="UTC")
            client = OAuthClient(client_id="rolling", origin="dynamic", name="Rolling")
            db.add_all([athlete, client])
            db.flush()
            key_id, blob = Vault(parse_key_ring(ring)).encrypt(
                ATHLETE.api_key, athlete.id, "api_key"
            )
            db.add(
                Credential(athlete_id=athlete.id, kind="api_key", key_id=key_id, ciphertext=blob)
            )
            for name, port in self.ports.items():
                resource = f"http://127.0.0.1:{port}/mcp"
                grant = Grant(
                    athlete_id=athlete.id,
                    client_pk=client.id,
                    redirect_key=name,  # one grant per instance
                    scope="mcp.read",
                    resource=resource,
                )
                db.add(grant)
                db.flush()
                token = f"gwa_{secrets.token_urlsafe(32)}"
                db.add(
                    Token(
                        token_hash=hashlib.sha256(token.encode()).hexdigest(),
                        kind="access",
                        grant_id=grant.id,
                        scope="mcp.read",
                        resource=resource,
                        expires_at=datetime.now(UTC) + timedelta(hours=1),
                    )
                )
                self.tokens[name] = token

    def reseal(self, ring: str) -> None:
        """The athlete replaces their key through an instance with `ring` (stored under its
        primary key), as a sign-in there would."""
        with self.session() as db, db.begin():
            row = db.scalars(select(Credential)).one()
            key_id, blob = Vault(parse_key_ring(ring)).encrypt(
                ATHLETE.api_key, row.athlete_id, "api_key"
            )
            db.execute(update(Credential).values(key_id=key_id, ciphertext=blob))

    def stored_state(self) -> tuple[set[str], bool, int]:
        """Key ids in use, whether the credential is marked rejected, live grants."""
        with self.session() as db:
            key_ids = set(db.scalars(select(Credential.key_id)))
            rejected = any(db.scalars(select(Credential.rejected_at)))
            live = len(list(db.scalars(select(Grant.id).where(Grant.revoked_at.is_(None)))))
        return key_ids, rejected, live

    def refused(self, name: str, ring: str) -> bool:
        """`serve` with `ring` exits 2 before serving, with one line naming the setting."""
        done = subprocess.run(
            [GATEWAY_COMMAND, "serve"],
            env={**os.environ, **self.env(name, ring)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.returncode == 2 and "GATEWAY_ENCRYPTION_KEYS: key id 'k2'" in done.stderr

    def keys_rotate(self, ring: str) -> str:
        done = subprocess.run(
            [GATEWAY_COMMAND, "keys", "rotate"],
            env={**os.environ, **self.env("X", ring)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with Session(engine, expire_on_commit=False) as db:
                yield db
        finally:
            engine.dispose()


def test_rotation_runbook_as_a_rolling_deploy_of_two_instances(tmp_path: Path) -> None:
    with fake_intervals(tmp_path) as fake_api:
        deployment = Deployment(tmp_path, fake_api)
        old, phase1, phase2, new = K1, f"{K1},{K2}", f"{K2},{K1}", K2
        with deployment.instance("X", old):
            deployment.seed(old)  # the athlete's key is sealed under k1
        # The mistake the old runbook made: Y gets k2 as primary while X still runs with k1
        # alone, and the athlete replaces their key through Y.
        with deployment.instance("X", old), deployment.instance("Y", phase2):
            deployment.reseal(phase2)
            assert deployment.works_on("Y")
            reason = deployment.readyz("X").json()["reason"]
            assert "'k2'" in reason and "not in the key ring" in reason
            status, result = deployment.call("X")
            assert status == 200 and result["isError"] is True  # temporary, not a sign-out
        assert deployment.stored_state() == ({"k2"}, False, 2)  # nothing rejected or revoked
        assert deployment.refused("X", old)  # a restart with that ring is refused
        with deployment.instance("X", phase2):
            assert deployment.works_on("X")  # the same token works once the ring is fixed
        deployment.reseal(old)  # back to the start: everything under k1

        # The runbook. Phase 1: k2 added as a secondary key, one instance at a time.
        with deployment.instance("X", phase1), deployment.instance("Y", old):
            assert deployment.works_on("X") and deployment.works_on("Y")
        # Phase 2: k2 made primary, one instance at a time; a credential replaced through the
        # first one (sealed under k2) opens on the other, which already knows k2.
        with deployment.instance("X", phase2), deployment.instance("Y", phase1):
            deployment.reseal(phase2)
            assert deployment.works_on("X") and deployment.works_on("Y")
        deployment.reseal(old)  # a credential left under k1, for `keys rotate` to re-encrypt
        # Phase 3: every credential re-encrypted under the primary key.
        with deployment.instance("X", phase2), deployment.instance("Y", phase2):
            assert "every credential is under the primary key" in deployment.keys_rotate(phase2)
            assert deployment.works_on("X") and deployment.works_on("Y")
        # Phase 4: k1 dropped everywhere.
        with deployment.instance("X", new), deployment.instance("Y", new):
            assert deployment.works_on("X") and deployment.works_on("Y")
        assert deployment.stored_state() == ({"k2"}, False, 2)
