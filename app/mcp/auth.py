"""Bearer verification for the MCP endpoints (`/mcp`, `/sse`, `/messages/`).

The gateway is the OAuth 2.0 resource server for its own MCP resource:

- RFC 6750 §2.1: the access token comes only in ``Authorization: Bearer``.
- RFC 6750 §3 / RFC 9728 §5.1: a missing or invalid token gets 401 with a ``WWW-Authenticate``
  challenge naming the protected resource metadata and the scope to request
  (``error="invalid_token"`` when a token was sent); a token lacking a scope that the called tool
  needs gets 403 ``insufficient_scope`` with the scopes to ask for (MCP authorization, "scope
  challenge handling").
- RFC 8707: only tokens issued for ``{base}/mcp`` are accepted (audience).

Only the HTTP side lives here; the rule that accepts or refuses a token is the OAuth
package's (app/oauth/resource.py ``verify_access_token``, re-exported here): unknown, expired,
revoked, wrong-resource tokens, revoked grants and disabled athletes all fail the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.availability import (
    RETRY_AFTER_SECONDS,
    is_unavailable,
    log_unavailable,
    new_request_id,
)
from app.mcp.identity import Caller, RequestOutcome, current_caller, current_outcome
from app.oauth.resource import verify_access_token as verify_access_token
from app.observe import observer
from app.scopes import READ, WRITE

PROTECTED_PATHS = ("/mcp", "/sse", "/messages/")
MAX_TOKEN_CHARS = 512
MAX_BODY_BYTES = 4 * 1024 * 1024
UNAVAILABLE = "The gateway cannot reach its database right now; try again in a few seconds."

Verifier = Callable[[str], Awaitable[Caller | None]]


def resource_metadata_url(base_url: str, endpoint: str = "/mcp") -> str:
    """RFC 9728 §3.1: the metadata URL for the resource ``{base}{endpoint}``."""
    return f"{base_url}/.well-known/oauth-protected-resource{endpoint}"


def metadata_endpoint(path: str) -> str:
    """Which resource a request path's 401 names: ``/mcp``, or ``/sse`` for the legacy SSE
    transport (``/sse`` and ``/messages/``), whose clients accept only a resource matching the
    URL they connected to (see app/oauth/metadata.py ``resource_aliases``)."""
    return "/mcp" if path == "/mcp" else "/sse"


def challenge(
    base_url: str,
    *,
    scope: str = READ,
    error: str | None = None,
    description: str | None = None,
    endpoint: str = "/mcp",
) -> str:
    """The ``WWW-Authenticate`` value (RFC 6750 §3) for a 401 or 403 on the MCP endpoints."""
    metadata = resource_metadata_url(base_url, endpoint)
    parts = [f'resource_metadata="{metadata}"', f'scope="{scope}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    return "Bearer " + ", ".join(parts)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), else None."""
    return bearer_token_of(headers.get("authorization", ""))


def bearer_token_of(value: str) -> str | None:
    """The token of an ``Authorization`` header value ``Bearer <token>``, else None."""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return token


class UnreadableJson(Exception):
    """The body is not JSON the guard can read (too deeply nested for the parser)."""


def called_tools(body: bytes | ReadBody) -> list[str]:
    """Names of the tools a JSON-RPC message (or batch) calls; [] if it calls none.

    ``body`` as read (:class:`ReadBody`: its JSON parsed once for every reader). Raises
    UnreadableJson for nesting deeper than the parser's recursion limit (`[` x 100000);
    other invalid JSON is left to the SDK, which answers its parse error."""
    try:
        payload = body.json() if isinstance(body, ReadBody) else json.loads(body)
    except ValueError:
        return []
    except RecursionError:
        raise UnreadableJson from None
    messages = payload if isinstance(payload, list) else [payload]
    names = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            names.append(name if isinstance(name, str) else "")
    return names


def missing_scope(tools: list[str], tool_scopes: Mapping[str, str], granted: frozenset[str]) -> str:
    """The scope string to ask for when ``granted`` does not cover every called tool, else ''."""
    needed = {tool_scopes.get(name, READ) for name in tools}
    if needed <= granted:
        return ""
    return f"{READ} {WRITE}" if WRITE in needed else READ


def last_header(scope: Scope, name: bytes) -> str | None:
    """The value of the last request header called ``name`` (lower case), as a dictionary of
    all headers keyed by lower-cased name would keep it; None when absent. (``bytes.lower``
    of a header name equals ``str.lower`` of its latin-1 text wherever the result is ASCII.)"""
    found: bytes | None = None
    for key, value in scope["headers"]:
        if key.lower() == name:
            found = value
    return None if found is None else found.decode("latin-1")


def _is_protected(path: str) -> bool:
    return path in PROTECTED_PATHS[:2] or path.startswith(PROTECTED_PATHS[2])


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it exceeds MAX_BODY_BYTES. A body an outer
    middleware read and handed on (:class:`ReadBody`, not yet delivered) is taken as it is,
    without reading, within the same limit: ``replay_body`` then hands the same object on."""
    if isinstance(receive, ReadBody) and not receive.sent:
        return receive.body if len(receive.body) <= MAX_BODY_BYTES else None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


_UNPARSED: Any = object()


class ReadBody:
    """The ASGI ``receive`` of a request whose body was read whole: the body as one
    ``http.request`` message, then whatever the server's ``receive`` says (a disconnect).

    Read once for the whole stack: until it is delivered, an inner :func:`read_body` takes
    :attr:`body` from it and :func:`replay_body` hands it on as it is. Its JSON as
    ``json.loads`` reads it (:meth:`json`) is parsed at most once for the readers that use
    that parser (the bearer guard's :func:`called_tools`, the fast path's 2026-07-28 checks,
    as the SDK's ``handle_modern_request`` parses); they only read it."""

    __slots__ = ("_json", "_receive", "body", "sent")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self.sent = False
        self._receive = receive
        self._json = _UNPARSED

    async def __call__(self) -> Message:
        if not self.sent:
            self.sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        return await self._receive()

    def json(self) -> Any:
        """``json.loads(body)``; raises what it raises (a failure is not kept)."""
        if self._json is _UNPARSED:
            self._json = json.loads(self.body)
        return self._json


def replay_body(body: bytes, receive: Receive) -> ReadBody:
    """``receive`` with ``body`` (read from it) delivered first: ``receive`` itself when it
    is the not yet delivered :class:`ReadBody` of that body."""
    if isinstance(receive, ReadBody) and not receive.sent and receive.body is body:
        return receive
    return ReadBody(body, receive)


def _sdk_user(caller: Caller, issuer: str) -> AuthenticatedUser:
    """The SDK's view of the caller, so SSE sessions stay bound to the principal that opened
    them (the SDK compares client id, issuer and subject)."""
    return AuthenticatedUser(
        AccessToken(
            token=f"grant:{caller.grant_id}",
            client_id=caller.client_id,
            scopes=sorted(caller.scopes),
            subject=str(caller.athlete_pk),
            claims={"iss": issuer},
        )
    )


class SdkUsers:
    """The SDK's view of each caller (:func:`_sdk_user` and its ``AuthCredentials``), made
    once per grant, client, athlete and scopes (all it is made from, with the issuer): most
    requests find theirs made, with or without the verified-token cache. Bounded (emptied
    when full) and small: an entry keeps ~2 kB alive."""

    def __init__(self, issuer: str, size: int = 256) -> None:
        self._issuer = issuer
        self._size = size
        self._made: dict[tuple[object, ...], tuple[AuthenticatedUser, AuthCredentials]] = {}

    def of(self, caller: Caller) -> tuple[AuthenticatedUser, AuthCredentials]:
        key = (caller.grant_id, caller.client_id, caller.athlete_pk, caller.scopes)
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= self._size:
                self._made.clear()
            user = _sdk_user(caller, self._issuer)
            made = self._made[key] = (user, AuthCredentials(sorted(caller.scopes)))
        return made


async def _parse_error(send: Send) -> None:
    """400 with the JSON-RPC 2.0 §5.1 parse error (-32700), as the SDK answers invalid JSON."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32700, "message": "Parse error: JSON nested too deeply"},
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BearerGuard:
    """ASGI middleware in front of the MCP transports: 401/403 challenges, caller identity,
    and the 401 a tool call asks for when Intervals.icu rejected the stored credential."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_url: str,
        verify: Verifier,
        tool_scopes: Mapping[str, str],
    ) -> None:
        self.app = app
        self.base_url = base_url
        self.verify = verify
        self.tool_scopes = tool_scopes
        self._users = SdkUsers(base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = bearer_token_of(last_header(scope, b"authorization") or "")
        try:
            caller = await self.verify(token) if token else None
        except Exception as failure:
            if not is_unavailable(failure):
                raise
            await self._unavailable(send, scope, failure)
            return
        observer().bearer_lookup("valid" if caller else "invalid" if token else "missing")
        if caller is None:
            error = "invalid_token" if token else None
            endpoint = metadata_endpoint(scope["path"])
            value = challenge(self.base_url, error=error, endpoint=endpoint)
            await self._refuse(send, 401, value)
            return
        if scope["method"] == "POST":
            body = await read_body(receive)
            if body is None:
                await self._refuse(send, 413, None)
                return
            receive = replay_body(body, receive)
            try:
                tools = called_tools(receive)
            except UnreadableJson:
                await _parse_error(send)
                return
            needed = missing_scope(tools, self.tool_scopes, caller.scopes)
            if needed:
                value = challenge(
                    self.base_url,
                    scope=needed,
                    error="insufficient_scope",
                    endpoint=metadata_endpoint(scope["path"]),
                )
                await self._refuse(send, 403, value)
                return
        await self._serve(caller, scope, receive, send)

    async def _serve(self, caller: Caller, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = RequestOutcome()
        scope["user"], scope["auth"] = self._users.of(caller)
        tokens = (
            current_caller.set(caller),
            current_outcome.set(outcome),
            auth_context_var.set(scope["user"]),
        )
        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and outcome.reauth_required:
                replaced = True
                description = "Intervals.icu rejected the stored credential; sign in again"
                value = challenge(
                    self.base_url,
                    error="invalid_token",
                    description=description,
                    endpoint=metadata_endpoint(scope["path"]),
                )
                await self._refuse(send, 401, value)
                return
            if not replaced:
                await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        finally:
            auth_context_var.reset(tokens[2])
            current_outcome.reset(tokens[1])
            current_caller.reset(tokens[0])

    @staticmethod
    async def _unavailable(send: Send, scope: Scope, error: BaseException) -> None:
        """503 with ``Retry-After`` before any JSON-RPC work: the bearer check could not reach
        the database (RFC 9110 §15.6.4); one log line, no traceback."""
        request_id = new_request_id()
        log_unavailable(request_id, f"{scope['method']} {scope['path']}", error)
        body = json.dumps(
            {"error": "temporarily_unavailable", "error_description": UNAVAILABLE}
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _refuse(send: Send, status: int, www_authenticate: str | None) -> None:
        error = {401: "invalid_token", 403: "insufficient_scope"}.get(status, "request_too_large")
        body = json.dumps({"error": error}).encode()
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if www_authenticate:
            headers.append((b"www-authenticate", www_authenticate.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def allowed_hosts_and_origins(base_url: str, *, is_local: bool) -> tuple[list[str], list[str]]:
    """DNS-rebinding protection lists derived from the base URL (MCP transports, "Security
    Warning"): the public host (with and without its default port) and its origin; on a
    loopback base URL every loopback host and port as well."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    hosts = [f"{shown}:{port}"] + ([shown] if port == default_port else [])
    origin = f"{parts.scheme}://{shown}" + ("" if port == default_port else f":{port}")
    origins = [origin]
    if is_local:
        loopback = ("127.0.0.1", "localhost", "[::1]")
        hosts += [f"{name}:*" for name in loopback] + list(loopback)
        origins += [f"http://{name}:*" for name in loopback]
    return hosts, origins


def cors_origin_regex(origins: list[str]) -> str:
    """One regex matching the allowed origins (``:*`` meaning any port), for CORSMiddleware."""
    alternatives = []
    for origin in origins:
        if origin.endswith(":*"):
            alternatives.append(re.escape(origin[:-2]) + r"(:\d+)?")
        else:
            alternatives.append(re.escape(origin))
    return "^(" + "|".join(alternatives) + ")$"
