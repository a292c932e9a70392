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
    data_dir: Path = Field(
        Path("var"), description="Directory for the embedded database and development key."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL (sqlite:///path or postgresql://...). Default: SQLite file "
        "under the data directory.",
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
    signin_attempts_per_athlete: int = Field(
        5, ge=1, description="Failed sign-ins allowed per athlete id within the window."
    )
    signin_attempts_per_address: int = Field(
        20, ge=1, description="Failed sign-ins allowed per client address within the window."
    )
    signin_window_seconds: int = Field(
        900, ge=1, description="Sliding window for the sign-in attempt limits."
    )
    intervals_oauth_client_id: str = Field(
        "", description="Intervals.icu OAuth app client id; enables 'Continue with Intervals.icu'."
    )
    intervals_oauth_client_secret: str = Field(
        "", repr=False, description="Intervals.icu OAuth app client secret."
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
        10_000, ge=1, description="Total cap on dynamically registered clients (RFC 7591)."
    )
    oauth_register_per_address_per_hour: int = Field(
        100,
        ge=1,
        description="Registrations allowed per client address per hour (loose: vendors share "
        "egress addresses).",
    )
    oauth_abandoned_client_seconds: int = Field(
        7 * 86400,
        ge=3600,
        description="A dynamically registered client without any grant is purged after this long.",
    )
    oauth_purge_interval_seconds: int = Field(
        3600,
        ge=0,
        description="How often expired codes, tokens and sessions are purged (0: never).",
    )
    cimd_fetch_timeout_seconds: float = Field(
        10.0, gt=0, le=30, description="Timeout for fetching a Client ID Metadata Document."
    )
    cimd_cache_max_entries: int = Field(
        1000, ge=1, description="Client ID Metadata Documents kept in the in-memory cache."
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
    upstream_connect_timeout_seconds: float = Field(
        5.0, gt=0, description="Connect timeout for Intervals.icu requests."
    )
    upstream_read_timeout_seconds: float = Field(
        30.0, gt=0, description="Read timeout for Intervals.icu requests."
    )
    upstream_total_timeout_seconds: float = Field(
        45.0, gt=0, description="Total time limit for one attempt of an Intervals.icu request."
    )
    auto_migrate: bool = Field(
        True,
        description="Apply database migrations when `serve` starts and before operator commands.",
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

    @property
    def issuer(self) -> str:
        """The one OAuth issuer string (RFC 8414 §2, RFC 9207): the base URL, no trailing slash."""
        return self.base_url

    @property
    def mcp_resource(self) -> str:
        """Canonical MCP resource URL (RFC 8707 / RFC 9728 `resource`)."""
        return f"{self.base_url}/mcp"

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
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if settings.log_level != "DEBUG":  # per-request chatter (and upstream URLs) only when debugging
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    for name in SQL_PARAMETER_LOGGERS:  # even at DEBUG (security review, hardening 9)
        logging.getLogger(name).setLevel(logging.INFO)
