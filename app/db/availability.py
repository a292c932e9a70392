"""Which database failures mean "the database is unavailable right now; try again".

A request can meet: SQLite busy/locked, PostgreSQL down, restarting or refusing connections,
a connection dropped mid-transaction, the connection pool exhausted, a statement cancelled by
``statement_timeout``. Each becomes :class:`DatabaseUnavailable` at the edges (bearer check,
token endpoint, HTML pages), answered 503 with ``Retry-After`` and logged in one line, never a
traceback or a 500. Programming errors (bad SQL, constraint violations) are not in this set.
"""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

from app.observe import request_id_or_new

__all__ = [
    "RETRY_AFTER_SECONDS",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "describe_failure",
    "is_unavailable",
    "log_unavailable",
    "new_request_id",
]

RETRY_AFTER_SECONDS = 2
"""What a 503 caused by the database tells the client to wait (RFC 9110 §10.2.3)."""

SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN")
"""SQLite result codes (https://sqlite.org/rescode.html) a retry can cure; "no such table" and
other SQLITE_ERRORs are bugs or a missing migration and stay 500s."""

log = logging.getLogger("app.db.unavailable")


class DatabaseUnavailable(Exception):
    """The database cannot serve this request now; the same request may succeed shortly."""


class DatabaseBusy(DatabaseUnavailable):
    """A SQLite writer waited longer than the busy timeout for its turn."""


def is_unavailable(error: BaseException) -> bool:
    """True for failures that a retry a little later can cure (see the module docstring)."""
    if isinstance(error, DatabaseUnavailable | sa_exc.TimeoutError):
        return True  # our SQLite writer queue, or the pool had no free connection in time
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        sqlite_code = getattr(error.orig, "sqlite_errorname", None)
        if sqlite_code is not None:  # SQLite: only a busy or unreadable file is transient
            return str(sqlite_code).startswith(SQLITE_TRANSIENT)
        return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(error, ConnectionError | TimeoutError)


def describe_failure(error: BaseException) -> str:
    """A short, secret-free description: exception class names and the SQLSTATE, never the
    driver's message (which can name hosts and users)."""
    if isinstance(error, sa_exc.DBAPIError):
        original = error.orig
        state = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
        name = type(original).__name__ if original is not None else type(error).__name__
        return f"{name}{f' ({state})' if state else ''}"
    return type(error).__name__


def new_request_id() -> str:
    """The id that ties a 503 answer to its log line: the request's own (app/observe.py)."""
    return request_id_or_new()


def log_unavailable(request_id: str, where: str, error: BaseException) -> None:
    """The one log line per failed request (no traceback)."""
    log.warning(
        "database unavailable: request %s %s answered 503 (%s)",
        request_id,
        where,
        describe_failure(error),
    )
