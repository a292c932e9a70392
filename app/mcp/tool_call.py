"""The SDK's ``tools/call`` handler (``MCPServer._handle_call_tool``) as two plain pieces, for
:class:`~app.mcp.server.GatewayServer`: the call's tool :class:`Context` built without
pydantic's constructor (:func:`tool_context`), and a failing call answered in the SDK's words
(:func:`failed_call`).

A tool's ``Context`` is a pydantic model with no fields and four private attributes; the
SDK's ``Context(...)`` runs the model validator on nothing and sets each private attribute
through ``BaseModel.__setattr__``, about 4 µs of every call (issue 20). :func:`tool_context`
makes the same object state directly (``model_construct``'s way for a model without fields);
tests/mcp/test_tool_call.py holds its state equal to the SDK's and the handler's answers and
logs equal to the SDK's for every way a call can fail there.
"""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.server import logger as sdk_logger
from mcp.server.subscriptions import SubscriptionBus
from mcp_types import CallToolRequestParams, CallToolResult, TextContent
from pydantic import ValidationError

_set = object.__setattr__


def tool_context(
    request_context: ServerRequestContext[Any, Any],
    server: MCPServer[Any],
    params: CallToolRequestParams,
    subscriptions: SubscriptionBus | None,
) -> Context[Any, Any]:
    """``Context(request_context=..., mcp_server=..., input_params=..., subscriptions=...)``:
    the same instance state (``__dict__``, extra, fields set, the private attributes), set
    directly rather than through the model's validator and ``__setattr__``."""
    context: Context[Any, Any] = Context.__new__(Context)
    _set(context, "__dict__", {})
    _set(context, "__pydantic_extra__", None)
    _set(context, "__pydantic_fields_set__", set())
    _set(
        context,
        "__pydantic_private__",
        {
            "_request_context": request_context,
            "_mcp_server": server,
            "_input_params": params,
            "_subscriptions": subscriptions,
        },
    )
    return context


def failed_call(name: str, exc: Exception) -> CallToolResult:
    """What ``MCPServer._handle_call_tool`` answers and logs for a call of tool ``name`` that
    raised ``exc`` (not an ``MCPError``, which it raises on): a rejected-arguments or
    tool-failure line at INFO (field names only, never the caller's values), anything else
    logged with its traceback; an ``isError`` result with the exception's text."""
    if isinstance(exc, ToolError) and not isinstance(exc, UnexpectedToolError):
        if isinstance(exc.__cause__, ValidationError):
            errors = exc.__cause__.errors()
            fields = sorted({".".join(str(part) for part in err["loc"]) for err in errors})
            sdk_logger.info("Tool %r rejected arguments: %r", name, fields)
        else:
            sdk_logger.info("Tool %r failed: %r", name, str(exc))
    else:
        sdk_logger.exception("Tool %r raised an unexpected exception", name)
    return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
