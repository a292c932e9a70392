"""One socket write per small HTTP response instead of two.

uvicorn's httptools protocol writes a response's status line and headers as soon as the app
sends ``http.response.start``, and the body as a second write when ``http.response.body``
follows: two ``send`` system calls and two TCP segments for every answer, although the app
sends both messages in the same step of the event loop. :class:`CoalescedHeadWrites` holds the
head back until the next write on the connection and sends both together; if nothing follows
within the current event-loop step (a streamed answer whose first chunk comes later), the head
goes out alone at the end of that step, so a client waiting for headers is never kept waiting.
The bytes and their order on the wire are unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

RESPONSE_HEAD_START = b"HTTP/1.1 "
RESPONSE_HEAD_END = b"\r\n\r\n"


def is_response_head(data: bytes) -> bool:
    """Whether ``data`` is a status line and header block as uvicorn writes it (RFC 9112 §2.1)."""
    return data.startswith(RESPONSE_HEAD_START) and data.endswith(RESPONSE_HEAD_END)


class CoalescedHeadWrites:
    """A transport that sends a response head together with the write after it. Everything
    else is the wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None
        self.is_closing = transport.is_closing
        """The transport's own method, bound once: uvicorn asks it after every response
        (``on_response_complete``), which :meth:`__getattr__` would answer with a Python
        call each time."""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head is not None:
            data = self._head + bytes(data)
            self._head = None
        elif isinstance(data, bytes) and is_response_head(data):
            self._head = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send a held head now (end of the loop step, or before closing)."""
        if self._head is not None:
            head, self._head = self._head, None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        held = len(self._head) if self._head is not None else 0
        return held + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol on a :class:`CoalescedHeadWrites` transport
    (``serve`` passes it to uvicorn as its ``http`` protocol).

    uvicorn decides whether to log a request's access line from whether its access logger has
    handlers, and then builds the line's arguments (client address, quoted path) for every
    request even when the logger's level drops the line (``GATEWAY_LOG_LEVEL=WARNING``); here
    the level decides too, once per connection (the level is set before serving starts)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = self.access_log and self.access_logger.isEnabledFor(logging.INFO)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        wrapped = CoalescedHeadWrites(transport, asyncio.get_running_loop())
        super().connection_made(wrapped)  # type: ignore[arg-type]
