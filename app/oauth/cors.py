"""CORS for the endpoints browser-based MCP clients call directly (Fetch standard §3.2): the
discovery documents, `/token`, `/register` and `/revoke` allow any origin, without credentials.
Never `/authorize` or the sign-in and consent pages. And :class:`OriginGatedCors`, the CORS
layer in front of `/mcp` (app/mcp/server.py)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS_PATHS = frozenset({"/token", "/register", "/revoke"})
WELL_KNOWN = "/.well-known/"
ALLOW_HEADERS = b"Authorization, Content-Type, MCP-Protocol-Version"
ALLOW_METHODS = b"GET, POST, OPTIONS"


def cors_enabled(path: str) -> bool:
    return path in CORS_PATHS or path.startswith(WELL_KNOWN)


def _is_preflight(scope: Scope) -> bool:
    names = {k.lower() for k, _ in scope.get("headers", [])}
    return scope["method"] == "OPTIONS" and b"access-control-request-method" in names


class OAuthCors:
    """ASGI middleware: answers preflights and adds `Access-Control-Allow-Origin: *`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def passes_on(path: str) -> bool:
        """Whether every request for ``path`` passes through unchanged (app/web/shortcut.py)."""
        return not cors_enabled(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not cors_enabled(scope["path"]):
            await self.app(scope, receive, send)
            return
        if _is_preflight(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-methods", ALLOW_METHODS),
                        (b"access-control-allow-headers", ALLOW_HEADERS),
                        (b"access-control-max-age", b"86400"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", b"*"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cors)


class OriginGatedCors(CORSMiddleware):
    """Starlette's :class:`CORSMiddleware` (Fetch standard §3.2) with the same answers, for
    ``/mcp``: a request without an ``Origin`` header (every server-to-server MCP client; only
    browsers send one) takes a short path that adds only what Starlette adds to such an answer,
    ``Vary: Origin``, without building header views of the request and the answer. Requests
    with an ``Origin`` (preflights included) go through Starlette's middleware unchanged."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has_origin(scope):
            await super().__call__(scope, receive, send)
            return

        async def send_varying_by_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = vary_origin(message.get("headers") or [])
            await send(message)

        await self.app(scope, receive, send_varying_by_origin)


def _has_origin(scope: Scope) -> bool:
    """Whether the request names an ``Origin`` (ASGI header names are lower-case)."""
    return b"origin" in dict(scope["headers"])


def vary_origin(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``Origin`` added to ``Vary`` (RFC 9110 §12.5.5) as Starlette does: the
    values of every ``Vary`` joined into the first one, then ``Origin``; appended when none."""
    result = list(headers)
    found = [i for i, (name, _) in enumerate(result) if name == b"vary"]
    if not found:
        result.append((b"vary", b"Origin"))
        return result
    joined = b", ".join([*(result[i][1] for i in found), b"Origin"])
    result[found[0]] = (b"vary", joined)
    for index in reversed(found[1:]):
        del result[index]
    return result
