"""Run an ASGI app as a real uvicorn server on a loopback port, in a background thread.

Readiness is awaited on uvicorn's own `started` flag (no fixed sleeps).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    app: ASGIApp,
    port: int | None = None,
    timeout: float = 30,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    loop: str = "auto",
) -> Iterator[str]:
    """Serve `app` on http://127.0.0.1:<port> for the duration of the block; yields the base URL.

    With `ssl_certfile` and `ssl_keyfile` it serves https instead (and yields an https URL).
    `loop` is uvicorn's event loop choice ("auto" picks uvloop when installed, as `serve` does).
    """
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        loop=loop,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"live-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"server on port {port} failed to start")
        if time.monotonic() > deadline:
            raise TimeoutError(f"server on port {port} did not start in {timeout}s")
        time.sleep(0.01)
    try:
        yield f"{'https' if ssl_certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
