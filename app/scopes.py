"""The MCP scope names (RFC 6749 §3.3), in a module with no dependencies.

The tool layer declares which scope each tool needs; the OAuth layer issues them
(app/oauth/scopes.py re-exports these names with their plain-word meaning). Keeping the names
here lets tools say ``READ``/``WRITE`` without importing the OAuth package.
"""

from __future__ import annotations

READ = "mcp.read"
WRITE = "mcp.write"
SUPPORTED: tuple[str, ...] = (READ, WRITE)
