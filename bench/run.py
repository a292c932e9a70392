"""What a tool call costs through the gateway, and how it grows.

    python -m bench.run [--db sqlite|postgresql|both] [--quick]

(`make bench` runs both databases with a throwaway PostgreSQL.) Everything runs on loopback:
the fake Intervals.icu server with a fixed latency, the gateway as a real uvicorn process.
Results go to docs/benchmarks.json and docs/benchmarks.md; goals are reported met / not met
and never fail the command.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.load import LoadResult, closed_loop, paired_loop
from bench.resolve import growth_lines
from bench.seed import SeedAthlete, seed
from bench.soak import GROWTH_LIMIT_MB as GOAL_SOAK_GROWTH_MB
from bench.soak import soak
from bench.stats import summarize
from tests.support.processes import cpu_seconds, free_port, python_module, rss_bytes, running

CONCURRENCY = (1, 8, 32, 128)
# The one-client figures (the per-call goals) are the median of this many rounds: on the shared
# 2-core machine a single round's CPU per call moves by about +-0.5 ms with its neighbours.
ROUNDS_AT_ONE_CLIENT = 5
MODERN_CONCURRENCY = (1, 32)
BENCH_KEY = "bench:" + base64.urlsafe_b64encode(b"b" * 32).decode().rstrip("=")
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ERAS = (LEGACY, MODERN)
QUESTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "last 10 activities": ("get_activities", {"limit": 10}),
    "one activity's details": ("get_activity_details", {}),
    "one activity's intervals": ("get_activity_intervals", {}),
    "30 days of wellness": ("get_wellness_data", {}),
    "next 14 days of events": ("get_events", {}),
}


@dataclass
class Stack:
    """A running fake upstream and gateway, and the tokens seeded for the load clients."""

    gateway: str
    upstream: str
    gateway_pid: int
    tokens: list[str]
    athletes: list[SeedAthlete]
    windows: Iterator[tuple[date, date]] = field(default_factory=lambda: activity_windows())
    """The date windows of the gateway's get_activities calls, each asked once (see
    :func:`activity_windows`)."""


FAKE_HISTORY_DAYS = 730
"""Days of activities the benchmark's fake holds: room for thousands of distinct windows."""
WINDOW_DAYS = 28
"""The narrowest window asked for: every window holds more than 10 activities."""
WINDOW_WIDTHS = 32


def activity_windows(today: date | None = None) -> Iterator[tuple[date, date]]:
    """Distinct (first day, last day) windows of at least :data:`WINDOW_DAYS` days, all inside
    the fake's history and ending two days before ``today`` (every athlete's yesterday, in
    any timezone): a deployment's answer cache (``GATEWAY_ANSWER_CACHE=auto``) has never seen
    any of them, so each call is a cache miss of the activities that still reads the athlete
    profile (pace units) from the cache, as in production. Each window holds more than 10
    activities, so ``get_activities(limit=10)`` answers 10 every time. Over
    after every width and end have been asked, the windows start again (by then the first
    have long expired from the cache)."""
    last = (today or date.today()) - timedelta(days=2)
    ends = FAKE_HISTORY_DAYS - WINDOW_DAYS - WINDOW_WIDTHS - 2
    while True:
        for width in range(WINDOW_DAYS, WINDOW_DAYS + WINDOW_WIDTHS):
            for back in range(ends):
                end = last - timedelta(days=back)
                yield end - timedelta(days=width - 1), end


def demo_athletes() -> list[SeedAthlete]:
    from tests.fake_intervals.data import DEMO_ATHLETES

    return [SeedAthlete(a.id, a.name, a.timezone, a.api_key) for a in DEMO_ATHLETES]


def era_request(
    era: str, token: str, method: str, params: dict[str, Any]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers and body of one stateless request in a protocol era: 2025-11-25 (the protocol
    version header only) or 2026-07-28 (the ``Mcp-Method`` / ``Mcp-Name`` routing headers and
    the per-request ``params._meta`` envelope; spec "Transports", HTTP headers)."""
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": era, "Authorization": f"Bearer {token}"}
    if era == MODERN:
        headers["Mcp-Method"] = method
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
        params = {
            **params,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
            },
        }
    return headers, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


async def mcp_call(
    http: httpx.AsyncClient,
    base: str,
    token: str,
    method: str,
    params: dict[str, Any],
    era: str = LEGACY,
) -> dict[str, Any]:
    """One stateless JSON-RPC request to /mcp in a protocol era; raises unless it succeeded."""
    headers, body_sent = era_request(era, token, method, params)
    response = await http.post(f"{base}/mcp", headers=headers, json=body_sent)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    result: dict[str, Any] = body["result"]
    if result.get("isError"):
        raise RuntimeError(f"{method}: tool error {result.get('content')}")
    return result


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


# -- processes ---------------------------------------------------------------------------


@contextmanager
def upstream(latency_ms: int, logs: Path) -> Iterator[str]:
    """The fake Intervals.icu server as its own process, with a fixed latency per request."""
    port = free_port()
    args = python_module(
        "tests.fake_intervals",
        "--port",
        str(port),
        "--latency",
        str(latency_ms / 1000),
        "--history-days",
        str(FAKE_HISTORY_DAYS),
    )
    ready = f"http://127.0.0.1:{port}/api/v1/athlete/0"  # 401 without credentials: it is up
    log = logs / f"fake-{latency_ms}.log"
    with running(args, ready, log=log, ready_status=401):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def gateway(
    port: int,
    database_url: str,
    upstream_url: str,
    workers: int,
    logs: Path,
    profile: Path | None = None,
    answer_cache: str = "auto",
) -> Iterator[tuple[str, int]]:
    """The gateway as a uvicorn process (``profile``: one worker under cProfile, its stats
    written to that file when it stops). The answer cache as deployed by default (``auto``:
    in memory, one worker); ``answer_cache="off"`` sends every request upstream."""
    env = {
        "GATEWAY_BASE_URL": f"http://127.0.0.1:{port}",
        "GATEWAY_PORT": str(port),
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_ENCRYPTION_KEYS": BENCH_KEY,
        "GATEWAY_INTERVALS_API_BASE_URL": f"{upstream_url}/api/v1",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_UPSTREAM_RATE_PER_SECOND": "1000000",
        "GATEWAY_UPSTREAM_BURST": "1000000",
        "GATEWAY_UPSTREAM_PER_ATHLETE_CONCURRENCY": "128",
        "GATEWAY_UPSTREAM_MAX_CONNECTIONS": "512",
        "GATEWAY_OAUTH_PURGE_INTERVAL_SECONDS": "0",
        # the deployment default; the load asks each window once (activity_windows), so every
        # measured call is a cache miss of the activities and a hit of the athlete profile
        "GATEWAY_ANSWER_CACHE": answer_cache,
        # the verified-token cache as a Redis deployment runs it by default (30 s): the bearer
        # check of a repeated token reads no database (bench/resolve.py measures both)
        "GATEWAY_TOKEN_CACHE_SECONDS": "30",
    }
    command = [str(Path(sys.executable).parent / "intervals-gateway")]
    if profile is not None:
        env["BENCH_PROFILE_OUT"] = str(profile.resolve())
        command = python_module("bench.profiled")
    args = [*command, "serve", "--workers", str(workers)]
    log = logs / f"gateway-{workers}w.log"
    with running(args, f"http://127.0.0.1:{port}/readyz", env=env, log=log) as process:
        yield f"http://127.0.0.1:{port}", process.pid


# -- measurements ------------------------------------------------------------------------


async def overhead(
    stack: Stack, levels: tuple[int, ...], requests: int, era: str = LEGACY, rounds_at_one: int = 1
) -> dict[str, Any]:
    """MCP get_activities(start_date, end_date, limit=10) through the gateway (requests in
    protocol ``era``; each call a window not asked before, :func:`activity_windows`) vs the
    same upstream request direct, over the same windows; each side's client decodes its answer
    and checks it lists 10 activities, so the difference is the gateway's. The fake's request
    counts say how many upstream requests each call made (``upstream_per_call``). At one
    client each round measures the two sides in pairs (:func:`_paired_at_one`) and the figures
    are the median of ``rounds_at_one`` rounds (:func:`median_of_rounds`)."""
    out: dict[str, Any] = {}
    for clients in levels:
        rounds = rounds_at_one if clients == 1 else 1
        measured = [await _overhead_at(stack, clients, requests, era) for _ in range(rounds)]
        out[str(clients)] = measured[0] if rounds == 1 else median_of_rounds(measured)
    return out


ROUND_FIGURES = ("gateway_cpu_ms_per_call", "overhead_p50_ms", "overhead_p99_ms")


def median_of_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Several rounds of :func:`_overhead_at` at one client as one result: each figure (and
    each percentile of the gateway and direct summaries) the median over the rounds, the
    upstream request counts and errors summed, and ``rounds`` listing each round's CPU per
    call and added p50/p99, so the spread the machine's neighbours cause stays visible."""

    def median_of(values: list[Any]) -> Any:
        return round(statistics.median(values), 3)

    first = rounds[0]
    merged: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, dict) and key in ("gateway", "direct"):
            merged[key] = {k: median_of([r[key][k] for r in rounds]) for k in value}
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and key != "errors":
            merged[key] = median_of([r[key] for r in rounds])
        else:
            merged[key] = value
    counted: dict[str, int] = {}
    for r in rounds:
        for k, v in r["upstream_requests"].items():
            counted[k] = counted.get(k, 0) + v
    calls = counted.get("calls", 0)
    merged["upstream_requests"] = counted
    merged["upstream_per_call"] = {
        k: round(v / calls, 3) for k, v in counted.items() if k != "calls" and calls
    }
    merged["errors"] = sum(r["errors"] for r in rounds)
    merged["first_error"] = next((r["first_error"] for r in rounds if r["first_error"]), None)
    merged["rounds"] = [{k: r[k] for k in ROUND_FIGURES} for r in rounds]
    return merged


async def _overhead_at(stack: Stack, clients: int, requests: int, era: str) -> dict[str, Any]:
    """:func:`overhead` at one number of clients: at one client in pairs
    (:func:`_paired_at_one`), from two clients up in blocks, the gateway's calls in one closed
    loop and then the same windows direct in another."""
    if clients == 1:
        return await _paired_at_one(stack, requests, era)
    athletes = stack.athletes
    asked: list[tuple[date, date]] = []

    async def through_gateway(http: httpx.AsyncClient, index: int) -> None:
        first, last = next(stack.windows)
        asked.append((first, last))
        await gateway_activities(http, stack, index, first, last, era)

    replayed = iter(asked)

    async def direct(http: httpx.AsyncClient, index: int) -> None:
        first, last = next(replayed, asked[-1])
        athlete = athletes[index % len(athletes)]
        await direct_activities(http, stack.upstream, athlete, first.isoformat(), last.isoformat())

    per_client = max(1, requests // clients)
    counted_before = await upstream_counts(stack.upstream)
    cpu_before = cpu_seconds(stack.gateway_pid)
    via = await closed_loop(through_gateway, clients, per_client)
    gateway_cpu = cpu_seconds(stack.gateway_pid) - cpu_before
    counted = upstream_requests(counted_before, await upstream_counts(stack.upstream))
    calls = clients * (per_client + 2)  # closed_loop's two warm-up calls per client
    raw = await closed_loop(direct, clients, per_client)
    return overhead_figures(via, raw, gateway_cpu, counted, calls)


async def _paired_at_one(stack: Stack, requests: int, era: str) -> dict[str, Any]:
    """:func:`overhead` at one client, measured in pairs (:func:`bench.load.paired_loop`):
    each gateway call and the direct request for the same window one right after the other,
    the gateway leading every other pair, so both sides see the same moment of the shared
    machine (a block of gateway calls measured in a slow moment against a direct block in a
    quiet one moved the added latency by more than the gateway's changes did). The gateway's
    CPU is read around the whole loop: the direct requests never reach the gateway process.
    The fake's request counts around the loop include the direct requests (one activities
    request each), which are taken out. Adds ``overhead_paired_p50_ms``: the median of the
    per-pair differences (reported, not a goal)."""
    drawn: dict[int, tuple[date, date]] = {}
    direct_requests = 0

    def window(pair: int) -> tuple[date, date]:
        """The pair's window: drawn by whichever side runs first, taken by the other."""
        asked = drawn.pop(pair, None)
        if asked is None:
            asked = drawn[pair] = next(stack.windows)
        return asked

    async def through_gateway(http: httpx.AsyncClient, pair: int) -> None:
        await gateway_activities(http, stack, 0, *window(pair), era)

    async def direct(http: httpx.AsyncClient, pair: int) -> None:
        nonlocal direct_requests
        first, last = window(pair)
        direct_requests += 1
        await direct_activities(
            http, stack.upstream, stack.athletes[0], first.isoformat(), last.isoformat()
        )

    counted_before = await upstream_counts(stack.upstream)
    cpu_before = cpu_seconds(stack.gateway_pid)
    paired = await paired_loop(through_gateway, direct, requests)
    gateway_cpu = cpu_seconds(stack.gateway_pid) - cpu_before
    counted = upstream_requests(counted_before, await upstream_counts(stack.upstream))
    counted["activities"] -= direct_requests
    calls = requests + 2  # paired_loop's two warm-up pairs
    out = overhead_figures(paired.first, paired.second, gateway_cpu, counted, calls)
    differences = paired.differences_s or [float("nan")]
    out["overhead_paired_p50_ms"] = round(1000 * statistics.median(differences), 3)
    return out


async def gateway_activities(
    http: httpx.AsyncClient, stack: Stack, index: int, first: date, last: date, era: str
) -> None:
    """The measured gateway call: MCP ``get_activities(start_date, end_date, limit=10)`` with
    client ``index``'s token, its answer checked to list 10 activities."""
    arguments = {"start_date": first.isoformat(), "end_date": last.isoformat(), "limit": 10}
    result = await mcp_call(
        http,
        stack.gateway,
        stack.tokens[index % len(stack.tokens)],
        "tools/call",
        tool_call("get_activities", arguments),
        era,
    )
    count = (result.get("structuredContent") or {}).get("count")
    if count != 10:
        raise RuntimeError(f"get_activities answered {count} activities, not 10")


def overhead_figures(
    via: LoadResult, raw: LoadResult, gateway_cpu: float, counted: dict[str, int], calls: int
) -> dict[str, Any]:
    """The result of one measurement: the gateway's and the direct latency summaries, the
    added latency as the difference of their percentiles, the gateway's CPU per call (over
    ``calls``, warm-up included) and the upstream requests per call."""
    g, d = summarize(via.latencies_s), summarize(raw.latencies_s)
    return {
        "gateway": g.as_dict(),
        "direct": d.as_dict(),
        "overhead_p50_ms": round(g.p50_ms - d.p50_ms, 3),
        "overhead_p95_ms": round(g.p95_ms - d.p95_ms, 3),
        "overhead_p99_ms": round(g.p99_ms - d.p99_ms, 3),
        "gateway_calls_per_s": round(via.throughput, 1),
        "gateway_cpu_ms_per_call": round(1000 * gateway_cpu / calls, 2),
        "upstream_per_call": {k: round(v / calls, 3) for k, v in counted.items()},
        "upstream_requests": {**counted, "calls": calls},
        "errors": via.errors,
        "first_error": via.first_error,
    }


async def direct_activities(
    http: httpx.AsyncClient, upstream_url: str, athlete: SeedAthlete, oldest: str, newest: str
) -> None:
    """The direct request the gateway's added latency is measured against: ``GET
    /api/v1/athlete/{id}/activities`` (``oldest``, ``newest``, ``limit=10``; HTTP basic auth
    with the athlete's API key), its answer decoded and checked to list 10 activities, as each
    gateway answer is."""
    response = await http.get(
        f"{upstream_url}/api/v1/athlete/{athlete.intervals_id}/activities",
        params={"oldest": oldest, "newest": newest, "limit": 10},
        auth=("API_KEY", athlete.api_key),
    )
    response.raise_for_status()
    listed = len(response.json())
    if listed != 10:
        raise RuntimeError(f"the direct request listed {listed} activities, not 10")


async def upstream_counts(upstream_url: str) -> dict[str, int]:
    """Requests that reached the fake so far, by ``"METHOD path"`` (its request log)."""
    from tests.fake_intervals.app import REQUEST_COUNTS_PATH

    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(f"{upstream_url}{REQUEST_COUNTS_PATH}")
        response.raise_for_status()
        counts: dict[str, int] = response.json()
    return counts


def upstream_requests(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """The upstream requests made between two counts: ``activities`` (``GET
    /athlete/{id}/activities``), ``profile`` (``GET /athlete/{id}``, the pace units) and
    ``other``."""
    made = {"activities": 0, "profile": 0, "other": 0}
    for key, count in after.items():
        new = count - before.get(key, 0)
        if not new:
            continue
        method, _, path = key.partition(" ")
        parts = path.removeprefix("/api/v1/").split("/")
        if method == "GET" and parts[0] == "athlete" and len(parts) == 2:
            made["profile"] += new
        elif method == "GET" and parts[0] == "athlete" and parts[2:] == ["activities"]:
            made["activities"] += new
        else:
            made["other"] += new
    return made


def upstream_line(result: dict[str, Any]) -> str:
    """``upstream requests per call: activities 1.0, profile 0.0, other 0.0 (1002 calls)``."""
    counted = result["upstream_requests"]
    per = result["upstream_per_call"]
    return (
        f"upstream requests per call: activities {per['activities']}, athlete profile "
        f"{per['profile']}, other {per['other']} ({counted['calls']} calls; the profile is read "
        "from the answer cache when 0)"
    )


async def throughput(stack: Stack, clients: int, requests: int) -> float:
    async def call(http: httpx.AsyncClient, index: int) -> None:
        await mcp_call(
            http,
            stack.gateway,
            stack.tokens[index % len(stack.tokens)],
            "tools/call",
            tool_call("get_activities", {"limit": 10}),
        )

    result = await closed_loop(call, clients, max(1, requests // clients))
    return round(result.throughput, 1)


async def answer_sizes(stack: Stack) -> dict[str, Any]:
    """Characters of tools/list and of the answers to a fixed set of questions."""
    token = stack.tokens[0]
    async with httpx.AsyncClient(timeout=60) as http:
        listing = await mcp_call(http, stack.gateway, token, "tools/list", {})
        per_tool = {t["name"]: len(json.dumps(t, separators=(",", ":"))) for t in listing["tools"]}
        latest = await mcp_call(
            http, stack.gateway, token, "tools/call", tool_call("get_activities", {"limit": 1})
        )
        activity_id = _first_activity_id(latest)
        events = await mcp_call(
            http, stack.gateway, token, "tools/call", tool_call("get_events", {})
        )
        answers: dict[str, Any] = {}
        for question, (name, arguments) in QUESTIONS.items():
            args = dict(arguments)
            if name in ("get_activity_details", "get_activity_intervals"):
                args["activity_id"] = activity_id
            result = (
                events
                if name == "get_events"
                else await mcp_call(http, stack.gateway, token, "tools/call", tool_call(name, args))
            )
            text = "".join(c.get("text", "") for c in result.get("content", []))
            structured = result.get("structuredContent")
            answers[question] = {
                "tool": name,
                "text_chars": len(text),
                "structured_chars": len(json.dumps(structured, separators=(",", ":")))
                if structured is not None
                else 0,
            }
    return {
        "tools_list_chars": len(json.dumps(listing, separators=(",", ":"))),
        "per_tool_chars": per_tool,
        "answers": answers,
    }


def _first_activity_id(result: dict[str, Any]) -> str:
    structured = result.get("structuredContent") or {}
    for value in structured.values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "id" in value[0]:
            return str(value[0]["id"])
    raise RuntimeError("get_activities returned no activity id")


@contextmanager
def rss_sampler(pid: int) -> Iterator[list[int]]:
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_bytes(pid))
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


# -- growth (in-process) -----------------------------------------------------------------


async def growth(database_url_for: Any, sizes: tuple[int, ...], probes: int) -> dict[str, Any]:
    """Cost of token verification + credential resolution as the database grows, cache off
    and on (bench/resolve.py)."""
    from bench import resolve

    return await resolve.growth(database_url_for, sizes, probes)


# -- orchestration -----------------------------------------------------------------------


@contextmanager
def databases(kind: str, workdir: Path) -> Iterator[Any]:
    """A factory of fresh database URLs of one kind."""
    if kind == "sqlite":
        yield lambda name: f"sqlite:///{workdir / name}.db"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        raise SystemExit("PostgreSQL run needs BENCH_POSTGRES_URL (or use `make bench`)")
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    created: list[str] = []

    def make(name: str) -> str:
        db = f"bench_{name}_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        created.append(db)
        return make_url(admin_url).set(database=db).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for db in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


async def prepare(database_url: str, resource: str) -> tuple[list[str], list[SeedAthlete]]:
    """Migrate and seed the demo athletes, each with a live access token for `resource`."""
    from app.db.engine import make_async_engine, make_sessionmaker, transaction
    from app.db.migrations import upgrade_to_head
    from app.settings import Settings, parse_key_ring
    from app.vault.crypto import Vault

    settings = Settings(
        _env_file=None,
        database_url=database_url,  # type: ignore[call-arg]
        encryption_keys=BENCH_KEY,
    )
    upgrade_to_head(settings)
    athletes = demo_athletes()
    engine = make_async_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            seeded = await seed(db, Vault(parse_key_ring(BENCH_KEY)), athletes, resource)
    finally:
        await engine.dispose()
    return seeded.tokens, athletes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="fewer requests (smoke run)")
    parser.add_argument(
        "--keep-growth",
        action="store_true",
        help="keep each database's token-growth figures from the last run (bench/resolve.py, "
        "the longest part) instead of measuring them again",
    )
    parser.add_argument(
        "--soak",
        type=float,
        metavar="SECONDS",
        help="only the memory soak: 64 clients for SECONDS (e.g. 600), kept in the results",
    )
    parser.add_argument(
        "--answer-cache",
        choices=("auto", "off"),
        default="auto",
        help="the benchmarked gateway's GATEWAY_ANSWER_CACHE: auto (the deployment default; "
        "every measured call a cache miss of the activities) or off (every request upstream, "
        "the figure of earlier runs)",
    )
    args = parser.parse_args(argv)
    if args.soak:
        if "runs" not in report.read_json():
            raise SystemExit("run the benchmark once before the soak (docs/benchmarks.json)")
        soaked = {"date": report.header()["date"], **asyncio.run(soak(args.soak))}
        results = {**report.read_json(), "soak": soaked}  # read after: a full run may end first
    else:
        kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
        previous = report.read_json().get("runs", {}) if args.keep_growth else {}
        results = {**report.header(), "runs": {}}
        for kind in kinds:
            kept = previous.get(kind, {}).get("growth")
            if args.keep_growth and kept is None:
                raise SystemExit(f"--keep-growth: no {kind} growth figures in the last run")
            results["runs"][kind] = asyncio.run(
                run_database(
                    kind, quick=args.quick, growth_figures=kept, answer_cache=args.answer_cache
                )
            )
    results = report.write_json(results)
    goals = evaluate_goals(results)
    report.write_markdown(render(results, goals))
    for goal in goals:
        print(goal.line())
    print(
        f"wrote {report.RESULTS_JSON.relative_to(report.ROOT)} and "
        f"{report.RESULTS_MD.relative_to(report.ROOT)}"
    )
    return 0


async def run_database(
    kind: str,
    quick: bool,
    growth_figures: dict[str, Any] | None = None,
    answer_cache: str = "auto",
) -> dict[str, Any]:
    """One database's figures; ``growth_figures`` (kept from the last run) skips re-measuring
    the token growth; ``answer_cache``: the benchmarked gateway's GATEWAY_ANSWER_CACHE."""
    requests = 256 if quick else 2048
    out: dict[str, Any] = {"answer_cache": answer_cache}
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp, databases(kind, Path(tmp)) as dbs:
        logs = Path(tmp)
        for latency in (0, 20):
            with upstream(latency, logs) as upstream_url:
                out[f"upstream_{latency}ms"] = await run_stack(
                    dbs(f"load{latency}"),
                    upstream_url,
                    logs,
                    requests,
                    full=latency == 0,
                    answer_cache=answer_cache,
                    rounds_at_one=2 if quick else ROUNDS_AT_ONE_CLIENT,
                )
        if growth_figures is not None:
            out["growth"] = growth_figures
            return out
        from bench.resolve import QUICK_SIZES, SIZES

        sizes = QUICK_SIZES if quick else SIZES
        out["growth"] = await growth(dbs, sizes, probes=300 if quick else 2000)
    return out


async def run_stack(
    database_url: str,
    upstream_url: str,
    logs: Path,
    requests: int,
    full: bool,
    answer_cache: str = "auto",
    rounds_at_one: int = ROUNDS_AT_ONE_CLIENT,
) -> dict[str, Any]:
    """Seed, start one gateway worker and measure; with `full`, also sizes, memory, 2 workers,
    and the one-client figures as the median of ``rounds_at_one`` rounds."""
    port = free_port()
    tokens, athletes = await prepare(database_url, f"http://127.0.0.1:{port}/mcp")
    out: dict[str, Any] = {}
    with gateway(port, database_url, upstream_url, 1, logs, answer_cache=answer_cache) as (
        base,
        pid,
    ):
        stack = Stack(base, upstream_url, pid, tokens, athletes)
        if full:
            out["answer_sizes"] = await answer_sizes(stack)
            out["rss_idle_mb"] = round(rss_bytes(pid) / 2**20, 1)
        with rss_sampler(pid) as samples:
            rounds = rounds_at_one if full else 1
            out["overhead"] = await overhead(stack, CONCURRENCY, requests, LEGACY, rounds)
            if full:  # the same call in the 2026-07-28 era (served in the ASGI task)
                out["overhead_modern"] = await overhead(
                    stack, MODERN_CONCURRENCY, requests, MODERN, rounds
                )
        print(f"answer cache {answer_cache}, 1 client: {upstream_line(out['overhead']['1'])}")
        if full:
            out["rss_under_load_mb"] = round(max(samples, default=0) / 2**20, 1)
            out["throughput_1_worker"] = max(
                out["overhead"][str(c)]["gateway_calls_per_s"] for c in CONCURRENCY
            )
    if full:
        workers = os.cpu_count() or 2
        with gateway(port, database_url, upstream_url, workers, logs) as (base, pid):
            stack = Stack(base, upstream_url, pid, tokens, athletes)
            out["throughput_n_workers"] = {
                "workers": workers,
                "calls_per_s": max([await throughput(stack, c, requests) for c in (32, 128)]),
            }
    return out


GOAL_CPU_MS = 1.5
GOAL_OVERHEAD_P50_MS = 1.0
GOAL_OVERHEAD_P99_MS = 3.0
GOAL_CALLS_PER_S = 600
GOAL_IDLE_RSS_MB = 150
GOAL_RESOLUTION_RATIO = 1.2


def evaluate_goals(results: dict[str, Any]) -> list[report.Goal]:
    """The goals of issue 20, per database run (0 ms upstream), and the soak's memory goal."""
    goals: list[report.Goal] = []
    for kind, run in results["runs"].items():
        fast = run["upstream_0ms"]
        goals += _per_call_goals(f"{kind}, {LEGACY}", fast["overhead"]["1"])
        if "overhead_modern" in fast:
            goals += _per_call_goals(f"{kind}, {MODERN}", fast["overhead_modern"]["1"])
        tput = fast["throughput_1_worker"]
        ratio = run["growth"]["ratio_largest_smallest"]["cache_off"] or float("inf")
        idle = fast["rss_idle_mb"]
        goals += [
            report.Goal(
                f"[{kind}, {LEGACY}] calls/s, one worker, measured (load generator and fake "
                "share the 2 cores)",
                f">= {GOAL_CALLS_PER_S}",
                tput,
                tput >= GOAL_CALLS_PER_S,
            ),
            report.Goal(
                f"[{kind}] verification cost ratio largest/smallest",
                f"<= {GOAL_RESOLUTION_RATIO}",
                ratio,
                ratio <= GOAL_RESOLUTION_RATIO,
            ),
            report.Goal(
                f"[{kind}] idle RSS (MB)", f"<= {GOAL_IDLE_RSS_MB}", idle, idle <= GOAL_IDLE_RSS_MB
            ),
        ]
    soaked = results.get("soak")
    if soaked:
        grown = soaked["growth_mb"]
        goals.append(
            report.Goal(
                f"[soak, sqlite, {soaked['seconds']:.0f} s at {soaked['clients']} clients] "
                "RSS growth after warm-up (MB)",
                f"<= {GOAL_SOAK_GROWTH_MB}",
                grown,
                grown <= GOAL_SOAK_GROWTH_MB,
            )
        )
    return goals


def _per_call_goals(label: str, one: dict[str, Any]) -> list[report.Goal]:
    """The per-call goals at one client (0 ms upstream) for one database and protocol era."""
    cpu, p50, p99 = one["gateway_cpu_ms_per_call"], one["overhead_p50_ms"], one["overhead_p99_ms"]
    derived = round(1000 / cpu, 1) if cpu else 0.0
    return [
        report.Goal(
            f"[{label}] gateway CPU per get_activities call, 1 client (ms)",
            f"<= {GOAL_CPU_MS}",
            cpu,
            cpu <= GOAL_CPU_MS,
        ),
        report.Goal(
            f"[{label}] added latency p50 at 1 client (ms)",
            f"<= {GOAL_OVERHEAD_P50_MS}",
            p50,
            p50 <= GOAL_OVERHEAD_P50_MS,
        ),
        report.Goal(
            f"[{label}] added latency p99 at 1 client (ms)",
            f"<= {GOAL_OVERHEAD_P99_MS}",
            p99,
            p99 <= GOAL_OVERHEAD_P99_MS,
        ),
        report.Goal(
            f"[{label}] calls/s, one worker, derived = 1000 / gateway CPU ms per call "
            "(a core of its own)",
            f">= {GOAL_CALLS_PER_S}",
            derived,
            derived >= GOAL_CALLS_PER_S,
        ),
    ]


def render(results: dict[str, Any], goals: list[report.Goal]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Regenerate with `make bench` (SQLite and PostgreSQL; `python -m bench.run --db sqlite`",
        "for one). Everything runs on loopback: the fake Intervals.icu server with a fixed",
        "latency and the gateway as a real uvicorn process. Raw figures: "
        "[benchmarks.json](benchmarks.json).",
        "",
        "Overhead = a gateway percentile minus the same percentile of the direct request (each",
        "client decodes its answer and checks it lists 10 activities; the overhead is a",
        "difference of percentiles, so a tail figure can be negative when the direct run had the",
        "worse tail). The load generator, the fake and the gateway share the machine: on 2 cores,",
        "latencies from 32 clients up are mostly CPU queueing across all three processes, and a",
        "second worker has no core of its own. Gateway CPU ms/call (user + system time of the",
        "gateway's processes per call) is the gateway's own cost, independent of that sharing.",
        "The 0 ms upstream one-client figures, which the per-call goals use, are the median",
        f"of {ROUNDS_AT_ONE_CLIENT} rounds (each round's figures under its table): a single",
        "round's CPU per call moves by about +-0.5 ms with what else the machine runs. At one",
        "client each round measures pairs: every gateway call and the direct request for the",
        "same window one right after the other, the gateway leading every other pair, so both",
        "sides meet the same moment of the shared machine (two blocks, all gateway calls and",
        "then all direct requests, put a slow moment on one side only and moved the added",
        "latency between runs of the same code). The added latency is still the difference of",
        "the two sides' percentiles (`overhead_paired_p50_ms` in the raw figures: the median of",
        "the per-pair differences), and the gateway's CPU is read around the whole loop (the",
        "direct requests never reach the gateway process). From 8 clients up, the gateway's",
        "calls and then the direct requests run as two closed-loop blocks.",
        *_cache_lines(results),
        "",
        "Also: `python -m bench.run --soak 600` (memory over ten minutes at 64 clients, kept in",
        "the results), `python -m bench.hotpath` (one tool call's cost, with `--profile` or",
        "`--spy` to profile it), `python -m bench.upstream_clients` (the upstream HTTP",
        "client's own cost per request, side by side) and `python -m bench.floor` (the gateway",
        "beside two relays that do less than any gateway can: the floor of added latency on",
        "this machine, [floor.md](floor.md)).",
        "",
        f"- Date: {results['date']}; commit `{results['commit']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}",
        "",
        "## Goals",
        "",
        *[f"- {g.line()}" for g in goals],
    ]
    for kind, run in results["runs"].items():
        lines += ["", f"## {kind}", ""]
        for latency in ("upstream_0ms", "upstream_20ms"):
            lines += _overhead_table(kind, latency, run[latency]["overhead"])
        if "overhead_modern" in run["upstream_0ms"]:
            lines += _overhead_table(
                kind, "upstream_0ms", run["upstream_0ms"]["overhead_modern"], MODERN
            )
        fast = run["upstream_0ms"]
        n = fast["throughput_n_workers"]
        lines += [
            "",
            f"Throughput (get_activities, 0 ms upstream): {fast['throughput_1_worker']} calls/s "
            f"with 1 worker, {n['calls_per_s']} calls/s with {n['workers']} workers.",
            "",
            f"Memory (RSS): {fast['rss_idle_mb']} MB idle, {fast['rss_under_load_mb']} MB peak "
            "under the load runs (up to 128 clients).",
            "",
        ]
        lines += growth_lines(kind, run["growth"])
        lines += _sizes_table(fast["answer_sizes"])
    if results.get("soak"):
        lines += _soak_lines(results["soak"])
    return "\n".join(lines)


def _cache_lines(results: dict[str, Any]) -> list[str]:
    """How the benchmarked gateway caches: the answer cache (``--answer-cache``) and the
    verified-token cache."""
    modes = {run.get("answer_cache", "off") for run in results["runs"].values()}
    if modes == {"off"}:
        answers = "`GATEWAY_ANSWER_CACHE=off` (every call goes upstream)"
    else:
        answers = (
            "the default `GATEWAY_ANSWER_CACHE=auto` (in memory), each get_activities call "
            "asking for a date window not asked before: one upstream request for the "
            "activities, the athlete profile (pace units) from the cache, as in production "
            "(`--answer-cache off`: every request upstream)"
        )
    return [
        f"The benchmarked gateway runs with {answers} and `GATEWAY_TOKEN_CACHE_SECONDS=30` "
        "(the default with the Redis backend)."
    ]


def _soak_lines(soaked: dict[str, Any]) -> list[str]:
    return [
        "",
        "## Memory over a long run (soak)",
        "",
        f"`python -m bench.run --soak {soaked['seconds']:.0f}` ({soaked['date']}): one worker, "
        f"SQLite, {soaked['clients']} clients calling get_activities(limit=10) against a 0 ms "
        f"fake for {soaked['seconds']:.0f} s; RSS sampled every {soaked['sample_every_s']:.0f} s.",
        "",
        f"- {soaked['calls']} calls ({soaked['errors']} errors), {soaked['calls_per_s']} calls/s, "
        f"gateway CPU {soaked['gateway_cpu_ms_per_call']} ms/call",
        f"- RSS: {soaked['rss_idle_mb']} MB idle, {soaked['rss_after_warmup_mb']} MB after the "
        f"warm-up (second tenth of the run), {soaked['rss_end_mb']} MB at the end (last tenth), "
        f"{soaked['rss_max_mb']} MB at most",
        f"- growth after warm-up: {soaked['growth_mb']} MB; slope "
        f"{soaked['slope_mb_per_min']} MB/min",
    ]


def _overhead_table(kind: str, latency: str, data: dict[str, Any], era: str = LEGACY) -> list[str]:
    lines = [
        "",
        f"Latency of get_activities(limit=10), {latency.replace('_', ' ')} ({kind}, protocol "
        f"{era}), ms:",
        "",
        "| clients | gateway p50 | p95 | p99 | direct p50 | p95 | p99 | overhead p50 | p95 | p99 "
        "| calls/s | gateway CPU ms/call |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for clients, r in data.items():
        g, d = r["gateway"], r["direct"]
        lines.append(
            f"| {clients} | {g['p50_ms']} | {g['p95_ms']} | {g['p99_ms']} | {d['p50_ms']} | "
            f"{d['p95_ms']} | {d['p99_ms']} | {r['overhead_p50_ms']} | {r['overhead_p95_ms']} | "
            f"{r['overhead_p99_ms']} | {r['gateway_calls_per_s']} | "
            f"{r['gateway_cpu_ms_per_call']} |"
        )
    return lines + _rounds_lines(data.get("1", {}))


def _rounds_lines(one: dict[str, Any]) -> list[str]:
    """The spread behind a one-client row that is the median of several rounds."""
    rounds = one.get("rounds")
    if not rounds:
        return []

    def spread(key: str) -> str:
        return ", ".join(str(r[key]) for r in rounds)

    return [
        "",
        f"The 1-client row is the median of {len(rounds)} rounds of "
        f"{int(one['gateway']['count'])} "
        f"calls each; per round, gateway CPU ms/call: {spread('gateway_cpu_ms_per_call')}; "
        f"added p50: {spread('overhead_p50_ms')}; added p99: {spread('overhead_p99_ms')}.",
    ]


def _sizes_table(sizes: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Answer sizes (characters): tools/list {sizes['tools_list_chars']} in total; per tool: "
        + ", ".join(f"{k} {v}" for k, v in sizes["per_tool_chars"].items())
        + ".",
        "",
        "| question | tool | structured JSON | text |",
        "|---|---|---:|---:|",
    ]
    for question, a in sizes["answers"].items():
        lines.append(f"| {question} | {a['tool']} | {a['structured_chars']} | {a['text_chars']} |")
    return lines


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"benchmark took {time.monotonic() - started:.0f}s")
    sys.exit(code)
