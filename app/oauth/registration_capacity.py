"""Capacity of dynamic client registration (RFC 7591 §3) against flooding (security review M4).

Anyone may register, so the number of stored registrations is capped; the rules below keep the
cap from being filled for long by one address, and keep real ChatGPT and Claude connectors
working while junk registrations press against it:

- Two pools. A registration whose redirect URIs are all known ChatGPT or Claude callbacks
  (:data:`VENDOR_CALLBACKS`) goes to the *vendor* pool (client ids ``gwv_…``), every other one
  to the *general* pool (``gwd_…``). Each pool has its own cap and its own per-address rate
  limit, so junk aimed at the general pool can never starve the vendors' registrations, which
  all arrive from those vendors' shared egress addresses.
- Reuse. A public registration whose metadata equals an existing, never-used registration gets
  that client back instead of a new row, so repeated identical registrations (every Claude
  user registers the same metadata) do not grow the table at all.
- Expiry. A registration that never obtained a grant is purged after
  ``oauth_unused_client_seconds`` (hours, app/oauth/purge.py), so a full pool drains by itself.
- Rate per address, IPv6 grouped by /64 (app/web/client_address.limiter_key).
- An atomic cap: count and insert happen under one lock per process, and on PostgreSQL under a
  transaction-scoped advisory lock, so concurrent registrations cannot overshoot it.
- A warning in the log when a pool reaches 90 % of its cap (at most every 15 minutes).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Grant, OAuthClient
from app.oauth.clients import DYNAMIC, NONE
from app.oauth.errors import OAuthError
from app.oauth.registration import (
    Registration,
    register_client,
    registration_response,
    stored_metadata,
    stored_name,
)

log = logging.getLogger(__name__)

GENERAL = "general"
VENDOR = "vendor"
POOL_PREFIXES = {GENERAL: "gwd_", VENDOR: "gwv_"}
WARN_FRACTION = 0.9
WARN_EVERY_SECONDS = 900.0
REUSE_CANDIDATES = 50
# Arbitrary constant identifying the registration lock among PostgreSQL advisory locks.
ADVISORY_LOCK_KEY = 7_591_001

# The redirect URIs ChatGPT and Claude register (ChatGPT: one fixed URI, or one per connector).
VENDOR_CALLBACKS = (
    re.compile(r"https://chatgpt\.com/connector_platform_oauth_redirect"),
    re.compile(r"https://chatgpt\.com/connector/oauth/[A-Za-z0-9_-]{1,128}"),
    re.compile(r"https://claude\.ai/api/mcp/auth_callback"),
    re.compile(r"https://claude\.com/api/mcp/auth_callback"),
)


def is_vendor_callback(uri: str) -> bool:
    return any(pattern.fullmatch(uri) for pattern in VENDOR_CALLBACKS)


def registration_pool(redirect_uris: list[str]) -> str:
    """VENDOR when every redirect URI is a known ChatGPT or Claude callback, else GENERAL."""
    return VENDOR if redirect_uris and all(map(is_vendor_callback, redirect_uris)) else GENERAL


@dataclass
class CapWarning:
    """Logs that a pool is nearly full, at most once per WARN_EVERY_SECONDS per pool."""

    last: dict[str, float] = field(default_factory=dict)

    def check(self, pool: str, count: int, cap: int) -> None:
        if count < cap * WARN_FRACTION:
            return
        now = time.monotonic()
        if now - self.last.get(pool, -WARN_EVERY_SECONDS) < WARN_EVERY_SECONDS:
            return
        self.last[pool] = now
        log.warning(
            "dynamic client registration (%s pool) at %d of %d (GATEWAY_OAUTH_DYNAMIC_CLIENTS_MAX);"
            " unused registrations expire after GATEWAY_OAUTH_UNUSED_CLIENT_SECONDS",
            pool,
            count,
            cap,
        )


async def lock_registrations(db: AsyncSession) -> None:
    """Serialise registrations across processes on PostgreSQL until the transaction ends
    (SQLite serialises writers itself; the per-process lock covers the rest)."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


async def pool_size(db: AsyncSession, pool: str) -> int:
    """Registrations stored in `pool` (recognised by their client id prefix)."""
    count = await db.scalar(
        select(func.count())
        .select_from(OAuthClient)
        .where(
            OAuthClient.origin == DYNAMIC,
            OAuthClient.client_id.startswith(POOL_PREFIXES[pool], autoescape=True),
        )
    )
    return int(count or 0)


def _same_metadata(client: OAuthClient, wanted: dict[str, object]) -> bool:
    return {
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "scope": client.scope,
        "client_metadata": client.client_metadata,
    } == wanted


async def reusable_client(
    db: AsyncSession, name: str, method: str, wanted: dict[str, object]
) -> OAuthClient | None:
    """A never-used public registration with exactly this metadata, if there is one."""
    if method != NONE:
        return None  # a confidential client's secret is shown once: it cannot be handed out again
    never_used = ~exists(select(Grant.id).where(Grant.client_pk == OAuthClient.id))
    candidates = await db.scalars(
        select(OAuthClient)
        .where(
            OAuthClient.origin == DYNAMIC,
            OAuthClient.name == name,
            OAuthClient.token_endpoint_auth_method == NONE,
            never_used,
        )
        .order_by(OAuthClient.id.desc())
        .limit(REUSE_CANDIDATES)
    )
    return next((c for c in candidates if _same_metadata(c, wanted)), None)


async def admit_registration(
    db: AsyncSession,
    registration: Registration,
    pool: str,
    cap: int,
    now: datetime,
    warning: CapWarning,
) -> dict[str, Any]:
    """The RFC 7591 §3.2.1 response: an identical unused client reused, else a new client if
    `pool` has room; raises 503 `temporarily_unavailable` when it is full. Call it under
    :func:`lock_registrations` (and the process lock) so that count and insert are atomic."""
    reused = await reusable_client(
        db,
        stored_name(registration),
        registration.token_endpoint_auth_method,
        stored_metadata(registration),
    )
    if reused is not None:
        reused.created_at = now  # registered again: its unused-expiry starts over
        return registration_response(reused, None)
    count = await pool_size(db, pool)
    warning.check(pool, count + 1, cap)
    if count >= cap:
        raise OAuthError("temporarily_unavailable", "registration is full; try later", 503)
    client, secret = await register_client(db, registration, now, POOL_PREFIXES[pool])
    return registration_response(client, secret)
