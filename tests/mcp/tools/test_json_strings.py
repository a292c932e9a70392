"""JSON inside string arguments (app/mcp/tools/json_strings.py): every tool reads a string
argument exactly as the SDK's ``pre_parse_json`` reads it, parsing only a string that may
change; a list sent as a JSON string still works."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata

from app.mcp.server import build_server
from app.mcp.tools.json_strings import StringArguments
from tests.mcp.tools.activity_picks import newest
from tests.mcp.tools.harness import AUCKLAND, ToolBench

AWKWARD: list[Any] = [
    "[1, 2]",
    ' \n\t\r["watts"]',
    '{"a": 1}',
    "null",
    "  null",
    "nul",
    "nan",
    "n",
    "true",
    "false",
    "1",
    "-1.5",
    "1e400",
    "NaN",
    "-Infinity",
    '"quoted"',
    '"[1]"',
    "2026-07-29",
    "i170317118",
    "",
    "   ",
    "\ufeff[1]",
    "\u00a0[1]",
    "\x0b[1]",
    "[1",
    "{",
    "[" * 100_000,
    "[]x",
    1,
    None,
    [1],
    {"a": "[1]"},
]
"""Strings the SDK parses and keeps, parses and drops, fails to parse or overflows on, and
values that are not strings."""


class NoAthletes:
    def open(self) -> Any:
        raise AssertionError("no tool runs here")

    async def record_call(self, call: Any) -> None:
        return None


def sdk_reading(metadata: FuncMetadata, data: dict[str, Any]) -> Any:
    """What the SDK's own ``pre_parse_json`` returns for ``data`` (or the error it raises)."""
    try:
        return FuncMetadata.pre_parse_json(metadata, data)
    except Exception as error:
        return type(error)


def our_reading(metadata: FuncMetadata, data: dict[str, Any]) -> Any:
    try:
        return metadata.pre_parse_json(data)
    except Exception as error:
        return type(error)


def test_every_tool_reads_string_arguments_as_the_sdk_does() -> None:
    server = build_server(NoAthletes())
    for tool in server._tool_manager.list_tools():
        metadata = tool.fn_metadata
        assert isinstance(metadata, StringArguments), tool.name
        for name in metadata.arg_model.model_fields:
            for value in AWKWARD:
                data = {name: value}
                ours = our_reading(metadata, data)
                assert ours == sdk_reading(metadata, data), (tool.name, name, repr(value)[:20])
                assert ours is not data  # a copy, as the SDK's


@pytest.mark.parametrize("sent", [["watts"], '["watts"]', ' ["watts"]'])
async def test_a_list_sent_as_a_json_string_is_read_as_the_list(
    bench: ToolBench, sent: Any
) -> None:
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    result = await bench.call(
        "get_activity_streams", {"activity_id": ride["id"], "points": 5, "channels": sent}
    )
    assert not result.is_error, result.text
    assert result.structured is not None
    assert [c["channel"] for c in result.structured["channels"]] == ["watts"]
