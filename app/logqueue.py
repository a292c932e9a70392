"""uvicorn's access line written off the event loop (issue 20, the hot path).

uvicorn logs a request's access line (``uvicorn.access``, INFO) on the event loop just before
it writes the answer's head: with a plain stream handler the line is formatted and written to
the output there (some 12 µs a request), and when whatever reads the gateway's output stalls
(a full pipe to a log collector) the write blocks the loop and with it every answer.

:class:`OffLoopHandler` keeps that line's record on the loop only as long as it takes to queue
it (``logging.handlers.QueueHandler``); a ``QueueListener`` thread formats and writes it with
the handler it would have gone to: the stream handler of uvicorn's text log configuration, or
the root logger's handlers (``GATEWAY_LOG_FORMAT=json``), run in the context the line was
logged in, so the request id filter (app/observe.py) finds the request's id as before. The
lines and their order are unchanged, and the queue is drained when the process exits. A
stalled reader loses no line: up to :data:`ACCESS_LINES_QUEUED` wait in memory until it reads
again; past that the next line waits for room on the loop, as the plain handler's blocking
write did (memory stays bounded however long the reader stalls).

Only for records whose arguments do not change after they are logged (uvicorn's access record:
strings and a status code): the message is put together in the thread.
"""

from __future__ import annotations

import atexit
import contextvars
import copy
import logging
import logging.handlers
import queue
import sys
from typing import IO, Any

ACCESS_LOGGER = "uvicorn.access"
Queued = tuple[contextvars.Context, logging.LogRecord]
ACCESS_LINES_QUEUED = 10_000
"""Lines at most waiting for a stalled reader (a few MB): then the loop waits for room."""


class ContextQueueListener(logging.handlers.QueueListener):
    """Writes each queued record with ``destination`` (None: the root logger's handlers as
    they are when the record is written), in the context the record was logged in."""

    def __init__(self, records: queue.Queue[Any], destination: logging.Handler | None):
        super().__init__(records)
        self.destination = destination

    def enqueue_sentinel(self) -> None:
        """The stop mark after the lines queued, waiting for room in a full queue."""
        self.queue.put(self._sentinel)  # type: ignore[attr-defined]

    def handle(self, record: Any) -> None:
        context, logged = record
        try:
            context.run(self._write, logged)
        except Exception:  # the listener thread must outlive any one line
            fallback = logging.lastResort  # logging's own report of a failed line: stderr
            if fallback is not None:
                fallback.handleError(logged)

    def _write(self, record: logging.LogRecord) -> None:
        if self.destination is None:
            logging.getLogger().handle(record)  # what propagation to the root did
        else:
            self.destination.handle(record)


class OffLoopHandler(logging.handlers.QueueHandler):
    """Queues each record with a copy of the current context for a :class:`ContextQueueListener`
    thread (started here, stopped and drained at exit) that writes it with ``destination``."""

    def __init__(
        self, destination: logging.Handler | None = None, queued: int = ACCESS_LINES_QUEUED
    ) -> None:
        records: queue.Queue[Any] = queue.Queue(maxsize=queued)
        super().__init__(records)
        self._records = records
        self.destination = destination
        self.listener = ContextQueueListener(records, destination)
        self.listener.start()
        self._listening = True
        atexit.register(self.close)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.enqueue((contextvars.copy_context(), record))
        except Exception:  # logging never raises into the request
            self.handleError(record)

    def enqueue(self, record: Any) -> None:
        """Queue ``record``, waiting for room when :data:`ACCESS_LINES_QUEUED` lines already
        wait (``QueueHandler`` would raise ``queue.Full`` instead)."""
        self._records.put(record)

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        """The formatter of the handler that writes the lines (logging.config gives the
        configured one to the handler it made: this one)."""
        if self.destination is not None:
            self.destination.setFormatter(fmt)

    def close(self) -> None:
        """Write what is queued, then stop the thread (idempotent)."""
        if self._listening:
            self._listening = False
            self.listener.stop()
        super().close()


def stream_access_handler(stream: IO[str] | None = None) -> OffLoopHandler:
    """For logging.config: uvicorn's access handler (a stream handler, standard output by
    default) behind a queue."""
    return OffLoopHandler(logging.StreamHandler(stream or sys.stdout))


def root_access_handler() -> OffLoopHandler:
    """For logging.config: access lines to the root logger's handlers, behind a queue."""
    return OffLoopHandler(None)


def text_log_config(uvicorn_config: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's own log configuration (``uvicorn.config.LOGGING_CONFIG``) with its access
    handler behind a queue: the same formatter, the same stream, the same lines."""
    config = copy.deepcopy(uvicorn_config)
    access = config["handlers"]["access"]
    config["handlers"]["access"] = {
        "()": "app.logqueue.stream_access_handler",
        "formatter": access["formatter"],
        "stream": access.get("stream", "ext://sys.stdout"),
    }
    return config


def json_log_config() -> dict[str, Any]:
    """With JSON logs uvicorn's loggers have no handlers of their own and reach the root
    handler (app/settings.py ``configure_logging``); the access lines still do, through a
    queue."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"access": {"()": "app.logqueue.root_access_handler"}},
        "loggers": {ACCESS_LOGGER: {"handlers": ["access"], "propagate": False}},
    }
