"""``upstream_errors`` (app/mcp/tools/errors.py), the block every tool puts around its
Intervals.icu calls: an expected failure leaves as the one plain message naming what was asked
for, raised from None; anything else leaves as it was raised."""

from __future__ import annotations

import asyncio

import pytest

from app.intervals import errors as upstream
from app.mcp.tools.errors import ToolFailure, UpstreamSlow, upstream_errors


async def test_an_expected_failure_names_what_was_asked_for_and_hides_its_cause() -> None:
    original = upstream.UpstreamUnavailable("HTTP 503 from https://intervals.icu/api/v1/...")
    with pytest.raises(ToolFailure) as raised:
        async with upstream_errors("activity i1"):
            raise original
    assert str(raised.value) == "Intervals.icu is not answering right now; try again in a minute."
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert raised.value.__context__ is original


async def test_a_timeout_and_a_bad_value_read_as_their_own_answers() -> None:
    with pytest.raises(UpstreamSlow):
        async with upstream_errors("your activities"):
            raise upstream.UpstreamTimeout("read timeout")
    with pytest.raises(ToolFailure, match=r"^not an activity id$"):
        async with upstream_errors("activity x"):
            raise ValueError("not an activity id")


@pytest.mark.parametrize("error", [KeyError("id"), asyncio.CancelledError(), ToolFailure("no")])
async def test_anything_else_leaves_unchanged(error: BaseException) -> None:
    with pytest.raises(type(error)) as raised:
        async with upstream_errors("your activities"):
            raise error
    assert raised.value is error


async def test_a_block_that_succeeds_runs_once_and_keeps_its_result() -> None:
    ran = []
    async with upstream_errors("your activities") as entered:
        ran.append(entered)
    assert ran == [None]
