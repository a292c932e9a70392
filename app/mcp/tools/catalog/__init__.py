"""The tools, one module each (discovered by app/mcp/tools/registry.py); modules whose name
starts with ``_`` hold answer shapes shared by several tools."""
