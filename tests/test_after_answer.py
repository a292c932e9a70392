"""The "after the answer" slot (app/after_answer.py): work put in it runs when the request
runs the slot, in order, each piece to its end even when one fails (logged); a reader waiting
with ``settled`` is released when that work has run."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.after_answer import after_answer, close_slot, open_slot, settled


async def test_work_runs_in_order_when_the_slot_runs_and_a_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def note(what: str) -> None:
        done.append(what)

    async def fail() -> None:
        raise RuntimeError("database gone")

    slot, token = open_slot()
    assert after_answer.get() is slot
    slot.defer(note, "first")
    slot.defer(fail)
    slot.defer(note, "second")
    close_slot(token)
    assert after_answer.get() is None and done == []  # nothing before the slot runs
    with caplog.at_level(logging.ERROR, logger="app.after_answer"):
        await slot.run()
    assert done == ["first", "second"]
    assert "work after the answer failed" in caplog.text and "database gone" in caplog.text


async def test_a_reader_waits_for_the_work_pending_when_it_asked() -> None:
    release = asyncio.Event()
    written: list[str] = []

    async def write_row() -> None:
        await release.wait()
        written.append("row")

    slot, token = open_slot()
    slot.defer(write_row)
    close_slot(token)
    runner = asyncio.create_task(slot.run())
    reader = asyncio.create_task(settled())
    await asyncio.sleep(0)  # both tasks reach their first wait
    assert not reader.done() and written == []
    release.set()
    await asyncio.wait_for(reader, 5)
    assert written == ["row"]
    await runner


async def test_nothing_pending_means_no_wait() -> None:
    await asyncio.wait_for(settled(), 1)
