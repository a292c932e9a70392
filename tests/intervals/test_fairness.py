"""Fairness under the shared Intervals.icu budget, measured per athlete (issue 12): one heavy
athlete asking for far more than the budget allows does the waiting, the light athletes next to
it are never refused and wait at most a round of turns. Virtual time."""

from __future__ import annotations

import asyncio

from app.intervals import RateBudget, RateLimited
from tests.intervals.conftest import VirtualTime

LIGHT = [f"light-{n}" for n in range(5)]


async def ask(budget: RateBudget, key: str) -> None:
    try:
        async with budget.slot(key):
            pass
    except RateLimited:
        pass


async def test_heavy_athlete_is_refused_while_light_athletes_are_served(vt: VirtualTime) -> None:
    budget = RateBudget(
        10, 5, per_athlete_concurrency=4, max_wait=3, clock=vt.clock, sleep=vt.sleep
    )
    heavy = [asyncio.ensure_future(ask(budget, "heavy")) for _ in range(80)]
    await asyncio.sleep(0)  # the heavy athlete's requests arrive first
    light = [ask(budget, key) for key in LIGHT for _ in range(4)]
    await asyncio.gather(*heavy, *light)

    usage = budget.usage
    for key in LIGHT:
        assert usage[key].granted == 4 and usage[key].refused == 0
        # served in turn: at most one round of the 6 athletes at 10/s, plus its own 4 requests
        assert usage[key].longest_wait_seconds <= 2.5
    # the heavy athlete gets the rest of the budget, four at a time, and does the waiting
    assert usage["heavy"].granted + usage["heavy"].refused == 80
    assert usage["heavy"].longest_wait_seconds >= 5
    light_total = sum(usage[key].granted for key in LIGHT)
    assert light_total == 20


async def test_usage_counts_waits_and_refusals(vt: VirtualTime) -> None:
    budget = RateBudget(1, 1, max_wait=0.5, clock=vt.clock, sleep=vt.sleep)
    await ask(budget, "a")  # the burst token: no wait
    await ask(budget, "a")  # the next token is 1 s away, more than max_wait: refused
    assert budget.usage["a"].granted == 1
    assert budget.usage["a"].refused == 1
    assert budget.usage["a"].longest_wait_seconds == 0


async def test_the_fairness_benchmark_reports_every_athlete() -> None:
    from bench.budget_share import run

    report = await run(seconds=0.2, rate=1000, light=2)
    assert set(report) == {"heavy", "light-0", "light-1"}
    assert all(row["granted"] >= 1 and row["refused"] == 0 for row in report.values())
