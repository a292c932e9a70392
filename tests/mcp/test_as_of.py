"""Every answer drawn from Intervals.icu says how fresh its data is (issue 21, "as of"):
``structuredContent.as_of`` is when the oldest upstream answer it used was fetched (the call's
own time for live data), and only an answer served from the answer cache spends a text line on
it (``as of <time> (cached)``), so a model reading the text tells "live" from "cached at T".
Each tool is called with its catalogue example, live and then again from a shared cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.intervals.answer_cache import AnswerCache, MemoryStore
from app.mcp.tools.registry import discover, takes_athlete
from app.mcp.tools.spec import ToolSpec
from tests.mcp.tools.harness import BERLIN, ToolBench, coach_bench, fake_at

NOW = datetime(2026, 7, 29, 10, tzinfo=UTC)
SPECS = discover()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def bench_for(spec: ToolSpec) -> ToolBench:
    """The tool's bench (an athlete's, or a coach's for the roster tools) with an answer cache
    on the bench's clock."""
    fake = fake_at(NOW)
    bench = ToolBench(fake, BERLIN, NOW) if takes_athlete(spec) else coach_bench(fake, NOW)
    bench.answers = AnswerCache(
        MemoryStore(clock=lambda: bench.moment.timestamp()),
        ttl=600.0,
        analyzed_ttl=86_400.0,
        now=lambda: bench.moment,
    )
    return bench


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
async def test_every_answer_read_from_intervals_says_as_of_when(spec: ToolSpec) -> None:
    bench = bench_for(spec)
    arguments = spec.example_arguments(bench.fake, BERLIN.id)
    asked = len(bench.fake.requests)
    live = await bench.call(spec.name, arguments)
    assert not live.is_error, live.text
    if len(bench.fake.requests) == asked:  # read nothing upstream: nothing to date
        assert live.as_of is None
        return
    assert live.as_of == iso(NOW), f"{spec.name}: a live answer is as of the call"
    assert not live.cached and "(cached)" not in live.text, "no text spent on live data"
    if not spec.read_only:
        return
    bench.moment = NOW + timedelta(minutes=3)
    again = await bench.call(spec.name, arguments)
    assert not again.is_error, again.text
    assert again.as_of == iso(NOW), f"{spec.name}: served from the cache, as of the first call"
    assert again.cached, f"{spec.name}: the text says the data is cached, and since when"
    assert again.text.endswith(f"\nas of {iso(NOW)} (cached)")


async def test_a_confirmed_write_answers_as_of_the_write() -> None:
    """The preview reads the calendar (as of the preview); the applied write's answer says
    as of when too: the write's own time, or the time of an older cached read it used (then
    its text says so)."""
    spec = next(s for s in SPECS if s.name == "create_event")
    bench = bench_for(spec)
    arguments = spec.example_arguments(bench.fake, BERLIN.id)
    preview = await bench.call(spec.name, arguments)
    assert not preview.is_error and preview.structured is not None, preview.text
    bench.moment = NOW + timedelta(minutes=1)
    applied = await bench.call(spec.name, {**arguments, "confirm": preview.structured["confirm"]})
    assert not applied.is_error, applied.text
    assert applied.as_of in (iso(NOW), iso(bench.moment))
    assert applied.cached == (applied.as_of != iso(bench.moment))
