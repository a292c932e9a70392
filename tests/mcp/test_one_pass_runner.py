"""OnePassRunner's ``tools/call`` (app/mcp/fastpath.py) against the SDK's ``ServerRunner``,
whose ``_on_request`` it reproduces for a bare call without the surface validation that params
of a certain shape always pass: the same answers and the same errors for good and bad params in
both eras, and the SDK's surface models still taking every params of that shape."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
from mcp.server.connection import _NO_CHANNEL, Connection
from mcp.server.mcpserver import MCPServer
from mcp.server.runner import ServerRunner
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types.methods import CLIENT_REQUESTS, validate_client_request
from pydantic import ValidationError

from app.mcp.fastpath import (
    FAST_METHOD,
    SURELY_VALID_VERSIONS,
    OnePassRunner,
    stateless_connection,
    surely_valid_call,
)

MODERN = "2026-07-28"
ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}

CERTAIN = [
    {"name": "add"},
    {"name": "add", "arguments": None},
    {"name": "add", "arguments": {}},
    {"name": "add", "arguments": {"a": 1, "b": 2}},
    {"name": "", "arguments": {"x": [1, {"y": None}], "z": "é", "w": 1e300, "v": True}},
    {"name": "no_such_tool", "arguments": {"a": 1}},
]
UNCERTAIN: list[dict[str, Any] | None] = [
    None,
    {},
    {"arguments": {"a": 1}},
    {"name": 3},
    {"name": None},
    {"name": "add", "arguments": [1, 2]},
    {"name": "add", "arguments": "a=1"},
    {"name": "add", "_meta": {"progressToken": "x"}},
    {"name": "add", "_meta": "not an object"},
    {"name": "add", "task": {"ttl": "soon"}},
    {"name": "add", "arguments": {"a": 1}, "extra": 1},
]


class SdkShaped(OnePassRunner):
    """OnePassRunner with the SDK's wire shaping of every result, so its answers compare with
    ``ServerRunner``'s as they are."""

    _serialize = ServerRunner._serialize


def server() -> MCPServer[Any]:
    mcp: MCPServer[Any] = MCPServer(name="t")

    @mcp.tool()
    def add(a: int = 0, b: int = 0) -> int:
        """Adds."""
        return a + b

    return mcp


def exchange() -> Any:
    return _SingleExchangeDispatchContext(
        transport=TransportContext(kind="streamable-http", can_send_request=False),
        request_id=1,
        message_metadata=ServerMessageMetadata(request_context=None),
    )


def connection(version: str, ready: bool) -> Connection:
    if ready:
        return stateless_connection(version)
    return Connection(_NO_CHANNEL, protocol_version=version)


async def outcome(runner: ServerRunner[Any], params: dict[str, Any] | None) -> Any:
    try:
        return ("answer", await runner.on_request(exchange(), FAST_METHOD, params))
    except MCPError as error:
        return ("mcp error", error.error.model_dump())
    except ValidationError as error:
        return ("invalid", error.title, error.errors(include_url=False))


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25", MODERN])
@pytest.mark.parametrize("ready", [True, False])
async def test_a_bare_call_is_answered_as_the_sdk_runner_answers_it(
    version: str, ready: bool
) -> None:
    mcp = server()
    lowlevel = mcp._lowlevel_server
    seen = set()
    for params in [*CERTAIN, *UNCERTAIN]:
        if version == MODERN and params is not None:
            meta = params.get("_meta")
            params = {**params, "_meta": {**ENVELOPE, **meta} if isinstance(meta, dict) else meta}
        ours = SdkShaped(lowlevel, connection(version, ready), None)
        ours.bare = True
        sdks = ServerRunner(lowlevel, connection(version, ready), None)
        answered = await outcome(ours, params)
        assert answered == await outcome(sdks, params), params
        seen.add(answered[0])
    # the comparison saw answers and both kinds of error
    assert seen == ({"answer", "invalid"} if ready else {"mcp error", "invalid"})


@pytest.mark.parametrize("version", sorted(SURELY_VALID_VERSIONS))
def test_params_taken_as_surely_valid_pass_the_sdk_surface_validation(version: str) -> None:
    surface = CLIENT_REQUESTS[(FAST_METHOD, version)]
    params_model = surface.model_fields["params"].annotation
    schema = params_model.model_json_schema()  # type: ignore[union-attr]
    assert schema["required"] == ["name"]
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["arguments"]["anyOf"] == [
        {"additionalProperties": True, "type": "object"},
        {"type": "null"},
    ]
    assert set(surface.model_json_schema()["required"]) == {"jsonrpc", "id", "method", "params"}
    for model in (surface, params_model):  # nothing of their own runs on the values
        decorators = model.__pydantic_decorators__  # type: ignore[union-attr]
        assert not decorators.model_validators and not decorators.field_validators
    for params in CERTAIN:
        assert surely_valid_call(version, params)
        validate_client_request(FAST_METHOD, version, params)
    for uncertain in UNCERTAIN:
        assert not surely_valid_call(version, uncertain)


def test_modern_params_are_always_validated() -> None:
    for params in CERTAIN:
        assert not surely_valid_call(MODERN, {**params, "_meta": ENVELOPE})
        assert not surely_valid_call(MODERN, params)
