"""Alembic environment: runs on a connection handed over by app.db.migrations, or builds one
from the gateway settings when called from the `alembic` command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.db.engine import make_sync_engine
from app.db.models import Base
from app.settings import load_settings

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    settings = config.attributes.get("settings") or load_settings()
    engine = make_sync_engine(settings)
    try:
        with engine.begin() as conn:
            run_migrations(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_online()
