"""Request body limits for every endpoint (security review H1).

Most endpoints are reachable without a token (`/register`, `/token`, `/revoke`, `/authorize`,
`/signin` and the account forms), so one request must not be able to make the gateway buffer,
parse or store an arbitrary amount of data. :class:`BodyLimit` sits in front of the whole app
and refuses a body larger than its route's limit with 413:

- at once, from ``Content-Length``, before the route runs;
- while streaming (chunked bodies, or a ``Content-Length`` that lies), as soon as the running
  total passes the limit: the route never sees more than the limit.

Nothing is buffered here; a route reads its body as usual. The MCP endpoints allow the larger
limit a JSON-RPC batch may need only to requests that carry a bearer token (others get the
default limit), and their bearer guard (app/mcp/auth.py) reads no byte of the body before the
token is verified, so a caller without a valid token cannot make the gateway read any.

Form endpoints parse with :func:`read_small_form`: url-encoded only (multipart, which spools
file parts to disk, is refused with 415), at most 50 fields of at most 8 KiB each.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MCP_BODY_LIMIT = 4 * KIB * KIB  # JSON-RPC batches; read only after the bearer check
REGISTER_BODY_LIMIT = 32 * KIB  # RFC 7591 metadata: 10 redirect URIs of 2000 chars + fields
FORM_BODY_LIMIT = 16 * KIB  # /token, /revoke, /signin, /signout, /account/* forms
DEFAULT_BODY_LIMIT = 64 * KIB  # everything else, e.g. the consent form POST /authorize
WEBHOOK_BODY_LIMIT = 1024 * KIB  # Intervals.icu webhooks: CALENDAR_UPDATED carries event lists

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 50
MAX_FORM_FIELD_BYTES = 8 * KIB

_MCP_PATHS = frozenset({"/mcp", "/sse"})
_FORM_PATHS = frozenset({"/token", "/revoke", "/signin", "/signout"})
WEBHOOK_PATH = "/webhooks/intervals"  # app/web/webhooks.py


def body_limit_for(path: str, has_bearer: bool = False) -> int:
    """The largest request body, in bytes, accepted on `path` (MCP: with a bearer token)."""
    if path in _MCP_PATHS or path.startswith("/messages/"):
        return MCP_BODY_LIMIT if has_bearer else DEFAULT_BODY_LIMIT
    if path == "/register":
        return REGISTER_BODY_LIMIT
    if path == WEBHOOK_PATH:
        return WEBHOOK_BODY_LIMIT
    if path in _FORM_PATHS or path.startswith("/account/"):
        return FORM_BODY_LIMIT
    return DEFAULT_BODY_LIMIT


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == wanted:
            return str(value.decode("latin-1")).strip()
    return None


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` of the request, or None when absent or not a number."""
    text = _header(scope, b"content-length")
    return int(text) if text is not None and text.isdigit() else None


def has_bearer(scope: Scope) -> bool:
    """Whether the request carries ``Authorization: Bearer …`` (RFC 6750 §2.1), valid or not."""
    return (_header(scope, b"authorization") or "")[:7].lower() == "bearer "


def length_and_bearer(scope: Scope) -> tuple[int | None, bool]:
    """:func:`declared_length` and :func:`has_bearer` of the request in one pass over its
    headers (each reads the first header of its name), as :class:`BodyLimit` asks both of
    every request."""
    length: bytes | None = None
    authorization: bytes | None = None
    for name, value in scope.get("headers", []):
        name = name.lower()
        if name == b"content-length":
            if length is None:
                length = value
        elif name == b"authorization" and authorization is None:
            authorization = value
    text = None if length is None else length.decode("latin-1").strip()
    declared = int(text) if text is not None and text.isdigit() else None
    bearer = authorization is not None and (
        authorization.decode("latin-1").strip()[:7].lower() == "bearer "
    )
    return declared, bearer


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes the route's limit."""


async def send_too_large(send: Send, limit: int) -> None:
    """413 (RFC 9110 §15.5.14) with a JSON error naming the limit; the connection is closed."""
    body = json.dumps(
        {
            "error": "invalid_request",
            "error_description": f"the request body is too large (at most {limit} bytes here)",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware enforcing :func:`body_limit_for` by ``Content-Length`` and while
    streaming; installed outermost by ``create_app``."""

    def __init__(
        self, app: ASGIApp, limit_for: Callable[[str, bool], int] = body_limit_for
    ) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, bearer = length_and_bearer(scope)
        limit = self.limit_for(scope["path"], bearer)
        if declared is not None and declared > limit:
            await send_too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await send_too_large(send, limit)


class FormRejected(HTTPException):
    """A form body the gateway will not parse (415 wrong type, 400 too many or too large
    fields); FastAPI answers it as JSON with this status."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


async def read_small_form(request: Request) -> FormData:
    """The url-encoded form of `request`, parsed with small limits (no files, at most
    MAX_FORM_FIELDS fields of at most MAX_FORM_FIELD_BYTES). A body of another type, multipart
    included, is refused with 415; a request without a Content-Type has an empty form."""
    content_type = request.headers.get("content-type")
    if content_type is not None and media_type(content_type) != FORM_TYPE:
        raise FormRejected(415, f"the body must be {FORM_TYPE}")
    try:
        return await request.form(
            max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_FIELD_BYTES
        )
    except HTTPException as error:  # Starlette's 400 for too many or too large fields
        raise FormRejected(400, str(error.detail)) from None
