"""What the ChatGPT and Claude directories review in every tool (docs/directories.md): a title,
all four annotation hints stated in the tool's ``@tool`` declaration with a one-line
justification kept beside it (never sent to clients), and descriptions that say what a tool does
without telling the model how to behave. Registry-driven: a new tool is checked with no edit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.mcp.server import INSTRUCTIONS
from app.mcp.tools.answers import Answer
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.registry import discover, takes_athlete
from app.mcp.tools.spec import ToolSpec, tool
from app.mcp.views.tools import APP_ONLY
from app.scopes import WRITE
from tests.mcp.test_catalogue import walk
from tests.mcp.tools.harness import BERLIN, ToolBench, coach_bench, fake_at

NOW = datetime(2026, 7, 29, 10, tzinfo=UTC)
SPECS: tuple[ToolSpec, ...] = (*discover(), *(spec for spec, _ in APP_ONLY.values()))
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")

INSTRUCTING = re.compile(
    r"\b(use this|use it|always|never|you must|you should|must|should|make sure|be sure"
    r"|remember|do not|don't|avoid|prefer|ensure|instead of|ask the user|tell the user"
    r"|important|note to the model|before calling|after calling)\b"
    r"|(^|[.;:!?]\s+)(use|call|invoke|run|ask|tell|try|please|first|only)\b",
    re.IGNORECASE,
)
"""Words and sentence openings that instruct the model rather than describe a tool. A tool
that changes data may still start with its action ("Delete a calendar event"): that is what it
does, not how the model should behave."""


async def listed() -> dict[str, dict[str, Any]]:
    """Every tool as sent: an athlete's read and write tools, and the coach toolset."""
    bench = ToolBench(fake_at(NOW), BERLIN, NOW)
    tools = {t["name"]: t for t in await bench.listed()}
    coach = coach_bench(fake_at(NOW), NOW)
    tools.update({t["name"]: t for t in await coach.listed() if t["name"] not in tools})
    return tools


def texts_the_model_reads(tool: dict[str, Any]) -> list[str]:
    """A listed tool's description and every description in its input and output schemas."""
    found = [tool.get("description", "")]
    for schema in (tool["inputSchema"], tool.get("outputSchema") or {}):
        found += [sub["description"] for _, sub in walk(schema) if "description" in sub]
    return found


async def test_every_tool_has_a_title_and_states_all_four_hints() -> None:
    tools = await listed()
    assert {s.name for s in SPECS if takes_athlete(s) or s.toolset == "coach"} - set(APP_ONLY) <= (
        set(tools)
    )
    for name, tool_ in tools.items():
        assert tool_.get("title"), f"{name}: no title"
        annotations = tool_.get("annotations") or {}
        missing = [hint for hint in HINTS if not isinstance(annotations.get(hint), bool)]
        assert missing == [], f"{name}: hints not stated: {missing}"


def test_every_tool_keeps_a_one_line_justification_of_its_hints_beside_it() -> None:
    for spec in SPECS:
        why = spec.hints_because
        assert why.strip() and "\n" not in why and len(why) <= 200, f"{spec.name}: {why!r}"


async def test_the_justification_is_never_sent_to_clients() -> None:
    sent = json.dumps(await listed())
    leaked = [spec.name for spec in SPECS if spec.hints_because in sent]
    assert leaked == []


def test_the_hints_agree_with_their_justification() -> None:
    """Read-only tools change no outside system; a tool that deletes or overwrites says so and
    is destructive (OpenAI's reading: "delete, overwrite ... including via some modes"); a write
    changes the athlete's Intervals.icu account, a third-party system: open world."""
    for spec in SPECS:
        why = spec.hints_because.lower()
        if spec.read_only:
            assert not spec.destructive and spec.idempotent and not spec.open_world, spec.name
            assert "changes nothing" in why, spec.name
        else:
            assert spec.scope == WRITE and spec.open_world, spec.name
            assert "intervals.icu" in why, spec.name
        says_destructive = re.search(r"\b(deletes?|overwrites?)\b(?! nothing)", why) is not None
        assert spec.destructive is says_destructive, f"{spec.name}: {spec.hints_because}"


async def _declare_without(missing: str) -> None:
    hints: dict[str, Any] = {
        "read_only": True,
        "destructive": False,
        "idempotent": True,
        "open_world": False,
        "hints_because": "Reads nothing; test only.",
    }
    if missing == "empty justification":
        hints["hints_because"] = " "
    else:
        del hints[missing]

    class Empty(Answer):
        pass

    async def get_nothing(ctx: AthleteContext) -> Empty:
        """Test only."""
        return Empty()

    tool(title="Nothing", toolset="core", example={}, register=False, **hints)(get_nothing)


@pytest.mark.parametrize(
    "missing",
    [
        "read_only",
        "destructive",
        "idempotent",
        "open_world",
        "hints_because",
        "empty justification",
    ],
)
async def test_a_tool_without_a_hint_or_its_justification_is_refused(missing: str) -> None:
    with pytest.raises(TypeError, match=missing.split()[-1].replace("justification", "hints")):
        await _declare_without(missing)


async def test_descriptions_describe_and_never_instruct_the_model() -> None:
    found = {
        name: [t for t in texts_the_model_reads(tool_) if INSTRUCTING.search(t)]
        for name, tool_ in (await listed()).items()
    }
    found["instructions"] = [INSTRUCTIONS] if INSTRUCTING.search(INSTRUCTIONS) else []
    assert {name: texts for name, texts in found.items() if texts} == {}


@pytest.mark.parametrize(
    "text",
    [
        "Use this tool whenever the athlete asks about sleep.",
        "Activities, newest first. Always call get_athlete_profile first.",
        "You must confirm with the athlete before writing.",
        "Wellness by day; never guess dates.",
        "Call this before any write.",
    ],
)
def test_the_description_check_catches_instructions(text: str) -> None:
    assert INSTRUCTING.search(text)


def test_the_description_check_lets_descriptions_of_actions_pass() -> None:
    for text in (
        "Delete a calendar event (undo_changes can re-create it). Previews; applies with confirm.",
        "Activities between two dates (default: last 30 days), newest first.",
        "Intervals.icu workout text, duration and load; saves nothing (ftp: for w).",
    ):
        assert not INSTRUCTING.search(text), text


VERBS = {
    "get",
    "list",
    "search",
    "build",
    "check",
    "compare",
    "analyze",
    "project",
    "create",
    "delete",
    "move",
    "save",
    "schedule",
    "set",
    "undo",
    "update",
    "upsert",
    "chart",
}


def test_tool_names_are_short_verbs() -> None:
    """Directories: names up to 64 characters, a verb first, nothing promotional."""
    for spec in SPECS:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,63}", spec.name), spec.name
        assert spec.name.split("_")[0] in VERBS, spec.name


def test_the_directories_page_cites_only_tests_that_exist() -> None:
    """docs/directories.md names its proofs as `file::test`, `::test` (same file) or `test`
    after a file: each must exist, so the page cannot point at a renamed test."""
    root = Path(__file__).resolve().parents[2]
    page = (root / "docs" / "directories.md").read_text()
    current, missing, cited = "", [], 0
    for token in re.findall(r"`([^`]+)`", page):
        file, _, name = token.partition("::")
        if file.startswith("tests/") and file.endswith(".py"):
            current = file
            if not (root / file).is_file():
                missing.append(file)
                continue
        elif file or not name:
            if not re.fullmatch(r"test_\w+", token):
                continue
            name = token
        if name:
            cited += 1
            source = (root / current).read_text()
            if not re.search(rf"def {re.escape(name)}\(", source):
                missing.append(f"{current}::{name}")
    assert missing == [] and cited >= 20
