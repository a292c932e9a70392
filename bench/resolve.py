"""Growth: the in-process cost of resolving a bearer token to the caller's credential
(hash lookup, audience, expiry, scopes, then decrypting the credential) as the database grows."""

from __future__ import annotations

import random
import time
from typing import Any

from bench.seed import SeedAthlete, seed
from bench.stats import summarize

RESOURCE = "http://127.0.0.1:8000/mcp"


async def resolution_cost(database_url: str, size: int, probes: int) -> dict[str, Any]:
    from app.db.engine import make_async_engine, make_sessionmaker, transaction
    from app.db.migrations import upgrade_to_head
    from app.settings import Settings, parse_key_ring
    from app.vault.crypto import Vault
    from bench.run import BENCH_KEY

    settings = Settings(
        _env_file=None,
        database_url=database_url,  # type: ignore[call-arg]
        encryption_keys=BENCH_KEY,
    )
    upgrade_to_head(settings)
    vault = Vault(parse_key_ring(BENCH_KEY))
    athletes = [
        SeedAthlete(f"i{900000 + n}", f"Athlete {n}", "UTC", f"key-{n:08d}") for n in range(size)
    ]
    engine = make_async_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        async with transaction(sessions) as db:
            seeded = await seed(db, vault, athletes, RESOURCE)
        resolve = _resolver(settings, sessions, vault)
        rng = random.Random(size)
        sample = [rng.choice(seeded.tokens) for _ in range(probes)]
        for token in sample[:50]:  # warm caches and connections
            await resolve(token)
        timings = []
        for token in sample:
            began = time.perf_counter()
            await resolve(token)
            timings.append(time.perf_counter() - began)
    finally:
        await engine.dispose()
    summary = summarize(timings)
    return {
        "median_us": round(summary.p50_ms * 1000, 1),
        "p95_us": round(summary.p95_ms * 1000, 1),
        "probes": probes,
    }


def _resolver(settings: Any, sessions: Any, vault: Any) -> Any:
    """The path every MCP request runs (app/mcp/auth.py, then app/mcp/caller.py): one query
    verifies the bearer token and returns the caller with the credential still sealed, then the
    credential is decrypted. No second query."""
    from app.db.models import utcnow
    from app.oauth.resource import verify_access_token
    from app.vault.store import unseal

    async def resolve(token: str) -> None:
        async with sessions() as db:
            caller = await verify_access_token(db, token, resource=RESOURCE, now=utcnow())
        if caller is None:
            raise RuntimeError("seeded token refused")
        if caller.credential is None:
            raise RuntimeError("seeded credential missing")
        unseal(vault, caller.credential)

    return resolve
