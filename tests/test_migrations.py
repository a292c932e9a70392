"""Alembic is the only schema source: the models match the head, and migrations round-trip."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db.engine import make_sync_engine
from app.db.migrations import alembic_config, head_revision, upgrade_to_head
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
