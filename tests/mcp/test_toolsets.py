"""Toolsets and scopes decide what a client sees: GATEWAY_TOOLSETS picks the served toolsets,
and each caller's ``tools/list`` is those filtered by the token's scopes. A test-only write tool
is declared here (not registered in the catalogue) so these checks do not depend on which real
write tools exist (tests/mcp/test_writes_e2e.py covers those)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.main import create_app
from app.mcp.identity import Caller, current_caller
from app.mcp.tools.kit import WRITE, Answer, AthleteContext, tool
from app.mcp.tools.registry import discover
from app.mcp.tools.spec import spec_of
from app.settings import SettingsError
from tests.conftest import make_settings
from tests.mcp.tools.harness import BERLIN, ToolBench, fake_at

NOW = datetime(2026, 7, 29, 10, tzinfo=UTC)


class Written(Answer):
    note: str


@tool(
    title="Write a note",
    toolset="calendar",
    example={"text": "hello"},
    scope=WRITE,
    read_only=False,
    destructive=False,
    idempotent=False,
    open_world=True,
    hints_because="Test only: would add a note to the athlete's Intervals.icu calendar.",
    register=False,
)
async def add_test_note(ctx: AthleteContext, text: str) -> Written:
    """Test only: pretends to add a note to your calendar, to check write-scope handling."""
    return Written(note=text)


WITH_WRITE = (*discover(), spec_of(add_test_note))


def bench(scopes: set[str] | None) -> ToolBench:
    return ToolBench(fake_at(NOW), BERLIN, NOW, specs=WITH_WRITE, scopes=scopes)


async def test_a_read_only_token_never_sees_or_runs_a_write_tool() -> None:
    reader = bench({"mcp.read"})
    names = [t["name"] for t in await reader.listed()]
    refused = await reader.call("add_test_note", {"text": "x"})
    assert "add_test_note" not in names and "get_activities" in names
    assert refused.is_error and refused.text == (
        "add_test_note needs the mcp.write scope, which this connection lacks."
    )


async def test_a_write_token_sees_the_write_tool_with_its_hints() -> None:
    writer = bench({"mcp.read", "mcp.write"})
    tools = {t["name"]: t for t in await writer.listed()}
    assert tools["add_test_note"]["annotations"] == {
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert (await writer.call("add_test_note", {"text": "x"})).structured == {"note": "x"}


async def test_a_token_without_scopes_sees_nothing() -> None:
    assert await bench(set()).listed() == []


def test_a_write_tool_declared_read_only_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match=r"read-only tool needs mcp\.read"):
        tool(
            title="x",
            toolset="calendar",
            example={},
            scope=WRITE,
            read_only=True,
            destructive=False,
            idempotent=True,
            open_world=False,
            hints_because="x",
            register=False,
        )(add_test_note)


async def test_gateway_toolsets_setting_chooses_the_served_tools(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, toolsets="wellness, calendar")
    server = create_app(settings).state.mcp.server
    token = current_caller.set(
        Caller(1, BERLIN.id, BERLIN.timezone, "c", 1, frozenset({"mcp.read"}))
    )
    try:
        names = {t.name for t in await server.list_tools()}
    finally:
        current_caller.reset(token)
    assert names == {
        s.name
        for s in discover()
        if s.toolset in ("wellness", "calendar", "changes") and s.scope == "mcp.read"
    }
    assert await server.list_tools() == []  # no verified caller: the HTTP server lists nothing


def test_an_unknown_toolset_stops_startup_with_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="unknown toolset 'gear'; choose from core"):
        create_app(make_settings(tmp_path, toolsets="wellness,gear"))


def test_stdio_refuses_an_unknown_toolset_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from argparse import Namespace

    from app.mcp.cli import cmd_stdio

    monkeypatch.setenv("INTERVALS_API_KEY", "some-key")
    assert cmd_stdio(make_settings(tmp_path, toolsets="wellnes"), Namespace()) == 2
    assert "GATEWAY_TOOLSETS: unknown toolset 'wellnes'" in capsys.readouterr().err
