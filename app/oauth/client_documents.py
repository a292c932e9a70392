"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP 2025-11-25
"Client ID Metadata Documents"): an https `client_id` is the URL of the client's metadata.

The fetch is SSRF-safe: https only, the host is resolved once and every address must be public
(app/oauth/addresses.py), the connection goes to the address that was checked (TLS still
verifies the original host name), redirects are refused, the body is capped at 5 KB, and the
whole fetch, name resolution included, ends at the configured timeout. Name resolution runs on
the resolver's own few threads, so a slow DNS zone can hold up only other document fetches.

Fetches are disciplined (security review L4, M6): a fetch is charged to the address of the
browser that caused it (a sliding hourly limit), a failure is remembered for a minute, and
every failure to fetch shows one message (the reason goes to the log only: no DNS oracle).
Documents are cached in memory per their `Cache-Control` max-age (clamped), with a bound on the
number of entries. A client row is stored only when an athlete approves (`store_document_client`),
at most `GATEWAY_CIMD_CLIENTS_MAX` of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.attempts import AttemptCounter, AttemptLimiter, MemoryAttemptCounter
from app.db.models import OAuthClient
from app.oauth import scopes
from app.oauth.addresses import address_allowed
from app.oauth.clients import CIMD, NONE
from app.oauth.redirect_uris import redirect_uri_allowed
from app.redis_state import RedisState, SharedStateUnavailable
from app.settings import Settings

if TYPE_CHECKING:
    import httpx

MAX_DOCUMENT_BYTES = 5 * 1024
MIN_TTL, DEFAULT_TTL, MAX_TTL = 60.0, 3600.0, 86400.0
MAX_NAME = 200
FAILURE_TTL = 60.0
"""Seconds a failed fetch is remembered: the same client_id is not fetched again meanwhile."""
DNS_THREADS = 4
"""Threads of the resolver's own name-resolution pool (never the loop's default executor)."""
HOUR = 3600.0
FETCH_FAILED = "the client metadata document could not be fetched"
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)

log = logging.getLogger(__name__)
Lookup = Callable[[str, int], list[str]]
"""Blocking name resolution, `(host, port) -> addresses`; run on the resolver's own threads."""
_Entry = TypeVar("_Entry")


class ClientDocumentError(Exception):
    """The metadata document could not be used; the message is safe to show the user."""


class FetchRateLimited(ClientDocumentError):
    """Too many documents were fetched for one client address; `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            "Too many client metadata documents were fetched from your address; "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.retry_after = retry_after


class DocumentClientsFull(ClientDocumentError):
    """`GATEWAY_CIMD_CLIENTS_MAX` metadata-document clients are stored already."""


class FetchFailure(Exception):
    """Why one fetch failed: logged at INFO, never shown (the user sees FETCH_FAILED)."""


def system_lookup(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (`getaddrinfo`; blocks)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


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


async def resolve_checked_address(
    host: str, port: int, allow_loopback: bool, lookup: Lookup, executor: ThreadPoolExecutor
) -> str:
    """Resolve `host` once, on `executor`; every address must be allowed (DNS rebinding: the
    caller connects to the returned address, never resolves again). Raises FetchFailure."""
    loop = asyncio.get_running_loop()
    try:
        addresses = await loop.run_in_executor(executor, lookup, host, port)
    except (OSError, UnicodeError) as error:
        raise FetchFailure(f"the host does not resolve ({error})") from None
    refused = [a for a in addresses if not address_allowed(a, allow_loopback)]
    if not addresses or refused:
        raise FetchFailure(f"the host resolves to a non-public address {refused[:1]}")
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
        raise FetchFailure("the document is larger than 5 KB")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise FetchFailure("the document is larger than 5 KB")
    return bytes(body)


def _failure_reason(error: BaseException) -> str:
    return str(error) or type(error).__name__


@dataclass
class ClientDocumentResolver:
    """Fetches, validates and caches metadata documents; one per app (bounded LRU caches of
    documents and of recent failures, a per-address fetch limiter, its own DNS threads)."""

    settings: Settings
    clock: Callable[[], float] = time.monotonic
    lookup: Lookup = system_lookup
    _cache: OrderedDict[str, tuple[ClientDocument, float]] = field(default_factory=OrderedDict)
    _failures: OrderedDict[str, tuple[str, float]] = field(default_factory=OrderedDict)
    _limiter: AttemptCounter = field(init=False)
    _executor: ThreadPoolExecutor | None = None
    _ssl: ssl.SSLContext | None = None
    shared: RedisState | None = None
    """With the Redis backend (set by the app's lifespan): documents fetched by any instance
    are cached there too, for the TTL their host allowed; Redis errors fall back to fetching."""

    def __post_init__(self) -> None:
        # per process with every backend for now (as the document cache): docs/operations.md
        self._limiter = MemoryAttemptCounter(
            AttemptLimiter(
                self.settings.cimd_fetches_per_address_per_hour, HOUR, lambda: self.clock()
            )
        )

    async def get(self, client_id: str, requester: str) -> ClientDocument:
        """The document for `client_id`: cached, or fetched and charged to `requester` (the
        browser's address). Raises ClientDocumentError (FetchRateLimited past the limit)."""
        parse_document_url(client_id)
        cached = self._fresh(self._cache, client_id)
        if cached is not None:
            return cached
        failed = self._fresh(self._failures, client_id)
        if failed is not None:
            raise ClientDocumentError(failed)
        shared = await self._from_shared(client_id)
        if shared is not None:
            return shared
        wait = await self._limiter.retry_after(requester)
        if wait is not None:
            raise FetchRateLimited(wait)
        await self._limiter.record(requester)
        try:
            document, ttl = await self.fetch(client_id)
        except ClientDocumentError as error:
            self._remember(self._failures, client_id, str(error), FAILURE_TTL)
            raise
        self._remember(self._cache, client_id, document, ttl)
        await self._share(client_id, document, ttl)
        return document

    def _shared_key(self, client_id: str) -> str:
        assert self.shared is not None
        return self.shared.key("cimd", hashlib.sha256(client_id.encode()).hexdigest())

    async def _from_shared(self, client_id: str) -> ClientDocument | None:
        """A document another instance fetched and may still be reused (Redis keeps it only
        for its TTL), remembered here for what is left of it."""
        if self.shared is None:
            return None
        key = self._shared_key(client_id)
        try:
            async with self.shared.client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                raw, ttl_ms = await pipe.execute()
        except SharedStateUnavailable:
            return None
        if not raw or ttl_ms <= 0:
            return None
        try:
            document = ClientDocument(**json.loads(raw))
        except (TypeError, ValueError):
            return None
        if document.client_id != client_id:
            return None
        self._remember(self._cache, client_id, document, ttl_ms / 1000)
        return document

    async def _share(self, client_id: str, document: ClientDocument, ttl: float) -> None:
        if self.shared is None or ttl < 1:
            return
        try:
            await self.shared.client.set(
                self._shared_key(client_id), json.dumps(asdict(document)), px=int(ttl * 1000)
            )
        except SharedStateUnavailable:
            log.info("client metadata document cache: Redis unreachable, kept in this process")

    def _fresh(self, entries: OrderedDict[str, tuple[_Entry, float]], key: str) -> _Entry | None:
        entry = entries.get(key)
        if entry is None or entry[1] <= self.clock():
            return None
        entries.move_to_end(key)
        return entry[0]

    def _remember(
        self, entries: OrderedDict[str, tuple[_Entry, float]], key: str, value: _Entry, ttl: float
    ) -> None:
        entries.pop(key, None)
        if ttl <= 0:
            return
        entries[key] = (value, self.clock() + ttl)
        while len(entries) > self.settings.cimd_cache_max_entries:
            entries.popitem(last=False)

    async def fetch(self, client_id: str) -> tuple[ClientDocument, float]:
        """Resolve, check and GET the document, all within the fetch time limit; returns it and
        its TTL. Every failure to fetch raises the same ClientDocumentError (FETCH_FAILED)."""
        import httpx  # loaded by the first document fetched, not by every server start

        parts = parse_document_url(client_id)
        try:
            async with asyncio.timeout(self.settings.cimd_fetch_timeout_seconds):
                body, ttl = await self._download(parts)
        except (FetchFailure, httpx.HTTPError, ssl.SSLError, OSError) as error:
            reason = "timed out" if isinstance(error, TimeoutError) else _failure_reason(error)
            log.info("client metadata document %r could not be fetched: %s", client_id, reason)
            raise ClientDocumentError(FETCH_FAILED) from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ClientDocumentError("the client metadata document is not valid JSON") from None
        return validate_document(client_id, data), ttl

    async def _download(self, parts: SplitResult) -> tuple[bytes, float]:
        """The body and its cache TTL, over a connection to the checked address."""
        import httpx

        host = parts.hostname or ""
        address = await resolve_checked_address(
            host,
            parts.port or 443,
            self.settings.cimd_allow_loopback,
            self.lookup,
            self._dns_threads(),
        )
        if self._ssl is None:
            self._ssl = _ssl_context(self.settings)
        host_header = parts.netloc.rpartition("@")[2]
        async with (
            httpx.AsyncClient(
                verify=self._ssl,
                timeout=self.settings.cimd_fetch_timeout_seconds,
                follow_redirects=False,
                trust_env=False,
            ) as http,
            http.stream(
                "GET",
                _address_url(parts, address),
                headers={"Host": host_header, "Accept": "application/json"},
                extensions={"sni_hostname": host},
            ) as response,
        ):
            if response.status_code != 200:
                raise FetchFailure(f"HTTP {response.status_code}")
            return await _read_capped(response), cache_ttl(response.headers.get("cache-control"))

    def _dns_threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(DNS_THREADS, thread_name_prefix="cimd-dns")
        return self._executor


def unsaved_client(document: ClientDocument, now: datetime) -> OAuthClient:
    """The client a document describes, not stored: what the consent page shows before an
    athlete approves (public, `none` + PKCE)."""
    client = OAuthClient(client_id=document.client_id, origin=CIMD, created_at=now)
    _apply_document(client, document)
    return client


async def check_client_id_free(db: AsyncSession, client_id: str) -> None:
    """A document's client_id must not belong to an operator or dynamic client."""
    origin = await db.scalar(select(OAuthClient.origin).where(OAuthClient.client_id == client_id))
    if origin is not None and origin != CIMD:
        raise ClientDocumentError("this client_id is registered differently on this server")


async def store_document_client(
    db: AsyncSession, document: ClientDocument, now: datetime, max_clients: int
) -> OAuthClient:
    """At approval: the stored row for a document, refreshed, or created while fewer than
    `max_clients` metadata-document clients are stored (DocumentClientsFull otherwise)."""
    await check_client_id_free(db, document.client_id)
    client = await db.scalar(select(OAuthClient).where(OAuthClient.client_id == document.client_id))
    if client is None:
        stored = await db.scalar(
            select(func.count()).select_from(OAuthClient).where(OAuthClient.origin == CIMD)
        )
        if (stored or 0) >= max_clients:
            log.warning(
                "%d metadata-document clients are stored (GATEWAY_CIMD_CLIENTS_MAX): a new "
                "application was refused; the purge frees clients without a live grant",
                stored,
            )
            raise DocumentClientsFull("this gateway cannot accept new applications right now")
        client = OAuthClient(client_id=document.client_id, origin=CIMD, created_at=now)
        try:
            async with db.begin_nested():
                _apply_document(client, document)
                db.add(client)
        except IntegrityError:  # a concurrent approval stored it first
            client = await db.scalar(
                select(OAuthClient).where(OAuthClient.client_id == document.client_id)
            )
            if client is None or client.origin != CIMD:
                raise
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
