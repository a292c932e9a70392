"""The tool catalogue: discovered from app/mcp/tools/catalog/, filtered into what is served,
and adapted into what the MCP SDK registers. No tool names appear here.

Names of the six original tools are those of the original single-user server, so existing
prompts keep working.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextvars import ContextVar
from functools import cache
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from app.intervals.answer_cache import recording_fetches
from app.mcp.tools import catalog
from app.mcp.tools.answers import Answer
from app.mcp.tools.context import AthleteContext, AthleteProvider, CallRecorder, ToolCall
from app.mcp.tools.errors import ToolFailure
from app.mcp.tools.json_strings import with_string_arguments
from app.mcp.tools.limits import (
    AnswerLimits,
    EncodedStructure,
    fit,
    published_answer,
    with_key,
)
from app.mcp.tools.schema import without_defs, without_false_defaults, without_titles
from app.mcp.tools.spec import CHANGES_TOOLSET, COACH_TOOLSET, REGISTERED, TOOLSETS, ToolSpec
from app.observe import observer
from app.scopes import READ, WRITE

log = logging.getLogger(__name__)

VIEW_DATA_KEY = "intervals-gateway/view"
"""The result ``_meta`` key carrying the whole answer for an MCP Apps view (never the model)."""
view_data_wanted: ContextVar[bool] = ContextVar("view_data_wanted", default=False)
"""Set by the server for one call when the client renders this tool's view (app/mcp/apps.py)."""


@cache
def discover() -> tuple[ToolSpec, ...]:
    """Import every module of the catalog package (``_``-prefixed ones hold shared shapes) and
    return the declared tools, by toolset (in :data:`TOOLSETS` order), then by name."""
    for module in pkgutil.iter_modules(catalog.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{catalog.__name__}.{module.name}")
    order = list(TOOLSETS)
    return tuple(sorted(REGISTERED.values(), key=lambda s: (order.index(s.toolset), s.name)))


def unknown_toolsets(names: Collection[str]) -> list[str]:
    """The names that are not toolsets (for a clear startup error)."""
    return [name for name in names if name not in TOOLSETS]


def served(
    toolsets: Collection[str] | None = None, specs: Sequence[ToolSpec] | None = None
) -> tuple[ToolSpec, ...]:
    """The tools of the enabled toolsets (all when ``toolsets`` is None). Whenever a write tool
    is served, the ``changes`` toolset (list_changes, undo_changes) is served with it: every
    change can be reviewed and undone."""
    specs = discover() if specs is None else specs
    if toolsets is None:
        return tuple(specs)
    unknown = unknown_toolsets(toolsets)
    if unknown:
        raise ValueError(f"unknown toolsets {unknown}; choose from {', '.join(TOOLSETS)}")
    enabled = set(toolsets)
    if any(spec.toolset in enabled and spec.scope == WRITE for spec in specs):
        enabled.add(CHANGES_TOOLSET)
    return tuple(spec for spec in specs if spec.toolset in enabled)


def tool_scopes(specs: Sequence[ToolSpec] | None = None) -> dict[str, str]:
    """Tool name -> the scope a call needs (for the bearer middleware's 403 check)."""
    return {spec.name: spec.scope for spec in (discover() if specs is None else specs)}


def scopes_in_use(toolsets: Collection[str] | None = None) -> frozenset[str]:
    """The scopes some served tool needs (the consent page pre-ticks only these)."""
    return frozenset(spec.scope for spec in served(toolsets))


def visible(specs: Sequence[ToolSpec], scopes: Collection[str] | None) -> list[ToolSpec]:
    """The tools a caller with ``scopes`` may see and call (None: a local, unscoped caller)."""
    return [spec for spec in specs if scopes is None or spec.scope in scopes]


def error_result(message: str) -> CallToolResult:
    """An ``isError`` result with a short message for the model."""
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


ATHLETE_ARGUMENT = "athlete"
"""The platform's argument naming a roster athlete (only coaches see it; app/mcp/server.py)."""
ATHLETE_ARGUMENT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "An athlete on your roster (id or name) to act for; omit for yourself.",
}


def takes_athlete(spec: ToolSpec) -> bool:
    """Whether a coach may name a roster athlete for this tool (the coach toolset's tools are
    about the whole roster and take none)."""
    return spec.toolset != COACH_TOOLSET


def answer_result(
    answer: Answer,
    limits: AnswerLimits | None = None,
    about: str | None = None,
    series: tuple[str, ...] = (),
    as_of: str | None = None,
    cached: bool = False,
) -> CallToolResult:
    """``structuredContent`` without nulls plus the answer's compact text, both held to
    ``limits`` (app/mcp/tools/limits.py: cut, and saying so, when larger). ``about`` (a coach
    acting for a roster athlete) opens the text and is in ``_meta.athlete``. For a client
    drawing the tool's view (MCP Apps), the whole answer is in ``_meta`` and ``series`` (its
    heavy fields) are left out of ``structuredContent``, which the host may show the model.
    ``as_of`` (when the oldest Intervals.icu answer used was fetched, UTC; the call's time
    for live data; None when the tool read nothing upstream) is ``structuredContent.as_of``.
    Only a ``cached`` answer (one drawn from the answer cache) spends text on it: a closing
    ``as of <time> (cached)`` line; a live answer's text says nothing, so "live" and "cached
    at T" differ in the text a model reads at no cost to live answers. One place for every
    tool."""
    fitted = fit(answer, limits or AnswerLimits())
    structured, encoded = fitted.structured, fitted.encoded
    text = fitted.text
    if as_of is not None:
        if encoded is not None and "as_of" not in structured:
            encoded = with_key(encoded, "as_of", as_of)
        else:
            encoded = None
        structured = {**structured, "as_of": as_of}
        if cached:
            text = f"{text}\nas of {as_of} (cached)"
    meta: dict[str, Any] = {}
    if view_data_wanted.get():  # the full series, for the view only (MCP Apps "_meta")
        meta[VIEW_DATA_KEY] = answer.model_dump(mode="json", exclude_none=True)
        structured = {key: value for key, value in structured.items() if key not in series}
        encoded = None
    if about is not None:
        meta["athlete"] = about
        text = f"About {about}:\n{text}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured if encoded is None else EncodedStructure(structured, encoded),
        meta=meta or None,
    )


def shared_view(answer: Answer, context: AthleteContext) -> Answer:
    """The answer without what the acting athlete hides from the caller (their
    :class:`~app.coach.policy.SharingPolicy`), rebuilt through its model so text and
    structured content agree. An answer that cannot exist without a hidden field is refused.
    A policy hiding nothing (the caller's own data, every call of an athlete) is seen without
    reading the clock."""
    if not context.sharing.hidden:
        return answer
    now = context.now()
    if not context.sharing.hidden_now(now):
        return answer
    data = context.sharing.filter(answer.model_dump(mode="json"), now)
    try:
        return type(answer).model_validate(data)
    except ValidationError:
        raise ToolFailure(
            f"{context.about or 'This athlete'} does not share this with you."
        ) from None


async def run_tool(
    spec: ToolSpec,
    provider: AthleteProvider,
    arguments: dict[str, Any],
    limits: AnswerLimits | None = None,
    series: tuple[str, ...] = (),
    *,
    recorder: CallRecorder | None = None,
) -> CallToolResult:
    """Open the caller's context, run the tool, and turn any failure into an ``isError`` result.
    Every call that ends here is recorded by a :class:`CallRecorder` provider (the access log:
    the one place tool calls are logged, never per tool); ``recorder``: the provider as one,
    when the caller already checked (:func:`sdk_function`, once per tool, not per call)."""
    if recorder is None and isinstance(provider, CallRecorder):
        recorder = provider
    outcome, acting, reached = "failed", None, set[str]()
    try:
        async with provider.open() as context:
            acting, reached = context.athlete_id, context.reached
            with recording_fetches(context.now) as fetches:
                answer = shared_view(await spec.function(context, **arguments), context)
        result = answer_result(
            answer, limits, context.about, series, fetches.as_of(), fetches.cached()
        )
        outcome = "ok"
        observer().tool_call(spec.name, "ok")
        return result
    except ToolFailure as failure:
        outcome = "refused"
        observer().tool_call(spec.name, "error")
        return error_result(str(failure))
    except Exception:
        log.exception("tool %s failed unexpectedly", spec.name)
        observer().tool_call(spec.name, "unexpected")
        return error_result(f"{spec.name} failed unexpectedly; try again later.")
    finally:
        if recorder is not None:
            await record(recorder, call_of(spec, outcome, acting, reached))


async def record(recorder: CallRecorder, call: ToolCall) -> None:
    """Record a finished call; a failing recorder never replaces the call's answer."""
    try:
        await recorder.record_call(call)
    except Exception:
        log.exception("access log entry of %s not recorded", call.tool)


def call_of(
    spec: ToolSpec, outcome: str, acting: str | None = None, reached: Collection[str] = ()
) -> ToolCall:
    """The access-log view of a call of ``spec`` for ``acting`` and the roster athletes it
    ``reached`` (its data categories, read or write)."""
    mode = "read" if spec.read_only else "write"
    also = tuple(sorted(set(reached) - {acting} if acting else set(reached))) if reached else ()
    return ToolCall(spec.name, categories_of(spec), mode, outcome, athlete_id=acting, also_for=also)


_CATEGORIES: dict[int, tuple[ToolSpec, tuple[str, ...]]] = {}


def categories_of(spec: ToolSpec) -> tuple[str, ...]:
    """``spec.categories``, derived once per spec (specs are frozen), not on every call."""
    kept = _CATEGORIES.get(id(spec))
    if kept is not None and kept[0] is spec:
        return kept[1]
    found = spec.categories
    _CATEGORIES[id(spec)] = (spec, found)
    return found


def sdk_function(
    spec: ToolSpec,
    provider: AthleteProvider,
    limits: AnswerLimits | None = None,
    series: tuple[str, ...] = (),
) -> Callable[..., Awaitable[Any]]:
    """A function with the tool's public signature (the context parameter removed), so the SDK
    derives ``inputSchema`` from the arguments and ``outputSchema`` from the answer model (with
    the size guard's ``truncated`` note, and ``series`` optional: see :func:`answer_result`)."""
    signature = inspect.signature(spec.function, eval_str=True)
    public = list(signature.parameters.values())[1:]
    recorder = provider if isinstance(provider, CallRecorder) else None  # a costly check

    async def call(**arguments: Any) -> CallToolResult:
        return await run_tool(spec, provider, arguments, limits, series, recorder=recorder)

    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=public, return_annotation=published_answer(spec.answer, series)
    )
    call.__name__ = spec.name
    call.__doc__ = spec.description
    return call


def published_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool's ``inputSchema`` as the model reads it: no generated titles, models inlined, no
    ``default: false`` on flags (app/mcp/tools/schema.py)."""
    return without_false_defaults(without_defs(without_titles(parameters)))


def security_schemes(spec: ToolSpec) -> list[dict[str, Any]]:
    """The OAuth scopes a call needs, as ChatGPT's per-tool ``securitySchemes`` (OpenAI Apps
    SDK "Authentication"; the MCP SDK has no field for it, so it travels in ``_meta``)."""
    scopes = [READ] if spec.scope == READ else [READ, spec.scope]
    return [{"type": "oauth2", "scopes": scopes}]


def build_tools(
    provider: AthleteProvider,
    specs: Sequence[ToolSpec],
    limits: AnswerLimits | None = None,
    series_of: Callable[[str], tuple[str, ...]] | None = None,
) -> list[Tool]:
    """The SDK tools, bound to ``provider``, with compact published input schemas, their
    answers held to ``limits``; ``series_of`` names a tool's view series (app/mcp/apps.py)."""
    tools = []
    for spec in specs:
        tool = Tool.from_function(
            sdk_function(spec, provider, limits, series_of(spec.name) if series_of else ()),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            meta={"securitySchemes": security_schemes(spec)},
            structured_output=True,
        )
        published = tool.model_copy(update={"parameters": published_arguments(tool.parameters)})
        tools.append(with_string_arguments(without_result_validation(published)))
    return tools


def without_result_validation(tool: Tool) -> Tool:
    """``tool`` still publishing its ``outputSchema`` but without the SDK validating each
    result's ``structuredContent`` against it again: :func:`answer_result` builds it from the
    answer's own model (validated when built, and again when cut or filtered), so a second
    pass over every answer on the hot path checks nothing new (issue 20). The SDK reads the
    field live (mcp ``FuncMetadata``: a schema without a model is published, not validated)."""
    tool.fn_metadata.output_model = None
    return tool
