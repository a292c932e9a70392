"""How low a gateway's added latency can go on this machine: the gateway beside two relays
that do less than any gateway can (``bench/relay.py``), at one client, in the same rounds.

    python -m bench.floor [--calls 1000] [--rounds 5] [--era 2025-11-25|2026-07-28]
                          [--out docs/floor.md]

Each round measures, back to back against the same 0 ms fake Intervals.icu: the gateway's
``get_activities(limit=10)`` (SQLite, as ``bench.hotpath`` runs it), the relay forwarding the
upstream's bytes, and the relay decoding and encoding them (the relays ask upstream for the
same fields as the gateway); each against the direct upstream
request for the same window, in pairs at one client (``bench.load.paired_loop``: each call and
its direct request back to back, the target leading every other pair; every client decodes
its answer and checks 10 activities).
Reported per target: the median over the rounds of its CPU per call and of its added p50 / p99
at one client, with every round listed. The relays' added latency is the floor the issue's
latency goals meet on this machine: the extra loopback hop, one server and one upstream client
on the gateway's own stack, and nothing else. Results go to ``--out`` (Markdown) and the same
name with ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.intervals.models import Activity
from app.mcp.tools.catalog._activity import SUMMARY_READS
from app.mcp.tools.catalog._fields import upstream_fields
from bench.load import paired_loop
from bench.run import (
    ERAS,
    LEGACY,
    Stack,
    databases,
    direct_activities,
    gateway,
    overhead,
    prepare,
    upstream,
)
from bench.stats import summarize
from tests.support.processes import cpu_seconds, free_port, python_module, running

SUMMARY_FIELDS = ",".join(
    dict.fromkeys(["id", "start_date_local", *upstream_fields(Activity, *SUMMARY_READS)])
)
"""The ``fields`` the gateway's get_activities asks upstream for (a summary's reads), so a
relay asks upstream exactly what the gateway asks."""
RELAY_MODES = ("bytes", "json")
ROUND_FIGURES = ("cpu_ms_per_call", "overhead_p50_ms", "overhead_p99_ms")


@contextmanager
def relay(upstream_url: str, mode: str, logs: Path) -> Iterator[tuple[str, int]]:
    """``bench.relay`` as its own process; yields its URL and pid."""
    port = free_port()
    args = python_module(
        "bench.relay", "--port", str(port), "--upstream", upstream_url, "--mode", mode
    )
    with running(args, f"http://127.0.0.1:{port}/", log=logs / f"relay-{mode}.log") as process:
        yield f"http://127.0.0.1:{port}", process.pid


async def relay_round(url: str, pid: int, stack: Stack, calls: int) -> dict[str, float]:
    """One round at one client, in pairs as the gateway's (``bench.load.paired_loop``): each
    relay call and the direct request for the same window back to back, the relay leading
    every other pair; the relay's CPU read around the loop (the direct requests never reach
    it)."""
    athletes = stack.athletes
    drawn: dict[int, tuple[str, str]] = {}

    def window(pair: int) -> tuple[str, str]:
        """The pair's window: drawn by whichever side runs first, taken by the other."""
        asked = drawn.pop(pair, None)
        if asked is None:
            first, last = next(stack.windows)
            asked = drawn[pair] = first.isoformat(), last.isoformat()
        return asked

    async def through_relay(http: httpx.AsyncClient, pair: int) -> None:
        athlete = athletes[0]
        oldest, newest = window(pair)
        body = {
            "athlete": athlete.intervals_id,
            "key": athlete.api_key,
            "oldest": oldest,
            "newest": newest,
            "limit": 10,
            "fields": SUMMARY_FIELDS,
        }
        response = await http.post(url, json=body)
        response.raise_for_status()
        count = len(response.json())
        if count != 10:
            raise RuntimeError(f"the relay listed {count} activities, not 10")

    async def direct(http: httpx.AsyncClient, pair: int) -> None:
        oldest, newest = window(pair)
        await direct_activities(http, stack.upstream, athletes[0], oldest, newest)

    before = cpu_seconds(pid)
    paired = await paired_loop(through_relay, direct, calls)
    cpu = cpu_seconds(pid) - before
    via, raw = paired.first, paired.second
    if via.errors or raw.errors:
        raise RuntimeError(f"relay round failed: {via.first_error or raw.first_error}")
    r, d = summarize(via.latencies_s), summarize(raw.latencies_s)
    return {
        "cpu_ms_per_call": round(1000 * cpu / (calls + 2), 3),  # paired_loop's 2 warm-up pairs
        "overhead_p50_ms": round(r.p50_ms - d.p50_ms, 3),
        "overhead_p99_ms": round(r.p99_ms - d.p99_ms, 3),
        "p50_ms": round(r.p50_ms, 3),
        "direct_p50_ms": round(d.p50_ms, 3),
    }


async def gateway_round(stack: Stack, calls: int, era: str) -> dict[str, float]:
    """One round of the gateway at one client (``bench.run.overhead``)."""
    one = (await overhead(stack, (1,), calls, era))["1"]
    if one["errors"]:
        raise RuntimeError(f"gateway round failed: {one['first_error']}")
    return {
        "cpu_ms_per_call": one["gateway_cpu_ms_per_call"],
        "overhead_p50_ms": one["overhead_p50_ms"],
        "overhead_p99_ms": one["overhead_p99_ms"],
        "p50_ms": one["gateway"]["p50_ms"],
        "direct_p50_ms": one["direct"]["p50_ms"],
    }


async def measure(calls: int, rounds: int, era: str) -> dict[str, list[dict[str, float]]]:
    """Every target's rounds, the targets interleaved within each round."""
    with (
        tempfile.TemporaryDirectory(prefix="gw-floor-") as tmp,
        databases("sqlite", Path(tmp)) as database_url_for,
    ):
        logs = Path(tmp)
        database_url = database_url_for("floor")
        with upstream(0, logs) as upstream_url:
            port = free_port()
            tokens, athletes = await prepare(database_url, f"http://127.0.0.1:{port}/mcp")
            with (
                gateway(port, database_url, upstream_url, 1, logs) as (base, gateway_pid),
                relay(upstream_url, "bytes", logs) as (bytes_url, bytes_pid),
                relay(upstream_url, "json", logs) as (json_url, json_pid),
            ):
                stack = Stack(base, upstream_url, gateway_pid, tokens, athletes)
                targets = {
                    "gateway": lambda: gateway_round(stack, calls, era),
                    "relay, bytes": lambda: relay_round(bytes_url, bytes_pid, stack, calls),
                    "relay, json": lambda: relay_round(json_url, json_pid, stack, calls),
                }
                for run in targets.values():  # warm-up: pools, caches, first imports
                    await run()
                results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
                for _ in range(rounds):
                    for name, run in targets.items():
                        results[name].append(await run())
    return results


def medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in rounds), 3) for key in rounds[0]}


def render(results: dict[str, list[dict[str, float]]], era: str, calls: int) -> str:
    gateway_p50 = medians(results["gateway"])["overhead_p50_ms"]
    lines = [
        "# The floor of added latency on this machine",
        "",
        "Regenerate with `python -m bench.floor` (bench/floor.py; the relays are bench/relay.py).",
        f"One client, 0 ms fake Intervals.icu, {calls} calls per target per round,",
        f"{len(results['gateway'])} rounds with the targets interleaved; MCP protocol {era}.",
        "Each figure is the median over the rounds; added = a target's percentile minus the",
        "direct request's, measured in pairs (each call and the direct request for the same",
        "window back to back, the target leading every other pair). A relay is the gateway's",
        "server stack (uvicorn, uvloop, httptools, the coalescing protocol, aiohttp upstream)",
        "doing nothing",
        "but the extra hop (bytes) or the extra hop and one decode and encode (json): no",
        "authentication, MCP, database, shaping or log.",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| target | CPU ms/call | added p50 ms | added p99 ms | p50 ms | direct p50 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in results.items():
        m = medians(rounds)
        lines.append(
            f"| {name} | {m['cpu_ms_per_call']} | {m['overhead_p50_ms']} | "
            f"{m['overhead_p99_ms']} | {m['p50_ms']} | {m['direct_p50_ms']} |"
        )
    lines += ["", "Rounds (CPU ms/call, added p50, added p99):", ""]
    for name, rounds in results.items():
        each = "; ".join(" / ".join(str(r[k]) for k in ROUND_FIGURES) for r in rounds)
        lines.append(f"- {name}: {each}")
    floor = medians(results["relay, bytes"])["overhead_p50_ms"]
    lines += [
        "",
        f"The gateway adds {round(gateway_p50 - floor, 3)} ms p50 above the bytes relay's "
        f"{floor} ms, the least any second server on this path adds here.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--era", choices=ERAS, default=LEGACY)
    parser.add_argument("--out", type=Path, default=Path("docs/floor.md"))
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.calls, args.rounds, args.era))
    text = render(results, args.era, args.calls)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
