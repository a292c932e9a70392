"""Fairness under the shared Intervals.icu budget, per athlete, in real time.

    python -m bench.budget_share [--seconds 4] [--rate 10] [--light 8]

One heavy athlete runs a closed loop of 16 concurrent requests; ``--light`` athletes each send
one request every 0.5 s. Every request goes through the gateway's :class:`RateBudget` with the
default settings and then "takes" 50 ms upstream. Prints, per athlete, the requests granted and
refused and the median / longest wait for the budget (the numbers the budget itself records in
``RateBudget.usage``). Target: light athletes are never refused and wait well under a second
while the heavy athlete takes the rest of the budget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from app.intervals.errors import RateLimited
from app.intervals.ratelimit import RateBudget

UPSTREAM_SECONDS = 0.05


async def _request(budget: RateBudget, key: str, waits: list[float]) -> None:
    asked = time.monotonic()
    try:
        async with budget.slot(key):
            waits.append(time.monotonic() - asked)
            await asyncio.sleep(UPSTREAM_SECONDS)
    except RateLimited:
        pass


async def run(seconds: float, rate: float, light: int) -> dict[str, dict[str, float]]:
    budget = RateBudget(rate, int(rate * 3), per_athlete_concurrency=4, max_wait=5)
    waits: dict[str, list[float]] = {"heavy": []}
    deadline = time.monotonic() + seconds

    async def heavy_client() -> None:
        while time.monotonic() < deadline:
            await _request(budget, "heavy", waits["heavy"])

    async def light_client(key: str) -> None:
        waits[key] = []
        while time.monotonic() < deadline:
            await _request(budget, key, waits[key])
            await asyncio.sleep(0.5)

    await asyncio.gather(
        *(heavy_client() for _ in range(16)),
        *(light_client(f"light-{n}") for n in range(light)),
    )
    report = {}
    for key, usage in sorted(budget.usage.items()):
        report[key] = {
            "granted": usage.granted,
            "refused": usage.refused,
            "median_wait_ms": round(1000 * statistics.median(waits[key] or [0.0]), 1),
            "longest_wait_ms": round(1000 * usage.longest_wait_seconds, 1),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fairness", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--light", type=int, default=8)
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.seconds, args.rate, args.light))
    print(json.dumps(report, indent=2))
    light = [v for k, v in report.items() if k != "heavy"]
    fair = all(v["refused"] == 0 and v["longest_wait_ms"] < 1000 for v in light)
    print(f"light athletes never refused and served within 1 s: {'met' if fair else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
