"""The shared budget: token bucket limits, fair round-robin between athletes, per-athlete
concurrency cap, bounded waiting. All on virtual time; the real-clock measurement of the same
scenario is `python -m bench.fairness`."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from app.intervals import ApiKey, RateBudget, RateLimited
from tests.fake_intervals import DEMO_ATHLETES, FakeIntervals
from tests.intervals.conftest import TODAY, VirtualTime, make_client


async def grant_times(budget: RateBudget, vt: VirtualTime, keys: list[str]) -> list[float]:
    times: list[float] = [0.0] * len(keys)

    async def one(i: int, key: str) -> None:
        async with budget.slot(key):
            times[i] = vt.now

    await asyncio.gather(*(one(i, k) for i, k in enumerate(keys)))
    return times


async def test_burst_then_sustained_rate(vt: VirtualTime) -> None:
    budget = RateBudget(10, 5, max_wait=100, clock=vt.clock, sleep=vt.sleep)
    start = vt.now
    times = await grant_times(budget, vt, [f"a{i}" for i in range(25)])
    offsets = sorted(round(t - start, 6) for t in times)
    assert offsets[:5] == [0.0] * 5  # the burst
    assert offsets[5:] == pytest.approx([0.1 * n for n in range(1, 21)])  # then 10/s
    for i, t in enumerate(offsets):  # never more than burst + rate * elapsed
        assert i + 1 <= 5 + 10 * t + 1e-6


async def test_heavy_athlete_cannot_starve_light_one(vt: VirtualTime) -> None:
    budget = RateBudget(
        10, 1, per_athlete_concurrency=50, max_wait=100, clock=vt.clock, sleep=vt.sleep
    )
    start = vt.now
    heavy = asyncio.gather(*(grant_times(budget, vt, ["heavy"]) for _ in range(40)))
    await asyncio.sleep(0)  # the heavy athlete's 40 requests queue first
    light = await grant_times(budget, vt, ["light"])
    assert light[0] - start <= 0.2 + 1e-9  # served on the next turn, not after 40 requests
    heavy_times = [t[0] for t in await heavy]
    assert max(heavy_times) - start == pytest.approx(4.0)  # heavy still gets the rest


async def test_per_athlete_concurrency_cap(vt: VirtualTime) -> None:
    budget = RateBudget(1000, 1000, per_athlete_concurrency=2, clock=vt.clock, sleep=vt.sleep)
    inside = 0
    peak = 0
    release = asyncio.Event()

    async def request(key: str) -> None:
        nonlocal inside, peak
        async with budget.slot(key):
            inside += 1
            peak = max(peak, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(request("a")) for _ in range(5)]
    other = asyncio.create_task(request("b"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert inside == 3  # two of athlete a, one of athlete b
    release.set()
    await asyncio.gather(*tasks, other)
    assert peak == 3


async def test_exhausted_budget_fails_fast_with_retry_hint() -> None:
    frozen = asyncio.Event()  # time stands still: the pump's sleep never returns

    async def no_time_passes(seconds: float) -> None:
        await frozen.wait()

    budget = RateBudget(1, 1, max_wait=2, clock=lambda: 0.0, sleep=no_time_passes)
    granted: list[str] = []

    async def request(key: str) -> None:
        async with budget.slot(key):
            granted.append(key)

    waiters = [asyncio.create_task(request(f"k{i}")) for i in range(3)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert granted == ["k0"] and budget.waiting == 2  # k1 waits ~1 s, k2 ~2 s
    with pytest.raises(RateLimited) as err:
        await request("late")  # would wait ~3 s > max_wait
    assert err.value.retry_after == 3
    assert "try again in 3 s" in str(err.value)
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert budget.waiting == 0


async def test_queued_request_gives_up_at_max_wait(vt: VirtualTime) -> None:
    budget = RateBudget(1, 1, max_wait=1.5, clock=vt.clock, sleep=vt.sleep)
    start = vt.now
    async with budget.slot("x"):
        pass

    async def take() -> None:
        async with budget.slot("y"):
            pass

    queued = asyncio.create_task(take())
    await asyncio.sleep(0)
    assert budget.waiting == 1  # y is queued, expecting its token in ~1 s
    await budget.pause(5)  # ... but upstream said 429, Retry-After: 5
    with pytest.raises(RateLimited):
        await queued
    assert vt.now - start == pytest.approx(1.5)  # waited briefly, not for 5 s


async def test_pause_after_upstream_429(vt: VirtualTime) -> None:
    budget = RateBudget(100, 10, max_wait=10, clock=vt.clock, sleep=vt.sleep)
    await budget.pause(4)
    start = vt.now
    times = await grant_times(budget, vt, ["a"])
    assert times[0] - start >= 4


async def test_fifty_athletes_share_the_budget_measured_at_the_fake(vt: VirtualTime) -> None:
    """50 light athletes (3 requests each) and one heavy athlete (100 requests) through one
    client; the fake records arrival times on the same virtual clock. 250 requests are far more
    than ``rate + burst``, so an unthrottled client would put them all in one window. Each
    athlete asks for its own day, so the fake's log tells whose request arrived when."""
    rate, burst, light_n, heavy_n = 50, 10, 50, 100
    fake = FakeIntervals(seed=7, today=TODAY, clock=vt.clock)
    key = ApiKey(DEMO_ATHLETES[1].api_key)  # one valid key; the budget keys on rate_key
    # no per-athlete cap that could hide an unfair queue: the heavy athlete queues all 100 at once
    budget = RateBudget(
        rate, burst, per_athlete_concurrency=heavy_n, max_wait=10, clock=vt.clock, sleep=vt.sleep
    )
    client = make_client(fake, vt, budget=budget)
    start = vt.now
    days = {"heavy": date(2026, 1, 1)} | {
        f"light{i}": date(2026, 2, 1) + timedelta(days=i) for i in range(light_n)
    }

    async def athlete(name: str, n: int) -> None:
        session = client.session(key, rate_key=name)
        await asyncio.gather(*(session.get_wellness(days[name]) for _ in range(n)))

    await asyncio.gather(
        athlete("heavy", heavy_n), *(athlete(f"light{i}", 3) for i in range(light_n))
    )
    await client._http.aclose()
    total = heavy_n + 3 * light_n
    assert len(fake.requests) == total and all(r.status == 200 for r in fake.requests)
    assert fake.requests.max_in_window(1.0) <= rate + burst
    last_arrival = {
        name: max(r.at for r in fake.requests.matching("GET", f"/wellness/{day}")) - start
        for name, day in days.items()
    }
    # the budget throttled: after the burst, one request per 1/rate seconds, no faster
    assert max(last_arrival.values()) == pytest.approx((total - burst) / rate)
    # fairness: the burst goes to the heavy athlete, who asked first; after that, round-robin
    # serves one request per athlete per turn, so the light athletes' third requests arrive
    # within 3 turns of 51 grants (first-come-first-served would send them last, near 4.8 s)
    light_last = max(t for name, t in last_arrival.items() if name != "heavy")
    assert light_last == pytest.approx(3 * (light_n + 1) / rate)
    assert last_arrival["heavy"] == pytest.approx((total - burst) / rate)
