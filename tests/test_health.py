"""/healthz and /readyz on apps built by the factory (no global state)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings


def test_healthz_and_readyz_on_a_migrated_database(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"


def test_readyz_is_503_when_migrations_are_missing(tmp_path: Path, empty_database_url: str) -> None:
    with TestClient(create_app(make_settings(tmp_path, empty_database_url))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "schema at none" in ready.json()["reason"]
        assert client.get("/healthz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    with TestClient(create_app(make_settings(tmp_path, unreachable))) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"].startswith("database unreachable")


def test_two_apps_from_one_process_are_independent(tmp_path: Path, settings: Settings) -> None:
    other = make_settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}")
    with TestClient(create_app(settings)) as first, TestClient(create_app(other)) as second:
        assert first.get("/readyz").status_code == 200
        assert second.get("/readyz").status_code == 503
