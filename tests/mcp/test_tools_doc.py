"""docs/tools.md and the tools/list sizes in docs/benchmarks.md are generated from the registry
(scripts/gen_tools_doc.py) and must stay in sync."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_tools_doc", ROOT / "scripts" / "gen_tools_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_generated_pages_match_the_generator() -> None:
    for path, page in (await generator().pages()).items():
        committed = path.read_text(encoding="utf-8")
        assert committed == page, f"{path.name} is out of date: run scripts/gen_tools_doc.py"


async def test_every_tool_is_documented_with_an_example() -> None:
    page = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    from app.mcp.tools.registry import discover

    for spec in discover():
        section = page.split(f"## `{spec.name}`")[1].split("\n## ")[0]
        assert "Example call" in section and "```json" in section and "```text" in section


def test_typical_answers_stay_compact() -> None:
    """Token economy: the example answers (structured + text) stay small."""
    page = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")
    for block in page.split("```text")[1:]:
        assert len(block.split("```")[0]) < 2000
