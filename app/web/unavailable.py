"""503 answers when the database cannot serve a request (app/db/availability.py).

One exception handler for every route of the app: the OAuth endpoints answer the OAuth error
``temporarily_unavailable`` (RFC 6749 §4.1.2.1, used at the token endpoint as a §5.2 error
code), browsers get a short "try again" page, other callers a small JSON body. Every answer
carries ``Retry-After`` (RFC 9110 §10.2.3) and ``X-Request-Id``; the log gets one line with the
same id and no traceback. Errors that are not availability problems propagate unchanged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc

from app.db.availability import (
    RETRY_AFTER_SECONDS,
    DatabaseUnavailable,
    is_unavailable,
    log_unavailable,
    new_request_id,
)
from app.redis_state import SharedStateDown
from app.web.templates import templates

log = logging.getLogger(__name__)
OAUTH_JSON_PATHS = frozenset({"/token", "/revoke", "/register"})
MESSAGE = "The gateway cannot reach its database right now. Try again in a few seconds."
SHARED_STATE_MESSAGE = (
    "The gateway cannot check its sign-in limits right now (its shared state store is not "
    "answering). Try again in a few seconds."
)


def unavailable_headers(request_id: str) -> dict[str, str]:
    return {
        "Retry-After": str(RETRY_AFTER_SECONDS),
        "Cache-Control": "no-store",
        "X-Request-Id": request_id,
    }


def unavailable_response(request: Request, request_id: str, message: str = MESSAGE) -> Response:
    """The 503 for this route: OAuth JSON, an HTML page or plain JSON."""
    headers = unavailable_headers(request_id)
    if request.url.path in OAUTH_JSON_PATHS:
        body = {"error": "temporarily_unavailable", "error_description": message}
        return JSONResponse(body, status_code=503, headers=headers)
    if "text/html" in request.headers.get("accept", ""):
        context = {"title": "Try again in a moment", "message": message}
        return templates.TemplateResponse(
            request, "accounts_message.html", context, status_code=503, headers=headers
        )
    return JSONResponse({"error": "temporarily_unavailable"}, status_code=503, headers=headers)


async def _on_database_error(request: Request, error: Exception) -> Response:
    if not is_unavailable(error):
        raise error
    request_id = new_request_id()
    log_unavailable(request_id, f"{request.method} {request.url.path}", error)
    return unavailable_response(request, request_id)


def install_unavailable_handler(app: FastAPI) -> None:
    """Answer 503 instead of 500 when a route meets an unavailable database."""
    for kind in (DatabaseUnavailable, sa_exc.DBAPIError, sa_exc.TimeoutError):
        app.add_exception_handler(kind, _on_database_error)
    app.add_exception_handler(SharedStateDown, _on_shared_state_down)


async def _on_shared_state_down(request: Request, error: Exception) -> Response:
    """Redis is down and an account-protecting limit fails closed (docs/operations.md)."""
    request_id = new_request_id()
    log.warning(
        "shared state unavailable: request %s %s %s answered 503 (%s)",
        request_id,
        request.method,
        request.url.path,
        error,
    )
    return unavailable_response(request, request_id, SHARED_STATE_MESSAGE)
