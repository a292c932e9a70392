"""Shared fixtures: settings, and databases on SQLite and (when TEST_POSTGRES_URL is set)
PostgreSQL. Each test gets its own fresh database, cloned from a migrated template."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db.migrations import upgrade_to_head
from app.settings import Settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
NO_POSTGRES_REASON = "TEST_POSTGRES_URL not set"
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason=NO_POSTGRES_REASON),
        ],
    ),
]


def make_settings(tmp_path: Path, database_url: str = "", **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "database_url": database_url,
        "encryption_keys": "",
        "base_url": "http://127.0.0.1:8000",
        # tests mutate the fake Intervals.icu and expect the next call to see it: the answer
        # cache is opted into by the tests about it (tests/intervals/test_answer_cache*.py)
        "answer_cache": "off",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class PostgresAdmin:
    """Creates and drops throwaway databases on the test PostgreSQL server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url).set(drivername="postgresql+psycopg")
        # pre-ping: tests/reliability restarts the server, leaving pooled connections dead
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)

    def create(self, template: str | None = None) -> str:
        name = f"gwtest_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def drop(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[PostgresAdmin]:
    admin = PostgresAdmin(POSTGRES_URL)
    yield admin
    admin.engine.dispose()


@pytest.fixture(scope="session")
def migrated_templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    """A migrated database per backend, built once per session, to clone for each test."""
    templates: dict[str, str] = {}
    base = tmp_path_factory.mktemp("template")
    sqlite_file = base / "template.db"
    upgrade_to_head(make_settings(base, f"sqlite:///{sqlite_file}"))
    templates["sqlite"] = str(sqlite_file)
    created: str | None = None
    if POSTGRES_URL:
        admin: PostgresAdmin = request.getfixturevalue("postgres_admin")
        created = admin.create()
        upgrade_to_head(make_settings(base, admin.url_for(created)))
        templates["postgresql"] = created
    yield templates
    if created:
        request.getfixturevalue("postgres_admin").drop(created)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh, empty database (no tables) on the parametrized backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin: PostgresAdmin = request.getfixturevalue("postgres_admin")
    name = admin.create()
    yield admin.url_for(name)
    admin.drop(name)


@pytest.fixture
def database_url(
    backend: str,
    tmp_path: Path,
    migrated_templates: dict[str, str],
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """A fresh database at the migration head on the parametrized backend."""
    if backend == "sqlite":
        target = tmp_path / "gateway.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    admin: PostgresAdmin = request.getfixturevalue("postgres_admin")
    name = admin.create(template=migrated_templates["postgresql"])
    yield admin.url_for(name)
    admin.drop(name)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Local-development settings on a fresh migrated database."""
    return make_settings(tmp_path, database_url)


_deselected_postgres: list[pytest.Item] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without TEST_POSTGRES_URL, deselect the PostgreSQL variants (reported as one line in the
    backend summary) instead of skipping each: per-test SKIPPED lines hid the skips that matter."""
    if POSTGRES_URL:
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    dropped = [item for item in items if item.get_closest_marker("postgres") is not None]
    if dropped:
        _deselected_postgres.extend(dropped)
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many database tests ran on each backend, so CI logs show both ran."""
    counts: dict[str, dict[str, int]] = {}
    if _deselected_postgres:
        counts["postgresql"] = {f"deselected ({NO_POSTGRES_REASON})": len(_deselected_postgres)}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for name in ("sqlite", "postgresql"):
                if f"[{name}" in nodeid or f"-{name}]" in nodeid or f"-{name}-" in nodeid:
                    per = counts.setdefault(name, {})
                    per[outcome] = per.get(outcome, 0) + 1
    if counts:
        terminalreporter.section("database backends")
        for name, per in sorted(counts.items()):
            parts = ", ".join(f"{n} {o}" for o, n in sorted(per.items()))
            terminalreporter.write_line(f"{name}: {parts}")
