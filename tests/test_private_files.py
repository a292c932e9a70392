"""Files the gateway keeps on disk stay private (security review L10 and hardening 6, 9, 10):
a 0700 data directory, 0600 SQLite files, a refused exposed dev key, no SQL parameters in DEBUG
logs, and no deleted ciphertext left in the WAL."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.db.engine import make_async_engine, make_sync_engine
from app.db.migrations import upgrade_to_head
from app.db.models import Credential
from app.keyring import resolve_key_ring
from app.settings import SettingsError, configure_logging
from tests.accounts.harness import AROHA, gateway_settings, running_gateway
from tests.conftest import make_settings


def wal_bytes(database: Path) -> bytes:
    wal = Path(f"{database}-wal")
    return wal.read_bytes() if wal.exists() else b""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask (022), which would leave new files world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_data_directory_is_0700_and_sqlite_files_0600(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)  # embedded SQLite under a data directory not yet made
    upgrade_to_head(settings)
    engine = make_sync_engine(settings)
    try:
        with engine.begin() as connection:  # an open connection keeps -wal and -shm around
            connection.execute(text("SELECT count(*) FROM athletes"))
            database = settings.data_dir / "gateway.db"
            assert mode(settings.data_dir) == 0o700
            assert mode(database) == 0o600
            assert mode(Path(f"{database}-wal")) == 0o600
            assert mode(Path(f"{database}-shm")) == 0o600
    finally:
        engine.dispose()


@pytest.mark.usefixtures("permissive_umask")
def test_existing_world_readable_database_files_are_tightened(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    upgrade_to_head(settings)
    database = settings.data_dir / "gateway.db"
    database.chmod(0o644)  # as an older version left it
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert mode(database) == 0o600


@pytest.mark.usefixtures("permissive_umask")
def test_generated_dev_key_lives_in_a_private_data_directory(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    resolve_key_ring(settings)
    assert mode(settings.data_dir) == 0o700 and mode(settings.dev_key_path) == 0o600


def test_a_group_readable_dev_key_file_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    resolve_key_ring(settings)
    settings.dev_key_path.chmod(0o640)
    with pytest.raises(SettingsError, match=r"mode 0640.*chmod 600"):
        resolve_key_ring(settings)


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs chown (root)")
def test_a_dev_key_file_of_another_user_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    resolve_key_ring(settings)
    os.chown(settings.dev_key_path, 54321, -1)
    with pytest.raises(SettingsError, match=r"belongs to uid 54321"):
        resolve_key_ring(settings)


async def test_sql_parameters_are_not_logged_at_debug(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    quiet = logging.getLogger("aiosqlite").level
    configure_logging(make_settings(tmp_path, database_url, log_level="DEBUG"))
    engine = make_async_engine(make_settings(tmp_path, database_url))
    try:
        with caplog.at_level(logging.DEBUG):
            async with engine.connect() as connection:
                await connection.execute(
                    text("SELECT :marker"), {"marker": "gws_secret-session-hash"}
                )
    finally:
        await engine.dispose()
        logging.getLogger("aiosqlite").setLevel(quiet)
    assert "gws_secret-session-hash" not in caplog.text


async def test_account_deletion_leaves_no_ciphertext_in_the_sqlite_wal(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path, "")  # embedded SQLite file
    upgrade_to_head(settings)
    async with running_gateway(settings) as gw:
        assert (await gw.sign_in("", AROHA[1])).status_code == 303
        reader = make_sync_engine(settings)
        with reader.connect() as connection:
            ciphertext = bytes(connection.execute(select(Credential.ciphertext)).scalar_one())
        reader.dispose()
        deleted = await gw.post_form("/account/delete", {"confirm": "yes"})
        assert deleted.status_code == 200
        assert ciphertext not in wal_bytes(settings.data_dir / "gateway.db")


def test_operator_deletion_leaves_no_ciphertext_in_the_sqlite_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from app.cli import main
    from tests.test_key_ring_check import OLD, store_credential

    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_ENCRYPTION_KEYS", OLD)
    settings = make_settings(tmp_path, "", data_dir=Path("var"), encryption_keys=OLD)
    upgrade_to_head(settings)
    # A running gateway keeps the database open, so SQLite never checkpoints on last close.
    server = sqlite3.connect(tmp_path / "var" / "gateway.db")
    try:
        server.execute("SELECT count(*) FROM athletes").fetchone()  # opens the WAL
        asyncio.run(store_credential(settings))
        (ciphertext,) = server.execute("SELECT ciphertext FROM credentials").fetchone()
        assert ciphertext in wal_bytes(tmp_path / "var" / "gateway.db")
        assert main(["athletes", "delete", "i100001", "--yes"]) == 0
        assert ciphertext not in wal_bytes(tmp_path / "var" / "gateway.db")
    finally:
        server.close()
