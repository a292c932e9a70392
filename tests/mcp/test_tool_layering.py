"""The tool layer (app/mcp/tools/**) stays free of OAuth, the database, HTTP frameworks and the
HTTP client: tools see the acting athlete's context only. Checked on the source of every module,
so a new tool file that imports e.g. ``app.db`` fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "app" / "mcp" / "tools"
FORBIDDEN = (
    "app.oauth",
    "app.db",
    "app.accounts",
    "app.vault",
    "app.web",
    "app.keyring",
    "app.mcp.auth",
    "app.mcp.caller",
    "app.mcp.identity",
    "app.mcp.server",
    "sqlalchemy",
    "starlette",
    "fastapi",
    "httpx",
)


def imported_modules(source: str) -> list[str]:
    """Every module a source file imports, at any depth (function-level imports included)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def forbidden_imports(source: str) -> list[str]:
    return [
        name
        for name in imported_modules(source)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]


def test_the_checker_catches_a_tool_that_imports_the_database() -> None:
    source = "from app.db.models import Athlete\nasync def f():\n    import httpx\n"
    assert forbidden_imports(source) == ["app.db.models", "httpx"]


def test_no_tool_module_imports_oauth_the_database_or_http() -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted(TOOLS.rglob("*.py"))
        if (bad := forbidden_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
