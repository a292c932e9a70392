"""The benchmark's building blocks measure what they claim (the full run is `make bench`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.migrations import upgrade_to_head
from app.settings import EncryptionKey, Settings, parse_key_ring
from app.vault.crypto import Vault, VaultError
from bench.load import closed_loop
from bench.resolve import RESOURCE, _resolver, resolution_cost
from bench.run import BENCH_KEY
from bench.seed import SeedAthlete, seed
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


async def test_growth_probe_times_the_production_path_verify_then_unseal(tmp_path: Path) -> None:
    """The probe verifies the token (one query) and decrypts the sealed credential it returned,
    as app/mcp/caller.py does: no second query, a wrong vault key fails it, a refused token
    fails it."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        encryption_keys=BENCH_KEY,
    )
    upgrade_to_head(settings)
    vault = Vault(parse_key_ring(BENCH_KEY))
    engine = make_async_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        async with transaction(sessions) as db:
            athlete = SeedAthlete("i900001", "Athlete", "UTC", "key-00000001")
            (token,) = (await seed(db, vault, [athlete], RESOURCE)).tokens
        statements: list[str] = []
        event.listen(
            engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_: statements.append(statement),
        )
        await _resolver(settings, sessions, vault)(token)
        # one query, as on every MCP request (SQLite's explicit BEGIN/ROLLBACK are not queries)
        queries = [
            s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")
        ]
        assert len(queries) == 1, statements
        other_key = Vault([EncryptionKey("bench", b"x" * 32)])
        with pytest.raises(VaultError):
            await _resolver(settings, sessions, other_key)(token)
        with pytest.raises(RuntimeError, match="refused"):
            await _resolver(settings, sessions, vault)("gwa_not-a-token")
    finally:
        await engine.dispose()


def test_soak_growth_ignores_the_warm_up_and_catches_a_leak() -> None:
    from bench.soak import growth, slope_mb_per_min

    flat = [(5.0 * i, 120.0 if i < 3 else 140.0 + (i % 2) * 0.5) for i in range(120)]
    steady = growth(flat)
    assert steady["growth_mb"] <= 1 and abs(steady["slope_mb_per_min"]) < 0.1
    leaking = [(5.0 * i, 140.0 + 0.1 * i) for i in range(120)]  # 1.2 MB a minute
    leak = growth(leaking)
    assert leak["growth_mb"] > 5
    assert round(slope_mb_per_min(leaking), 2) == 1.2


async def test_for_duration_stops_calling_when_time_is_up() -> None:
    from bench.load import for_duration

    async def call(_http: httpx.AsyncClient, _index: int) -> None:
        await asyncio.sleep(0)

    result = await for_duration(call, clients=3, seconds=0.05)
    assert len(result.latencies_s) >= 3 and result.errors == 0
    assert 0.05 <= result.wall_s < 5
