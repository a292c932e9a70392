"""Gateway settings: one pydantic-settings object read from the environment and `.env`.

Every setting has the prefix ``GATEWAY_`` (``GATEWAY_BASE_URL``, ``GATEWAY_DATABASE_URL`` ...).
docs/configuration.md lists them all with their defaults.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.observe import TEXT_FORMAT, JsonFormatter, RequestIdFilter
from app.training.guardrails import Limits, parse_refuse

ENV_PREFIX = "GATEWAY_"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
KEY_BYTES = 32  # AES-256


class SettingsError(Exception):
    """Settings are invalid; the message names each setting and what is wrong with it."""


@dataclass(frozen=True)
class EncryptionKey:
    """One named 256-bit key of the vault key ring."""

    key_id: str
    secret: bytes = field(repr=False)


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_key_ring(raw: str) -> tuple[EncryptionKey, ...]:
    """Parse ``kid:base64key[,kid2:base64key2...]``; the first key is the primary one."""
    keys: list[EncryptionKey] = []
    for index, item in enumerate(part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not encoded.strip():
            raise ValueError(f"entry {index + 1} must look like 'key-id:base64-key'")
        if not key_id.replace("-", "").replace("_", "").isalnum() or len(key_id) > 32:
            raise ValueError(f"key id {key_id!r} must be 1-32 letters, digits, '-' or '_'")
        secret = _decode_key(encoded.strip(), key_id)
        if any(k.key_id == key_id for k in keys):
            raise ValueError(f"key id {key_id!r} appears twice")
        keys.append(EncryptionKey(key_id=key_id, secret=secret))
    if not keys:
        raise ValueError("no keys given")
    return tuple(keys)


def parse_trusted_proxies(value: str) -> list[str]:
    """``GATEWAY_TRUSTED_PROXIES`` as normalised networks (``10.0.0.5`` -> ``10.0.0.5/32``).
    Only addresses and networks: a wildcard would trust any peer's X-Forwarded-For."""
    networks: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(
                f"{entry[:60]!r} is not an IP address or CIDR network (like 10.0.0.5 or "
                "172.18.0.0/16)"
            ) from None
    return networks


def _decode_key(encoded: str, key_id: str) -> bytes:
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        secret = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise ValueError(f"key {key_id!r} is not valid base64") from None
    if len(secret) != KEY_BYTES:
        raise ValueError(
            f"key {key_id!r} is {len(secret)} bytes; it must be {KEY_BYTES} bytes (256 bits)"
        )
    return secret


def encode_key(key_id: str, secret: bytes) -> str:
    """The settings form of one key: ``kid:base64url``."""
    return f"{key_id}:{base64.urlsafe_b64encode(secret).decode().rstrip('=')}"


class Settings(BaseSettings):
    """All gateway settings. Build with :func:`load_settings` for friendly errors."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL of the gateway; becomes the OAuth issuer (no trailing slash). "
        "Default: http://127.0.0.1:<GATEWAY_PORT>.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the HTTP server binds to.")
    keep_alive_seconds: int = Field(
        130,
        ge=1,
        description="Seconds an idle client connection is kept open (uvicorn's keep-alive); "
        "longer than clients and proxies keep theirs, so the client always closes first.",
    )
    data_dir: Path = Field(
        Path("var"), description="Directory for the embedded database and development key."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL (sqlite:///path or postgresql://...). Default: SQLite file "
        "under the data directory.",
    )
    database_busy_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="SQLite: how long a write waits for the write lock before the request is "
        "answered 503 (retry later).",
    )
    database_pool_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How long a request waits for a free pooled database connection.",
    )
    database_connect_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="PostgreSQL: how long opening a connection may take."
    )
    database_statement_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="PostgreSQL: statements running longer are cancelled (statement_timeout).",
    )
    encryption_keys: Annotated[str, NoDecode] = Field(
        "",
        repr=False,
        description="Vault key ring 'kid:base64key[,kid:base64key]'; the first key encrypts.",
    )
    intervals_api_base_url: str = Field(
        "https://intervals.icu/api/v1", description="Intervals.icu API base URL."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Log level."
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log line format: 'text' for people, 'json' (one object per line with "
        "time, level, logger, request_id, message) for log collectors.",
    )
    metrics_token: str = Field(
        "",
        repr=False,
        description="Bearer token that /metrics requires (Prometheus format); empty: /metrics "
        "is not served (404).",
    )
    docs_url: str = Field(
        "",
        pattern=r"^(https?://\S+)?$",
        description="Link to the operator's documentation shown on the root page (optional).",
    )
    # -- accounts: access policy, browser sessions, sign-in limits, Intervals.icu OAuth app --
    access_policy: Literal["open", "allowlist"] = Field(
        "open",
        description="Who may sign in: 'open' (any Intervals.icu athlete) or 'allowlist' "
        "(only athlete ids added with `intervals-gateway allowlist add`).",
    )
    session_idle_seconds: int = Field(
        12 * 3600, ge=60, description="A browser session ends after this long without use."
    )
    session_absolute_seconds: int = Field(
        7 * 86400, ge=60, description="A browser session ends this long after sign-in, regardless."
    )
    signin_attempts_per_address: int = Field(
        20,
        ge=1,
        description="Sign-in attempts that fail (for any reason) allowed per client address "
        "within the window.",
    )
    signin_window_seconds: int = Field(
        900, ge=1, description="Sliding window for the sign-in attempt limits."
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated IP addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For header names the client; empty: none (the TCP peer is the client).",
    )
    operator_name: str = Field(
        "",
        max_length=100,
        description="Who runs this gateway (club, team or person), shown on the sign-in page.",
    )
    signin_methods: Literal["both", "oauth", "api_key"] = Field(
        "both",
        description="How athletes sign in: 'both' (Intervals.icu OAuth and a personal API key), "
        "'oauth' (Intervals.icu OAuth only; no page mentions API keys: the app directories' "
        "requirement) or 'api_key' (personal API key only).",
    )
    privacy_policy_url: str = Field(
        "",
        description="https URL of the operator's privacy policy: linked on the sign-in and "
        "consent pages, served at /privacy and in the OAuth metadata (empty: /privacy is 404).",
    )
    terms_url: str = Field(
        "",
        description="https URL of the operator's terms of service: linked like the privacy "
        "policy, served at /terms (empty: /terms is 404).",
    )
    intervals_oauth_client_id: str = Field(
        "", description="Intervals.icu OAuth app client id; enables 'Continue with Intervals.icu'."
    )
    intervals_oauth_client_secret: str = Field(
        "", repr=False, description="Intervals.icu OAuth app client secret."
    )
    intervals_webhook_secret: str = Field(
        "",
        repr=False,
        description="The webhook secret of the Intervals.icu OAuth app ('Manage App'); turns on "
        "POST /webhooks/intervals (docs/webhooks.md). Unset: that path answers 404.",
    )
    intervals_oauth_authorize_url: str = Field(
        "https://intervals.icu/oauth/authorize",
        description="Intervals.icu OAuth authorization endpoint.",
    )
    intervals_oauth_token_url: str = Field(
        "https://intervals.icu/api/oauth/token", description="Intervals.icu OAuth token endpoint."
    )
    intervals_oauth_scope: str = Field(
        "ACTIVITY:WRITE,WELLNESS:WRITE,CALENDAR:WRITE,LIBRARY:WRITE,SETTINGS:WRITE",
        description="Scopes requested from Intervals.icu (comma-separated AREA:LEVEL).",
    )
    # -- OAuth authorization server (docs/oauth.md) --
    oauth_access_token_seconds: int = Field(
        3600, ge=60, le=86400, description="Lifetime of an access token issued to an MCP client."
    )
    oauth_refresh_token_seconds: int = Field(
        30 * 86400, ge=3600, description="Lifetime of a refresh token (renewed on every rotation)."
    )
    oauth_code_seconds: int = Field(
        600, ge=10, le=600, description="Lifetime of an authorization code (at most 10 minutes)."
    )
    oauth_dynamic_clients_max: int = Field(
        10_000,
        ge=1,
        description="Cap on dynamically registered clients (RFC 7591), applied separately to "
        "registrations with known ChatGPT/Claude callbacks and to all others.",
    )
    oauth_register_per_address_per_hour: int = Field(
        20,
        ge=1,
        description="Registrations allowed per client address (IPv6: per /64) per hour, for "
        "redirect URIs other than the known ChatGPT and Claude callbacks.",
    )
    oauth_vendor_register_per_address_per_hour: int = Field(
        300,
        ge=1,
        description="Registrations allowed per client address per hour whose redirect URIs are "
        "all known ChatGPT or Claude callbacks (their users share a few egress addresses).",
    )
    oauth_unused_client_seconds: int = Field(
        3 * 3600,
        ge=300,
        description="A dynamic or metadata-document client that never obtained a grant is purged "
        "after this long.",
    )
    oauth_client_auth_failures_per_address: int = Field(
        10,
        ge=1,
        description="Failed client authentications at /token and /revoke allowed per client_id "
        "and client address within oauth_client_auth_window_seconds; then 429.",
    )
    oauth_client_auth_window_seconds: int = Field(
        300, ge=1, description="Sliding window for the failed client authentication limit."
    )
    oauth_abandoned_client_seconds: int = Field(
        7 * 86400,
        ge=3600,
        description="A dynamic or metadata-document client without a live grant is purged after "
        "this long.",
    )
    access_log_retention_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="Entries of the access log (tool calls on an athlete's data) older than "
        "this are deleted by the periodic purge.",
    )
    oauth_purge_interval_seconds: int = Field(
        3600,
        ge=0,
        description="How often expired codes, tokens and sessions are purged (0: never).",
    )
    cimd_fetch_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=30,
        description="Time limit for fetching a Client ID Metadata Document, name resolution "
        "included.",
    )
    cimd_cache_max_entries: int = Field(
        1000, ge=1, description="Client ID Metadata Documents kept in the in-memory cache."
    )
    cimd_fetches_per_address_per_hour: int = Field(
        60,
        ge=1,
        description="Client ID Metadata Document fetches (cache misses) one client address may "
        "cause per hour.",
    )
    cimd_clients_max: int = Field(
        1000,
        ge=1,
        description="Total cap on stored Client ID Metadata Document clients (one per approved "
        "application URL); new ones are refused at the cap.",
    )
    cimd_extra_ca_file: Path | None = Field(
        None,
        description="Test only: PEM CA trusted, in addition to the system roots, when fetching "
        "Client ID Metadata Documents.",
    )
    cimd_allow_loopback: bool = Field(
        False,
        description="Test only: allow Client ID Metadata Documents on loopback addresses.",
    )
    upstream_rate_per_second: float = Field(
        10.0,
        gt=0,
        description="Sustained requests per second the whole gateway sends to Intervals.icu "
        "(its limit is per client IP).",
    )
    upstream_burst: int = Field(
        30, ge=1, description="Token-bucket burst size for requests to Intervals.icu."
    )
    upstream_per_athlete_concurrency: int = Field(
        4, ge=1, description="Concurrent Intervals.icu requests allowed per athlete."
    )
    upstream_max_wait_seconds: float = Field(
        5.0,
        ge=0,
        description="How long a call waits for the shared budget before failing as rate limited.",
    )
    shared_state_backend: Literal["memory", "redis"] = Field(
        "memory",
        description="Where state shared between instances lives (upstream budget, attempt "
        "limits, purge leader): 'memory' keeps it per process, 'redis' shares it through "
        "GATEWAY_REDIS_URL.",
    )
    redis_url: str | None = Field(
        None,
        repr=False,
        description="Redis URL (redis:// or rediss://) holding the shared state when "
        "GATEWAY_SHARED_STATE_BACKEND=redis; required with that backend.",
    )
    redis_key_prefix: str = Field(
        "gw:",
        min_length=1,
        description="Prefix of every Redis key the gateway writes; instances sharing one "
        "egress address (one Intervals.icu budget) use the same prefix.",
    )
    token_cache_seconds: float | None = Field(
        None,
        ge=0,
        description="How long a verified access token is trusted without reading the database "
        "again (0 = never cached). Unset: 30 with GATEWAY_SHARED_STATE_BACKEND=redis "
        "(revocations reach every instance within a second), 0 with 'memory' (a separate "
        "process such as the operator CLI could not reach the cache).",
    )
    token_cache_size: int = Field(
        10_000, ge=1, description="Verified access tokens the cache holds at most (LRU)."
    )
    redis_timeout_seconds: float = Field(
        0.5,
        gt=0,
        description="Connect and command timeout toward Redis; past it the gateway degrades "
        "(docs/operations.md).",
    )
    answer_cache: Literal["auto", "memory", "redis", "off"] = Field(
        "auto",
        description="The per-athlete cache of Intervals.icu answers: 'auto' (Redis with "
        "GATEWAY_SHARED_STATE_BACKEND=redis, else memory), 'memory', 'redis' or 'off'.",
    )
    answer_cache_ttl_seconds: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="How long a cached answer is served when no webhook or write has "
        "invalidated it.",
    )
    answer_cache_analyzed_ttl_seconds: float = Field(
        86_400.0,
        gt=0,
        le=30 * 86_400,
        description="How long an analyzed activity's streams, intervals, curves, best efforts "
        "and histograms stay cached (dropped at once when that activity changes).",
    )
    answer_cache_webhook_ttl_seconds: float = Field(
        900.0,
        gt=0,
        le=86_400,
        description="With Intervals.icu webhooks configured: how long cached activities, "
        "wellness, fitness, calendar and sport settings are served (webhooks invalidate them "
        "at once); the library and the profile keep GATEWAY_ANSWER_CACHE_TTL_SECONDS.",
    )
    answer_cache_memory_mb: int = Field(
        64, ge=1, description="Megabytes of answers the in-memory cache keeps per process."
    )
    upstream_connect_timeout_seconds: float = Field(
        5.0, gt=0, description="Connect timeout for Intervals.icu requests."
    )
    upstream_read_timeout_seconds: float = Field(
        30.0, gt=0, description="Read timeout for Intervals.icu requests."
    )
    upstream_total_timeout_seconds: float = Field(
        45.0, gt=0, description="Total time limit for one attempt of an Intervals.icu request."
    )
    upstream_max_connections: int = Field(
        100,
        ge=4,
        description="Connections to Intervals.icu the process may hold at once (the pool); each "
        "athlete may use at most a quarter of it.",
    )
    upstream_pool_timeout_seconds: float = Field(
        2.0,
        gt=0,
        description="How long a request waits for a free pooled connection to Intervals.icu.",
    )
    upstream_client: Literal["aiohttp", "httpx"] = Field(
        "aiohttp",
        description="The HTTP library requests to Intervals.icu are sent with: aiohttp (a "
        "quarter of httpx's CPU per request) or httpx; both honour HTTP(S)_PROXY and "
        "NO_PROXY from the environment.",
    )
    tool_call_timeout_seconds: float = Field(
        25.0,
        gt=0,
        le=300,
        description="Total time limit of one tool call; past it the call answers 'Intervals.icu "
        "is slow; try again' (below common MCP client timeouts of 30 s).",
    )
    mcp_fast_path: bool = Field(
        True,
        description="Answer a handshake-era tools/call on /mcp without the MCP SDK's per-request "
        "session machinery (same answer; off: every request through the SDK).",
    )
    write_confirm_ttl_seconds: int = Field(
        600,
        ge=30,
        le=3600,
        description="How long a write preview's confirmation handle stays valid (docs/writes.md).",
    )
    answer_max_text_chars: int = Field(
        60_000,
        ge=1_000,
        description="Characters of text one tool answer may take; a larger answer is cut and "
        "says so (Claude Code refuses tool results over 25,000 tokens).",
    )
    answer_max_structured_chars: int = Field(
        80_000,
        ge=1_000,
        description="Characters of `structuredContent` (compact JSON) one tool answer may take; "
        "cut alike.",
    )
    auto_migrate: bool = Field(
        True,
        description="Apply database migrations when `serve` starts and before operator commands.",
    )
    toolsets: Annotated[str, NoDecode] = Field(
        "all",
        description="Comma-separated toolsets served (`core`, `activities`, `wellness`, "
        "`calendar`, ...), or `all`.",
    )
    guardrail_weekly_ramp: float = Field(
        8.0, gt=0, description="Write guardrail: CTL gained over 7 days above which a change warns."
    )
    guardrail_acute_chronic: float = Field(
        1.5, gt=0, description="Write guardrail: ATL/CTL ratio above which a change warns."
    )
    guardrail_hard_intensity_pct: float = Field(
        85.0,
        gt=0,
        description="Write guardrail: a session this intense (% of threshold) counts as hard.",
    )
    guardrail_hard_load: float = Field(
        100.0, gt=0, description="Write guardrail: a session with this load counts as hard."
    )
    guardrail_threshold_change_pct: float = Field(
        10.0,
        gt=0,
        description="Write guardrail: a threshold (FTP, LTHR, ...) change beyond this % warns.",
    )
    guardrails_refuse: Annotated[str, NoDecode] = Field(
        "",
        description="Comma-separated guardrails that refuse rather than warn, or `all`.",
    )

    @field_validator(
        "base_url",
        "intervals_api_base_url",
        "intervals_oauth_authorize_url",
        "intervals_oauth_token_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("must not contain a query or fragment")
        return value.rstrip("/")

    @field_validator("privacy_policy_url", "terms_url")
    @classmethod
    def _https_document_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"{value[:100]!r} is not an https:// URL")
        if any(ch.isspace() or ord(ch) < 0x20 for ch in value) or parts.username is not None:
            raise ValueError("must be a plain https:// URL (no spaces, no user name)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL (sqlite:///path or postgresql://...)") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"unsupported database {url.get_backend_name()!r}; use sqlite or postgresql"
            )
        return value

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str) -> str:
        if value and len(value) < METRICS_TOKEN_MIN_LENGTH:
            raise ValueError(
                f"use at least {METRICS_TOKEN_MIN_LENGTH} random characters "
                "(e.g. `openssl rand -hex 32`), or leave it empty to serve no /metrics"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        return ",".join(parse_trusted_proxies(value))

    @field_validator("toolsets")
    @classmethod
    def _toolsets(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",") if name.strip()]
        if not names:
            raise ValueError("name at least one toolset, or `all`")
        if "all" in names:
            return "all"
        bad = [name for name in names if not name.replace("_", "").isalpha()]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a toolset name")
        return ",".join(dict.fromkeys(names))

    @field_validator("guardrails_refuse")
    @classmethod
    def _guardrails_refuse(cls, value: str) -> str:
        return ",".join(sorted(parse_refuse(value)))

    @field_validator("encryption_keys")
    @classmethod
    def _key_ring(cls, value: str) -> str:
        if value.strip():
            parse_key_ring(value)
        return value.strip()

    @model_validator(mode="before")
    @classmethod
    def _base_url_follows_port(cls, data: Any) -> Any:
        """Without GATEWAY_BASE_URL the (loopback) base URL is on GATEWAY_PORT, so setting the
        port alone never advertises another port (club-admin trial §1)."""
        if isinstance(data, dict) and not data.get("base_url"):
            port = str(data.get("port") or "").strip()
            if port.isdigit():
                return {**data, "base_url": f"http://127.0.0.1:{int(port)}"}
        return data

    @model_validator(mode="after")
    def _production_needs_keys(self) -> Settings:
        if not self.encryption_keys and not self.is_local:
            raise ValueError(
                "GATEWAY_ENCRYPTION_KEYS is required when GATEWAY_BASE_URL is not a loopback "
                "address (a development key is only generated for local use)"
            )
        return self

    @model_validator(mode="after")
    def _test_only_settings_stay_local(self) -> Settings:
        """Settings that weaken the CIMD fetch for the test suite never reach a public server."""
        if self.is_local:
            return self
        for name, value in (
            ("cimd_allow_loopback", self.cimd_allow_loopback),
            ("cimd_extra_ca_file", self.cimd_extra_ca_file),
        ):
            if value:
                raise ValueError(
                    f"{ENV_PREFIX}{name.upper()} is for tests only; it is refused when "
                    "GATEWAY_BASE_URL is not a loopback address"
                )
        return self

    @model_validator(mode="after")
    def _redis_backend_needs_url(self) -> Settings:
        if self.shared_state_backend == "redis":
            scheme = urlsplit(self.redis_url or "").scheme
            if scheme not in ("redis", "rediss", "unix"):
                raise ValueError(
                    "GATEWAY_SHARED_STATE_BACKEND=redis needs GATEWAY_REDIS_URL "
                    "(redis://, rediss:// or unix://)"
                )
        return self

    @model_validator(mode="after")
    def _oauth_signin_needs_the_intervals_app(self) -> Settings:
        """OAuth-only sign-in without a registered Intervals.icu app would lock everyone out."""
        if self.signin_methods == "oauth" and not (
            self.intervals_oauth_client_id and self.intervals_oauth_client_secret
        ):
            raise ValueError(
                "GATEWAY_SIGNIN_METHODS=oauth needs the Intervals.icu OAuth app: set "
                "GATEWAY_INTERVALS_OAUTH_CLIENT_ID and GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET "
                "(docs/deploy.md, directory deployment)"
            )
        return self

    @model_validator(mode="after")
    def _redis_answer_cache_needs_redis(self) -> Settings:
        if self.answer_cache == "redis" and self.shared_state_backend != "redis":
            raise ValueError(
                "GATEWAY_ANSWER_CACHE=redis needs GATEWAY_SHARED_STATE_BACKEND=redis "
                "(use 'auto' to follow the shared-state backend)"
            )
        return self

    @model_validator(mode="after")
    def _athlete_share_fits_the_pool(self) -> Settings:
        if self.upstream_per_athlete_concurrency * 4 > self.upstream_max_connections:
            raise ValueError(
                "GATEWAY_UPSTREAM_PER_ATHLETE_CONCURRENCY may be at most a quarter of "
                "GATEWAY_UPSTREAM_MAX_CONNECTIONS (so stalled athletes leave room for others)"
            )
        return self

    @property
    def api_key_signin(self) -> bool:
        """Whether athletes may sign in (and replace their credential) with an API key."""
        return self.signin_methods != "oauth"

    @property
    def oauth_signin(self) -> bool:
        """Whether 'Continue with Intervals.icu' is offered (also needs the app configured)."""
        return self.signin_methods != "api_key" and bool(
            self.intervals_oauth_client_id and self.intervals_oauth_client_secret
        )

    @property
    def issuer(self) -> str:
        """The one OAuth issuer string (RFC 8414 §2, RFC 9207): the base URL, no trailing slash."""
        return self.base_url

    @property
    def token_cache_ttl(self) -> float:
        """Seconds a verified token stays cached: GATEWAY_TOKEN_CACHE_SECONDS, or the default
        of the shared-state backend (docs/operations.md, "Verified-token cache")."""
        if self.token_cache_seconds is not None:
            return self.token_cache_seconds
        return 30.0 if self.shared_state_backend == "redis" else 0.0

    @property
    def mcp_resource(self) -> str:
        """Canonical MCP resource URL (RFC 8707 / RFC 9728 `resource`)."""
        return f"{self.base_url}/mcp"

    @property
    def served_toolsets(self) -> tuple[str, ...] | None:
        """The toolsets to serve; None means all of them."""
        return None if self.toolsets == "all" else tuple(self.toolsets.split(","))

    @property
    def guardrail_limits(self) -> Limits:
        """The write guardrails' thresholds and the rules set to refuse (app/training)."""
        return Limits(
            weekly_ramp=self.guardrail_weekly_ramp,
            acute_chronic=self.guardrail_acute_chronic,
            hard_intensity_pct=self.guardrail_hard_intensity_pct,
            hard_load=self.guardrail_hard_load,
            threshold_change_pct=self.guardrail_threshold_change_pct,
            refuse=parse_refuse(self.guardrails_refuse),
        )

    @property
    def is_local(self) -> bool:
        """True when the public base URL is a loopback address (development)."""
        return is_loopback_host(urlsplit(self.base_url).hostname)

    @property
    def sqlalchemy_url(self) -> URL:
        """Synchronous URL (Alembic, CLI): sqlite+pysqlite or postgresql+psycopg."""
        raw = self.database_url or f"sqlite:///{(self.data_dir / 'gateway.db').as_posix()}"
        url = make_url(raw)
        if url.get_backend_name() == "postgresql":
            return url.set(drivername="postgresql+psycopg")
        return url.set(drivername="sqlite+pysqlite")

    @property
    def async_sqlalchemy_url(self) -> URL:
        """Async URL for request paths: sqlite+aiosqlite or postgresql+psycopg (async)."""
        url = self.sqlalchemy_url
        if url.get_backend_name() == "sqlite":
            return url.set(drivername="sqlite+aiosqlite")
        return url

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as networks for uvicorn's ``forwarded_allow_ips``."""
        return [entry for entry in self.trusted_proxies.split(",") if entry]

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "dev-encryption.key"


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``GATEWAY_<NAME>: what is wrong``."""
    lines = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ()) if part != "__root__"]
        name = f"{ENV_PREFIX}{loc[0].upper()}" if loc else "settings"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if loc else message)
    return "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and `.env`); raise SettingsError with a clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(format_validation_error(error)) from None


METRICS_TOKEN_MIN_LENGTH = 24

QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "mcp.server.streamable_http",
    "mcp.server.streamable_http_manager",
)

SQL_PARAMETER_LOGGERS = ("aiosqlite",)
"""Loggers that print every SQL statement's parameters at DEBUG (athlete names, token and
session hashes): kept at INFO whatever GATEWAY_LOG_LEVEL says."""


def configure_logging(settings: Settings) -> None:
    """Root handler in GATEWAY_LOG_FORMAT, each record carrying the request id (app/observe.py)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if settings.log_level != "DEBUG":  # per-request chatter (and upstream URLs) only when debugging
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    for name in SQL_PARAMETER_LOGGERS:  # even at DEBUG (security review, hardening 9)
        logging.getLogger(name).setLevel(logging.INFO)
