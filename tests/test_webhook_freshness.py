"""Staleness zero (issue 21): with the answer cache on and webhooks configured, a change at
Intervals.icu (an upload, a wellness sync) is in the very next tool call; without webhooks it
shows once the cached answer's TTL has passed. The real gateway, its real answer cache, the
fake Intervals.icu sending its webhooks; time moves on the test's clock."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.web.webhooks import WebhookWorker
from tests.fake_intervals import DEMO_ATHLETES
from tests.support.gateway import Gateway, gateway_settings, in_process_gateway

SECRET = "freshness-webhook-secret-0123456789"
ATHLETE = DEMO_ATHLETES[0]
COACH = next(a for a in DEMO_ATHLETES if a.coached)
TTL = 120.0
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


@asynccontextmanager
async def cached_gateway(
    tmp_path: Path, database_url: str, *, webhooks: bool
) -> AsyncIterator[tuple[Gateway, str]]:
    overrides: dict[str, Any] = {"answer_cache": "memory", "answer_cache_ttl_seconds": TTL}
    if webhooks:
        overrides["intervals_webhook_secret"] = SECRET
    settings = gateway_settings(tmp_path, database_url, **overrides)
    async with in_process_gateway(settings) as gateway:
        seeded = await gateway.seed(ATHLETE)
        if webhooks:
            app = gateway.app
            gateway.fake.webhooks.configure(
                f"{settings.base_url}/webhooks/intervals",
                SECRET,
                client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app)),
            )
        yield gateway, seeded.token


async def ask(gateway: Gateway, token: str, tool: str, **arguments: Any) -> str:
    """One tool call through /mcp; its structured answer as text."""
    response = await gateway.browser.post(
        "/mcp",
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        },
    )
    result = response.json()["result"]
    assert not result.get("isError"), result
    return json.dumps(result.get("structuredContent"))


async def settle(gateway: Gateway) -> None:
    """Intervals.icu sends its webhooks; the gateway processes them (milliseconds)."""
    if gateway.fake.webhooks.enabled:
        assert set(await gateway.fake.webhooks.deliver()) <= {200}
        worker: WebhookWorker = gateway.app.state.webhooks
        await worker.drained()


def upstream_reads(gateway: Gateway, suffix: str) -> int:
    return sum(1 for r in gateway.fake.requests if r.path.endswith(suffix))


async def test_an_upload_is_in_the_very_next_answer_with_webhooks(
    tmp_path: Path, database_url: str
) -> None:
    async with cached_gateway(tmp_path, database_url, webhooks=True) as (gateway, token):
        first = await ask(gateway, token, "get_activities", limit=3)
        await ask(gateway, token, "get_activities", limit=3)
        assert upstream_reads(gateway, "/activities") == 1  # the repeat came from the cache
        new = gateway.fake.upload_activity(ATHLETE.id, name="Lunch ride")
        assert new not in first
        await settle(gateway)
        assert new in await ask(gateway, token, "get_activities", limit=3)  # no time passed


async def test_a_wellness_sync_is_in_the_very_next_answer_with_webhooks(
    tmp_path: Path, database_url: str
) -> None:
    async with cached_gateway(tmp_path, database_url, webhooks=True) as (gateway, token):
        today = gateway.fake.local_now(ATHLETE.id).date().isoformat()
        before = await ask(gateway, token, "get_wellness_day", date=today)
        assert '"resting_hr_bpm": 39' not in before
        gateway.fake.sync_wellness(ATHLETE.id, date.fromisoformat(today), restingHR=39)
        await settle(gateway)
        assert '"resting_hr_bpm": 39' in await ask(gateway, token, "get_wellness_day", date=today)


async def test_the_roster_triage_shows_a_wellness_sync_at_once_with_webhooks(
    tmp_path: Path, database_url: str
) -> None:
    """The coach's triage reads through the same answer cache, so the athlete's webhook
    refreshes it too (no triage rows kept apart from the cache)."""
    async with cached_gateway(tmp_path, database_url, webhooks=True) as (gateway, _token):
        coach = await gateway.seed(COACH)
        assert ATHLETE.id in COACH.coached
        before = json.loads(await ask(gateway, coach.token, "get_roster_triage"))
        row = next(r for r in before["rows"] if ATHLETE.id in r["athlete"])
        today = gateway.fake.local_now(ATHLETE.id).date()
        gateway.fake.sync_wellness(ATHLETE.id, today, hrv=12)  # a very bad night
        await settle(gateway)
        after = json.loads(await ask(gateway, coach.token, "get_roster_triage"))
        fresh = next(r for r in after["rows"] if ATHLETE.id in r["athlete"])
        assert fresh["hrv_vs_baseline_pct"] != row.get("hrv_vs_baseline_pct")
        assert fresh["hrv_vs_baseline_pct"] < -50


async def test_without_webhooks_an_upload_shows_after_the_ttl(
    tmp_path: Path, database_url: str
) -> None:
    async with cached_gateway(tmp_path, database_url, webhooks=False) as (gateway, token):
        await ask(gateway, token, "get_activities", limit=3)
        new = gateway.fake.upload_activity(ATHLETE.id, name="Lunch ride")
        await settle(gateway)
        assert new not in await ask(gateway, token, "get_activities", limit=3)  # stale, cached
        gateway.advance(TTL - 1)
        assert new not in await ask(gateway, token, "get_activities", limit=3)
        gateway.advance(2)
        assert new in await ask(gateway, token, "get_activities", limit=3)  # bounded by the TTL


REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set; run under scripts/with-redis.sh")
async def test_a_webhook_to_one_instance_refreshes_every_instance_on_redis(
    tmp_path: Path, database_url: str
) -> None:
    """Two instances share the answer cache in Redis; Intervals.icu's webhook reaches one."""
    settings = gateway_settings(
        tmp_path,
        database_url,
        answer_cache="redis",
        answer_cache_ttl_seconds=3600,
        intervals_webhook_secret=SECRET,
        shared_state_backend="redis",
        redis_url=REDIS_URL,
        redis_key_prefix=f"t{secrets.token_hex(4)}:",
    )
    async with (
        in_process_gateway(settings) as one,
        in_process_gateway(settings, fake=one.fake, time=one.time) as two,
    ):
        token = (await one.seed(ATHLETE)).token
        app = one.app
        one.fake.webhooks.configure(
            f"{settings.base_url}/webhooks/intervals",
            SECRET,
            client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app)),
        )
        await ask(two, token, "get_activities", limit=3)
        reads = upstream_reads(two, "/activities")
        await ask(two, token, "get_activities", limit=3)
        assert upstream_reads(two, "/activities") == reads  # cached, in Redis
        new = one.fake.upload_activity(ATHLETE.id, name="Lunch ride")
        await settle(one)  # the webhook went to instance one
        assert new in await ask(two, token, "get_activities", limit=3)
