"""MCP Apps views (extension ``io.modelcontextprotocol/ui``, spec 2026-01-26 "apps.mdx"): one
self-contained HTML document per view (inline script and SVG, no network), served as a ``ui://``
resource with MIME ``text/html;profile=mcp-app``.

Each document is its view file with the shared bridge (``_runtime.js``: ``ui/initialize``,
tool input/result notifications, size changes, theme from ``hostContext``) inlined at the
``/*RUNTIME*/`` mark. URIs carry a hash of the document, so a host that cached an older view
(Claude caches view HTML at connect time) keeps a working address and a changed view gets a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

EXTENSION_ID = "io.modelcontextprotocol/ui"
APP_MIME_TYPE = "text/html;profile=mcp-app"
RUNTIME_MARK = "/*RUNTIME*/"


def _read(file: str) -> str:
    return resources.files(__package__).joinpath(file).read_text(encoding="utf-8")


@dataclass(frozen=True)
class View:
    """One view: its file, the tools whose answers it draws, and its size budget in bytes."""

    name: str
    title: str
    file: str
    tools: tuple[str, ...]
    budget_bytes: int
    series: tuple[str, ...] = ()
    """The answer's heavy fields (top level) that a client drawing this view gets only in the
    result's ``_meta``, not in ``structuredContent`` (which ChatGPT hands to the model)."""

    @cached_property
    def html(self) -> str:
        """The whole document, runtime inlined."""
        return _read(self.file).replace(RUNTIME_MARK, _read("_runtime.js"), 1)

    @cached_property
    def uri(self) -> str:
        """``ui://intervals-gateway/<name>-<12 hex of sha256(html)>.html``."""
        digest = hashlib.sha256(self.html.encode()).hexdigest()[:12]
        return f"ui://intervals-gateway/{self.name}-{digest}.html"


VIEWS: tuple[View, ...] = (
    View(
        "fitness",
        "Fitness chart",
        "fitness.html",
        ("get_fitness", "project_fitness"),
        16_000,
        series=("points",),
    ),
    View("curves", "Curves", "curves.html", ("get_curves",), 14_000),
    View("week", "Week card", "week.html", ("get_weekly_review",), 14_000),
    View("workout", "Workout preview", "workout.html", ("build_workout", "create_event"), 14_000),
    View(
        "activity",
        "Activity view",
        "activity.html",
        ("get_activity_streams",),
        14_000,
        series=("time_s", "channels"),
    ),
    View("roster", "Roster triage", "roster.html", ("get_roster_triage",), 14_000, ("rows",)),
)
"""``get_roster_triage`` comes with the coach tools; until they are served, nothing links to
the roster view."""


def view_of(tool_name: str) -> View | None:
    """The view that draws ``tool_name``'s answers, if any."""
    return next((view for view in VIEWS if tool_name in view.tools), None)
