"""The fake Intervals.icu sends its OAuth-app webhooks to the real gateway (issue 21): data
changes at the fake reach ``services.freshness`` of the gateway, duplicates and forgeries not."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.intervals.freshness import Area
from app.web.webhooks import WebhookWorker
from tests.fake_intervals import DEMO_ATHLETES
from tests.support.freshness import RecordingFreshness
from tests.support.gateway import FAKE_URL, Gateway, gateway_settings, in_process_gateway

SECRET = "fake-app-webhook-secret-0123456789"
ATHLETE = DEMO_ATHLETES[0]


@asynccontextmanager
async def wired(
    tmp_path: Path, database_url: str, *, duplicate: bool = False
) -> AsyncIterator[tuple[Gateway, RecordingFreshness]]:
    """The gateway (webhooks on, the athlete signed in) and the fake sending it webhooks."""
    settings = gateway_settings(tmp_path, database_url, intervals_webhook_secret=SECRET)
    async with in_process_gateway(settings) as gateway:
        await gateway.seed(ATHLETE)
        recorder = RecordingFreshness()
        worker: WebhookWorker = gateway.app.state.webhooks
        worker.services = dataclasses.replace(worker.services, freshness=recorder)
        app = gateway.app
        gateway.fake.webhooks.configure(
            f"{settings.base_url}/webhooks/intervals",
            SECRET,
            client=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=app)),
            duplicate=duplicate,
        )
        yield gateway, recorder


async def processed(gateway: Gateway) -> None:
    worker: WebhookWorker = gateway.app.state.webhooks
    await worker.drained()


async def test_an_upload_then_analysis_reaches_the_cache(tmp_path: Path, database_url: str) -> None:
    async with wired(tmp_path, database_url) as (gateway, recorder):
        activity = gateway.fake.upload_activity(ATHLETE.id)
        assert await gateway.fake.webhooks.deliver() == [200, 200, 200]
        await processed(gateway)
    kinds = [sent.body["events"][0]["type"] for sent in gateway.fake.webhooks.sent]
    assert kinds == ["ACTIVITY_UPLOADED", "ACTIVITY_ANALYZED", "FITNESS_UPDATED"]
    # four workers process in parallel: the order of the invalidations is free
    assert {call[0] for call in recorder.calls} == {ATHLETE.id}
    assert sorted(call[2] for call in recorder.calls) == [(), (activity,), (activity,)]
    assert set().union(*(call[1] for call in recorder.calls)) >= {Area.ACTIVITIES, Area.FITNESS}


async def test_a_wellness_write_at_the_fake_is_announced(tmp_path: Path, database_url: str) -> None:
    """Another app (a phone's wellness sync) writes through the API: the fake answers it,
    then tells the gateway."""
    async with wired(tmp_path, database_url) as (gateway, recorder):
        day = gateway.fake.today.isoformat()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.fake.app)) as app:
            response = await app.put(
                f"{FAKE_URL}/api/v1/athlete/0/wellness/{day}",
                json={"restingHR": 47},
                auth=("API_KEY", ATHLETE.api_key),
            )
        assert response.status_code == 200
        await processed(gateway)
    assert recorder.calls == [(ATHLETE.id, frozenset({Area.WELLNESS}), ())]


async def test_calendar_changes_name_their_events(tmp_path: Path, database_url: str) -> None:
    async with wired(tmp_path, database_url) as (gateway, recorder):
        event_id = gateway.fake.add_race(ATHLETE.id, gateway.fake.today + timedelta(days=9), "10k")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.fake.app)) as app:
            response = await app.delete(
                f"{FAKE_URL}/api/v1/athlete/0/events/{event_id}",
                auth=("API_KEY", ATHLETE.api_key),
            )
        assert response.status_code == 200
        await processed(gateway)
    (sent,) = gateway.fake.webhooks.sent
    assert sent.body["events"][0]["deleted_events"] == [event_id]
    assert [call[1] for call in recorder.calls] == [frozenset({Area.CALENDAR})]


async def test_duplicated_deliveries_invalidate_once(tmp_path: Path, database_url: str) -> None:
    async with wired(tmp_path, database_url, duplicate=True) as (gateway, recorder):
        gateway.fake.sync_wellness(ATHLETE.id, gateway.fake.today, hrv=71)
        assert await gateway.fake.webhooks.deliver() == [200, 200]  # both answered 200
        assert await gateway.fake.webhooks.resend_last() == 200
        await processed(gateway)
    assert recorder.calls == [(ATHLETE.id, frozenset({Area.WELLNESS}), ())]


async def test_a_forged_delivery_is_refused(tmp_path: Path, database_url: str) -> None:
    async with wired(tmp_path, database_url) as (gateway, recorder):
        forged = {"athlete_id": ATHLETE.id, "type": "WELLNESS_UPDATED", "timestamp": "now"}
        assert await gateway.fake.webhooks.send_forged(forged) == 403
        await processed(gateway)
    assert recorder.calls == []


@pytest.mark.parametrize("kind", ["SPORT_SETTINGS_UPDATED"])
async def test_a_sport_settings_write_is_announced(
    tmp_path: Path, database_url: str, kind: str
) -> None:
    async with wired(tmp_path, database_url) as (gateway, recorder):
        settings_id = gateway.fake.athletes[ATHLETE.id].sport_settings[0]["id"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.fake.app)) as app:
            response = await app.put(
                f"{FAKE_URL}/api/v1/athlete/0/sport-settings/{settings_id}",
                json={"ftp": 281},
                auth=("API_KEY", ATHLETE.api_key),
            )
        assert response.status_code == 200
        await processed(gateway)
    assert gateway.fake.webhooks.sent[0].body["events"][0]["type"] == kind
    assert recorder.calls == [(ATHLETE.id, frozenset({Area.SETTINGS, Area.PROFILE}), ())]
