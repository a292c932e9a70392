"""Token economy: what the model reads of the catalogue, and the budgets it is held to.

Every conversation pays for the tool definitions before the first question (MCP 2025-06-18
"Tools": ``tools/list``). What a model reads of one tool is its name, title, description and
input schema; ``annotations`` and ``outputSchema`` are for the client. Sizes are characters of
compact JSON. tests/mcp/test_catalogue.py holds every registered tool to these budgets, and
scripts/gen_tools_doc.py reports them in docs/benchmarks.md.
"""

from __future__ import annotations

import json
from typing import Any

MODEL_VISIBLE_MAX = 500
"""Characters any one read tool's (scope ``mcp.read``) model-visible definition may take."""
WRITE_MODEL_VISIBLE_MAX = 700
"""Characters any one write tool's (scope ``mcp.write``) model-visible definition may take:
writes take structured inputs whose range checks live in the schema, and they are served only
to clients that asked for ``mcp.write``."""
MODEL_VISIBLE_AVERAGE = 320
"""Characters a read tool's model-visible definition takes on average over the read tools."""
CORE_TOOLSET_MAX = 4_000
"""Characters the ``core`` toolset's model-visible definitions take in total."""
MODEL_VISIBLE_KEYS = ("name", "title", "description", "inputSchema")


def compact_size(value: Any) -> int:
    """Characters of ``value`` as compact JSON (no spaces, non-ASCII kept)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def model_visible_size(tool: dict[str, Any]) -> int:
    """Characters of what the model reads of one listed tool (a ``tools/list`` entry dumped
    by alias)."""
    return compact_size({key: tool[key] for key in MODEL_VISIBLE_KEYS if key in tool})
