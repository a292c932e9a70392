"""Idle memory of one gateway worker: RSS once ready, and after the first answers.

    python -m bench.idle [--db sqlite|postgresql]

Starts the fake Intervals.icu and one gateway worker the way bench/run.py does, prints the
resident set size (MB) right after ``/readyz`` answers and again after the fixed questions of
``answer_sizes`` (the figure bench/run.py reports as "idle RSS"). PostgreSQL needs
``BENCH_POSTGRES_URL`` or ``TEST_POSTGRES_URL`` (scripts/with-postgres.sh sets the latter).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.run import Stack, answer_sizes, databases, gateway, prepare, upstream
from tests.support.processes import free_port, rss_bytes


async def measure(kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gw-idle-") as tmp, databases(kind, Path(tmp)) as dbs:
        logs = Path(tmp)
        with upstream(0, logs) as upstream_url:
            port = free_port()
            url = dbs("idle")
            tokens, athletes = await prepare(url, f"http://127.0.0.1:{port}/mcp")
            with gateway(port, url, upstream_url, 1, logs) as (base, pid):
                ready = rss_bytes(pid) / 2**20
                await answer_sizes(Stack(base, upstream_url, pid, tokens, athletes))
                answered = rss_bytes(pid) / 2**20
    return {"rss_ready_mb": round(ready, 1), "rss_idle_mb": round(answered, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    print(asyncio.run(measure(args.db)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
