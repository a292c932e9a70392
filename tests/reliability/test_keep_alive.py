"""Idle keep-alive connections: the client closes them, never the gateway under it.

A client keeps an idle HTTP/1.1 connection in its pool for a while and sends its next request
on it (httpx, the MCP Python SDK's client: 5 s; Node's fetch: 4 s; reverse proxies: nginx and
AWS ALB 60 s, Traefik 90 s, Caddy 2 min). A server that closes an idle connection itself races
the client's next request: a request sent as the close happens is reset (``ECONNRESET``, httpx
``ReadError``) and a POST is never retried, so the user's tool call is lost. uvicorn closes
after 5 s idle by default, the same 5 s as httpx: the 64-client soak lost 0.15 % of its calls
this way. The gateway must keep an idle connection open for longer than its clients do, so the
client always closes first (and then opens a new connection, which is race-free).

Each test client here is one raw connection driven by h11, so nothing hides a closed connection
by reconnecting: the test sees exactly what the gateway does with the socket. Nothing sleeps:
the idle period is a wait for the gateway to close the connection, with the client's idle time
as its deadline.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import h11

from tests.reliability.support import (
    ATHLETES,
    MCP_HEADERS,
    Gateway,
    fake_upstream,
    gateway_process,
    seed_callers,
)

CLIENTS = 64
UNTHROTTLED = {"GATEWAY_UPSTREAM_RATE_PER_SECOND": "1000", "GATEWAY_UPSTREAM_BURST": "1000"}
"""The Intervals.icu budget out of the way: 128 calls at once are not what is tested."""
CLIENT_IDLE_SECONDS = 6.0
"""How long each connection idles between two calls: past the 5 s that httpx keeps a pooled
connection (a client whose idle clock starts a moment after the gateway's still sends then)."""


@dataclass
class Connection:
    """One client's HTTP/1.1 connection to the gateway."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    http: h11.Connection
    idle_since: float = 0.0

    @classmethod
    async def open(cls, base: str) -> Connection:
        parts = urlsplit(base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer, h11.Connection(h11.CLIENT))

    async def call(self, gateway: Gateway, who: str, name: str, arguments: Any) -> dict[str, Any]:
        """POST one tools/call to /mcp on this connection; the JSON-RPC answer."""
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        ).encode()
        host = urlsplit(gateway.base).netloc
        headers = {
            **MCP_HEADERS,
            "Host": host,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Authorization": f"Bearer {gateway.tokens[who]}",
        }
        request = h11.Request(method="POST", target="/mcp", headers=list(headers.items()))
        self.writer.write(self.http.send(request) + self.http.send(h11.Data(data=body)))
        self.writer.write(self.http.send(h11.EndOfMessage()))
        await self.writer.drain()
        status, answer = await self._response()
        self.idle_since = time.monotonic()
        assert status == 200, f"{who}: HTTP {status} {answer[:200]!r}"
        self.http.start_next_cycle()
        parsed: dict[str, Any] = json.loads(answer)
        return parsed

    async def _response(self) -> tuple[int, bytes]:
        status, body = 0, b""
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError("the gateway closed the connection before answering")
                self.http.receive_data(data)
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, body

    async def closed_by_gateway_within(self, seconds: float) -> float | None:
        """Wait until this connection has idled ``seconds`` since its last answer, or the
        gateway closes it first; how long it had idled when closed (None: still open)."""
        deadline = self.idle_since + seconds
        try:
            data = await asyncio.wait_for(self.reader.read(1), deadline - time.monotonic())
        except TimeoutError:
            return None
        assert data == b"", f"the gateway sent {data!r} on an idle connection"
        return time.monotonic() - self.idle_since

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def assert_answered(who: str, answer: dict[str, Any]) -> None:
    assert "result" in answer, f"{who}: {answer}"
    assert not answer["result"].get("isError"), f"{who}: {answer['result']}"


async def one_client(gateway: Gateway, connection: Connection, who: str) -> float | None:
    """A call, an idle connection, a second call on it; how long the gateway kept the idle
    connection if it closed it (then there is no second call)."""
    assert_answered(who, await connection.call(gateway, who, "get_activities", {"limit": 10}))
    closed_after = await connection.closed_by_gateway_within(CLIENT_IDLE_SECONDS)
    if closed_after is not None:
        return closed_after
    assert_answered(who, await connection.call(gateway, who, "get_activities", {"limit": 10}))
    return None


async def test_a_connection_idle_past_the_clients_pool_expiry_still_answers_every_client(
    tmp_path: Path,
) -> None:
    with fake_upstream() as (_fake, api), gateway_process(api, tmp_path, **UNTHROTTLED) as gateway:
        await seed_callers(gateway)
        who = [ATHLETES[i % len(ATHLETES)].intervals_id for i in range(CLIENTS)]
        connections = await asyncio.gather(*(Connection.open(gateway.base) for _ in who))
        try:
            closed_after = await asyncio.gather(
                *(one_client(gateway, c, w) for c, w in zip(connections, who, strict=True))
            )
        finally:
            await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    closed = sorted(round(seconds, 1) for seconds in closed_after if seconds is not None)
    assert not closed, (
        f"the gateway closed {len(closed)} of {CLIENTS} idle connections after {closed[0]} s "
        f"idle, while clients keep them {CLIENT_IDLE_SECONDS} s: a call sent as it closes is "
        "reset and lost"
    )
