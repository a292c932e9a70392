"""`serve`'s HTTP protocol sends a response head and its body in one write, and never holds a
head back from a client while a streamed body has not started (app/web/coalesce.py)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from app.web.coalesce import CoalescedHeadWrites, CoalescingHttpToolsProtocol

pytestmark = pytest.mark.asyncio


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what is written to it, one entry per write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


async def test_a_head_and_the_body_written_after_it_leave_in_one_write() -> None:
    raw = RecordingTransport()
    transport = CoalescedHeadWrites(raw, asyncio.get_running_loop())
    transport.write(HEAD)
    transport.write(b"ok")
    assert raw.writes == [HEAD + b"ok"]


async def test_a_head_alone_leaves_at_the_end_of_the_loop_step_and_before_a_close() -> None:
    raw = RecordingTransport()
    transport = CoalescedHeadWrites(raw, asyncio.get_running_loop())
    transport.write(HEAD)
    assert raw.writes == []
    await asyncio.sleep(0)  # one loop step: the scheduled flush runs
    assert raw.writes == [HEAD]
    transport.write(HEAD)
    transport.close()
    assert raw.writes == [HEAD, HEAD] and raw.closed


async def test_other_writes_pass_through_unchanged() -> None:
    raw = RecordingTransport()
    transport = CoalescedHeadWrites(raw, asyncio.get_running_loop())
    transport.write(b"5\r\nhello\r\n")
    transport.write(b"0\r\n\r\n")
    assert raw.writes == [b"5\r\nhello\r\n", b"0\r\n\r\n"]


@contextlib.asynccontextmanager
async def serving(app: object) -> AsyncIterator[int]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()  # connections wait in the backlog until the server accepts them
    config = uvicorn.Config(app, http=CoalescingHttpToolsProtocol, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        listening.close()


async def read_until(reader: asyncio.StreamReader, end: bytes) -> bytes:
    return await asyncio.wait_for(reader.readuntil(end), timeout=10)


async def test_a_served_answer_arrives_whole_and_a_streamed_head_is_not_held_back() -> None:
    body_may_start = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/plain":
            headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"hello"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await body_may_start.wait()  # the client must have the head before any body exists
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /plain HTTP/1.1\r\nhost: t\r\n\r\n")
        head = await read_until(reader, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 5" in head
        assert await asyncio.wait_for(reader.readexactly(5), timeout=10) == b"hello"

        writer.write(b"GET /stream HTTP/1.1\r\nhost: t\r\n\r\n")
        head = await read_until(reader, b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head
        body_may_start.set()
        assert await read_until(reader, b"0\r\n\r\n") == b"4\r\nlate\r\n0\r\n\r\n"
        writer.close()
        await writer.wait_closed()


async def test_the_final_body_goes_out_when_sent_not_when_the_request_task_ends() -> None:
    """Work an app does after its last ``http.response.body`` (the gateway's access-log row,
    app/after_answer.py) never holds the answer back: the client reads the whole answer
    while the app is still running."""
    client_has_answer = asyncio.Event()
    app_finished = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello"})
        await client_has_answer.wait()  # after the answer: still in the request task
        app_finished.set()

    async with serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /plain HTTP/1.1\r\nhost: t\r\n\r\n")
        head = await read_until(reader, b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert await asyncio.wait_for(reader.readexactly(5), timeout=10) == b"hello"
        assert not app_finished.is_set()
        client_has_answer.set()
        await asyncio.wait_for(app_finished.wait(), timeout=10)
        writer.close()
        await writer.wait_closed()
