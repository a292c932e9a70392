"""What the edge around ``POST /mcp`` costs, layer by layer, in-process (no sockets).

    python -m bench.edge [--calls 20000] [--profile]

Builds the real app (``create_app``, SQLite, one seeded caller, verified-token cache on), puts
a constant JSON answer where the ``tools/call`` fast path sits (so the tool's own cost is left
out), and drives ``app(scope, receive, send)`` directly with a legacy-era ``tools/call`` as the
benchmark client sends it. Prints the microseconds per request of the whole edge, then of the
chain from each layer inwards: the difference between two lines is that layer's cost.
``--profile`` adds the Python function calls per request of the whole edge (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.run import BENCH_KEY, LEGACY, era_request, prepare

BASE = "http://127.0.0.1:8000"
ANSWER = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"content": [], "x": "y" * 2000}})
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def constant_answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the body as the fast path does and answers a fixed 2 kB JSON result."""
    from app.mcp.auth import read_body

    await read_body(receive)
    body = ANSWER.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def request_parts(token: str) -> tuple[dict[str, Any], bytes]:
    """The scope and body of the benchmark client's legacy ``tools/call``."""
    headers, body = era_request(
        LEGACY, token, "tools/call", {"name": "get_activities", "arguments": {"limit": 10}}
    )
    content = json.dumps(body).encode()
    raw = [
        (b"host", b"127.0.0.1:8000"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"connection", b"keep-alive"),
        (b"user-agent", b"python-httpx/0.28.1"),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        (b"content-length", str(len(content)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/mcp",
        "raw_path": b"/mcp",
        "query_string": b"",
        "headers": raw,
        "state": {},
    }
    return scope, content


async def drive(app: Asgi, scope: dict[str, Any], body: bytes, calls: int) -> float:
    """Seconds per request of ``app`` answering ``calls`` copies of the request."""
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(calls):
        given = False

        async def receive() -> dict[str, Any]:
            nonlocal given
            if given:
                return {"type": "http.disconnect"}
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(dict(scope, headers=list(scope["headers"]), state={}), receive, send)
    elapsed = time.perf_counter() - started
    assert set(statuses) == {200}, set(statuses)
    return elapsed / calls


def chain(top: Any) -> list[tuple[str, Asgi]]:
    """(name, layer) from ``top`` to the ``/mcp`` endpoint's last wrapper."""
    layers: list[tuple[str, Asgi]] = []
    layer = top
    while layer is not None and layer is not constant_answer:
        layers.append((type(layer).__name__, layer))
        if hasattr(layer, "routes"):
            route = next(r for r in layer.routes if getattr(r, "path", None) == "/mcp")
            layers.append(("Route.handle", route.handle))
            layer = route.app
            continue
        layer = getattr(layer, "app", None)
    return layers


async def measure(calls: int, profile: bool, repeats: int = 5) -> None:
    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as workdir:
        database_url = f"sqlite:///{Path(workdir) / 'edge.db'}"
        tokens, _ = await prepare(database_url, f"{BASE}/mcp")
        settings = Settings(
            _env_file=None,
            database_url=database_url,  # type: ignore[call-arg]
            encryption_keys=BENCH_KEY,
            base_url=BASE,
            token_cache_seconds=30,
            log_level="WARNING",
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            app.middleware_stack = app.build_middleware_stack()
            place_constant_answer(app)
            scope, body = request_parts(tokens[0])
            scope["app"] = app
            await drive(app, scope, body, 200)  # warm: token cache, children, imports
            shortcut = getattr(app.state, "shortcut", None)  # None: an app before it
            layers = [("app, whole chain", whole_chain(app)), *chain(whole_stack(app))]
            if shortcut is not None:
                layers[:0] = [("app, short way", app), *chain(shortcut.short)]
            best = [float("inf")] * len(layers)
            for _ in range(repeats):  # interleaved, the best of each: other load only adds
                for index, (_, layer) in enumerate(layers):
                    took = await drive(layer, scope, body, calls // repeats)
                    best[index] = min(best[index], took)
            print(f"us per request from each layer inwards (the best of {repeats} runs):")
            for (name, _), took in zip(layers, best, strict=True):
                print(f"  {name:<30} {took * 1e6:7.1f}")
            if profile:
                for label, target in (("as built", app), ("whole chain", whole_chain(app))):
                    profiler = cProfile.Profile()
                    profiler.enable()
                    await drive(target, scope, body, 1000)
                    profiler.disable()
                    total = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
                    print(f"function calls per request, {label}: {total / 1000:.0f}")


def place_constant_answer(app: Any) -> None:
    """The fast path's place taken by :func:`constant_answer` (its wrappers stay)."""
    fast_path = app.state.mcp.fast_path
    for _, candidate in chain(whole_stack(app)):
        if getattr(candidate, "app", None) is fast_path:
            candidate.app = constant_answer
            return
    raise SystemExit("could not find the fast path's wrapper")


def whole_stack(app: Any) -> Any:
    """The app's whole middleware stack (under its short way to ``/mcp``, if any)."""
    stack = app.middleware_stack
    return stack.app if hasattr(app.state, "shortcut") else stack


def whole_chain(app: Any) -> Asgi:
    """``app`` with its short way to ``/mcp`` turned off."""

    async def whole(scope: dict[str, Any], receive: Any, send: Any) -> None:
        shortcut = getattr(app.state, "shortcut", None)
        if shortcut is None:
            return await app(scope, receive, send)
        shortcut.enabled = False
        try:
            await app(scope, receive, send)
        finally:
            shortcut.enabled = True

    return whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(measure(args.calls, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
