"""bench/where.py puts each sampled stack down to the right piece of the gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import where

ROOT = (
    "<module> (intervals-gateway:6);run (uvicorn/main.py:632);Runner.run (asyncio/runners.py:118)"
)
SDK = (
    f"{ROOT};RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:416)"
    ";BearerGuard.__call__ (app/mcp/auth.py:120)"
    ";JSONRPCDispatcher._handle_request (mcp/shared/jsonrpc_dispatcher.py:740)"
)
TOOL = (
    f"{SDK};GatewayServer.call_tool (app/mcp/server.py:265)"
    ";Tool.run (mcp/server/mcpserver/tools/base.py:179)"
    ";run_tool (app/mcp/tools/registry.py:181)"
)
STACKS = [
    (f"{TOOL};get_activities (app/mcp/tools/catalog/get_activities.py:74)", 10),
    (
        f"{TOOL};AthleteSession._send (app/intervals/session.py:194)"
        ";TypeAdapter.validate_json (pydantic/type_adapter.py:420)",
        20,
    ),
    (
        f"{TOOL};AiohttpTransport.send (app/intervals/transport.py:300)"
        ";StreamWriter._write (aiohttp/http_writer.py:104)",
        15,
    ),
    (
        f"{TOOL};write_access_row (app/mcp/caller.py:90)"
        ";Session.execute (sqlalchemy/orm/session.py:2300)",
        5,
    ),
    (
        f"{SDK};_dump_result (mcp/server/runner.py:123)"
        ";BaseModel.model_dump (pydantic/main.py:520)",
        25,
    ),
    (f"{SDK};BaseModel.model_dump (pydantic/main.py:520)", 0),
    (
        f"{ROOT};RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:416)"
        ";BearerGuard.__call__ (app/mcp/auth.py:120)",
        8,
    ),
    (
        f"{ROOT};ObserveRequests.__call__ (app/web/metrics.py:259)"
        ";Histogram.observe (prometheus_client/metrics.py:677)",
        2,
    ),
    (ROOT, 12),
    (
        "Thread._bootstrap (threading.py:995)"
        ";Connection.run (/srv/venv/lib/python3.11/site-packages/aiosqlite/core.py:105)",
        2,
    ),
    ("Thread._bootstrap (threading.py:995);Thread.run (threading.py:975)", 1),
]
"""Hand-made py-spy stacks (outermost frame first) and their sample counts, 100 in all."""
FOLDED = "".join(f"{stack} {count}\n" for stack, count in STACKS)


def test_each_stack_goes_to_the_piece_of_its_innermost_recognised_frame(tmp_path: Path) -> None:
    by_piece = where.shares(FOLDED.splitlines())
    assert by_piece == pytest.approx(
        {
            "upstream request and parse": 35.0,
            "MCP SDK": 25.0,
            "our tool and registry": 10.0,
            "access log / database": 7.0,
            "edge (uvicorn, starlette, middlewares, bearer guard)": 10.0,
            "event loop and native I/O": 12.0,
            "other": 1.0,
        }
    )


def test_the_table_gives_ms_per_call_when_the_cpu_per_call_is_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folded = tmp_path / "spy.txt"
    folded.write_text(FOLDED, encoding="utf-8")
    assert where.main([str(folded), "--cpu-ms-per-call", "2.0"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "| piece | share | ms per call |"
    assert "| upstream request and parse | 35.0% | 0.70 |" in rows
    assert "| other | 1.0% | 0.02 |" in rows
    assert where.table({"MCP SDK": 25.0}).splitlines()[-1] == "| MCP SDK | 25.0% |"


def test_busy_leaves_out_the_stacks_that_end_in_the_event_loop() -> None:
    by_piece = where.shares(FOLDED.splitlines(), busy=True)
    assert by_piece["event loop and native I/O"] == 0
    assert by_piece["upstream request and parse"] == pytest.approx(100 * 35 / 88)
