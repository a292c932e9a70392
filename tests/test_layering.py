"""The import contract of pyproject.toml ([tool.importlinter], run by `make lint`) holds for the
code, and fails when a tool reaches for the database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports over the ``app`` package found in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "app", tree / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_the_import_contract(tmp_path: Path) -> None:
    result = lint_imports(copy_of_the_code(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_tool_that_imports_the_database_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_of_the_code(tmp_path)
    tool = tree / "app" / "mcp" / "tools" / "catalog" / "peeks_at_the_database.py"
    tool.write_text('"""A tool that queries tables itself."""\n\nfrom app.db import models\n')
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Tools never see OAuth, the accounts, the database or the vault BROKEN" in (
        result.stdout
    )
    assert "app.mcp.tools.catalog.peeks_at_the_database -> app.db.models" in result.stdout


def test_the_oauth_server_importing_the_account_pages_breaks_the_contract(
    tmp_path: Path,
) -> None:
    tree = copy_of_the_code(tmp_path)
    grants = tree / "app" / "oauth" / "grants.py"
    grants.write_text(grants.read_text() + "\nfrom app.accounts import sessions  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "The OAuth server does not depend on the account pages BROKEN" in result.stdout
