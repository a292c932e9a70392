"""The key ring is checked against the stored credentials (security review M3): `/readyz`
reports a ring that cannot open them, and `serve` refuses to start with it."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete
from app.main import create_app
from app.settings import Settings, encode_key, parse_key_ring
from app.vault.store import save_credential
from tests.conftest import make_settings
from tests.support.processes import free_port, wait_http

OLD = encode_key("k1", secrets.token_bytes(32))
NEW = encode_key("k2", secrets.token_bytes(32))
OTHER_K1 = encode_key("k1", secrets.token_bytes(32))


async def store_credential(settings: Settings, intervals_id: str = "i100001") -> None:
    """One athlete with an API key sealed under the settings' primary key."""
    engine = make_async_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            athlete = Athlete(intervals_id=intervals_id, name="A", timezone="UTC")
            db.add(athlete)
            await db.flush()
            ring = parse_key_ring(settings.encryption_keys)
            await save_credential(db, ring, athlete.id, "api_key", "secret-key-value")
    finally:
        await engine.dispose()


def readyz(settings: Settings) -> tuple[int, str]:
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    return response.status_code, response.json().get("reason", "")


async def test_readyz_names_a_key_id_missing_from_the_ring(
    tmp_path: Path, database_url: str
) -> None:
    await store_credential(make_settings(tmp_path, database_url, encryption_keys=OLD))
    status, reason = readyz(make_settings(tmp_path, database_url, encryption_keys=NEW))
    assert status == 503
    assert "'k1'" in reason and "not in the key ring" in reason
    assert secrets_absent(reason) and "stored credentials" not in reason  # no athlete count


async def test_readyz_reports_a_wrong_key_value_under_a_known_id(
    tmp_path: Path, database_url: str
) -> None:
    await store_credential(make_settings(tmp_path, database_url, encryption_keys=OLD))
    status, reason = readyz(make_settings(tmp_path, database_url, encryption_keys=OTHER_K1))
    assert status == 503
    assert "'k1'" in reason and "does not decrypt" in reason


async def test_readyz_is_ready_with_the_old_key_as_secondary(
    tmp_path: Path, database_url: str
) -> None:
    await store_credential(make_settings(tmp_path, database_url, encryption_keys=OLD))
    ring = f"{NEW},{OLD}"
    assert readyz(make_settings(tmp_path, database_url, encryption_keys=ring)) == (200, "")


def secrets_absent(text: str) -> bool:
    return all(key.split(":")[1] not in text for key in (OLD, NEW, OTHER_K1))


def test_serve_refuses_a_key_ring_that_cannot_open_stored_credentials(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'gw.db'}"
    settings = make_settings(tmp_path, database, encryption_keys=OLD)
    from app.db.migrations import upgrade_to_head

    upgrade_to_head(settings)
    asyncio.run(store_credential(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    port = free_port()
    env.update(
        GATEWAY_DATABASE_URL=database,
        GATEWAY_ENCRYPTION_KEYS=NEW,
        GATEWAY_DATA_DIR=str(tmp_path / "var"),
        GATEWAY_PORT=str(port),  # never bound: the check runs before the server starts
        GATEWAY_BASE_URL=f"http://127.0.0.1:{port}",
    )
    script = Path(sys.executable).parent / "intervals-gateway"
    done = subprocess.run(
        [str(script), "serve"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    lines = [x for x in done.stderr.decode().splitlines() if x.startswith("intervals-gateway")]
    assert len(lines) == 1, done.stderr  # one line (the rest is the migration log)
    assert "GATEWAY_ENCRYPTION_KEYS" in lines[0] and "'k1'" in lines[0]
    assert "Traceback" not in done.stderr.decode()


def test_serve_starts_without_the_check_when_the_database_is_down(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
        GATEWAY_AUTO_MIGRATE="false",
        GATEWAY_ENCRYPTION_KEYS=NEW,
        GATEWAY_PORT=str(port),
    )
    script = Path(sys.executable).parent / "intervals-gateway"
    process = subprocess.Popen(
        [str(script), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", process, ready_status=503)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert b"key ring not checked at start" in stderr
