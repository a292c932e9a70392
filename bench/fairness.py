"""The shared Intervals.icu budget on the real clock: 50 light athletes (3 requests each) and one
heavy athlete through one client, measured at the in-process fake.

    python -m bench.fairness [--rate 200] [--burst 20] [--heavy 60]

The test suite checks the same scenario on virtual time
(tests/intervals/test_ratelimit.py::test_fifty_athletes_share_the_budget_measured_at_the_fake);
this script shows what the scheduler and event loop add on a real, possibly loaded machine.
It reports and never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import date, timedelta
from typing import Any

import httpx

from app.intervals import ApiKey, IntervalsClient, RateBudget
from tests.fake_intervals import DEMO_ATHLETES, FakeIntervals

LIGHT_ATHLETES = 50
LIGHT_REQUESTS = 3


async def measure(rate: float, burst: int, heavy: int) -> dict[str, Any]:
    """Run the scenario once; return the busiest one-second window and finishing times."""
    fake = FakeIntervals(seed=7, today=date(2026, 5, 1))
    key = ApiKey(DEMO_ATHLETES[1].api_key)
    budget = RateBudget(rate, burst, per_athlete_concurrency=heavy, max_wait=30)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
    client = IntervalsClient("http://intervals.test/api/v1", http=http, budget=budget)
    done: dict[str, float] = {}
    start = time.monotonic()

    async def athlete(name: str, n: int, day: date) -> None:
        session = client.session(key, rate_key=name)
        await asyncio.gather(*(session.get_wellness(day) for _ in range(n)))
        done[name] = time.monotonic() - start

    first = date(2026, 2, 1)
    await asyncio.gather(
        athlete("heavy", heavy, date(2026, 1, 1)),
        *(
            athlete(f"light{i}", LIGHT_REQUESTS, first + timedelta(days=i))
            for i in range(LIGHT_ATHLETES)
        ),
    )
    await http.aclose()
    light = [v for k, v in done.items() if k != "heavy"]
    total = heavy + LIGHT_ATHLETES * LIGHT_REQUESTS
    return {
        "requests": total,
        "max_in_1s": fake.requests.max_in_window(1.0),
        "allowed_in_1s": rate + burst,
        "ideal_seconds": round((total - burst) / rate, 3),
        "elapsed_seconds": round(max(done.values()), 3),
        "light_last_seconds": round(max(light), 3),
        "heavy_seconds": round(done["heavy"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--heavy", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.rate, args.burst, args.heavy)), indent=2))


if __name__ == "__main__":
    main()
