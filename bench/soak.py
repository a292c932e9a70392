"""Memory over a long run: RSS of one gateway worker sampled while 64 clients call
``get_activities(limit=10)`` against a 0 ms fake Intervals.icu for a fixed time.

    python -m bench.run --soak 600   (the result is kept in docs/benchmarks.json, "soak")

Growth is judged after a warm-up (the first tenth of the run, when pools, caches and the
allocator's arenas fill): the median RSS of the last tenth minus the median of the second
tenth, and the least-squares slope over the samples after the warm-up, in MB per minute.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.load import for_duration
from tests.support.processes import cpu_seconds, free_port, rss_bytes

SOAK_CLIENTS = 64
SAMPLE_EVERY_S = 5.0
GROWTH_LIMIT_MB = 5.0
"""RSS may wander by a few MB as the allocator reuses its arenas; more than this is growth."""


def slope_mb_per_min(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute (0 for < 2 samples)."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 60 * cov / var


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def growth(samples: Sequence[tuple[float, float]]) -> dict[str, float]:
    """Growth figures of (seconds, MB) RSS samples (see the module docstring)."""
    tenth = max(1, len(samples) // 10)
    settled = samples[tenth:]
    early = [m for _, m in samples[tenth : 2 * tenth]] or [m for _, m in samples]
    late = [m for _, m in samples[-tenth:]]
    return {
        "rss_start_mb": round(samples[0][1], 1) if samples else 0.0,
        "rss_after_warmup_mb": round(median(early), 1),
        "rss_end_mb": round(median(late), 1),
        "rss_max_mb": round(max((m for _, m in samples), default=0.0), 1),
        "growth_mb": round(median(late) - median(early), 1),
        "slope_mb_per_min": round(slope_mb_per_min(settled), 3),
    }


async def soak(seconds: float, clients: int = SOAK_CLIENTS) -> dict[str, Any]:
    """Start the fake and one gateway worker, load them for ``seconds``, sample RSS."""
    from bench.run import Stack, gateway, mcp_call, prepare, tool_call, upstream

    with tempfile.TemporaryDirectory(prefix="gw-soak-") as tmp:
        logs = Path(tmp)
        database_url = f"sqlite:///{logs / 'soak.db'}"
        with upstream(0, logs) as upstream_url:
            port = free_port()
            tokens, athletes = await prepare(database_url, f"http://127.0.0.1:{port}/mcp")
            # repeated identical calls: with the cache on they would all be answered from it
            with gateway(port, database_url, upstream_url, 1, logs, answer_cache="off") as (
                base,
                pid,
            ):
                stack = Stack(base, upstream_url, pid, tokens, athletes)

                async def call(http: httpx.AsyncClient, index: int) -> None:
                    token = stack.tokens[index % len(stack.tokens)]
                    arguments = tool_call("get_activities", {"limit": 10})
                    await mcp_call(http, stack.gateway, token, "tools/call", arguments)

                idle_mb = rss_bytes(pid) / 2**20
                samples: list[tuple[float, float]] = []
                stop = threading.Event()
                began = time.monotonic()

                def sample() -> None:
                    while not stop.is_set():
                        samples.append((time.monotonic() - began, rss_bytes(pid) / 2**20))
                        stop.wait(SAMPLE_EVERY_S)

                sampler = threading.Thread(target=sample, daemon=True)
                cpu_before = cpu_seconds(pid)
                sampler.start()
                try:
                    result = await for_duration(call, clients, seconds)
                finally:
                    stop.set()
                    sampler.join()
                cpu = cpu_seconds(pid) - cpu_before
    calls = len(result.latencies_s) + result.errors
    return {
        "seconds": seconds,
        "clients": clients,
        "calls": calls,
        "errors": result.errors,
        "first_error": result.first_error,
        "calls_per_s": round(result.throughput, 1),
        "gateway_cpu_ms_per_call": round(1000 * cpu / calls, 2) if calls else None,
        "rss_idle_mb": round(idle_mb, 1),
        "sample_every_s": SAMPLE_EVERY_S,
        "samples_mb": [round(m, 1) for _, m in samples],
        **growth(samples),
    }
