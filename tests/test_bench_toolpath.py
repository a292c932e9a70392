"""bench/toolpath.py times the tool's own path over the body the tool really asks for."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_core import from_json

from bench import toolpath


@pytest.mark.parametrize("detail", [False, True])
def test_every_piece_runs_on_the_tools_own_upstream_body(detail: bool) -> None:
    body = asyncio.run(toolpath.upstream_body(3, detail))
    activities = from_json(body)
    assert len(activities) == 3 and all("start_date_local" in a for a in activities)
    assert any("elapsed_time" in a for a in activities) == detail  # only what the tool reads
    measured = [toolpath.measure(piece, 1) for piece in toolpath.pieces(body, detail)]
    assert [m.name for m in measured][-1] == "all of the above"
    assert all(m.cpu_us > 0 and m.python_calls > 0 for m in measured)
    assert measured[-1].python_calls > max(m.python_calls for m in measured[:3])
