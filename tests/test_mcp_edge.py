"""The short way to ``/mcp`` through the app's middleware chain (app/web/shortcut.py) answers
exactly as the whole chain does: every request below is sent twice to one live gateway, once
with the short way on and once off, and the two answers must have the same status, the same
headers in the same order (``Date`` and ``X-Request-Id`` only present and well-formed: they
differ per answer), the same bytes, and count the same in the HTTP metrics."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import opentelemetry._logs as otel_logs
import opentelemetry.metrics as otel_metrics
import opentelemetry.trace as otel_trace
import pytest

from app.main import create_app
from app.redis_state import SharedStateDown
from app.settings import Settings
from app.web.shortcut import PROVIDER_SLOTS, PathShortcut, TelemetryOff
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import BERLIN, Gateway, gateway_settings
from tests.support.gateway import live_gateway
from tests.support.live import free_port

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
REQUEST_ID = re.compile(r"[0-9a-f]{12}")
PER_ANSWER = ("date", "x-request-id")
APPS = {"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}}


@dataclass
class Case:
    """One request: method, headers (exactly these, plus Host and Content-Length), body."""

    method: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    path: str = "/mcp"


def rpc(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode()


def call(name: str, arguments: dict[str, Any], era: str = LEGACY) -> bytes:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if era == MODERN:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "edge", "version": "1"},
        }
    return rpc("tools/call", params)


def mcp_headers(token: str | None, era: str | None = LEGACY, **extra: str) -> dict[str, str]:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if era is not None:
        headers["MCP-Protocol-Version"] = era
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return {**headers, **extra}


def cases(token: str, origin: str) -> dict[str, Case]:
    """The requests compared: answers from the fast path, the SDK, the bearer guard, the era
    guard, the body limit, CORS and the DNS-rebinding check."""
    wellness = call("get_wellness_data", {})
    modern = mcp_headers(token, MODERN, **{"Mcp-Method": "tools/call"})
    modern["Mcp-Name"] = "get_wellness_data"
    initialize = rpc(
        "initialize",
        {
            "protocolVersion": LEGACY,
            "capabilities": APPS,
            "clientInfo": {"name": "edge", "version": "1"},
        },
    )
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return {
        "tools/call": Case("POST", mcp_headers(token), wellness),
        "tools/call with a query string": Case("POST", mcp_headers(token), wellness, "/mcp?x=1"),
        "tools/call 2026-07-28": Case("POST", modern, call("get_wellness_data", {}, MODERN)),
        "tools/list": Case("POST", mcp_headers(token), rpc("tools/list")),
        "initialize declaring MCP Apps": Case("POST", mcp_headers(token, None), initialize),
        "notification": Case("POST", mcp_headers(token), b'{"jsonrpc":"2.0","method":"x"}'),
        "no token": Case("POST", mcp_headers(None), wellness),
        "unknown token": Case("POST", mcp_headers("not-a-token"), wellness),
        "write tool with a read token": Case(
            "POST", mcp_headers(token), call("create_event", {"start_date": "2026-08-01"})
        ),
        "body too large": Case("POST", mcp_headers(None), b"[" + b" " * (70 * 1024) + b"]"),
        "malformed body": Case("POST", mcp_headers(token), b'{"jsonrpc": "2.0", "id": 1,'),
        "nested too deeply": Case("POST", mcp_headers(token), b"[" * 100_000),
        "envelope without its header": Case(
            "POST", mcp_headers(token, None), call("get_wellness_data", {}, MODERN)
        ),
        "unknown protocol version": Case("POST", mcp_headers(token, "1999-01-01"), wellness),
        "wrong content type": Case(
            "POST", mcp_headers(token, **{"Content-Type": "text/plain"}), wellness
        ),
        "preflight, allowed origin": Case("OPTIONS", {"Origin": origin, **preflight}),
        "preflight, foreign origin": Case(
            "OPTIONS", {"Origin": "https://evil.example", **preflight}
        ),
        "options without origin": Case("OPTIONS", {"Access-Control-Request-Method": "POST"}),
        "allowed origin": Case("POST", mcp_headers(token, Origin=origin), wellness),
        "foreign origin": Case("POST", mcp_headers(token, Origin="https://evil.example"), wellness),
        "GET": Case("GET", mcp_headers(token, Accept="application/json")),
        "GET without token": Case("GET", {"Accept": "text/event-stream"}),
        "DELETE": Case("DELETE", mcp_headers(token)),
        "HEAD": Case("HEAD", mcp_headers(token, Accept="application/json")),
        "PUT": Case("PUT", mcp_headers(token), wellness),
    }


@contextmanager
def gateway(tmp_path: Path, database_url: str) -> Iterator[Gateway]:
    port = free_port()
    with live_gateway(gateway_settings(tmp_path, database_url, port), port, FakeIntervals()) as gw:
        yield gw


def shortcut(gw: Gateway) -> PathShortcut:
    switch = gw.app.state.shortcut
    assert isinstance(switch, PathShortcut)
    return switch


def counted(gw: Gateway) -> dict[tuple[str, ...], float]:
    """The HTTP request counters (method, route, status) as operators scrape them."""
    found: dict[tuple[str, ...], float] = {}
    for metric in gw.app.state.observer.registry.collect():
        for sample in metric.samples:
            if sample.name == "gateway_http_requests_total":
                found[tuple(sorted(sample.labels.items()))] = sample.value  # type: ignore[arg-type]
    return found


def increase(before: dict[Any, float], after: dict[Any, float]) -> dict[Any, float]:
    return {
        key: value - before.get(key, 0)
        for key, value in after.items()
        if value != before.get(key, 0)
    }


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    metrics: dict[Any, float]
    request_ids: int


async def answer(gw: Gateway, case: Case) -> Answer:
    before = counted(gw)
    async with httpx.AsyncClient(timeout=10) as http:
        request = http.build_request(
            case.method, gw.url + case.path, headers=case.headers, content=case.body or None
        )
        for name in ("accept", "accept-encoding", "connection", "user-agent"):
            if name not in {k.lower() for k in case.headers}:
                del request.headers[name]
        response = await http.send(request)
    headers = response.headers.multi_items()
    assert len([value for key, value in headers if key == "date"]) == 1, headers
    ids = [value for key, value in headers if key == "x-request-id"]
    assert all(REQUEST_ID.fullmatch(value) for value in ids), ids
    kept = [(key, value) for key, value in headers if key not in PER_ANSWER]
    metrics = increase(before, counted(gw))
    return Answer(response.status_code, kept, response.content, metrics, len(ids))


async def test_every_mcp_answer_is_the_same_with_and_without_the_short_way(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(BERLIN, scope="mcp.read")
        switch = shortcut(gw)
        for name, case in cases(reader.token, "http://localhost:5173").items():
            answers = []
            for enabled in (True, False):
                switch.enabled = enabled
                taken = switch.taken
                answers.append(await answer(gw, case))
                assert (switch.taken > taken) == enabled, name
            switch.enabled = True
            short, whole = answers
            assert short.status == whole.status, (name, short.body, whole.body)
            assert short.headers == whole.headers, name
            assert short.body == whole.body, name
            assert short.metrics == whole.metrics, name
            assert short.metrics, name  # every answer is counted
            assert short.request_ids == whole.request_ids == 1, name


@pytest.mark.parametrize("path", ["/mcp/", "/sse", "/", "/healthz"])
async def test_other_paths_take_the_whole_chain(
    tmp_path: Path, database_url: str, path: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        switch = shortcut(gw)
        taken = switch.taken
        async with httpx.AsyncClient(timeout=10) as http:
            await http.get(gw.url + path)
        assert switch.taken == taken


def test_the_whole_stack_is_still_reached_by_walking_inner_apps(settings: Settings) -> None:
    """What inspects a built stack by following ``.app`` (FastAPI looks for OpenTelemetry's
    ASGI middleware that way) finds every layer of the whole chain under the short way."""
    app = create_app(settings)
    stack = app.build_middleware_stack()
    assert isinstance(stack, PathShortcut)
    seen: list[str] = []
    layer: Any = stack
    while layer is not None:
        seen.append(type(layer).__name__)
        layer = getattr(layer, "app", None)
    assert seen[:5] == [
        "PathShortcut",
        "ServerErrorMiddleware",
        "ExceptionTelemetryMiddleware",
        "AppBodyLimitMiddleware",
        "ObserveRequests",
    ]
    assert "APIRouter" in seen


def bearer_guard(gw: Gateway) -> Any:
    """The bearer guard in front of ``/mcp`` (under the CORS layer of its route)."""
    route = next(r for r in gw.app.router.routes if getattr(r, "path", None) == "/mcp")
    return route.app.app


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("boom"), SharedStateDown("sign-in")],
    ids=["unexpected error: 500", "handled error: the app's 503"],
)
async def test_an_error_under_the_edge_is_answered_the_same_both_ways(
    tmp_path: Path, database_url: str, failure: Exception
) -> None:
    """The error layers of the short way (Starlette's 500, the app's exception handlers) are
    the whole chain's: a failure raised from inside ``/mcp`` gets the same answer."""
    with gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(BERLIN)
        guard = bearer_guard(gw)

        async def failing(token: str) -> None:
            raise failure

        guard.verify = failing
        switch = shortcut(gw)
        case = Case("POST", mcp_headers(reader.token), call("get_wellness_data", {}))
        answers = []
        for enabled in (True, False):
            switch.enabled = enabled
            answers.append(await answer(gw, case))
        switch.enabled = True
    short, whole = answers
    assert short.status == whole.status
    assert short.status in (500, 503)
    assert short.headers == whole.headers
    assert short.body == whole.body
    assert short.metrics == whole.metrics
    assert short.request_ids == whole.request_ids


CONFIGURED = {
    "_TRACER_PROVIDER": otel_trace.NoOpTracerProvider,
    "_METER_PROVIDER": otel_metrics.NoOpMeterProvider,
    "_LOGGER_PROVIDER": otel_logs.NoOpLoggerProvider,
}


def test_fastapis_telemetry_check_is_left_out_only_while_it_is_certainly_off(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app skips FastAPI's per-request telemetry check (``NativeTelemetry.enabled()``)
    only while ``TelemetryOff`` says it would answer False: with nothing configured; not once
    any of OpenTelemetry's global providers is set, nor with an environment variable naming
    one, nor with a provider given in the app's telemetry settings."""
    app = create_app(settings)
    native = app._native_telemetry
    assert TelemetryOff(app._telemetry)() and not native.enabled()
    assert len(PROVIDER_SLOTS) == 3
    for module, attribute, variable in PROVIDER_SLOTS:
        with monkeypatch.context() as patch:
            patch.setattr(module, attribute, CONFIGURED[attribute]())
            assert native.enabled() and not TelemetryOff(app._telemetry)(), attribute
        with monkeypatch.context() as patch:
            patch.setenv(variable, "named")
            assert not TelemetryOff(app._telemetry)(), variable
    given = {**app._telemetry, "tracer_provider": otel_trace.NoOpTracerProvider()}
    assert not TelemetryOff(given)()


class TracerProvider(otel_trace.TracerProvider):
    """A configured tracer provider (not the API's proxy, not its no-op one) whose tracer
    records nothing."""

    def get_tracer(self, *args: Any, **kwargs: Any) -> otel_trace.Tracer:
        return otel_trace.NoOpTracer()


async def test_a_configured_tracer_provider_gets_fastapis_telemetry_as_before(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a global tracer provider is set, requests go through FastAPI's native telemetry
    (which marks the scope, so ``/mcp`` takes the whole chain); before, the short way."""
    app = create_app(settings)
    switch = app.state.shortcut
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
        assert (await http.post("/mcp", content=b"{}")).status_code == 401
        assert switch.taken == 1
        monkeypatch.setattr(otel_trace, "_TRACER_PROVIDER", TracerProvider())
        assert (await http.post("/mcp", content=b"{}")).status_code == 401
        assert switch.taken == 1
