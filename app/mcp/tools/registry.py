"""The tool catalogue: names, titles, annotations and required scopes, and the adapter that
turns a plain tool function into what the MCP SDK registers.

Names are those of the original single-user server, so existing prompts keep working.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from app.mcp.tools import activities, events, wellness
from app.mcp.tools.context import AthleteProvider
from app.mcp.tools.errors import ToolFailure
from app.mcp.tools.models import Answer
from app.mcp.tools.render import render
from app.mcp.tools.schema import without_titles
from app.oauth.scopes import READ

log = logging.getLogger(__name__)

ToolFunction = Callable[..., Awaitable[Answer]]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function, what clients see, and the OAuth scope a call needs."""

    name: str
    title: str
    function: ToolFunction
    scope: str = READ
    read_only: bool = True

    @property
    def description(self) -> str:
        """The function's docstring, on one line."""
        return " ".join((self.function.__doc__ or "").split())

    @property
    def annotations(self) -> ToolAnnotations:
        """MCP tool annotations (2025-06-18 ``ToolAnnotations``): reads Intervals.icu, an
        external, open world. The title is the tool's own ``title``; ``idempotentHint`` is left
        out, since the specification gives it meaning only when ``readOnlyHint`` is false."""
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=False if self.read_only else None,
            open_world_hint=True,
        )

    @property
    def output_model(self) -> type[Answer]:
        """The answer model (from the function's return annotation)."""
        answer: type[Answer] = inspect.signature(self.function, eval_str=True).return_annotation
        return answer


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("get_activities", "List activities", activities.get_activities),
    ToolSpec("get_activity_details", "Activity details", activities.get_activity_details),
    ToolSpec("get_activity_intervals", "Activity intervals", activities.get_activity_intervals),
    ToolSpec("get_wellness_data", "Wellness data", wellness.get_wellness_data),
    ToolSpec("get_events", "Calendar events", events.get_events),
    ToolSpec("get_event_by_id", "Calendar event", events.get_event_by_id),
)


def tool_scopes(specs: Sequence[ToolSpec] = TOOLS) -> dict[str, str]:
    """Tool name -> the scope a call needs (for the bearer middleware's 403 check)."""
    return {spec.name: spec.scope for spec in specs}


def error_result(message: str) -> CallToolResult:
    """An ``isError`` result with a short message for the model."""
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def answer_result(answer: Answer) -> CallToolResult:
    """``structuredContent`` without nulls plus the compact text rendering."""
    return CallToolResult(
        content=[TextContent(type="text", text=render(answer))],
        structured_content=answer.model_dump(mode="json", exclude_none=True),
    )


async def run_tool(
    spec: ToolSpec, provider: AthleteProvider, arguments: dict[str, Any]
) -> CallToolResult:
    """Open the caller's context, run the tool, and turn any failure into an ``isError`` result."""
    try:
        async with provider.open() as context:
            answer = await spec.function(context, **arguments)
    except ToolFailure as failure:
        return error_result(str(failure))
    except Exception:
        log.exception("tool %s failed unexpectedly", spec.name)
        return error_result(f"{spec.name} failed unexpectedly; try again later.")
    return answer_result(answer)


def sdk_function(spec: ToolSpec, provider: AthleteProvider) -> Callable[..., Awaitable[Any]]:
    """A function with the tool's public signature (the context parameter removed), so the SDK
    derives ``inputSchema`` from the arguments and ``outputSchema`` from the answer model."""
    signature = inspect.signature(spec.function, eval_str=True)
    public = list(signature.parameters.values())[1:]

    async def call(**arguments: Any) -> CallToolResult:
        return await run_tool(spec, provider, arguments)

    call.__signature__ = signature.replace(parameters=public)  # type: ignore[attr-defined]
    call.__name__ = spec.name
    call.__doc__ = spec.description
    return call


def build_tools(provider: AthleteProvider, specs: Sequence[ToolSpec] = TOOLS) -> list[Tool]:
    """The SDK tools, bound to ``provider``, with compact published input schemas."""
    tools = []
    for spec in specs:
        tool = Tool.from_function(
            sdk_function(spec, provider),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            structured_output=True,
        )
        tools.append(tool.model_copy(update={"parameters": without_titles(tool.parameters)}))
    return tools
