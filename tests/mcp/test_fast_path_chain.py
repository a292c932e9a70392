"""The fast path's short way through the SDK's handler chain (app/mcp/fastpath.py
``middleware_passes_call_through``): the server middleware (the SDK's OpenTelemetry span and
``requestState`` boundary) are left out of a ``tools/call`` only when they could change
nothing. With a recording tracer the span is still opened, with the SDK's name and
attributes, and every answer is the same bytes with or without one, on either path; a call
bringing ``requestState`` still meets the boundary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
from mcp.server.connection import Connection
from mcp.server.request_state import RequestStateBoundary
from mcp.server.runner import modern_error_data
from mcp.shared import _otel as sdk_otel
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import InputRequiredResult, JSONRPCRequest
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.trace import (
    INVALID_SPAN_CONTEXT,
    Link,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    use_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes, AttributeValue

from app.mcp import fastpath
from app.mcp.fastpath import middleware_passes_call_through, sdk_spans_recorded
from app.mcp.server import build_server
from tests.mcp.support import BERLIN, Gateway
from tests.mcp.test_fast_path import (
    LEGACY,
    MODERN,
    both_ways,
    call,
    envelope,
    gateway,
    headers_for,
)


@dataclass
class RecordedSpan(Span):
    """A span that keeps what the SDK's OpenTelemetry middleware writes on it."""

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    status: StatusCode = StatusCode.UNSET
    ended: bool = False

    def end(self, end_time: int | None = None) -> None:
        self.ended = True

    def get_span_context(self) -> SpanContext:
        return INVALID_SPAN_CONTEXT

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self.attributes.update(attributes)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        return None

    def update_name(self, name: str) -> None:
        self.name = name

    def is_recording(self) -> bool:
        return not self.ended

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self.status = status.status_code if isinstance(status, Status) else status

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        self.attributes["exception"] = type(exception).__name__


@dataclass
class RecordingTracer(Tracer):
    """A configured tracer, as an OpenTelemetry SDK would give the MCP SDK: every span kept."""

    spans: list[RecordedSpan] = field(default_factory=list)

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        span = RecordedSpan(name, dict(attributes or {}))
        self.spans.append(span)
        return span

    @contextmanager
    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Iterator[Span]:  # type: ignore[override]
        span = self.start_span(name, *args, **kwargs)
        with use_span(span, end_on_exit=True) as current:
            yield current


@contextmanager
def tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingTracer]:
    tracer = RecordingTracer()
    with monkeypatch.context() as patch:
        patch.setattr(sdk_otel, "_tracer", tracer)
        yield tracer


async def answers_with_and_without_a_tracer(
    gw: Gateway, body: Any, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[bytes, list[RecordedSpan]]:
    """The answer's bytes, after checking they are the same with and without a recording
    tracer (each both ways: fast path on and off, and the fast path answering); and the spans
    recorded with the tracer on the fast path."""
    without, taken = await both_ways(gw, body, headers)
    assert taken
    with tracing(monkeypatch) as tracer:
        traced, taken = await both_ways(gw, body, headers)
        assert taken
    assert traced.status_code == without.status_code
    assert traced.content == without.content
    assert len(tracer.spans) == 2  # the fast path's, then the SDK's
    first, second = tracer.spans
    assert (first.name, first.attributes, first.status) == (
        second.name,
        second.attributes,
        second.status,
    )
    return traced.content, [first]


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_answers_and_errors_are_the_same_bytes_with_and_without_a_tracer(
    tmp_path: Path, database_url: str, era: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain answer, bad arguments, an unknown tool, arguments that are not an object (a
    JSON-RPC error) and a tool whose upstream request fails: with a recording tracer the SDK's
    span is opened on the fast path as on the SDK's, and the bytes do not change."""
    assert not sdk_spans_recorded()
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        cases = {
            "plain": call("get_athlete_profile", {}, era),
            "bad arguments": call("get_activities", {"oldest": "yesterday-ish"}, era),
            "unknown tool": call("get_horoscope", {}, era),
            "arguments not an object": call("get_activities", [1, 2], era),
            "upstream fails": call("get_athlete_profile", {}, era, request_id=8),
        }
        spans = {}
        for label, body in cases.items():
            if label == "upstream fails":
                gw.fake.faults.fail(404, times=4, path=f"/athlete/{BERLIN.id}")
            headers = headers_for(caller.token, body, era)
            _, [spans[label]] = await answers_with_and_without_a_tracer(
                gw, body, headers, monkeypatch
            )
    assert all(span.ended for span in spans.values())
    plain = spans["plain"]
    assert plain.name == "tools/call get_athlete_profile"
    assert plain.attributes["gen_ai.tool.name"] == "get_athlete_profile"
    assert plain.attributes["mcp.protocol.version"] == era
    assert plain.status is StatusCode.UNSET
    assert spans["unknown tool"].attributes["error.type"] == "tool_error"
    assert spans["upstream fails"].attributes["error.type"] == "tool_error"
    assert spans["arguments not an object"].attributes["error.type"] == "-32602"
    assert spans["arguments not an object"].status is StatusCode.ERROR


async def test_a_call_with_request_state_still_meets_the_sdks_boundary(
    tmp_path: Path, database_url: str
) -> None:
    """``requestState`` the gateway never sealed: refused by the SDK's boundary on the fast
    path as on the SDK's, in the SDK's words."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {}, MODERN)
        body["params"]["requestState"] = "forged"
        response, taken = await both_ways(gw, body, headers_for(caller.token, body, MODERN))
    assert taken
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (-32602, "Invalid or expired requestState")


class NoAthletes:
    def open(self) -> Any:
        raise AssertionError("no tool runs here")

    async def record_call(self, call: Any) -> None:
        return None


class OwnPropagator(TextMapPropagator):
    """A propagator reading its own carrier field."""

    def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Context:
        return Context()

    def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
        return None

    @property
    def fields(self) -> set[str]:
        return {"x-trace"}


def params(**extra: Any) -> dict[str, Any]:
    return {"name": "get_athlete_profile", "arguments": {}, **extra}


def test_the_middleware_are_left_out_only_when_they_could_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = build_server(NoAthletes())._lowlevel_server
    assert middleware_passes_call_through(server, params())
    assert middleware_passes_call_through(server, None)
    assert middleware_passes_call_through(server, params(_meta={"progressToken": None}))
    assert not middleware_passes_call_through(server, params(requestState="sealed"))
    traced = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    assert not middleware_passes_call_through(server, params(_meta=traced))
    assert not middleware_passes_call_through(server, params(_meta={"baggage": "k=v"}))
    with tracing(monkeypatch):
        assert sdk_spans_recorded()
        assert not middleware_passes_call_through(server, params())
    own_field = params(_meta={"x-trace": "1"})
    assert middleware_passes_call_through(server, own_field)
    with monkeypatch.context() as patch:  # an application's own propagator, installed later
        patch.setattr(propagate, "_HTTP_TEXT_FORMAT", TraceContextTextMapPropagator())
        assert middleware_passes_call_through(server, own_field)
        patch.setattr(propagate, "_HTTP_TEXT_FORMAT", OwnPropagator())
        assert not middleware_passes_call_through(server, own_field)
        assert middleware_passes_call_through(server, params(_meta=traced))

    async def own(ctx: Any, call_next: Any) -> Any:
        return await call_next(ctx)

    server.middleware.append(own)
    assert not middleware_passes_call_through(server, params())


async def ask_again() -> InputRequiredResult:
    """A tool that needs another round (no gateway tool does yet)."""
    return InputRequiredResult(request_state="round-2")


ASK_AGAIN = {"name": "ask_again", "arguments": {}, "_meta": envelope()}


async def served_round(
    server: Any, bare: bool, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any] | None = None
) -> Any:
    """``serve_call`` at 2026-07-28 (default: of ``ask_again``), the middleware left out or
    not."""
    with monkeypatch.context() as patch:
        patch.setattr(fastpath, "middleware_passes_call_through", lambda *_: bare)
        exchange = _SingleExchangeDispatchContext(
            transport=TransportContext(kind="streamable-http", can_send_request=False),
            request_id=1,
            message_metadata=ServerMessageMetadata(request_context=None),
        )
        call = JSONRPCRequest(
            jsonrpc="2.0",
            id=1,
            method="tools/call",
            params=ASK_AGAIN if params is None else params,
        )
        connection = Connection.from_envelope(MODERN, None, None)
        return await fastpath.serve_call(server, exchange, call, connection, None)


async def test_an_input_required_answer_is_sealed_without_the_middleware_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What ``RequestStateBoundary`` does to an answer when the request brought no state:
    the ``requestState`` the tool gave goes out sealed, whichever way the call ran."""
    gateway_server = build_server(NoAthletes(), specs=[])
    gateway_server.add_tool(ask_again)
    server = gateway_server._lowlevel_server
    assert middleware_passes_call_through(server, ASK_AGAIN)
    boundary = next(m for m in server.middleware if isinstance(m, RequestStateBoundary))
    answers = [await served_round(server, bare, monkeypatch) for bare in (False, True)]
    for answer in answers:
        assert answer["resultType"] == "input_required"
        assert answer["requestState"] != "round-2"
        assert boundary._security.codec.unseal(answer["requestState"])  # sealed by the boundary
    assert answers[0].keys() == answers[1].keys()


async def crash() -> str:
    """A tool that fails in a way nobody planned for."""
    raise RuntimeError("disk on fire")


async def count_to(count: int) -> str:
    """A tool with an argument to get wrong."""
    return " ".join(str(n) for n in range(1, count + 1))


async def refuse() -> str:
    """A tool that answers with a JSON-RPC error."""
    raise MCPError(code=-32001, message="not now")


async def outcome(server: Any, bare: bool, name: str, arguments: Any, monkeypatch: Any) -> Any:
    """What ``serve_call`` gives (or the JSON-RPC error data the SDK's dispatcher would map
    its exception to)."""
    params = {"name": name, "arguments": arguments, "_meta": envelope()}
    try:
        return await served_round(server, bare, monkeypatch, params)
    except Exception as error:
        return modern_error_data(error)


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("crash", {}),
        ("refuse", {}),
        ("count_to", {"count": "many"}),
        ("count_to", [1, 2]),
        ("count_to", {"count": 3}),
        ("no_such_tool", {}),
    ],
)
async def test_failures_are_the_same_without_the_middleware(
    name: str, arguments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool that raises, a tool's JSON-RPC error, arguments the tool's model refuses or that
    are not an object, an unknown tool (and a plain answer): the same outcome with the
    middleware run or not."""
    gateway_server = build_server(NoAthletes(), specs=[])
    for tool in (count_to, crash, refuse):
        gateway_server.add_tool(tool)
    server = gateway_server._lowlevel_server
    full, bare = [await outcome(server, b, name, arguments, monkeypatch) for b in (False, True)]
    assert full == bare
