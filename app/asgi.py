"""ASGI factory for process managers: `uvicorn --factory app.asgi:app_from_environment`.

Used by `intervals-gateway serve --workers N`, where each worker process builds its own app
from the same environment.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.main import create_app
from app.settings import configure_logging, load_settings


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, freeze_startup_objects=True)
