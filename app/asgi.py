"""ASGI factory for process managers: `uvicorn --factory app.asgi:app_from_environment`.

Used by `intervals-gateway serve --workers N`, where each worker process builds its own app
from the same environment.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from app.main import create_app
from app.settings import configure_logging, load_settings

SCHEMA_HEAD_ENV = "INTERVALS_GATEWAY_SCHEMA_HEAD"
"""Set by ``serve --workers N`` to the migration head its schema step found, so no worker
loads Alembic to read it again (app/db/migrations.py)."""


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)
    schema_head = os.environ.get(SCHEMA_HEAD_ENV) or None
    return create_app(settings, schema_head=schema_head, freeze_startup_objects=True)
