"""Server-side browser sessions for the sign-in, consent and account pages.

The browser holds only an opaque random id (256 bits) in a ``__Host-gw_session`` cookie
(Secure, HttpOnly, SameSite=Lax; see app/web/cookies.py); the database holds its SHA-256 hash.
A session ends after ``session_idle_seconds`` without use or ``session_absolute_seconds`` after
sign-in, whichever comes first (OWASP Session Management Cheat Sheet, "Session Expiration"),
on sign-out, when the athlete is disabled and when the account is deleted.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.db.models import BrowserSession
from app.services import services
from app.settings import Settings
from app.web.cookies import cookie_policy
from app.web.signed_in import (
    SESSION_COOKIE,
    current_athlete,
    hash_secret,
    is_session_live,
    request_clock,
    session_cookie_value,
)

__all__ = [
    "SESSION_COOKIE",
    "clear_session_cookie",
    "current_athlete",
    "end_athlete_sessions",
    "end_session",
    "hash_secret",
    "is_session_live",
    "purge_expired_sessions",
    "request_clock",
    "session_cookie_value",
    "set_session_cookie",
    "start_session",
]


async def start_session(
    db: AsyncSession, athlete_pk: int, settings: Settings, now: datetime
) -> str:
    """Create a session for the athlete; returns the raw id to put in the cookie."""
    raw = secrets.token_urlsafe(32)
    db.add(
        BrowserSession(
            session_hash=hash_secret(raw),
            athlete_id=athlete_pk,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=settings.session_absolute_seconds),
        )
    )
    await db.flush()
    return raw


async def end_session(request: Request, db: AsyncSession) -> None:
    """Delete this browser's session row (sign-out)."""
    raw = session_cookie_value(request, cookie_policy(services(request).settings))
    if raw is not None:
        await db.execute(
            delete(BrowserSession).where(BrowserSession.session_hash == hash_secret(raw))
        )


async def end_athlete_sessions(db: AsyncSession, athlete_pk: int) -> None:
    """Delete every browser session of an athlete (disable, key replaced elsewhere, delete)."""
    await db.execute(delete(BrowserSession).where(BrowserSession.athlete_id == athlete_pk))


async def purge_expired_sessions(db: AsyncSession, now: datetime) -> int:
    """Remove sessions past their absolute lifetime; returns how many."""
    result = await db.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def set_session_cookie(response: Response, settings: Settings, raw: str) -> None:
    cookie_policy(settings).set(
        response, SESSION_COOKIE, raw, max_age=settings.session_absolute_seconds
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    cookie_policy(settings).clear(response, SESSION_COOKIE)
