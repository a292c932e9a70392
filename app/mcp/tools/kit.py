"""Everything a tool module imports: one line, ``from app.mcp.tools.kit import ...``.

See app/mcp/tools/catalog/ for the tools and docs/development.md ("How to add a tool").
"""

from __future__ import annotations

from app.mcp.tools.answers import Answer, WindowAnswer, join, scale_lines
from app.mcp.tools.arguments import Detail
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import IsoDate
from app.mcp.tools.errors import ToolFailure, upstream_errors
from app.mcp.tools.numbers import rounded, whole
from app.mcp.tools.scales import describe as scaled
from app.mcp.tools.scales import legends
from app.mcp.tools.schema import optional_argument_schema
from app.mcp.tools.spec import tool
from app.mcp.tools.units import duration, with_unit
from app.scopes import READ, WRITE

__all__ = [
    "READ",
    "WRITE",
    "Answer",
    "AthleteContext",
    "Detail",
    "IsoDate",
    "ToolFailure",
    "WindowAnswer",
    "duration",
    "join",
    "legends",
    "optional_argument_schema",
    "rounded",
    "scale_lines",
    "scaled",
    "tool",
    "upstream_errors",
    "whole",
    "with_unit",
]
