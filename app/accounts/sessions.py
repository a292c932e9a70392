"""Server-side browser sessions for the sign-in, consent and account pages.

The browser holds only an opaque random id (256 bits) in a ``__Host-gw_session`` cookie
(Secure, HttpOnly, SameSite=Lax; see app/web/cookies.py); the database holds its SHA-256 hash.
A session ends after ``session_idle_seconds`` without use or ``session_absolute_seconds`` after
sign-in, whichever comes first (OWASP Session Management Cheat Sheet, "Session Expiration"),
on sign-out, when the athlete is disabled and when the account is deleted.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from app.db.models import Athlete, BrowserSession, utcnow
from app.settings import Settings
from app.web.cookies import CookiePolicy, cookie_policy

SESSION_COOKIE = "gw_session"
Clock = Callable[[], datetime]


def hash_secret(value: str) -> str:
    """SHA-256 hex of a session id, token or code: what the database stores instead."""
    return hashlib.sha256(value.encode()).hexdigest()


def request_clock(request: Request) -> Clock:
    """The clock of this app (tests replace ``app.state.clock``), UTC wall time by default."""
    clock: Clock = getattr(request.app.state, "clock", utcnow)
    return clock


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


def is_session_live(session: BrowserSession, settings: Settings, now: datetime) -> bool:
    """Neither the absolute nor the idle lifetime has run out."""
    idle_deadline = session.last_seen_at + timedelta(seconds=settings.session_idle_seconds)
    return now < session.expires_at and now < idle_deadline


def session_cookie_value(request: Request, policy: CookiePolicy) -> str | None:
    raw = request.cookies.get(policy.name(SESSION_COOKIE), "")
    return raw if 20 <= len(raw) <= 128 else None


async def current_athlete(request: Request, db: AsyncSession) -> Athlete | None:
    """The signed-in athlete for this request's browser session, or None.

    None when there is no cookie, the session is unknown, expired (idle or absolute) or the
    athlete is disabled. A live session's ``last_seen_at`` is moved to now (flushed; the
    caller's transaction commits it).
    """
    settings: Settings = request.app.state.settings
    raw = session_cookie_value(request, cookie_policy(settings))
    if raw is None:
        return None
    result = await db.execute(
        select(BrowserSession, Athlete)
        .join(Athlete, Athlete.id == BrowserSession.athlete_id)
        .where(BrowserSession.session_hash == hash_secret(raw))
    )
    row = result.first()
    if row is None:
        return None
    session, athlete = row
    now = request_clock(request)()
    if not is_session_live(session, settings, now) or athlete.is_disabled:
        return None
    session.last_seen_at = now
    await db.flush()
    return athlete


async def end_session(request: Request, db: AsyncSession) -> None:
    """Delete this browser's session row (sign-out)."""
    raw = session_cookie_value(request, cookie_policy(request.app.state.settings))
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
