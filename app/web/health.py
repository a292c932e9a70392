"""Liveness (`/healthz`) and readiness (`/readyz`) probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrations import current_revision
from app.services import Services, services
from app.vault.check import public_key_ring_problems

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is alive and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(state: Annotated[Services, Depends(services)]) -> JSONResponse:
    """The database answers, its schema is at the migration head and the key ring opens the
    stored credentials (a sample per key id, app/vault/check.py); 503 with a reason if not."""
    try:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            revision = await connection.run_sync(current_revision)
            key_problems = (
                await connection.run_sync(public_key_ring_problems, state.vault)
                if revision == state.schema_head
                else []
            )
    except (SQLAlchemyError, OSError) as error:
        return _not_ready(f"database unreachable: {type(error).__name__}")
    if revision != state.schema_head:
        return _not_ready(f"database schema at {revision or 'none'}, expected {state.schema_head}")
    if key_problems:
        return _not_ready("vault key ring: " + "; ".join(key_problems))
    return JSONResponse({"status": "ready", "schema": revision})


def _not_ready(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
