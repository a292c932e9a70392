"""An operator's first commands on a fresh deployment (club-admin trial §4): operator commands
migrate a fresh database (GATEWAY_AUTO_MIGRATE) or refuse in one line naming `db upgrade`;
`--version`, `db current`, `db status` and `keys generate`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import __version__
from app.cli import main
from app.settings import parse_key_ring

OPERATOR_COMMANDS = [
    ["allowlist", "add", "i100002", "--note", "Lena"],
    ["allowlist", "list"],
    ["athletes", "list"],
    ["clients", "list"],
    ["keys", "rotate"],
    ["purge"],
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # the default data directory is ./var


@pytest.mark.parametrize("command", OPERATOR_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_without_auto_migrate_commands_refuse_in_one_line_and_create_nothing(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_AUTO_MIGRATE", "false")
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "intervals-gateway db upgrade" in err
    assert not Path("var/gateway.db").exists()


def test_without_auto_migrate_an_old_schema_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_AUTO_MIGRATE", "false")
    Path("var").mkdir()
    import sqlite3

    sqlite3.connect("var/gateway.db").close()  # exists, but empty (no schema)
    assert main(["athletes", "list"]) == 2
    assert "database schema is at none" in capsys.readouterr().err


@pytest.mark.parametrize("command", OPERATOR_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_with_auto_migrate_commands_work_on_a_fresh_database(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(command) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert Path("var/gateway.db").exists()


def test_db_status_and_current_on_a_fresh_then_migrated_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_AUTO_MIGRATE", "false")
    assert main(["db", "status"]) == 1
    out = capsys.readouterr().out
    assert "none" in out and "db upgrade" in out
    assert not Path("var/gateway.db").exists()  # looking creates nothing
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "current"]) == 0
    current = capsys.readouterr().out.strip()
    assert main(["db", "status"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert current and current != "none"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"intervals-gateway {__version__}"


def test_keys_generate_prints_a_fresh_key_ring_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate", "k2"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["keys", "generate", "k2"]) == 0
    second = capsys.readouterr().out.strip()
    (key,) = parse_key_ring(first)
    assert key.key_id == "k2" and len(key.secret) == 32
    assert first != second
    assert not Path("var").exists()  # needs no database


def test_an_unreachable_database_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://gw:hunter2secret@127.0.0.1:1/none?connect_timeout=2"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    assert main(["athletes", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot use the database" in err
    assert "hunter2secret" not in err


def test_a_database_migrated_by_a_newer_release_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    assert main(["db", "upgrade"]) == 0
    with sqlite3.connect("var/gateway.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999z'")
    capsys.readouterr()
    assert main(["athletes", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "0999z" in err and "does not know" in err
    assert main(["db", "status"]) == 1
    assert "does not know" in capsys.readouterr().out
