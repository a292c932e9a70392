"""The benchmark's building blocks measure what they claim (the full run is `make bench`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bench.load import closed_loop
from bench.resolve import resolution_cost
from bench.stats import percentile, summarize


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    summary = summarize([0.001, 0.002, 0.003, 0.004])
    assert (summary.count, summary.p50_ms, summary.max_ms) == (4, 2.0, 4.0)


async def test_closed_loop_runs_every_client_and_counts_failures() -> None:
    seen: list[int] = []

    async def call(_http: httpx.AsyncClient, index: int) -> None:
        seen.append(index)
        await asyncio.sleep(0)
        if index == 2:
            raise RuntimeError("boom")

    result = await closed_loop(call, clients=4, requests_per_client=5, warmup=1)
    assert sorted(set(seen)) == [0, 1, 2, 3]
    assert len(seen) == 4 * 6
    assert len(result.latencies_s) == 15
    assert result.errors == 5 and "boom" in result.first_error


@pytest.mark.parametrize("size", [3, 30])
async def test_growth_probe_resolves_seeded_tokens_through_the_real_verifier(
    tmp_path: Path, size: int
) -> None:
    cost = await resolution_cost(f"sqlite:///{tmp_path / 'g.db'}", size, probes=20)
    assert cost["probes"] == 20
    assert 0 < cost["median_us"] <= cost["p95_us"]
