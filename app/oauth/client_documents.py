"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25
"Client ID Metadata Documents"): an https `client_id` is the URL of the client's metadata.

The fetch is SSRF-safe: https only, the host is resolved once and every address must be public
(no private, loopback, link-local, reserved or multicast range), the connection goes to the
address that was checked (TLS still verifies the original host name), redirects are refused,
the body is capped at 5 KB and the whole fetch at the configured timeout. Documents are cached
in memory per their `Cache-Control` max-age (clamped), with a bound on the number of entries.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import OAuthClient
from app.oauth import scopes
from app.oauth.addresses import address_allowed
from app.oauth.clients import CIMD, NONE
from app.oauth.redirect_uris import redirect_uri_allowed
from app.settings import Settings

MAX_DOCUMENT_BYTES = 5 * 1024
MIN_TTL, DEFAULT_TTL, MAX_TTL = 60.0, 3600.0, 86400.0
MAX_NAME = 200
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


class ClientDocumentError(Exception):
    """The metadata document could not be used; the message is safe to show the user."""


def is_client_document_id(client_id: str) -> bool:
    """A client id that names a metadata document (an https URL)."""
    return client_id.startswith("https://")


def parse_document_url(client_id: str) -> SplitResult:
    """The URL parts, if `client_id` is an acceptable document URL (https, a path, no fragment,
    no credentials, no dot segments)."""
    try:
        parts = urlsplit(client_id)
        _ = parts.port
    except ValueError:
        raise ClientDocumentError("client_id is not a valid URL") from None
    segments = parts.path.split("/")
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.username is not None
        or parts.fragment
        or "#" in client_id
        or parts.path in ("", "/")
        or "." in segments
        or ".." in segments
    ):
        raise ClientDocumentError("client_id must be an https URL with a path and no fragment")
    return parts


async def resolve_checked_address(host: str, port: int, allow_loopback: bool) -> str:
    """Resolve `host` once; every address must be allowed (DNS rebinding: the caller connects to
    the returned address, never resolves again)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ClientDocumentError("the client_id host does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(address_allowed(a, allow_loopback) for a in addresses):
        raise ClientDocumentError("the client_id host is not a public internet address")
    return addresses[0]


def cache_ttl(cache_control: str | None) -> float:
    """Seconds to keep a document: its max-age clamped to [1 min, 1 day]; 0 for no-store."""
    value = (cache_control or "").lower()
    if "no-store" in value or "no-cache" in value:
        return 0.0
    match = _MAX_AGE.search(value)
    if not match:
        return DEFAULT_TTL
    return min(MAX_TTL, max(MIN_TTL, float(match.group(1))))


@dataclass(frozen=True)
class ClientDocument:
    """The parts of a metadata document the gateway uses."""

    client_id: str
    client_name: str
    redirect_uris: list[str]
    scope: str
    client_uri: str | None = None


def validate_document(client_id: str, data: Any) -> ClientDocument:
    """Required: `client_id` equal to the URL, a non-empty `client_name` and `redirect_uris`.

    Unknown grant and response types are ignored (ChatGPT's document lists some); any requested
    token endpoint auth method (e.g. `private_key_jwt`) is negotiated down to `none` + PKCE.
    """
    if not isinstance(data, dict):
        raise ClientDocumentError("the client metadata document is not a JSON object")
    if data.get("client_id") != client_id:
        raise ClientDocumentError("the document's client_id does not equal its URL")
    name = data.get("client_name")
    if not isinstance(name, str) or not name.strip():
        raise ClientDocumentError("the client metadata document has no client_name")
    uris = data.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise ClientDocumentError("the client metadata document has no redirect_uris")
    if not all(redirect_uri_allowed(u) for u in uris):
        raise ClientDocumentError("redirect URIs must be https, or http on a loopback host")
    raw_scope = data.get("scope") if isinstance(data.get("scope"), str) else ""
    requested = scopes.known_scopes(scopes.parse_scope(raw_scope))
    client_uri = data.get("client_uri")
    return ClientDocument(
        client_id=client_id,
        client_name=name.strip()[:MAX_NAME],
        redirect_uris=list(dict.fromkeys(uris)),
        scope=scopes.format_scope(requested) or scopes.DEFAULT_CLIENT_SCOPE,
        client_uri=client_uri if isinstance(client_uri, str) else None,
    )


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.cimd_extra_ca_file:
        context.load_verify_locations(cafile=str(settings.cimd_extra_ca_file))
    return context


def _address_url(parts: SplitResult, address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return urlunsplit(("https", f"{host}:{parts.port or 443}", parts.path, parts.query, ""))


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
        raise ClientDocumentError("the client metadata document is larger than 5 KB")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ClientDocumentError("the client metadata document is larger than 5 KB")
    return bytes(body)


@dataclass
class ClientDocumentResolver:
    """Fetches, validates and caches metadata documents; one per app (bounded LRU cache)."""

    settings: Settings
    clock: Callable[[], float] = time.monotonic
    _cache: OrderedDict[str, tuple[ClientDocument, float]] = field(default_factory=OrderedDict)
    _ssl: ssl.SSLContext | None = None

    async def get(self, client_id: str) -> ClientDocument:
        cached = self._cache.get(client_id)
        if cached and cached[1] > self.clock():
            self._cache.move_to_end(client_id)
            return cached[0]
        document, ttl = await self.fetch(client_id)
        self._remember(client_id, document, ttl)
        return document

    def _remember(self, client_id: str, document: ClientDocument, ttl: float) -> None:
        self._cache.pop(client_id, None)
        if ttl <= 0:
            return
        self._cache[client_id] = (document, self.clock() + ttl)
        while len(self._cache) > self.settings.cimd_cache_max_entries:
            self._cache.popitem(last=False)

    async def fetch(self, client_id: str) -> tuple[ClientDocument, float]:
        """GET the document over a connection to a checked address; returns it and its TTL."""
        parts = parse_document_url(client_id)
        host = parts.hostname or ""
        address = await resolve_checked_address(
            host, parts.port or 443, self.settings.cimd_allow_loopback
        )
        if self._ssl is None:
            self._ssl = _ssl_context(self.settings)
        host_header = parts.netloc.rpartition("@")[2]
        try:
            async with (
                httpx.AsyncClient(
                    verify=self._ssl,
                    timeout=self.settings.cimd_fetch_timeout_seconds,
                    follow_redirects=False,
                    trust_env=False,
                ) as http,
                asyncio.timeout(self.settings.cimd_fetch_timeout_seconds),
                http.stream(
                    "GET",
                    _address_url(parts, address),
                    headers={"Host": host_header, "Accept": "application/json"},
                    extensions={"sni_hostname": host},
                ) as response,
            ):
                if response.status_code != 200:
                    raise ClientDocumentError(
                        f"fetching the client metadata document gave HTTP {response.status_code}"
                    )
                body = await _read_capped(response)
                ttl = cache_ttl(response.headers.get("cache-control"))
        except (httpx.HTTPError, TimeoutError, ssl.SSLError):
            raise ClientDocumentError("the client metadata document could not be fetched") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ClientDocumentError("the client metadata document is not valid JSON") from None
        return validate_document(client_id, data), ttl


async def client_from_document(
    db: AsyncSession, document: ClientDocument, now: datetime
) -> OAuthClient:
    """The stored client row for a document (created or refreshed); always public (`none`)."""
    client = await db.scalar(select(OAuthClient).where(OAuthClient.client_id == document.client_id))
    if client is None:
        client = OAuthClient(client_id=document.client_id, origin=CIMD, created_at=now)
        try:
            async with db.begin_nested():
                _apply_document(client, document)
                db.add(client)
        except IntegrityError:  # a concurrent request stored it first
            client = await db.scalar(
                select(OAuthClient).where(OAuthClient.client_id == document.client_id)
            )
            if client is None:
                raise
    if client.origin != CIMD:
        raise ClientDocumentError("this client_id is registered differently on this server")
    _apply_document(client, document)
    await db.flush()
    return client


def _apply_document(client: OAuthClient, document: ClientDocument) -> None:
    client.name = document.client_name
    client.redirect_uris = document.redirect_uris
    client.scope = document.scope
    client.token_endpoint_auth_method = NONE
    client.grant_types = ["authorization_code", "refresh_token"]
    client.client_metadata = {"client_uri": document.client_uri} if document.client_uri else {}
