"""Security headers for HTML pages: no framing (clickjacking), no caching, no referrer leak.

`X-Frame-Options: DENY` (RFC 7034) and CSP `frame-ancestors 'none'` (CSP Level 2) on every
HTML response; the pages need no JavaScript, so scripts are disallowed entirely.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"form-action 'self' https: http://127.0.0.1:* http://localhost:* http://[::1]:*; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


def content_type_of(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The first ``Content-Type`` value of an answer's headers (b"" when none)."""
    for name, value in headers:
        if name.lower() == b"content-type":
            return value
    return b""


class PageSecurityHeaders:
    """ASGI middleware adding PAGE_HEADERS to every text/html response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if content_type_of(headers).startswith(b"text/html"):
                    headers = list(headers)  # copied only when changed
                    present = {k.lower() for k, _ in headers}
                    headers.extend(h for h in PAGE_HEADERS if h[0] not in present)
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
