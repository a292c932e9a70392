"""Run an ASGI app as a real uvicorn server on a loopback port, in a background thread: the one
live-server starter for every test (the gateway harness, the fake Intervals.icu server, document
hosts).

Readiness is awaited on uvicorn's own `started` flag (no fixed sleeps).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port on ``host`` (127.0.0.1 by default)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    app: ASGIApp,
    port: int | None = None,
    timeout: float = 30,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    loop: str = "auto",
    lifespan: Literal["on", "off", "auto"] = "on",
    host: str = "127.0.0.1",
    interface: Literal["auto", "asgi3"] = "auto",
) -> Iterator[str]:
    """Serve `app` on http://<host>:<port> for the duration of the block; yields the base URL.

    With `ssl_certfile` and `ssl_keyfile` it serves https instead (and yields an https URL).
    `loop` is uvicorn's event loop choice ("auto" picks uvloop when installed, as `serve` does).
    `interface="asgi3"` serves a bound-method ASGI app that uvicorn cannot detect by itself.
    """
    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan=lifespan,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        loop=loop,
        interface=interface,
        timeout_graceful_shutdown=1,
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
        yield f"{'https' if ssl_certfile else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
