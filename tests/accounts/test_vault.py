"""The credential vault: AES-256-GCM with owner/kind binding, key ids, and key rotation that
survives an interruption (real SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete, Credential
from app.intervals.credentials import ApiKey, BearerToken
from app.settings import EncryptionKey, Settings
from app.vault.crypto import Vault, VaultError
from app.vault.store import (
    KIND_API_KEY,
    KIND_OAUTH_TOKEN,
    mark_credential_rejected,
    rotate_credentials,
    save_credential,
)
from tests.support.vault import load_credential

OLD = EncryptionKey("old", secrets.token_bytes(32))
NEW = EncryptionKey("new", secrets.token_bytes(32))


def test_round_trip_uses_the_primary_key_and_a_fresh_nonce() -> None:
    vault = Vault([NEW, OLD])
    first = vault.encrypt("key-123", 7, KIND_API_KEY)
    second = vault.encrypt("key-123", 7, KIND_API_KEY)
    assert first[0] == second[0] == "new"
    assert first[1][:12] != second[1][:12]  # nonces differ
    assert first[1] != second[1]
    assert b"key-123" not in first[1]
    assert vault.decrypt(*first, 7, KIND_API_KEY) == "key-123"


def test_ciphertext_is_bound_to_its_athlete_and_kind() -> None:
    vault = Vault([NEW])
    key_id, blob = vault.encrypt("key-123", 7, KIND_API_KEY)
    with pytest.raises(VaultError):
        vault.decrypt(key_id, blob, 8, KIND_API_KEY)
    with pytest.raises(VaultError):
        vault.decrypt(key_id, blob, 7, KIND_OAUTH_TOKEN)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(VaultError):
        vault.decrypt(key_id, tampered, 7, KIND_API_KEY)


def test_older_keys_still_decrypt_and_a_missing_key_is_named() -> None:
    key_id, blob = Vault([OLD]).encrypt("key-123", 7, KIND_API_KEY)
    assert Vault([NEW, OLD]).decrypt(key_id, blob, 7, KIND_API_KEY) == "key-123"
    with pytest.raises(VaultError, match=r"'old'.*not configured") as caught:
        Vault([NEW]).decrypt(key_id, blob, 7, KIND_API_KEY)
    assert "key-123" not in str(caught.value)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_async_engine(settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _athletes(sessions: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    async with transaction(sessions) as db:
        rows = [Athlete(intervals_id=f"i{900 + n}", name=f"A{n}") for n in range(count)]
        db.add_all(rows)
        await db.flush()
        return [row.id for row in rows]


async def test_stored_credential_loads_as_the_client_credential_type(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    api_pk, oauth_pk, nothing_pk = await _athletes(sessions, 3)
    async with transaction(sessions) as db:
        await save_credential(db, [NEW], api_pk, KIND_API_KEY, "key-abc")
        await save_credential(db, [NEW], oauth_pk, KIND_OAUTH_TOKEN, "tok-abc", upstream_scope="X")
    async with transaction(sessions) as db:
        api = await load_credential(db, [NEW], api_pk)
        oauth = await load_credential(db, Vault([NEW]), oauth_pk)
        assert await load_credential(db, [NEW], nothing_pk) is None
    assert api is not None and api.credential == ApiKey("key-abc")
    assert oauth is not None and oauth.credential == BearerToken("tok-abc")
    assert oauth.kind == KIND_OAUTH_TOKEN and oauth.upstream_scope == "X"
    assert "key-abc" not in repr(api)


async def test_rejection_is_recorded_and_cleared_by_a_new_key(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    (pk,) = await _athletes(sessions, 1)
    async with transaction(sessions) as db:
        await save_credential(db, [NEW], pk, KIND_API_KEY, "key-abc")
        await mark_credential_rejected(db, pk, "401 from Intervals.icu")
    async with transaction(sessions) as db:
        stored = await load_credential(db, [NEW], pk)
        assert stored is not None and stored.rejected_at is not None
        await save_credential(db, [NEW], pk, KIND_API_KEY, "key-new")
    async with transaction(sessions) as db:
        stored = await load_credential(db, [NEW], pk)
    assert stored is not None and stored.rejected_at is None
    assert stored.credential == ApiKey("key-new")


async def test_a_ciphertext_copied_to_another_athlete_fails_to_decrypt(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    alice, bob = await _athletes(sessions, 2)
    async with transaction(sessions) as db:
        await save_credential(db, [NEW], alice, KIND_API_KEY, "alice-key")
        await save_credential(db, [NEW], bob, KIND_API_KEY, "bob-key")
    async with transaction(sessions) as db:
        stolen = await db.scalar(
            select(Credential.ciphertext).where(Credential.athlete_id == alice)
        )
        await db.execute(
            update(Credential).where(Credential.athlete_id == bob).values(ciphertext=stolen)
        )
    async with transaction(sessions) as db:
        with pytest.raises(VaultError):
            await load_credential(db, [NEW], bob)
        alice_cred = await load_credential(db, [NEW], alice)
    assert alice_cred is not None and alice_cred.credential == ApiKey("alice-key")


class Interrupted(Exception):
    pass


async def test_rotation_interrupted_halfway_then_rerun_finishes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pks = await _athletes(sessions, 5)
    async with transaction(sessions) as db:
        for pk in pks:
            await save_credential(db, [OLD], pk, KIND_API_KEY, f"key-{pk}")

    def crash_after_first_batch(report: object) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        await rotate_credentials(
            sessions, [NEW, OLD], batch_size=2, after_batch=crash_after_first_batch
        )
    async with transaction(sessions) as db:
        key_ids = (await db.scalars(select(Credential.key_id).order_by(Credential.id))).all()
    assert key_ids == ["new", "new", "old", "old", "old"]  # first batch committed, rest not

    report = await rotate_credentials(sessions, [NEW, OLD], batch_size=2)
    assert (report.scanned, report.rotated, report.already_current) == (5, 3, 2)
    assert report.unreadable == []

    async with transaction(sessions) as db:  # the old key can now be dropped from settings
        for pk in pks:
            stored = await load_credential(db, [NEW], pk)
            assert stored is not None and stored.credential == ApiKey(f"key-{pk}")
    again = await rotate_credentials(sessions, [NEW], batch_size=2)
    assert (again.rotated, again.already_current) == (0, 5)


async def test_rotation_reports_credentials_whose_key_is_gone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = await _athletes(sessions, 2)
    async with transaction(sessions) as db:
        await save_credential(db, [OLD], first, KIND_API_KEY, "key-1")
        await save_credential(db, [NEW], second, KIND_API_KEY, "key-2")
    report = await rotate_credentials(sessions, [NEW], batch_size=10)
    assert report.unreadable == [first]
    assert (report.rotated, report.already_current) == (0, 1)
