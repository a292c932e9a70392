"""Storing, loading and re-keying athletes' Intervals.icu credentials (``credentials`` table).

Plaintext exists only in memory: it is encrypted (app/vault/crypto.py) before it reaches the
database and decrypted into an :mod:`app.intervals.credentials` object, whose repr never shows
the secret, just before an upstream call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import transaction
from app.db.models import Credential, utcnow
from app.db.revocation import forget_verified
from app.intervals.credentials import ApiKey, BearerToken
from app.settings import EncryptionKey
from app.vault.crypto import Vault, VaultError

KIND_API_KEY = "api_key"
KIND_OAUTH_TOKEN = "oauth_token"
KINDS = (KIND_API_KEY, KIND_OAUTH_TOKEN)
REASON_MAX = 255

UpstreamCredential = ApiKey | BearerToken


@dataclass(frozen=True)
class SealedCredential:
    """A stored credential exactly as read from the database: still encrypted, so it may travel
    with the caller's identity; :func:`unseal` turns it into a usable credential."""

    athlete_pk: int
    kind: str
    key_id: str
    ciphertext: bytes = field(repr=False)
    rejected: bool
    upstream_scope: str | None = None

    @classmethod
    def of_row(cls, row: Credential) -> SealedCredential:
        """The ``credentials`` row as read, still encrypted."""
        return cls(
            athlete_pk=row.athlete_id,
            kind=row.kind,
            key_id=row.key_id,
            ciphertext=row.ciphertext,
            rejected=row.rejected_at is not None,
            upstream_scope=row.upstream_scope,
        )


def unseal(
    keyring: Vault | Sequence[EncryptionKey], sealed: SealedCredential
) -> UpstreamCredential:
    """Decrypt a sealed credential for one upstream call (raises VaultError if it cannot)."""
    secret = as_vault(keyring).decrypt(
        sealed.key_id, sealed.ciphertext, sealed.athlete_pk, sealed.kind
    )
    return build_credential(sealed.kind, secret, sealed.upstream_scope)


def build_credential(kind: str, secret: str, scope: str | None = None) -> UpstreamCredential:
    """The Intervals.icu client credential for a stored kind (API key: Basic, token: Bearer,
    with the scope Intervals.icu granted when known)."""
    if kind == KIND_API_KEY:
        return ApiKey(secret)
    if kind == KIND_OAUTH_TOKEN:
        return BearerToken(secret, scope)
    raise ValueError(f"unknown credential kind {kind!r}")


def as_vault(keyring: Vault | Sequence[EncryptionKey]) -> Vault:
    """Accept a Vault or a key ring (``resolve_key_ring(settings)``)."""
    return keyring if isinstance(keyring, Vault) else Vault(keyring)


async def save_credential(
    db: AsyncSession,
    keyring: Vault | Sequence[EncryptionKey],
    athlete_pk: int,
    kind: str,
    secret: str,
    *,
    upstream_scope: str | None = None,
    verified_at: datetime | None = None,
) -> Credential:
    """Create or replace the athlete's one credential, encrypted under the primary key."""
    if kind not in KINDS:
        raise ValueError(f"unknown credential kind {kind!r}")
    build_credential(kind, secret)  # refuses empty or malformed secrets before storing
    key_id, blob = as_vault(keyring).encrypt(secret, athlete_pk, kind)
    row = await _credential_row(db, athlete_pk)
    if row is None:
        row = Credential(athlete_id=athlete_pk, kind=kind, key_id=key_id, ciphertext=blob)
        db.add(row)
    row.kind, row.key_id, row.ciphertext = kind, key_id, blob
    row.upstream_scope = upstream_scope
    row.created_at = verified_at or utcnow()
    row.last_verified_at = verified_at
    row.rejected_at = None
    row.rejected_reason = None
    await db.flush()
    forget_verified(db, athlete_pk=athlete_pk)  # a cached caller holds the old sealed secret
    return row


async def mark_credential_rejected(db: AsyncSession, athlete_pk: int, reason: str) -> None:
    """Record that Intervals.icu refused the credential (401/403 on the athlete's own data)."""
    await db.execute(
        update(Credential)
        .where(Credential.athlete_id == athlete_pk)
        .values(rejected_at=utcnow(), rejected_reason=reason[:REASON_MAX])
    )
    forget_verified(db, athlete_pk=athlete_pk)


async def mark_credential_verified(db: AsyncSession, athlete_pk: int) -> None:
    """Record a successful upstream call with the credential (clears a previous rejection)."""
    await db.execute(
        update(Credential)
        .where(Credential.athlete_id == athlete_pk)
        .values(last_verified_at=utcnow(), rejected_at=None, rejected_reason=None)
    )


async def _credential_row(db: AsyncSession, athlete_pk: int) -> Credential | None:
    result = await db.execute(select(Credential).where(Credential.athlete_id == athlete_pk))
    return result.scalar_one_or_none()


# -- key rotation ------------------------------------------------------------------------------


@dataclass
class RotationReport:
    """Counts of one ``keys rotate`` run; ``unreadable`` lists athlete row ids to look at."""

    scanned: int = 0
    rotated: int = 0
    already_current: int = 0
    changed_meanwhile: int = 0
    unreadable: list[int] = field(default_factory=list)


AfterBatch = Callable[[RotationReport], None]


async def rotate_credentials(
    sessions: async_sessionmaker[AsyncSession],
    keyring: Vault | Sequence[EncryptionKey],
    *,
    batch_size: int = 100,
    after_batch: AfterBatch | None = None,
) -> RotationReport:
    """Re-encrypt every credential not under the primary key, one transaction per batch.

    Safe to re-run after an interruption: committed batches are under the primary key and are
    counted as already current. A row replaced concurrently (a sign-in wrote a fresh
    ciphertext) is left alone: the update only applies if the ciphertext is still the one read.
    """
    vault = as_vault(keyring)
    report = RotationReport()
    last_id = 0
    while True:
        async with transaction(sessions) as db:
            rows = await _next_batch(db, last_id, batch_size)
            for row in rows:
                await _rotate_one(db, vault, row, report)
        if not rows:
            return report
        last_id = rows[-1].id
        if after_batch is not None:
            after_batch(report)


async def _next_batch(db: AsyncSession, after_id: int, size: int) -> Sequence[Credential]:
    result = await db.execute(
        select(Credential).where(Credential.id > after_id).order_by(Credential.id).limit(size)
    )
    return result.scalars().all()


async def _rotate_one(
    db: AsyncSession, vault: Vault, row: Credential, report: RotationReport
) -> None:
    report.scanned += 1
    if row.key_id == vault.primary_key_id:
        report.already_current += 1
        return
    try:
        secret = vault.decrypt(row.key_id, row.ciphertext, row.athlete_id, row.kind)
    except VaultError:
        report.unreadable.append(row.athlete_id)
        return
    key_id, blob = vault.encrypt(secret, row.athlete_id, row.kind)
    result = await db.execute(
        update(Credential)
        .where(Credential.id == row.id, Credential.ciphertext == row.ciphertext)
        .values(key_id=key_id, ciphertext=blob)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) == 1:
        report.rotated += 1
        forget_verified(db, athlete_pk=row.athlete_id)
    else:
        report.changed_meanwhile += 1
