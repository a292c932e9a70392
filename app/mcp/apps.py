"""The gateway's side of MCP Apps (extension ``io.modelcontextprotocol/ui``, spec 2026-01-26):
which tools link to a view, for whom, and the view resources.

- A tool with a view (app/mcp/views) gets ``_meta.ui.resourceUri`` and ChatGPT's older alias
  ``_meta["openai/outputTemplate"]`` in ``tools/list`` only when the client declared the
  extension with the ``text/html;profile=mcp-app`` MIME type (``initialize`` capabilities or,
  in protocol 2026-07-28, the request's ``_meta``); other clients see the tools as before.
- App-only tools (``_meta.ui.visibility: ["app"]``) are listed only for such clients and refuse
  a call from any other.
- For such clients a linked tool's result carries the whole answer in ``_meta`` (the view's
  data, never shown to the model) and its ``structuredContent`` leaves out the view's heavy
  series (``View.series``: summary values only); ``content`` stays as for every client.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any

from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resources import TextResource
from mcp_types import Tool as MCPTool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.mcp.auth import ReadBody
from app.mcp.identity import current_caller
from app.mcp.views import APP_MIME_TYPE, EXTENSION_ID, VIEWS, view_of
from app.mcp.views.tools import APP_ONLY
from app.web.security import content_type_of

OPENAI_TEMPLATE = "openai/outputTemplate"


def renders_views(context: Any) -> bool:
    """Whether the caller of this request declared MCP Apps (False outside a request)."""
    if context is None:
        return False
    try:
        request = _request_of(context)
        if _capabilities_of(request) is not None:
            return client_supports_apps(request)
    except (LookupError, ValueError, AttributeError):
        return False
    caller = current_caller.get()  # legacy era, stateless: what this grant's initialize said
    remembered = remembered_apps.get()
    return caller is not None and remembered is not None and remembered.get(caller.grant_id, False)


def _request_of(context: Any) -> Any:
    """A tool's ``Context`` as the request context it wraps (read once: each read of a
    pydantic private attribute goes through ``__getattr__``); any other context as is.
    Raises ValueError outside a request, as the ``Context`` does."""
    return context.request_context if isinstance(context, Context) else context


def _capabilities_of(context: Any) -> Any:
    session = getattr(context, "session", None)
    return None if session is None else session.client_capabilities


def declares_apps(capabilities: Any) -> bool:
    """Whether ``initialize`` capabilities (JSON) declare MCP Apps with its MIME type."""
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    settings = extensions.get(EXTENSION_ID) if isinstance(extensions, dict) else None
    mime_types = settings.get("mimeTypes") if isinstance(settings, dict) else None
    return isinstance(mime_types, list) and APP_MIME_TYPE in mime_types


class DeclaredApps:
    """Grant id -> whether its client's last ``initialize`` declared MCP Apps, newest last.

    ``/mcp`` is stateless, so in the legacy protocol era (``initialize`` once, then plain
    requests) the capabilities a client declared are gone by its next request; this remembers
    them per OAuth grant, in this process only. Bounded; another instance behind a load
    balancer that has not seen the ``initialize`` answers text only until the next one.
    Each gateway app has its own (grant ids are its database's), held by its
    :class:`RememberApps` and visible to its requests through :data:`remembered_apps`.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: OrderedDict[int, bool] = OrderedDict()

    def record(self, grant_id: int, declared: bool) -> None:
        self._seen.pop(grant_id, None)
        self._seen[grant_id] = declared
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def get(self, grant_id: int, default: bool) -> bool:
        return self._seen.get(grant_id, default)


remembered_apps: ContextVar[DeclaredApps | None] = ContextVar("remembered_apps", default=None)


def advertised_extensions(apps: bool) -> dict[str, dict[str, Any]] | None:
    """``ServerCapabilities.extensions`` for a client that did (or did not) declare MCP Apps:
    the extension is advertised only to clients that render views."""
    return {EXTENSION_ID: {}} if apps else None


def with_extension_advertised(body: bytes) -> bytes:
    """A JSON ``initialize`` answer with ``capabilities.extensions`` naming MCP Apps.

    The SDK shapes the legacy answer by the 2025-11-25 schema, which has no ``extensions``
    field, so the advertisement is added to the answer as sent (unchanged if not a result)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return body
    result = payload.get("result") if isinstance(payload, dict) else None
    capabilities = result.get("capabilities") if isinstance(result, dict) else None
    if not isinstance(capabilities, dict):
        return body
    extensions = capabilities.setdefault("extensions", {})
    if isinstance(extensions, dict):
        extensions.update(advertised_extensions(True) or {})
    return json.dumps(payload, separators=(",", ":")).encode()


def may_initialize(body: bytes) -> bool:
    """False only when no JSON string in ``body`` can read ``initialize``, so that
    :func:`initialize_capabilities` is None without parsing: the word is absent, and so are
    ``\\u`` escapes (the only other way to write its letters) and NUL bytes (UTF-16 or UTF-32
    text, which ``json.loads`` also reads)."""
    return b"initialize" in body or b"\\u" in body or b"\x00" in body


def initialize_capabilities(body: bytes) -> Any:
    """The ``capabilities`` of an ``initialize`` request in a POST body (else None)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    messages = payload if isinstance(payload, list) else [payload]
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "initialize":
            params = message.get("params")
            return params.get("capabilities", {}) if isinstance(params, dict) else {}
    return None


class RememberApps:
    """ASGI wrapper inside the bearer guard: records whether an ``initialize`` declared MCP
    Apps for the verified caller's grant (see :class:`DeclaredApps`), and advertises the
    extension in that ``initialize``'s answer only then (:func:`with_extension_advertised`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.declared = DeclaredApps()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = current_caller.get()
        remembered_apps.set(self.declared)  # this request's task only (one task per request)
        if scope["type"] != "http" or scope["method"] != "POST" or caller is None:
            return await self.app(scope, receive, send)
        if isinstance(receive, ReadBody) and not receive.sent:
            body = receive.body  # read by the bearer guard: handed on as it is
        else:
            chunks, more = [], True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            receive = ReadBody(body, receive)
        capabilities = initialize_capabilities(body) if may_initialize(body) else None
        declared = capabilities is not None and declares_apps(capabilities)
        if capabilities is not None:
            self.declared.record(caller.grant_id, declared)
        await self.app(scope, receive, advertising(send) if declared else send)


def advertising(send: Send) -> Send:
    """``send`` with a JSON ``initialize`` answer held back and sent with the extension
    advertised (:func:`with_extension_advertised`); any other answer passes unchanged."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start" and is_json(message):
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            return await send(message)
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = with_extension_advertised(b"".join(chunks))
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return wrapped


def is_json(start: Message) -> bool:
    """Whether a response start announces a JSON body."""
    return content_type_of(start.get("headers", [])).startswith(b"application/json")


def view_uri(tool_name: str) -> str | None:
    """The ``ui://`` address of the view a tool (catalogue or app-only) renders into."""
    if tool_name in APP_ONLY:
        tool_name = APP_ONLY[tool_name][1]
    view = view_of(tool_name)
    return view.uri if view is not None else None


def view_series(tool_name: str) -> tuple[str, ...]:
    """The answer fields of ``tool_name`` that a client drawing its view gets only in the
    result's ``_meta`` (app/mcp/views ``View.series``)."""
    if tool_name in APP_ONLY:
        tool_name = APP_ONLY[tool_name][1]
    view = view_of(tool_name)
    return view.series if view is not None else ()


def listed_for(tool: MCPTool, apps: bool) -> MCPTool | None:
    """``tool`` as this client should see it: linked for an Apps client, unchanged otherwise,
    None for an app-only tool and a client without the extension."""
    app_only = tool.name in APP_ONLY
    if not apps:
        return None if app_only else tool
    uri = view_uri(tool.name)
    if uri is None:
        return tool
    ui: dict[str, Any] = {"resourceUri": uri}
    if app_only:
        ui["visibility"] = ["app"]
    meta = {**(tool.meta or {}), "ui": ui, OPENAI_TEMPLATE: uri}
    return tool.model_copy(update={"meta": meta})


def view_resources() -> list[TextResource]:
    """Every view as a ``ui://`` resource (no CSP declared: the host's strict default applies,
    and the documents make no requests)."""
    return [
        TextResource(
            uri=view.uri,
            name=f"view-{view.name}",
            title=view.title,
            description=f"{view.title} (MCP Apps view for {', '.join(view.tools)})",
            mime_type=APP_MIME_TYPE,
            meta={"ui": {"prefersBorder": True}},
            text=view.html,
        )
        for view in VIEWS
    ]
