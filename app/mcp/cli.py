"""The ``stdio`` command: run the tools for one athlete on stdin/stdout (Claude Desktop)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import anyio

from app.settings import Settings


def cmd_stdio(settings: Settings, _args: argparse.Namespace) -> int:
    """Serve the MCP tools over stdio with the key from INTERVALS_API_KEY (no database)."""
    from app.mcp.server import served_specs
    from app.mcp.stdio import StdioConfig, StdioConfigError, serve_stdio
    from app.mcp.tools.limits import AnswerLimits
    from app.settings import SettingsError

    try:
        config = StdioConfig.from_env(os.environ, settings.intervals_api_base_url)
        specs = served_specs(settings)  # GATEWAY_TOOLSETS applies here too
    except (StdioConfigError, SettingsError) as error:
        print(f"intervals-gateway stdio: {error}", file=sys.stderr)
        return 2
    anyio.run(serve_stdio, config, specs, AnswerLimits.from_settings(settings))
    return 0


def add_stdio_command(sub: Any) -> None:
    """Register ``intervals-gateway stdio`` on the CLI's subparsers."""
    stdio = sub.add_parser(
        "stdio",
        help="serve the MCP tools for one athlete on stdin/stdout (Claude Desktop)",
        description="Reads INTERVALS_API_KEY (or API_KEY), INTERVALS_ATHLETE_ID (or ATHLETE_ID) "
        "and INTERVALS_API_BASE_URL from the environment; needs no database.",
    )
    stdio.set_defaults(handler=cmd_stdio)
