"""CORS for the endpoints browser-based MCP clients call directly (Fetch standard §3.2): the
discovery documents, `/token`, `/register` and `/revoke` allow any origin, without credentials.
Never `/authorize` or the sign-in and consent pages."""

from __future__ import annotations

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
