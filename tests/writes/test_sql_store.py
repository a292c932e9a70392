"""The SQL write store on SQLite and PostgreSQL: one handle confirms once even when two applies
race, handles are bound to athlete and grant, and housekeeping drops old previews but never
the journal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.migrations import upgrade_to_head
from app.db.models import Athlete, Grant, JournalRecord, OAuthClient, WritePreview
from app.oauth.purge import purge_once
from app.settings import Settings
from app.writes.changes import ClaimStatus, PlannedChange
from app.writes.store import SqlWriteStore
from tests.conftest import make_settings

NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)
CHANGE = PlannedChange("wellness", "2026-11-29", "wellness 2026-11-29", {"mood": 3}, {"mood": 1})


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    upgrade_to_head(settings)
    engine = make_async_engine(settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def caller(sessions: async_sessionmaker[AsyncSession], name: str) -> SqlWriteStore:
    async with transaction(sessions) as db:
        athlete = Athlete(intervals_id=f"i{abs(hash(name)) % 10**8}", name=name)
        client = OAuthClient(client_id=f"c-{name}", origin="dynamic", name=name)
        db.add_all([athlete, client])
        await db.flush()
        grant = Grant(athlete_id=athlete.id, client_pk=client.id, scope="mcp.write", resource="r")
        db.add(grant)
        await db.flush()
        return SqlWriteStore(sessions, athlete.id, grant.id, client.client_id)


async def test_two_racing_applies_with_one_handle_claim_it_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = await caller(sessions, "aroha")
    handle, _ = await store.issue("req", "state", "update wellness", NOW)
    claims = await asyncio.gather(*[store.claim(handle, "req", "state", NOW) for _ in range(4)])
    assert sorted(c.status.value for c in claims) == ["in_progress"] * 3 + ["ok"]
    batch = await store.record(handle, [CHANGE], NOW)
    again = await store.claim(handle, "req", "state", NOW)
    assert again.status is ClaimStatus.APPLIED and again.batch_id == batch


async def test_a_handle_is_bound_to_its_athlete_and_grant(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    mine, other = await caller(sessions, "aroha"), await caller(sessions, "lena")
    handle, expires = await mine.issue("req", "state", "update wellness", NOW)
    assert (await other.claim(handle, "req", "state", NOW)).status is ClaimStatus.FOREIGN
    assert (await mine.claim(handle, "req", "other", NOW)).status is ClaimStatus.STALE
    assert (await mine.claim(handle, "req", "state", expires)).status is ClaimStatus.EXPIRED
    async with sessions() as db:
        stored = await db.scalar(select(WritePreview.handle_hash))
    assert stored is not None and handle not in stored


async def test_housekeeping_drops_old_previews_and_keeps_the_journal(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    store = await caller(sessions, "aroha")
    handle, _ = await store.issue("req", "state", "update wellness", NOW)
    await store.claim(handle, "req", "state", NOW)
    await store.record(handle, [CHANGE], NOW)
    await store.issue("req2", "state", "update wellness", NOW + timedelta(days=2))
    await purge_once(sessions, settings, NOW + timedelta(days=2))
    async with sessions() as db:
        previews = await db.scalar(select(func.count()).select_from(WritePreview))
        journal = await db.scalar(select(func.count()).select_from(JournalRecord))
    assert (previews, journal) == (1, 1)
