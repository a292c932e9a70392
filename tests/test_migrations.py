"""Alembic is the only schema source: the models match the head, and migrations round-trip."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db.engine import make_sync_engine
from app.db.migrations import alembic_config, current_revision, head_revision, upgrade_to_head
from app.db.models import Base
from tests.conftest import make_settings

APP_TABLES = {
    "athletes",
    "coach_shares",
    "credentials",
    "allowed_athletes",
    "browser_sessions",
    "oauth_clients",
    "grants",
    "authorization_codes",
    "tokens",
    "write_journal",
    "write_previews",
    "access_log",
    "club_admins",
    "club_invitations",
    "club_join_requests",
}


def test_models_and_migration_head_agree(tmp_path: Path, empty_database_url: str) -> None:
    settings = make_settings(tmp_path, empty_database_url)
    upgrade_to_head(settings)
    engine = make_sync_engine(settings)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_downgrade_upgrade_round_trips(tmp_path: Path, empty_database_url: str) -> None:
    settings = make_settings(tmp_path, empty_database_url)
    engine = make_sync_engine(settings)

    def tables() -> set[str]:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}

    upgrade_to_head(settings)
    assert tables() == APP_TABLES
    with engine.begin() as connection:
        config = alembic_config(settings)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert tables() == set()
    upgrade_to_head(settings)
    assert tables() == APP_TABLES
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision(
            settings
        )
    engine.dispose()


def test_current_revision_agrees_with_alembic_before_between_and_after_migrations(
    tmp_path: Path, empty_database_url: str
) -> None:
    """/readyz reads the schema revision with one query instead of Alembic (the serving process
    never loads Alembic); it must say what Alembic says: nothing, a middle revision, the head."""
    settings = make_settings(tmp_path, empty_database_url)
    engine = make_sync_engine(settings)

    def both() -> tuple[str | None, str | None]:
        with engine.connect() as connection:
            alembic_says = MigrationContext.configure(connection).get_current_revision()
            return current_revision(connection), alembic_says

    assert both() == (None, None)
    config = alembic_config(settings)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert both() == ("0001", "0001")
    upgrade_to_head(settings)
    assert both() == (head_revision(settings), head_revision(settings))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert both() == (None, None)
    engine.dispose()
