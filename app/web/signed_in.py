"""Who is signed in on this browser: the lookup of the server-side browser session.

The browser holds only an opaque random id in the ``__Host-gw_session`` cookie; the database
holds its SHA-256 hash (app/accounts/sessions.py creates and ends sessions). This lookup sits
below both the account pages and the OAuth consent pages, which both need the signed-in
athlete, so neither package imports the other for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from app.db.models import Athlete, BrowserSession
from app.digests import sha256_hex
from app.services import services
from app.settings import Settings
from app.web.cookies import CookiePolicy, cookie_policy

SESSION_COOKIE = "gw_session"


def hash_secret(value: str) -> str:
    """SHA-256 hex of a browser session id: what the database stores instead."""
    return sha256_hex(value)


def request_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (:class:`app.clock.Clock` on its services), as a function of no
    arguments returning the current UTC moment."""
    return services(request).clock.now


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
    settings = services(request).settings
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
