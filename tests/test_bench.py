"""The benchmark's building blocks measure what they claim (the full run is `make bench`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from app.settings import encode_key
from app.vault.crypto import VaultError
from bench import resolve
from bench.load import closed_loop
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


async def test_closed_loop_keeps_its_own_heap_out_of_full_collections() -> None:
    """A full collection of the load generator's heap (the seeded data, the modules: 100-200 ms)
    in the middle of a timed call was counted as the gateway's latency (the max and p99.9 of
    bench.hotpath): what exists when timing starts is frozen out of the collector's view while
    the calls are timed, and back in view after."""
    import gc

    seen: list[int] = []

    async def call(_http: httpx.AsyncClient, _index: int) -> None:
        seen.append(gc.get_freeze_count())

    before = gc.get_freeze_count()
    await closed_loop(call, clients=2, requests_per_client=3, warmup=1)
    assert seen[:2] == [before, before]  # the warm-up: as it was
    assert min(seen[2:]) > before  # timed calls: the heap as it was at the start is frozen
    assert gc.get_freeze_count() == before


@pytest.mark.parametrize("size", [3, 30])
async def test_growth_probe_resolves_seeded_tokens_cache_off_and_on(
    tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolve, "ACTIVE", 5)  # 30 rows: 5 real, 25 written by the database
    url = f"sqlite:///{tmp_path / 'g.db'}"
    cost = await resolve.resolution_cost(url, size, probes=20)
    assert cost["probes"] == 20
    for mode in ("cache_off", "cache_on"):
        assert 0 < cost[mode]["median_us"] <= cost[mode]["p95_us"]
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            counts = [
                db.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("athletes", "credentials", "grants", "tokens")
            ]
            distinct = db.scalar(text("SELECT count(DISTINCT token_hash) FROM tokens"))
    finally:
        engine.dispose()
    assert counts == [size] * 4 and distinct == size


async def test_growth_probe_times_the_production_path_verify_then_unseal(tmp_path: Path) -> None:
    """The probe runs McpRuntime.verify (what the bearer middleware calls) and decrypts the
    sealed credential it returned, as app/mcp/caller.py does: one query with the cache off,
    none for a cached token; a wrong vault key fails it, a refused token fails it."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    (token,), _seconds = await resolve.seed_database(url, 1)
    statements: list[str] = []

    def record(_c: object, _cur: object, statement: str, *_: object) -> None:
        statements.append(statement)

    def queries() -> list[str]:  # SQLite's explicit BEGIN/ROLLBACK are not queries
        found = [s for s in statements if s.split()[0].upper() not in ("BEGIN", "ROLLBACK")]
        statements.clear()
        return found

    event.listen(Engine, "before_cursor_execute", record)
    try:
        async with resolve.production_resolver(resolve.bench_settings(url, 0)) as resolution:
            queries()
            await resolution(token)
            assert len(queries()) == 1
            await resolution(token)
            assert len(queries()) == 1  # every request reads the database
            with pytest.raises(RuntimeError, match="refused"):
                await resolution("gwa_not-a-token")
        async with resolve.production_resolver(resolve.bench_settings(url, 30)) as resolution:
            await resolution(token)
            queries()
            await resolution(token)
            assert queries() == []  # answered by the verified-token cache
        wrong = resolve.bench_settings(url, 0).model_copy(
            update={"encryption_keys": encode_key("bench", b"x" * 32)}
        )
        async with resolve.production_resolver(wrong) as resolution:
            with pytest.raises(VaultError):
                await resolution(token)
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_growth_section_of_each_database_is_replaced_in_place() -> None:
    document = (
        "# Benchmarks\n\n## sqlite\n\nThroughput: 1.\n\n"
        "Token verification + credential resolution as the database grows (athletes = tokens):"
        "\n\n| rows | median µs | p95 µs |\n|---:|---:|---:|\n| 100 | 1 | 2 |\n\n"
        "Ratio largest/smallest: 1.0\n\nAnswer sizes: 3\n\n## postgresql\n\nThroughput: 2.\n"
    )
    data = {
        str(size): {
            "seed_s": 0.1,
            "cache_off": {"median_us": 800.0, "p95_us": 900.0},
            "cache_on": {"median_us": 6.0, "p95_us": 7.0},
        }
        for size in (100, 1_000_000)
    }
    data["ratio_largest_smallest"] = {"cache_off": 1.0, "cache_on": 1.0}  # type: ignore[assignment]
    lines = "\n".join(resolve.growth_lines("sqlite", data)) + "\n"
    once = resolve.replace_section(document, "sqlite", lines)
    twice = resolve.replace_section(once, "sqlite", lines)
    assert once == twice  # replaced, not appended
    assert "| rows | median" not in once and "| 1000000 | 800.0 | 900.0 | 6.0 | 7.0 |" in once
    assert once.index("| 1000000") < once.index("Answer sizes: 3") < once.index("## postgresql")
    both = resolve.replace_section(once, "postgresql", lines.replace("(sqlite", "(postgresql"))
    assert both.index("## postgresql") < both.index("(postgresql;")


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


def test_each_get_activities_window_is_new_and_holds_ten_activities() -> None:
    """The load asks every window once (so a deployment's answer cache misses the activities
    on every call), and every window holds at least 10 of the fake's activities (so every
    answer of get_activities(limit=10) has 10)."""
    from bisect import bisect_left, bisect_right
    from datetime import date
    from itertools import islice

    from bench.run import FAKE_HISTORY_DAYS, WINDOW_DAYS, activity_windows
    from tests.fake_intervals.app import FakeIntervals

    today = date(2026, 11, 30)
    fake = FakeIntervals(today=today, history_days=FAKE_HISTORY_DAYS)
    windows = list(islice(activity_windows(today), 20_000))
    assert len(set(windows)) == len(windows)
    assert all((last - first).days + 1 >= WINDOW_DAYS for first, last in windows)
    for athlete in fake.athletes.values():
        days = sorted(a["start_date_local"][:10] for a in athlete.activities.values())
        fewest = min(
            bisect_right(days, last.isoformat()) - bisect_left(days, first.isoformat())
            for first, last in windows
        )
        assert fewest >= 10


def test_the_fake_counts_the_upstream_requests_of_each_kind() -> None:
    """The benchmark reads the fake's request counts around the measured calls: activities
    and athlete-profile requests are told apart, and reading the counts is not counted."""
    from bench.run import upstream_counts, upstream_requests
    from tests.fake_intervals.app import FakeIntervals
    from tests.fake_intervals.data import DEMO_ATHLETES
    from tests.fake_intervals.server import FakeServer

    athlete = DEMO_ATHLETES[0]
    auth = ("API_KEY", athlete.api_key)
    with FakeServer(FakeIntervals()) as server:
        before = asyncio.run(upstream_counts(server.base_url))
        api = f"{server.api_base_url}/athlete/{athlete.id}"
        for _ in range(3):
            httpx.get(f"{api}/activities", params={"oldest": "2026-01-01"}, auth=auth)
        httpx.get(api, auth=auth)
        httpx.get(f"{api}/wellness", auth=auth)
        after = asyncio.run(upstream_counts(server.base_url))
        again = asyncio.run(upstream_counts(server.base_url))
    assert upstream_requests(before, after) == {"activities": 3, "profile": 1, "other": 1}
    assert again == after


def test_the_one_client_figures_are_the_median_of_their_rounds_and_keep_the_spread() -> None:
    from bench.run import median_of_rounds

    def one_round(cpu: float, p50: float, p99: float, errors: int) -> dict[str, object]:
        return {
            "gateway": {"count": 100, "p50_ms": 2 + p50, "p99_ms": 3 + p99},
            "direct": {"count": 100, "p50_ms": 2.0, "p99_ms": 3.0},
            "overhead_p50_ms": p50,
            "overhead_p95_ms": p99 / 2,
            "overhead_p99_ms": p99,
            "gateway_calls_per_s": 1000 / (2 + p50),
            "gateway_cpu_ms_per_call": cpu,
            "upstream_per_call": {"activities": 1.0, "profile": 0.0, "other": 0.0},
            "upstream_requests": {"activities": 100, "profile": 0, "other": 0, "calls": 100},
            "errors": errors,
            "first_error": "ReadError" if errors else None,
        }

    merged = median_of_rounds(
        [one_round(2.6, 1.9, 4.0, 0), one_round(1.2, 1.1, 2.1, 1), one_round(1.3, 1.3, 2.5, 0)]
    )

    assert merged["gateway_cpu_ms_per_call"] == 1.3  # not the noisy 2.6 of the first round
    assert merged["overhead_p50_ms"] == 1.3
    assert merged["overhead_p99_ms"] == 2.5
    assert merged["gateway"]["p99_ms"] == 5.5
    assert merged["errors"] == 1 and merged["first_error"] == "ReadError"
    assert merged["upstream_requests"]["calls"] == 300
    assert merged["upstream_per_call"]["activities"] == 1.0
    assert [r["gateway_cpu_ms_per_call"] for r in merged["rounds"]] == [2.6, 1.2, 1.3]


async def test_paired_loop_alternates_which_side_leads_and_pairs_the_same_number() -> None:
    """At one client the gateway call and the direct request are measured as pairs: both
    sides of a pair run back to back with the same pair number, the leading side alternates,
    warm-up pairs are not timed, and a failed call leaves its pair's difference out."""
    from bench.load import paired_loop

    order: list[tuple[str, int]] = []

    def side(name: str, fails_at: int | None = None) -> Any:
        async def call(_http: httpx.AsyncClient, pair: int) -> None:
            order.append((name, pair))
            await asyncio.sleep(0)
            if pair == fails_at:
                raise RuntimeError("boom")

        return call

    result = await paired_loop(side("a"), side("b", fails_at=4), pairs=4, warmup=2)

    assert order == [
        ("a", 0), ("b", 0), ("b", 1), ("a", 1),  # warm-up pairs
        ("a", 2), ("b", 2), ("b", 3), ("a", 3), ("a", 4), ("b", 4), ("b", 5), ("a", 5),
    ]  # fmt: skip
    assert len(result.first.latencies_s) == 4 and result.first.errors == 0
    assert len(result.second.latencies_s) == 3 and result.second.errors == 1
    assert "boom" in result.second.first_error
    assert len(result.differences_s) == 3
    assert result.first.wall_s >= sum(result.first.latencies_s)


@pytest.mark.parametrize("clients", [1, 2])
async def test_one_client_overhead_pairs_each_gateway_call_with_its_direct_request(
    monkeypatch: pytest.MonkeyPatch, clients: int
) -> None:
    """bench.run's one-client figures (the per-call goals) come from pairs: each gateway call
    and the direct request for the same window back to back, alternating which runs first;
    from two clients up, the gateway's block and then the direct block, as before. The fake's
    request counts around a paired loop hold the direct requests too, which are not the
    gateway's upstream requests."""
    from bench import run

    seen: list[tuple[str, str, str]] = []
    counts = {"GET /api/v1/athlete/i1/activities": 0}

    async def gateway_call(
        _http: httpx.AsyncClient, _base: str, _token: str, _m: str, params: Any, _era: str
    ) -> dict[str, Any]:
        arguments = params["arguments"]
        seen.append(("gateway", arguments["start_date"], arguments["end_date"]))
        counts["GET /api/v1/athlete/i1/activities"] += 1
        await asyncio.sleep(0)
        return {"structuredContent": {"count": 10}}

    async def direct_call(
        _http: httpx.AsyncClient, _upstream: str, _athlete: Any, oldest: str, newest: str
    ) -> None:
        seen.append(("direct", oldest, newest))
        counts["GET /api/v1/athlete/i1/activities"] += 1
        await asyncio.sleep(0)

    async def upstream_counts(_url: str) -> dict[str, int]:
        return dict(counts)

    monkeypatch.setattr(run, "mcp_call", gateway_call)
    monkeypatch.setattr(run, "direct_activities", direct_call)
    monkeypatch.setattr(run, "upstream_counts", upstream_counts)
    monkeypatch.setattr(run, "cpu_seconds", lambda _pid: 0.0)
    stack = run.Stack("http://gateway", "http://upstream", 0, ["t"], run.demo_athletes()[:1])

    result = await run._overhead_at(stack, clients, 8, run.LEGACY)

    sides = [s for s, *_ in seen]
    if clients == 2:  # blocks: every gateway call (warm-ups too), then the direct ones
        assert sides == ["gateway"] * 12 + ["direct"] * 12
        return
    pairs = [seen[i : i + 2] for i in range(0, len(seen), 2)]
    assert len(pairs) == 10  # 2 warm-up pairs and 8 timed
    assert [[s for s, *_ in p] for p in pairs] == [["gateway", "direct"], ["direct", "gateway"]] * 5
    assert all(a[1:] == b[1:] for a, b in pairs)  # both sides of a pair: the same window
    assert len({p[0][1:] for p in pairs}) == 10  # every pair a new window
    assert result["upstream_per_call"]["activities"] == 1.0
    assert result["upstream_requests"]["calls"] == 10
    assert result["gateway"]["count"] == result["direct"]["count"] == 8
    assert "overhead_paired_p50_ms" in result
