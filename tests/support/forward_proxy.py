"""A tiny HTTP forward proxy on a loopback socket, for tests of the clients' proxy support:
``CONNECT host:port`` opens a tunnel (https targets); an absolute-form request
(``GET http://host:port/path``) is passed on in origin form over a connection of its own,
closed after the answer. Every request line that arrives is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ForwardProxy:
    """What the proxy saw: each request line (``"GET http://127.0.0.1:5/api/v1/x"``,
    ``"CONNECT 127.0.0.1:5"``) and each ``Proxy-Authorization`` value."""

    url: str = ""
    lines: list[str] = field(default_factory=list)
    proxy_authorizations: list[str] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        self.lines.append(f"{method} {target}")
        kept: list[str] = []
        for line in filter(None, header_lines):
            name, _, value = line.partition(":")
            if name.lower() == "proxy-authorization":
                self.proxy_authorizations.append(value.strip())
            elif name.lower() not in ("connection", "proxy-connection", "keep-alive"):
                kept.append(line)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            assert parts.hostname is not None and parts.port is not None
            up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            forwarded = [f"{method} {path} {version}", *kept, "Connection: close", "", ""]
            up_writer.write("\r\n".join(forwarded).encode("latin-1"))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with suppress(ConnectionError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    with suppress(ConnectionError, OSError):
        sink.close()


@asynccontextmanager
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    """A proxy on ``127.0.0.1`` in the running event loop; ``.url`` is its ``http://`` URL."""
    proxy = ForwardProxy()
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proxy.url = f"http://127.0.0.1:{port}"
    async with server:
        yield proxy
        server.close()
