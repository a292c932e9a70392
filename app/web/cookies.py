"""Cookie policy for the browser pages: `__Host-` prefix, Secure, HttpOnly, SameSite=Lax.

RFC 6265bis §4.1.3.2: a `__Host-` cookie must be Secure, have Path=/ and no Domain. Browsers
and HTTP clients do not keep Secure cookies over plain http, so for an http base URL on
loopback (local development only) the cookie drops Secure and therefore the prefix too.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.responses import Response

from app.settings import Settings


@dataclass(frozen=True)
class CookiePolicy:
    secure: bool

    def name(self, base: str) -> str:
        """`__Host-<base>` when Secure, plain `<base>` on http loopback."""
        return f"__Host-{base}" if self.secure else base

    def set(self, response: Response, base: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            self.name(base),
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response, base: str) -> None:
        response.delete_cookie(
            self.name(base), path="/", secure=self.secure, httponly=True, samesite="lax"
        )


def cookie_policy(settings: Settings) -> CookiePolicy:
    """Secure unless the base URL is plain http on a loopback host."""
    insecure_dev = urlsplit(settings.base_url).scheme == "http" and settings.is_local
    return CookiePolicy(secure=not insecure_dev)
