"""The MCP layer: `/mcp` (streamable HTTP), legacy SSE and stdio transports over one set of tools.

request -> bearer verification (auth.py) -> caller identity -> credential resolution (caller.py)
-> tool (tools/) -> Intervals.icu client -> compact answer.
"""
