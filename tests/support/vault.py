"""Read an athlete's stored credential back in tests, decrypted by the production ``unseal``
(the gateway itself reads it sealed with the caller's token: app/mcp/auth.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Credential
from app.settings import EncryptionKey
from app.vault.crypto import Vault
from app.vault.store import SealedCredential, UpstreamCredential, unseal


@dataclass(frozen=True)
class StoredCredential:
    """A stored credential, decrypted, with its bookkeeping columns."""

    athlete_pk: int
    kind: str
    credential: UpstreamCredential
    upstream_scope: str | None
    last_verified_at: datetime | None
    rejected_at: datetime | None


async def load_credential(
    db: AsyncSession, keyring: Vault | Sequence[EncryptionKey], athlete_pk: int
) -> StoredCredential | None:
    """The athlete's decrypted credential, or None when they have none (VaultError when it
    cannot be decrypted)."""
    row = await db.scalar(select(Credential).where(Credential.athlete_id == athlete_pk))
    if row is None:
        return None
    sealed = SealedCredential(
        athlete_pk=athlete_pk,
        kind=row.kind,
        key_id=row.key_id,
        ciphertext=row.ciphertext,
        rejected=row.rejected_at is not None,
    )
    return StoredCredential(
        athlete_pk=athlete_pk,
        kind=row.kind,
        credential=unseal(keyring, sealed),
        upstream_scope=row.upstream_scope,
        last_verified_at=row.last_verified_at,
        rejected_at=row.rejected_at,
    )
