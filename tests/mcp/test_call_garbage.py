"""A tool call's objects are freed when the call ends, not left in reference cycles for the
cyclic garbage collector: every object left in a cycle is work for a later collection, and the
collections that sweep up many calls' worth of them land as pauses in the slowest calls (the
one-client p99 in docs/benchmarks.md). Served by a live gateway in this process, so the test
sees the server's objects; the collector is paused while the calls run, so whatever is still
unreachable afterwards is exactly what the calls left in cycles."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.mcp.support import BERLIN
from tests.mcp.test_fast_path import (
    LEGACY,
    MODERN,
    MOMENT,
    call,
    fast_path,
    gateway,
    headers_for,
    send,
    tool_examples,
)

CALLS = 20
SERVER_PACKAGES = ("app.", "mcp.", "mcp_types.", "anyio.", "contextlib.")
"""Where the server side's per-call objects come from (the test's own client is httpx2)."""


@contextmanager
def cyclic_garbage() -> Iterator[Counter[str]]:
    """The types of the objects the block leaves in unreachable reference cycles, counted
    (filled in when the block ends): the collector is paused while the block runs and then
    made to keep what it finds (``gc.DEBUG_SAVEALL``) instead of freeing it. Everything the
    collector tracks when the block starts is frozen (``gc.freeze``) meanwhile, so the
    collection looks at the block's own objects only, however large the test process has
    grown (a full collection of the whole suite's process takes seconds)."""
    found: Counter[str] = Counter()
    gc.freeze()
    gc.disable()
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found.update(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()
        gc.enable()


def server_side(found: Counter[str]) -> dict[str, int]:
    return {name: n for name, n in found.items() if name.startswith(SERVER_PACKAGES)}


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_a_tool_call_leaves_nothing_for_the_cyclic_collector(
    tmp_path: Path, database_url: str, era: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        gw.fake.upload_activity(BERLIN.id, name="Morning run")
        today = MOMENT.date().isoformat()
        body = call("get_activities", {"start_date": today, "end_date": today}, era)
        headers = headers_for(caller.token, body, era)
        await send(gw, body, headers)  # warm: pools, caches, first-use imports
        answered = fast_path(gw).one_pass
        with cyclic_garbage() as found:
            for _ in range(CALLS):
                response = await send(gw, body, headers)
                assert "Morning run" in response.text
        assert fast_path(gw).one_pass == answered + CALLS
    assert server_side(found) == {}


async def test_no_tool_leaves_its_call_for_the_cyclic_collector(
    tmp_path: Path, database_url: str
) -> None:
    """Every served tool's own example call, answered or refused, reads or writes."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN, scope="mcp.read mcp.write")
        left = {}
        for name, body, headers in tool_examples(gw, caller.token, LEGACY):
            await send(gw, body, headers)  # warm
            with cyclic_garbage() as found:
                for _ in range(2):
                    assert (await send(gw, body, headers)).status_code == 200, name
            left[name] = server_side(found)
    assert {name: objects for name, objects in left.items() if objects} == {}
