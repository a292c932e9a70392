"""Liveness (`/healthz`) and readiness (`/readyz`) probes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrations import current_revision
from app.services import Services, services
from app.vault.check import public_key_ring_problems

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process is alive and serving HTTP."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(state: Annotated[Services, Depends(services)]) -> JSONResponse:
    """The database answers, its schema is at the migration head and the key ring opens the
    stored credentials (a sample per key id, app/vault/check.py); 503 with a reason if not.

    With the Redis backend, Redis answering a PING is reported as ``"redis": "ok"``; when it
    does not, the instance stays ready (tokens, tools and sessions keep working on the
    database) but says ``"status": "degraded"`` with the reason: sign-in and client
    authentication are refused until Redis is back (docs/operations.md)."""
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
    body: dict[str, str] = {"status": "ready", "schema": revision or ""}
    if state.redis is not None:
        redis_problem = await state.redis.problem()
        body["redis"] = redis_problem or "ok"
        if redis_problem is not None:
            body["status"] = "degraded"
    log.info("readiness: %s (schema %s)", body["status"], revision)
    return JSONResponse(body)


def _not_ready(reason: str) -> JSONResponse:
    log.info("readiness: unavailable (%s)", reason)
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
