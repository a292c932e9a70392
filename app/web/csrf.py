"""CSRF protection for every state-changing form (double-submit cookie, OWASP CSRF cheat sheet).

A random token lives in an HttpOnly `csrf` cookie (SameSite=Lax, `__Host-` when Secure) and is
repeated in a hidden form field; a POST is accepted only when both are present and equal
(constant-time comparison).
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from app.web.cookies import CookiePolicy

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request, policy: CookiePolicy) -> str:
    """The browser's CSRF token (existing cookie value, or a new one to set with `remember`)."""
    existing = request.cookies.get(policy.name(CSRF_COOKIE), "")
    if 32 <= len(existing) <= 128:
        return existing
    token: str = request.state.__dict__.setdefault("new_csrf_token", secrets.token_urlsafe(32))
    return token


def remember_csrf_token(request: Request, response: Response, policy: CookiePolicy) -> None:
    """Set the cookie if `csrf_token` minted a new token during this request."""
    new = request.state.__dict__.get("new_csrf_token")
    if new:
        policy.set(response, CSRF_COOKIE, new, max_age=None)


def csrf_valid(request: Request, submitted: str | None, policy: CookiePolicy) -> bool:
    """True when the submitted form token matches the cookie (constant time)."""
    cookie = request.cookies.get(policy.name(CSRF_COOKIE), "")
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
