"""Run the fake as a real HTTP server (uvicorn) on a loopback port, in a background thread
(started by the shared ``tests/support/live.py`` starter)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from tests.fake_intervals.app import FakeIntervals
from tests.support.live import free_port as free_port
from tests.support.live import live_server


class FakeServer:
    """``with FakeServer(fake) as server: server.api_base_url`` — started and stopped around
    the block. Readiness is awaited by polling uvicorn's ``started`` flag, not a fixed sleep."""

    def __init__(self, fake: FakeIntervals, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.host = host
        self.port = port or free_port(host)
        self._running: AbstractContextManager[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/api/v1"

    def start(self, timeout: float = 10.0) -> FakeServer:
        running = live_server(
            self.fake.app,
            self.port,
            timeout=timeout,
            lifespan="off",
            host=self.host,
            interface="asgi3",
        )
        try:
            running.__enter__()
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(
                f"fake Intervals.icu server did not start on {self.base_url}"
            ) from exc
        self._running = running
        return self

    def stop(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)
            self._running = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
