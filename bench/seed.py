"""Fill a gateway database for a benchmark: athletes with encrypted credentials, one OAuth
client, a grant per athlete and access tokens, written in bulk through the real models, vault
and token hashing (so lookups cost what they cost in production)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Athlete, Credential, Grant, OAuthClient, Token, utcnow
from app.oauth.tokens import ACCESS, ACCESS_PREFIX, hash_token
from app.vault.crypto import Vault
from app.vault.store import KIND_API_KEY

BENCH_CLIENT_ID = "bench-client"
BATCH = 5_000


@dataclass(frozen=True)
class SeedAthlete:
    intervals_id: str
    name: str
    timezone: str
    api_key: str


@dataclass(frozen=True)
class Seeded:
    tokens: list[str]  # one access token per athlete, in the order the athletes were given
    athlete_pks: list[int]


async def seed(
    db: AsyncSession, vault: Vault, athletes: Sequence[SeedAthlete], resource: str
) -> Seeded:
    """Insert `athletes` with credentials, grants and one live access token each."""
    client_pk = await _bench_client(db)
    now = utcnow()
    tokens: list[str] = []
    pks: list[int] = []
    for start in range(0, len(athletes), BATCH):
        chunk = athletes[start : start + BATCH]
        rows = await db.execute(
            insert(Athlete).returning(Athlete.id),
            [
                {
                    "intervals_id": a.intervals_id,
                    "name": a.name,
                    "timezone": a.timezone,
                    "created_at": now,
                    "updated_at": now,
                }
                for a in chunk
            ],
        )
        chunk_pks = [row[0] for row in rows]
        await db.execute(
            insert(Credential),
            [
                _credential_row(vault, pk, a.api_key, now)
                for pk, a in zip(chunk_pks, chunk, strict=True)
            ],
        )
        grants = await db.execute(
            insert(Grant).returning(Grant.id),
            [
                {
                    "athlete_id": pk,
                    "client_pk": client_pk,
                    "redirect_key": "",
                    "scope": "mcp.read",
                    "resource": resource,
                    "created_at": now,
                }
                for pk in chunk_pks
            ],
        )
        grant_ids = [row[0] for row in grants]
        chunk_tokens = [ACCESS_PREFIX + secrets.token_urlsafe(32) for _ in chunk]
        await db.execute(
            insert(Token),
            [
                {
                    "token_hash": hash_token(t),
                    "kind": ACCESS,
                    "grant_id": g,
                    "scope": "mcp.read",
                    "resource": resource,
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                }
                for t, g in zip(chunk_tokens, grant_ids, strict=True)
            ],
        )
        tokens.extend(chunk_tokens)
        pks.extend(chunk_pks)
    return Seeded(tokens=tokens, athlete_pks=pks)


def _credential_row(vault: Vault, athlete_pk: int, api_key: str, now: object) -> dict[str, object]:
    key_id, blob = vault.encrypt(api_key, athlete_pk, KIND_API_KEY)
    return {
        "athlete_id": athlete_pk,
        "kind": KIND_API_KEY,
        "key_id": key_id,
        "ciphertext": blob,
        "created_at": now,
    }


async def _bench_client(db: AsyncSession) -> int:
    existing = await db.scalar(
        select(OAuthClient.id).where(OAuthClient.client_id == BENCH_CLIENT_ID)
    )
    if existing is not None:
        return existing
    row = await db.execute(
        insert(OAuthClient).returning(OAuthClient.id),
        [
            {
                "client_id": BENCH_CLIENT_ID,
                "origin": "operator",
                "name": "Benchmark",
                "token_endpoint_auth_method": "none",
                "redirect_uris": ["http://127.0.0.1/cb"],
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "mcp.read",
                "client_metadata": {},
                "created_at": utcnow(),
            }
        ],
    )
    return int(row.scalar_one())
