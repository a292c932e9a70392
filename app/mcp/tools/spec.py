"""A tool's declaration: the ``@tool`` decorator and the :class:`ToolSpec` it records.

A tool module under app/mcp/tools/catalog/ declares everything about its tool in one place: the
name (the function's), title, description (the docstring: it describes, never instructs the
model), input (the typed arguments after the context), answer model (the return annotation),
scope, the MCP annotation hints (2025-06-18 "Tool annotations"; all four always explicit, with a
one-line justification ``hints_because`` for the directories' reviewers that is never sent to
clients), its toolset, an example call and which arguments are ids that must belong to the
acting athlete. app/mcp/tools/registry.py
discovers the modules; nothing else lists tools.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp_types import ToolAnnotations

from app.mcp.tools.answers import Answer
from app.scopes import READ, WRITE

ToolFunction = Callable[..., Awaitable[Answer]]
Example = Mapping[str, Any] | Callable[[Any, str], Mapping[str, Any]]
"""The arguments of an example call, or a function of (fake Intervals.icu app, athlete id)
returning them when they need ids of that athlete's objects (tests/fake_intervals)."""

TOOLSETS: dict[str, str] = {
    "core": "everyday questions: profile, recent activities, wellness, calendar",
    "activities": "completed activities, their intervals and details",
    "wellness": "daily wellness: fitness, fatigue, form, sleep, how you felt",
    "calendar": "planned workouts, races and notes",
    "library": "workout library and plans",
    "analytics": "curves, best efforts, summaries",
    "coach": "athletes who share their data with you",
    "settings": "sport settings: FTP, thresholds, zones",
    "changes": "changes made through this gateway, and their undo (served with any write tool)",
}
"""Every toolset a tool may belong to, in ``tools/list`` order; GATEWAY_TOOLSETS picks some."""
COACH_TOOLSET = "coach"
"""Tools about a coach's whole roster: listed only for callers with a roster (app/coach)."""
DATA_CATEGORIES: dict[str, tuple[str, ...]] = {
    "wellness": ("wellness", "triage"),
    "activities": ("activit", "session", "effort", "curve", "histogram", "stream", "interval"),
    "calendar": ("event", "plan", "calendar", "schedule"),
    "library": ("workout", "folder", "library"),
    "fitness": (
        "fitness",
        "load",
        "readiness",
        "summary",
        "review",
        "goal",
        "distribution",
        "triage",
    ),
    "profile": ("profile", "athlete", "gear", "sport_settings"),
    "changes": ("changes",),
}
"""The data categories the access log names (issue 18), each with the words of the tool names
that read or change it; a tool may declare its own with ``categories=``."""
CHANGES_TOOLSET = "changes"
"""Served automatically whenever any write tool is (app/mcp/tools/registry.py ``served``)."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its function, what clients see, the scope a call needs, and its example."""

    name: str
    title: str
    function: ToolFunction
    toolset: str
    example: Example
    scope: str = READ
    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False
    hints_because: str = ""
    """Why the four hints are what they are, in one line (docs/directories.md; not sent)."""
    owned: Mapping[str, str] = field(default_factory=dict)
    """Argument name -> what it names ("activity"): ids that must belong to the acting athlete."""
    declared_categories: tuple[str, ...] = ()
    """The data categories a call touches, when the tool declares them (else :attr:`categories`
    derives them from the name)."""

    @property
    def categories(self) -> tuple[str, ...]:
        """The data categories (:data:`DATA_CATEGORIES`) a call of this tool touches, as the
        access log shows them: declared, or those whose words appear in the tool's name, or
        else its toolset."""
        if self.declared_categories:
            return self.declared_categories
        found = tuple(
            category
            for category, words in DATA_CATEGORIES.items()
            if any(word in self.name for word in words)
        )
        return found or (self.toolset,)

    @property
    def description(self) -> str:
        """The function's docstring, on one line."""
        return " ".join((self.function.__doc__ or "").split())

    @property
    def annotations(self) -> ToolAnnotations:
        """MCP tool annotations, all four hints explicit (the ChatGPT and Claude directories
        require ``readOnlyHint``, ``destructiveHint`` and ``openWorldHint`` on every tool and
        review their truth; ``idempotentHint`` is sent too rather than left to a client's
        default). Meanings as OpenAI's app review reads them (docs/directories.md): read-only
        changes nothing; destructive deletes or overwrites, in any mode; open world changes a
        third-party system (the athlete's Intervals.icu account)."""
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )

    @property
    def answer(self) -> type[Answer]:
        """The answer model (the function's return annotation)."""
        answer: type[Answer] = inspect.signature(self.function, eval_str=True).return_annotation
        return answer

    def example_arguments(self, fake: Any, athlete_id: str) -> dict[str, Any]:
        """The example call's arguments, for ``athlete_id`` in the fake Intervals.icu app."""
        example = self.example(fake, athlete_id) if callable(self.example) else self.example
        return dict(example)

    def problems(self) -> list[str]:
        """What is inconsistent in this declaration (empty when it is sound)."""
        found = []
        if self.toolset not in TOOLSETS:
            found.append(f"unknown toolset {self.toolset!r}")
        if self.scope not in (READ, WRITE):
            found.append(f"unknown scope {self.scope!r}")
        if self.read_only and (self.scope != READ or self.destructive):
            found.append("a read-only tool needs mcp.read and is never destructive")
        if not self.read_only and self.scope != WRITE:
            found.append("a tool that changes data needs mcp.write")
        if self.read_only and self.open_world:
            found.append("a read-only tool changes no outside system (openWorldHint false)")
        if not self.hints_because.strip() or "\n" in self.hints_because:
            found.append("hints_because: one line saying why the hints are what they are")
        parameters = list(inspect.signature(self.function).parameters)[1:]
        found += [f"owned id {n!r} is not an argument" for n in self.owned if n not in parameters]
        if "athlete_id" in parameters or "athlete" in parameters:
            found.append("the athlete is never an argument (the server resolves it)")
        return found


REGISTERED: dict[str, ToolSpec] = {}
"""Every tool declared with ``@tool`` so far (filled as catalog modules are imported)."""


def tool(
    *,
    title: str,
    toolset: str,
    example: Example,
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool,
    hints_because: str,
    scope: str = READ,
    owned: Mapping[str, str] | None = None,
    categories: tuple[str, ...] = (),
    register: bool = True,
) -> Callable[[ToolFunction], ToolFunction]:
    """Declare a tool (see the module docstring); the function is returned unchanged.

    The four hints and ``hints_because`` have no defaults: every tool states them (the
    directories review each one). ``register=False`` builds the spec without adding it to the
    catalogue (tests attach it to the function as ``__tool_spec__``)."""

    def declare(function: ToolFunction) -> ToolFunction:
        spec = ToolSpec(
            name=function.__name__,
            title=title,
            function=function,
            toolset=toolset,
            example=example,
            scope=scope,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
            hints_because=hints_because,
            owned=dict(owned or {}),
            declared_categories=categories,
        )
        problems = spec.problems()
        if problems:
            raise TypeError(f"tool {spec.name}: " + "; ".join(problems))
        if register:
            if spec.name in REGISTERED and REGISTERED[spec.name].function is not function:
                raise TypeError(f"tool {spec.name} is declared twice")
            REGISTERED[spec.name] = spec
        function.__tool_spec__ = spec  # type: ignore[attr-defined]
        return function

    return declare


def spec_of(function: ToolFunction) -> ToolSpec:
    """The spec ``@tool`` recorded for ``function``."""
    spec: ToolSpec = function.__tool_spec__  # type: ignore[attr-defined]
    return spec
