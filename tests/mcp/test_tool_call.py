"""GatewayServer's ``tools/call`` handler (app/mcp/tool_call.py) against the SDK's own
(``MCPServer._handle_call_tool``), which it reproduces: the tool's ``Context`` holds the same
state, and every call (answered, refused, crashing, raising an MCP error, with bad arguments)
gets the same answer and the same log lines, on the gateway's server and on a plain SDK one."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequestParams

from app.mcp.server import GatewayServer, unscoped
from app.mcp.tool_call import tool_context


def request_context(params: CallToolRequestParams) -> ServerRequestContext[Any, Any]:
    return ServerRequestContext(
        session=None,  # type: ignore[arg-type]  # nothing here reads the session
        lifespan_context={"state": 1},
        protocol_version="2025-11-25",
        method="tools/call",
        params=params.model_dump(by_alias=True, exclude_none=True),
        request_id=7,
    )


def with_tools(server: MCPServer[Any]) -> MCPServer[Any]:
    @server.tool()
    def sees(ctx: Context, n: int = 1) -> str:
        """Reads what its context holds."""
        return f"{ctx.request_id} {ctx.request_context.lifespan_context} {n}"

    @server.tool()
    def refuses() -> str:
        """A tool's own refusal."""
        raise ToolError("no such ride")

    @server.tool()
    def crashes() -> str:
        """A crash."""
        raise RuntimeError("boom with a secret inside")

    @server.tool()
    def protocol() -> str:
        """An MCP error, which the handler raises on."""
        raise MCPError(code=-32002, message="gone", data={"why": "test"})

    return server


CALLS = [
    ("sees", {"n": 3}),
    ("sees", {"n": "three"}),  # bad arguments
    ("refuses", {}),
    ("crashes", {}),
    ("protocol", {}),
    ("no_such_tool", {}),
]


def servers() -> list[MCPServer[Any]]:
    gateway = GatewayServer((), unscoped, name="gateway", subscriptions=False)
    return [with_tools(gateway), with_tools(MCPServer(name="plain"))]


async def outcome(
    handler: Any, server: MCPServer[Any], params: CallToolRequestParams, caplog: Any
) -> tuple[Any, list[tuple[str, str, str, Any]]]:
    caplog.clear()
    try:
        result: Any = (await handler(server, request_context(params), params)).model_dump()
    except MCPError as error:
        result = ("raised", type(error), error.error.model_dump())
    logs = [
        (r.name, r.levelname, r.getMessage(), r.exc_info and r.exc_info[0])
        for r in caplog.records
        if r.name.startswith("mcp.server.mcpserver")
    ]
    return result, logs


async def test_every_call_is_answered_and_logged_as_the_sdk_handler_answers_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[Any, list[tuple[str, str, str, Any]]]] = []
    for server in servers():
        for name, arguments in CALLS:
            params = CallToolRequestParams(name=name, arguments=arguments)
            ours = await outcome(GatewayServer._handle_call_tool, server, params, caplog)
            sdks = await outcome(MCPServer._handle_call_tool, server, params, caplog)
            assert ours == sdks, (type(server).__name__, name, arguments)
            seen.append(ours)
    # the comparison covered each way out of the handler
    messages = [message for _, logs in seen for _, _, message, _ in logs]
    assert any(isinstance(result, tuple) and result[0] == "raised" for result, _ in seen)
    assert any(not isinstance(result, tuple) and result["is_error"] for result, _ in seen)
    assert any(m.startswith("Tool 'sees' rejected arguments: ['n']") for m in messages)
    assert any(m.startswith("Tool 'refuses' failed") for m in messages)
    assert any(m.startswith("Tool 'crashes' raised an unexpected") for m in messages)
    assert "7 {'state': 1} 3" in str(seen[0][0])


def test_a_tool_context_holds_what_the_sdk_context_holds() -> None:
    server = servers()[0]
    params = CallToolRequestParams(name="sees", arguments={"n": 1})
    ctx = request_context(params)
    sdk = Context(
        request_context=ctx,
        mcp_server=server,
        input_params=params,
        subscriptions=server._subscriptions,
    )
    ours = tool_context(ctx, server, params, server._subscriptions)
    assert type(ours) is type(sdk)
    assert ours.__getstate__() == sdk.__getstate__()
    assert ours.__dict__ == sdk.__dict__
    assert ours.model_fields_set == sdk.model_fields_set
    assert ours.request_context is ctx and ours.mcp_server is server
    assert ours.request_id == sdk.request_id
    assert ours.model_dump() == sdk.model_dump()
