"""uvicorn's access lines through a queue (app/logqueue.py, issue 20): written by a thread of
their own, exactly as uvicorn's own configuration writes them, with the request id of the
request they were logged in, and none left behind when the handler closes."""

from __future__ import annotations

import io
import logging
import logging.config
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.config import LOGGING_CONFIG

from app.logqueue import OffLoopHandler, text_log_config
from app.observe import JsonFormatter, RequestIdFilter, current_request_id

ACCESS_ARGS = ("127.0.0.1:50123", "POST", "/mcp?page=2", "1.1", 200)
"""A request line no redaction filter an earlier test left on the access logger rewrites."""
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class Written(logging.Handler):
    """Keeps each line it is asked to write, with the thread that wrote it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((self.format(record), threading.get_ident()))


def access_record(path: str = "/mcp") -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50123", "POST", path, "1.1", 200), None,
    )  # fmt: skip


def test_a_line_is_written_by_another_thread_with_its_requests_id() -> None:
    written = Written()
    written.addFilter(RequestIdFilter())
    written.setFormatter(JsonFormatter())
    handler = OffLoopHandler(written)
    token = current_request_id.set("c8a6754681cf")
    try:
        handler.handle(access_record())
    finally:
        current_request_id.reset(token)
    handler.handle(access_record("/healthz"))  # outside any request
    handler.close()
    (first, first_thread), (second, _) = written.lines
    assert first_thread != threading.get_ident()
    assert '"request_id": "c8a6754681cf"' in first and "POST /mcp HTTP/1.1" in first
    assert '"request_id": "-"' in second and "/healthz" in second


def test_closing_writes_every_queued_line_in_order() -> None:
    written = Written()
    handler = OffLoopHandler(written)
    for n in range(500):
        handler.handle(access_record(f"/healthz?n={n}"))
    handler.close()
    handler.close()  # again (logging's shutdown closes it too): nothing happens
    assert [line for line, _ in written.lines] == [
        f'127.0.0.1:50123 - "POST /healthz?n={n} HTTP/1.1" 200' for n in range(500)
    ]


@pytest.fixture
def uvicorn_loggers() -> Iterator[None]:
    """uvicorn's loggers as they were, after the test configures them."""
    kept = {name: logging.getLogger(name) for name in UVICORN_LOGGERS}
    state = {n: (lg.handlers[:], lg.propagate, lg.level) for n, lg in kept.items()}
    yield
    for name, logger in kept.items():
        for handler in logger.handlers:
            if handler not in state[name][0]:
                handler.close()
        logger.handlers, logger.propagate, logger.level = state[name]


def access_output(config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    """What uvicorn's access logger writes to standard output under ``config``."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    logging.config.dictConfig(config)
    access = logging.getLogger("uvicorn.access")
    for handler in access.handlers:
        access.info('%s - "%s %s HTTP/%s" %d', *ACCESS_ARGS)
        access.info('%s - "%s %s HTTP/%s" %d', *ACCESS_ARGS[:4], 404)
        handler.close()  # drains the queue, if there is one
    return out.getvalue()


def test_the_text_configuration_writes_what_uvicorns_own_writes(
    uvicorn_loggers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = access_output(LOGGING_CONFIG, monkeypatch)
    queued = access_output(text_log_config(LOGGING_CONFIG), monkeypatch)
    assert own == queued
    assert own.count("POST /mcp?page=2 HTTP/1.1") == 2 and "404" in own


class Stalled(Written):
    """A writer whose output is stalled (a full pipe) until ``reading`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = threading.Event()
        self.reading = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.writing.set()
        self.reading.wait()
        super().emit(record)


def test_lines_for_a_stalled_reader_wait_in_a_bounded_queue() -> None:
    """Memory stays bounded while the reader stalls: at most ``queued`` lines wait (the next
    line waits for room, as a blocking write did), and all are written once it reads."""
    written = Stalled()
    handler = OffLoopHandler(written, queued=3)
    handler.handle(access_record("/healthz?n=0"))
    written.writing.wait()  # the thread holds line 0, stalled
    for n in range(1, 4):
        handler.handle(access_record(f"/healthz?n={n}"))
    assert handler.queue.qsize() == 3 and handler.queue.full()
    written.reading.set()
    handler.handle(access_record("/healthz?n=4"))
    handler.close()
    assert [line for line, _ in written.lines] == [
        f'127.0.0.1:50123 - "POST /healthz?n={n} HTTP/1.1" 200' for n in range(5)
    ]
