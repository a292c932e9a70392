"""Growth: the in-process cost of resolving a bearer token to the caller's credential as the
database grows, on the production path with the verified-token cache off and on.

The path timed is the one every MCP request runs: the bound method the bearer middleware
calls (``McpRuntime.verify`` of an app built by ``mount_mcp`` on services opened by
``open_services``: the verified-token cache, else one indexed query), then ``unseal`` of the
sealed credential it returned, as ``CallerSessions._resolve`` does. Left out: the grant's
last-use write, at most once a minute per grant.

The database holds ``size`` athletes, each with a credential, a grant and an access token.
``ACTIVE`` (100) of them are real (credentials encrypted by the vault, tokens known to the
probe); the rest are filler rows written by one set-based INSERT ... SELECT per table (PostgreSQL's
``generate_series``, SQLite's recursive CTE), so a million rows take seconds. Probes pick random
active tokens: with the cache on, after one warm-up pass, they are what a steady client sees.

``python -m bench.resolve --db sqlite|postgresql|both`` runs this part alone and updates its
section of docs/benchmarks.md and docs/benchmarks.json (``make bench`` runs it with the rest).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.seed import SeedAthlete, seed
from bench.stats import summarize

RESOURCE = "http://127.0.0.1:8000/mcp"
ACTIVE = 100
"""Active tokens (the probed ones) at every size: the smallest database's, so each size is
probed with the same working set and only the rows around it grow."""
SIZES = (100, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (100, 1_000)
ROUNDS = 40
MODES = {"cache_off": 0.0, "cache_on": 30.0}
"""GATEWAY_TOKEN_CACHE_SECONDS of each mode."""
FLAT = 1.2
"""Goal: the largest database costs at most this many times the smallest."""

Resolve = Callable[[str], Awaitable[None]]


def bench_settings(database_url: str, cache_seconds: float) -> Any:
    from app.settings import Settings
    from bench.run import BENCH_KEY

    return Settings(
        _env_file=None,
        database_url=database_url,  # type: ignore[call-arg]
        encryption_keys=BENCH_KEY,
        base_url=RESOURCE.removesuffix("/mcp"),
        token_cache_seconds=cache_seconds,
        metrics_token="",
    )


@asynccontextmanager
async def production_resolver(settings: Any) -> AsyncIterator[Resolve]:
    """``resolve(token)``: verification as the bearer middleware runs it, then the credential
    unsealed; raises RuntimeError for a refused token, VaultError for a wrong key."""
    from fastapi import FastAPI

    from app.clock import Clock
    from app.mcp.server import mount_mcp
    from app.services import open_services
    from app.vault.store import unseal

    runtime = mount_mcp(FastAPI(), settings)
    async with (
        open_services(settings, clock=Clock(), schema_head=None) as services,
        runtime.started(services),
    ):
        verify = runtime.verify  # what BearerGuard is given (app/mcp/server.py edge_app)

        async def resolve(token: str) -> None:
            caller = await verify(token)
            if caller is None:
                raise RuntimeError("seeded token refused")
            if caller.credential is None:
                raise RuntimeError("seeded credential missing")
            unseal(services.vault, caller.credential)

        yield resolve


async def seed_database(database_url: str, size: int) -> tuple[list[str], float]:
    """Migrate and fill the database; the active tokens and the seconds it took."""
    from app.db.engine import make_async_engine, make_sessionmaker, transaction
    from app.db.migrations import upgrade_to_head
    from app.settings import parse_key_ring
    from app.vault.crypto import Vault
    from bench.run import BENCH_KEY

    settings = bench_settings(database_url, 0)
    upgrade_to_head(settings)
    vault = Vault(parse_key_ring(BENCH_KEY))
    active = min(size, ACTIVE)
    athletes = [
        SeedAthlete(f"i{900000 + n}", f"Athlete {n}", "UTC", f"key-{n:08d}") for n in range(active)
    ]
    began = time.perf_counter()
    engine = make_async_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            await seed_filler(db, size - active, RESOURCE)
            seeded = await seed(db, vault, athletes, RESOURCE)
    finally:
        await engine.dispose()
    return seeded.tokens, time.perf_counter() - began


async def seed_filler(db: AsyncSession, count: int, resource: str) -> None:
    """``count`` athletes with a credential, a grant and an access token each, written by the
    database itself (one INSERT ... SELECT per table); their tokens are random hashes nobody
    holds."""
    from app.db.models import Athlete, Grant, UTCDateTime, utcnow
    from bench.seed import _bench_client

    if count <= 0:
        return
    client_pk = await _bench_client(db)
    first_athlete = int(await db.scalar(select(func.coalesce(func.max(Athlete.id), 0))) or 0)
    first_grant = int(await db.scalar(select(func.coalesce(func.max(Grant.id), 0))) or 0)
    postgres = db.get_bind().dialect.name == "postgresql"
    series = (
        "SELECT i FROM generate_series(1, :count) AS i"
        if postgres
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
        "SELECT i FROM n"
    )
    random_hash = (
        "md5(random()::text || id::text) || md5(id::text || random()::text)"
        if postgres
        else "lower(hex(randomblob(32)))"
    )
    random_bytes = "decode(md5(random()::text), 'hex')" if postgres else "randomblob(60)"
    if postgres:  # the gateway's statement timeout is for requests, not a million-row seed
        await db.execute(text("SET LOCAL statement_timeout = 0"))
    now = utcnow()
    moments = [
        bindparam("now", now, type_=UTCDateTime()),
        bindparam("expires", now + timedelta(days=1), type_=UTCDateTime()),
    ]
    statements = [
        f"INSERT INTO athletes (intervals_id, name, timezone, created_at, updated_at, coaches) "
        f"SELECT 'f' || s.i, 'Filler', 'UTC', :now, :now, false FROM ({series}) AS s",
        f"INSERT INTO credentials (athlete_id, kind, key_id, ciphertext, created_at) "
        f"SELECT id, 'api_key', 'filler', {random_bytes}, :now FROM athletes WHERE id > :athlete",
        "INSERT INTO grants (athlete_id, client_pk, redirect_key, scope, resource, created_at) "
        "SELECT id, :client, '', 'mcp.read', :resource, :now FROM athletes WHERE id > :athlete",
        f"INSERT INTO tokens (token_hash, kind, grant_id, scope, resource, created_at, "
        f"expires_at) SELECT {random_hash}, 'access', id, 'mcp.read', :resource, :now, :expires "
        f"FROM grants WHERE id > :grant",
    ]
    values = {
        "count": count,
        "athlete": first_athlete,
        "grant": first_grant,
        "client": client_pk,
        "resource": resource,
    }
    for statement in statements:
        names = set(re.findall(r"(?<!:):(\w+)", statement))
        query = text(statement).bindparams(*(m for m in moments if m.key in names))
        await db.execute(query, {k: v for k, v in values.items() if k in names})
    if postgres:
        await db.execute(text("ANALYZE"))


async def resolution_costs(
    database_url_for: Callable[[str], str], sizes: tuple[int, ...], probes: int, rounds: int
) -> dict[str, Any]:
    """Per size (athletes = tokens), the cost of one resolution with the cache off and on.

    Every database is seeded first and every (size, mode) resolver stays open; the probes then
    run in ``rounds`` interleaved rounds (each size and mode in turn), so a change in the
    machine's load (2 shared cores) falls on every size alike instead of on whichever ran last.
    """
    out: dict[str, Any] = {}
    samples: dict[tuple[int, str], list[str]] = {}
    urls = {size: database_url_for(f"growth{size}") for size in sizes}  # each call: a new one
    for size in sizes:
        tokens, seconds = await seed_database(urls[size], size)
        rng = random.Random(size)
        out[str(size)] = {"probes": probes, "seed_s": round(seconds, 1)}
        for mode in MODES:
            samples[(size, mode)] = [rng.choice(tokens) for _ in range(probes)]
    timings: dict[tuple[int, str], list[float]] = {key: [] for key in samples}
    async with AsyncExitStack() as stack:
        resolvers: dict[tuple[int, str], Resolve] = {}
        for size, mode in samples:
            settings = bench_settings(urls[size], MODES[mode])
            resolvers[(size, mode)] = await stack.enter_async_context(production_resolver(settings))
        for key, resolve in resolvers.items():  # warm: connections, statements, token cache
            for token in dict.fromkeys(samples[key]):
                await resolve(token)
        per_round = max(1, probes // rounds)
        for start in range(0, probes, per_round):
            for key, resolve in resolvers.items():
                for token in samples[key][start : start + per_round]:
                    began = time.perf_counter()
                    await resolve(token)
                    timings[key].append(time.perf_counter() - began)
    for (size, mode), values in timings.items():
        summary = summarize(values)
        out[str(size)][mode] = {
            "median_us": round(summary.p50_ms * 1000, 1),
            "p95_us": round(summary.p95_ms * 1000, 1),
        }
    return out


async def resolution_cost(database_url: str, size: int, probes: int) -> dict[str, Any]:
    """Cost of one resolution with ``size`` athletes (= tokens), cache off and on."""
    found = await resolution_costs(lambda _name: database_url, (size,), probes, rounds=1)
    return dict(found[str(size)])


def ratios(growth: dict[str, Any]) -> dict[str, float | None]:
    """Largest over smallest median, per cache mode."""
    sizes = sorted(int(k) for k in growth if k.isdigit())
    out: dict[str, float | None] = {}
    for mode in MODES:
        small = growth[str(sizes[0])][mode]["median_us"]
        large = growth[str(sizes[-1])][mode]["median_us"]
        out[mode] = round(large / small, 3) if small else None
    return out


async def growth(database_url_for: Any, sizes: tuple[int, ...], probes: int) -> dict[str, Any]:
    """The growth table of one database kind (``database_url_for(name)``: a fresh database)."""
    out = await resolution_costs(database_url_for, sizes, probes, ROUNDS)
    out["ratio_largest_smallest"] = ratios(out)
    return out


def growth_lines(kind: str, growth: dict[str, Any]) -> list[str]:
    """The docs/benchmarks.md section of one database kind."""
    rows = {k: v for k, v in growth.items() if k.isdigit()}
    ratio = growth["ratio_largest_smallest"]
    off, on = ratio["cache_off"], ratio["cache_on"]
    verdict = "met" if off is not None and off <= FLAT else "NOT MET"
    return [
        f"Token verification + credential resolution as the database grows ({kind}; "
        "athletes = tokens; production path: `McpRuntime.verify` then `unseal`):",
        "",
        "| tokens | cache off median µs | p95 µs | cache on median µs | p95 µs | seed s |",
        "|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {k} | {v['cache_off']['median_us']} | {v['cache_off']['p95_us']} "
            f"| {v['cache_on']['median_us']} | {v['cache_on']['p95_us']} | {v['seed_s']} |"
            for k, v in rows.items()
        ],
        "",
        f"Ratio largest/smallest: {off} with the cache off (the database path; {verdict}: flat "
        f"means <= {FLAT}), {on} with the cache on."
        + (f" Measured {growth['measured']}." if "measured" in growth else ""),
    ]


SECTION = re.compile(
    r"Token verification \+ credential resolution as the database grows[^\n]*\n"
    r".*?\nRatio largest/smallest:[^\n]*\n",
    re.S,
)


def replace_section(document: str, kind: str, lines: str) -> str:
    """``document`` with the growth block under its ``## <kind>`` heading replaced by
    ``lines`` (added at the end of that part, or of the document, when it has none)."""
    heading = re.search(rf"^## {kind}\n", document, re.M)
    if heading is None:
        return document.rstrip("\n") + f"\n\n## {kind}\n\n" + lines
    following = re.compile(r"^## ", re.M).search(document, heading.end())
    end = following.start() if following else len(document)
    part = document[heading.end() : end]
    block = SECTION.search(part)
    if block is not None:
        part = part[: block.start()] + lines + part[block.end() :]
    else:
        part = part.rstrip("\n") + "\n\n" + lines + "\n"
    return document[: heading.end()] + part + document[end:]


def update_docs(results: dict[str, dict[str, Any]]) -> None:
    """Replace this part's sections in docs/benchmarks.md and its figures in benchmarks.json,
    leaving the rest of the last full run as it is."""
    from bench import report

    document = report.RESULTS_MD.read_text()
    for kind, data in results.items():
        document = replace_section(document, kind, "\n".join(growth_lines(kind, data)) + "\n")
        ratio = data["ratio_largest_smallest"]["cache_off"] or float("inf")
        goal = report.Goal(
            f"[{kind}] verification cost ratio largest/smallest", f"<= {FLAT}", ratio, ratio <= FLAT
        )
        pattern = rf"^- .*\[{kind}\] verification cost ratio largest/smallest = .*$"
        document = re.sub(pattern, f"- {goal.line()}", document, flags=re.M)
    report.RESULTS_MD.write_text(document)
    stored = json.loads(report.RESULTS_JSON.read_text()) if report.RESULTS_JSON.exists() else {}
    for kind, data in results.items():
        stored.setdefault("runs", {}).setdefault(kind, {})["growth"] = data
    report.RESULTS_JSON.write_text(json.dumps(stored, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    from bench import report
    from bench.run import databases

    parser = argparse.ArgumentParser(prog="python -m bench.resolve")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--probes", type=int, default=2000)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    sizes = QUICK_SIZES if args.quick else SIZES
    results: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        print(f"{kind}:", flush=True)
        with (
            tempfile.TemporaryDirectory(prefix="gw-growth-") as tmp,
            databases(kind, Path(tmp)) as dbs,
        ):
            results[kind] = asyncio.run(growth(dbs, sizes, args.probes))
        stamp = report.header()
        results[kind]["measured"] = f"{stamp['date']}, commit `{stamp['commit']}`"
        update_docs({kind: results[kind]})
    for kind, data in results.items():
        print("\n".join(growth_lines(kind, data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
