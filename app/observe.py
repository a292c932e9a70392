"""What the gateway reports about itself: an observer interface and the per-request id.

The choke points (the HTTP middleware, ``run_tool``, ``IntervalsClient.request``, the bearer
guard, the OAuth token, revocation and registration endpoints) call :func:`observer` and report
events to it; they never import a metrics library. The app installs its observer (the Prometheus
one of app/web/metrics.py, or none) in a context variable for its lifespan and for each request,
so two apps in one process (tests) keep separate counts. Without one, events are dropped.

The request id is set by the outermost middleware, returned in ``X-Request-Id`` and added to
every log record written while the request is served (text and JSON formats alike).
"""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Protocol


class Observer(Protocol):
    """The events the gateway reports. Labels are bounded sets: route templates, tool names,
    HTTP status codes and fixed words; never a path with ids, an athlete or a token."""

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None: ...

    def tool_call(self, tool: str, outcome: str) -> None: ...

    def upstream_request(self, status: str, seconds: float) -> None: ...

    def bearer_lookup(self, outcome: str) -> None: ...

    def oauth_event(self, event: str) -> None: ...

    def answer_cache_lookup(self, result: str) -> None: ...
    def webhook_event(self, outcome: str) -> None: ...

    def token_cache_lookup(self, result: str) -> None: ...

    def token_cache_invalidation(self, origin: str) -> None: ...


class NullObserver:
    """Drops every event (no metrics configured, or code running outside an app)."""

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        return None

    def tool_call(self, tool: str, outcome: str) -> None:
        return None

    def upstream_request(self, status: str, seconds: float) -> None:
        return None

    def bearer_lookup(self, outcome: str) -> None:
        return None

    def oauth_event(self, event: str) -> None:
        return None

    def answer_cache_lookup(self, result: str) -> None:
        return None

    def webhook_event(self, outcome: str) -> None:
        return None

    def token_cache_lookup(self, result: str) -> None:
        return None

    def token_cache_invalidation(self, origin: str) -> None:
        return None


NULL_OBSERVER = NullObserver()
current_observer: ContextVar[Observer] = ContextVar("current_observer", default=NULL_OBSERVER)
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def observer() -> Observer:
    """The observer of the app serving the current request (or a no-op one)."""
    return current_observer.get()


def new_request_id() -> str:
    """A short random id (12 hex digits) naming one request in logs and in ``X-Request-Id``:
    ``secrets.token_hex(6)``, read from the same source without its two wrappers."""
    return os.urandom(6).hex()


def request_id_or_new() -> str:
    """The current request's id, or a fresh one outside a request."""
    return current_request_id.get() or new_request_id()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` ("-" outside a request) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, request_id, message and,
    for a failure, the exception text. The message is the already-redacted text the gateway
    logs in plain format too; no extra record attributes are copied."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
