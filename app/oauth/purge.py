"""Housekeeping: delete expired authorization codes, tokens and browser sessions, dynamic or
metadata-document clients that never obtained a grant after `oauth_unused_client_seconds`
(hours: abandoned or junk registrations, security review M4), and those that hold no live grant
after `oauth_abandoned_client_seconds`. Operator clients and clients
with live grants are never purged. Runs periodically in the server and as
`intervals-gateway purge`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import transaction
from app.db.models import (
    AccessRecord,
    AuthorizationCode,
    BrowserSession,
    Grant,
    OAuthClient,
    Token,
    WritePreview,
    utcnow,
)
from app.oauth.clients import CIMD, DYNAMIC
from app.redis_state import RedisState, SharedStateUnavailable
from app.settings import Settings

log = logging.getLogger(__name__)
PREVIEW_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class PurgeResult:
    codes: int
    tokens: int
    sessions: int
    clients: int

    def summary(self) -> str:
        return (
            f"purged {self.codes} codes, {self.tokens} tokens, {self.sessions} browser sessions, "
            f"{self.clients} abandoned clients"
        )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_expired(db: AsyncSession, settings: Settings, now: datetime) -> PurgeResult:
    """One purge pass in the caller's transaction."""
    codes = await db.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at <= now))
    tokens = await db.execute(delete(Token).where(Token.expires_at <= now))
    sessions = await db.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
    # write previews a day past expiry (a retried apply replays from its row until then)
    await db.execute(delete(WritePreview).where(WritePreview.expires_at <= now - PREVIEW_GRACE))
    # the access log keeps GATEWAY_ACCESS_LOG_RETENTION_DAYS (docs/clubs.md)
    kept = timedelta(days=settings.access_log_retention_days)
    await db.execute(delete(AccessRecord).where(AccessRecord.at <= now - kept))
    cutoff = now - timedelta(seconds=settings.oauth_abandoned_client_seconds)
    has_live_grant = exists(
        select(Grant.id).where(Grant.client_pk == OAuthClient.id, Grant.revoked_at.is_(None))
    )
    clients = await db.execute(
        delete(OAuthClient).where(
            OAuthClient.origin.in_((DYNAMIC, CIMD)),
            OAuthClient.created_at <= cutoff,
            ~has_live_grant,
        )
    )
    unused = await db.execute(
        delete(OAuthClient).where(
            OAuthClient.origin.in_((DYNAMIC, CIMD)),
            OAuthClient.created_at <= now - timedelta(seconds=settings.oauth_unused_client_seconds),
            ~exists(select(Grant.id).where(Grant.client_pk == OAuthClient.id)),
        )
    )
    return PurgeResult(
        _count(codes), _count(tokens), _count(sessions), _count(clients) + _count(unused)
    )


async def purge_once(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> PurgeResult:
    async with transaction(sessions) as db:
        return await purge_expired(db, settings, now or utcnow())


async def purge_forever(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    redis: RedisState | None = None,
) -> None:
    """The periodic task started by the app's lifespan (every oauth_purge_interval_seconds).

    With Redis, only the instance holding the purge lock (it expires three intervals after its
    holder's last renewal, so another instance takes over) runs a pass; while Redis does not
    answer, no instance purges (the pass is skipped, nothing is lost: expired rows wait)."""
    while True:
        await sleep(settings.oauth_purge_interval_seconds)
        if redis is not None and not await _leads_purge(redis, settings):
            continue
        try:
            result = await purge_once(sessions, settings)
            log.info(result.summary())
        except Exception:  # keep the task alive; the next pass retries
            log.exception("purge failed")


async def _leads_purge(redis: RedisState, settings: Settings) -> bool:
    try:
        return await redis.hold_leadership("purge", 3 * settings.oauth_purge_interval_seconds)
    except SharedStateUnavailable as error:
        log.warning("purge pass skipped: Redis unreachable (%s)", type(error).__name__)
        return False


def start_purge_task(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    redis: RedisState | None = None,
) -> asyncio.Task[None] | None:
    """Start the periodic purge (None when disabled with an interval of 0)."""
    if settings.oauth_purge_interval_seconds <= 0:
        return None
    return asyncio.create_task(purge_forever(sessions, settings, redis=redis), name="oauth-purge")
