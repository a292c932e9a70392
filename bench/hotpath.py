"""One tool call's gateway cost, quickly: ``get_activities(limit=10)`` at one client against a
0 ms fake Intervals.icu, through the real gateway process (SQLite, or PostgreSQL with ``--db``).

    python -m bench.hotpath [--calls 1000] [--clients 1] [--era 2025-11-25|2026-07-28]
                            [--db sqlite|postgresql] [--profile out.prof] [--spy out.txt]
                            [--answer-cache auto|off]

``--era`` picks the protocol era of the MCP requests (default: both, one after the other,
through the same gateway). Prints, per era, gateway CPU ms per call and the added
latency (p50 / p99) over the direct upstream request. At one client (the default) the calls
are measured in pairs, as ``bench.run``'s one-client rounds are: each gateway call and the
direct request for the same window one right after the other, the gateway leading every
other pair, so both sides meet the same moment of the shared machine (measured as two blocks,
a slow moment in one block and a quiet one in the other moved the added p50 between runs of
the same code); the added latency is still the gateway's percentile minus the direct
request's, and ``overhead_paired_p50_ms`` is the median of the per-pair differences. The
gateway's CPU is read around the whole loop (the direct requests never reach the gateway
process). With ``--clients`` above 1, the gateway's calls and then the direct requests run as
two closed-loop blocks. ``--profile`` runs the gateway under
cProfile and writes its stats when it stops (for "Where the time goes" in
docs/benchmarks.md); ``--spy`` samples the gateway's CPU with py-spy (``pip install
py-spy``) during the measured calls and writes folded stacks (``python -m bench.where F``
turns them into the "where a call's time goes" table). The gateway runs with the
deployment's default answer cache and each call asks for a window not asked before (the
activities a cache miss, the athlete profile a hit); ``--answer-cache off`` sends every
request upstream (the earlier figure). ``--db postgresql`` runs the gateway on a fresh
database of the server named by BENCH_POSTGRES_URL or TEST_POSTGRES_URL (e.g. under
``scripts/with-postgres.sh``), made and dropped as ``bench.run`` does. The full benchmark is
``bench.run``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.run import ERAS, Stack, databases, gateway, overhead, prepare, upstream, upstream_line
from tests.support.processes import free_port


@contextmanager
def sampled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy samples of the process's on-CPU stacks while the block runs (folded text)."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args = [spy, "record", "--pid", str(pid), "--rate", "1000", "--nonblocking"]
    process = subprocess.Popen([*args, "--format", "raw", "--output", str(out)])
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


@contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """cProfile in the gateway (bench/profiled.py) while the block runs."""
    if out is None:
        yield
        return
    out.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGUSR2)
        for _ in range(100):
            if out.exists():
                break
            time.sleep(0.1)


def function_calls(stats_file: Path) -> int:
    """Python function calls recorded in a cProfile stats file (primitive and recursive)."""
    return int(pstats.Stats(str(stats_file)).total_calls)  # type: ignore[attr-defined]


async def measure(
    calls: int,
    clients: int,
    profile: Path | None = None,
    spy: Path | None = None,
    eras: tuple[str, ...] = ERAS,
    answer_cache: str = "auto",
    db: str = "sqlite",
) -> dict[str, dict[str, Any]]:
    """The measured figures per protocol era (profiles cover the last era measured)."""
    with (
        tempfile.TemporaryDirectory(prefix="gw-hot-") as tmp,
        databases(db, Path(tmp)) as database_url_for,
    ):
        logs = Path(tmp)
        database_url = database_url_for("hot")
        with upstream(0, logs) as upstream_url:
            port = free_port()
            tokens, athletes = await prepare(database_url, f"http://127.0.0.1:{port}/mcp")
            with gateway(
                port,
                database_url,
                upstream_url,
                1,
                logs,
                profile=profile,
                answer_cache=answer_cache,
            ) as (base, pid):
                stack = Stack(base, upstream_url, pid, tokens, athletes)
                results = {}
                for era in eras:
                    await overhead(stack, (clients,), calls, era)  # warm-up: pools, caches
                    last = era == eras[-1]
                    with (
                        sampled(pid, spy if last else None),
                        profiled(pid, profile if last else None),
                    ):
                        measured = await overhead(stack, (clients,), calls, era)
                    results[era] = figures(measured[str(clients)])
    if profile is not None:
        measured_calls = clients * (max(1, calls // clients) + 2)  # the loops' warm-up too
        per_call = round(function_calls(profile) / measured_calls)
        results[eras[-1]]["python_function_calls_per_call"] = per_call
    return results


def figures(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "gateway_cpu_ms_per_call": result["gateway_cpu_ms_per_call"],
        "overhead_p50_ms": result["overhead_p50_ms"],
        "overhead_p99_ms": result["overhead_p99_ms"],
        **{k: result[k] for k in ("overhead_paired_p50_ms",) if k in result},
        "gateway_p50_ms": result["gateway"]["p50_ms"],
        "direct_p50_ms": result["direct"]["p50_ms"],
        "calls_per_s": result["gateway_calls_per_s"],
        "errors": result["errors"],
        "upstream": upstream_line(result),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--era", choices=ERAS, default=None, help="one protocol era only")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile stats file")
    parser.add_argument("--spy", type=Path, default=None, help="py-spy folded stacks file")
    parser.add_argument(
        "--answer-cache",
        choices=("auto", "off"),
        default="auto",
        help="GATEWAY_ANSWER_CACHE of the gateway (off: every request upstream)",
    )
    args = parser.parse_args(argv)
    eras = (args.era,) if args.era else ERAS
    results = asyncio.run(
        measure(args.calls, args.clients, args.profile, args.spy, eras, args.answer_cache, args.db)
    )
    print(f"answer cache: {args.answer_cache}")
    for era, result in results.items():
        print(f"protocol {era}:")
        for key, value in result.items():
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
