"""The `intervals-gateway` command: config errors, check-config without secrets, db upgrade."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from app.cli import main

KEY = base64.urlsafe_b64encode(b"s" * 32).decode()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_malformed_database_url_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgres//nohost")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "configuration error: GATEWAY_DATABASE_URL" in err


def test_serve_refuses_to_start_with_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "ftp://example.com")
    assert main(["serve"]) == 2
    assert "GATEWAY_BASE_URL" in capsys.readouterr().err


def test_check_config_never_prints_the_key_or_db_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_ENCRYPTION_KEYS", f"k1:{KEY}")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgresql://gw:hunter2secret@db.internal/gw")
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "GATEWAY_ENCRYPTION_KEYS=(set)" in out
    assert KEY not in out and "hunter2secret" not in out
    assert "GATEWAY_BASE_URL=https://gw.example.com" in out


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "database at revision" in capsys.readouterr().out
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    assert {"athletes", "credentials", "oauth_clients", "grants", "tokens"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_console_script_is_installed_and_reports_errors(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "intervals-gateway"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_ENCRYPTION_KEYS"] = "k1:tooshort"
    result = subprocess.run(
        [str(script), "check-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("intervals-gateway: configuration error: GATEWAY_ENC")


def test_workers_share_one_upstream_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import worker_budget_env
    from app.settings import load_settings

    monkeypatch.setenv("GATEWAY_UPSTREAM_RATE_PER_SECOND", "10")
    monkeypatch.setenv("GATEWAY_UPSTREAM_BURST", "30")
    settings = load_settings()
    assert worker_budget_env(settings, 1) == {}
    split = worker_budget_env(settings, 4)
    assert split == {"GATEWAY_UPSTREAM_RATE_PER_SECOND": "2.5", "GATEWAY_UPSTREAM_BURST": "7"}
    for name, value in split.items():  # what each worker process will read
        monkeypatch.setenv(name, value)
    worker = load_settings()
    assert worker.upstream_rate_per_second * 4 == settings.upstream_rate_per_second
    assert worker.upstream_burst * 4 <= settings.upstream_burst


def test_check_config_never_prints_the_redis_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GATEWAY_SHARED_STATE_BACKEND", "redis")
    monkeypatch.setenv("GATEWAY_REDIS_URL", "rediss://gw:redis2secret@cache.internal:6380/0")
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "redis2secret" not in out
    assert "GATEWAY_REDIS_URL=rediss://gw:***@cache.internal:6380/0" in out
