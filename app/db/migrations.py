"""Alembic from code: upgrade to head, and whether a database is at head (for /readyz).

Alembic (with Mako and every SQL dialect's DDL module, about 8 MB) is imported only by the
functions that need it: ``serve`` runs them in a child process (:func:`schema_step`), so the
serving process reads its schema revision with one query (:func:`current_revision`) and never
loads Alembic.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from app.db.engine import make_sync_engine, sqlite_file
from app.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "alembic_version"  # Alembic's default version table (migrations/env.py)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGED_MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # app/migrations (wheel)
SOURCE_MIGRATIONS = PROJECT_ROOT / "migrations"  # top-level migrations/ (checkout, editable)


def migrations_dir() -> Path:
    """The Alembic scripts: ``app/migrations`` in an installed wheel (setup.py maps the
    top-level ``migrations/`` there), else ``migrations/`` of the source checkout."""
    if (PACKAGED_MIGRATIONS / "env.py").is_file():
        return PACKAGED_MIGRATIONS
    return SOURCE_MIGRATIONS


MIGRATIONS_DIR = migrations_dir()


def alembic_config(settings: Settings) -> Config:
    """An Alembic config pointing at the packaged migrations and the settings' database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.render_as_string(False))
    config.attributes["settings"] = settings
    return config


def upgrade_to_head(settings: Settings) -> None:
    """Apply every pending migration."""
    from alembic import command

    engine = make_sync_engine(settings)
    try:
        with engine.begin() as connection:
            config = alembic_config(settings)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def stored_revision(settings: Settings) -> str | None:
    """The database's current revision, None when it has no schema yet. A SQLite file that
    does not exist is not created (an operator command refused on a fresh install leaves no
    empty database behind)."""
    database = sqlite_file(settings.sqlalchemy_url)
    if database is not None and not database.exists():
        return None
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def pending_revisions(settings: Settings, current: str | None) -> list[str]:
    """Revisions between ``current`` and head, oldest first (``"<id>: <message>"``)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(settings))
    steps = list(script.iterate_revisions("heads", current or "base"))
    return [f"{step.revision}: {step.doc}" for step in reversed(steps)]


def head_revision(settings: Settings) -> str | None:
    """The newest revision of the migration scripts (the schema this version needs)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(settings)).get_current_head()


def schema_step(settings: Settings, migrate: bool) -> str | None:
    """What ``serve`` does with the schema before it binds: apply pending migrations (when
    ``migrate``), and return the head revision ``/readyz`` compares the database with."""
    if migrate:
        upgrade_to_head(settings)
    return head_revision(settings)


def current_revision(connection: Connection) -> str | None:
    """The database's revision from Alembic's version table (None when it has none yet);
    the same answer as Alembic's ``MigrationContext.get_current_revision``, read with one
    query so the serving process needs no Alembic."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    found = list(revisions)
    if len(found) > 1:
        raise RuntimeError(f"the database has several schema heads: {', '.join(found)}")
    return found[0] if found else None
