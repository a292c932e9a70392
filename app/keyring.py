"""The vault key ring: keys from settings, or a generated development key for local use."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from app.settings import (
    KEY_BYTES,
    EncryptionKey,
    Settings,
    SettingsError,
    encode_key,
    parse_key_ring,
)

log = logging.getLogger(__name__)

DEV_KEY_ID = "dev"


def resolve_key_ring(settings: Settings) -> tuple[EncryptionKey, ...]:
    """Return the configured key ring; for a loopback base URL without keys, the dev key.

    The development key is generated once into ``<data_dir>/dev-encryption.key`` (mode 0600)
    and a loud warning says that production must configure ``GATEWAY_ENCRYPTION_KEYS``.
    """
    if settings.encryption_keys:
        return parse_key_ring(settings.encryption_keys)
    if not settings.is_local:  # the Settings validator already refuses this; keep it explicit
        raise SettingsError("GATEWAY_ENCRYPTION_KEYS: required for a non-loopback base URL")
    return (load_or_create_dev_key(settings.dev_key_path),)


def new_key_entry(key_id: str) -> str:
    """A key ring entry ``kid:base64url`` holding 32 fresh random bytes (validated as a ring)."""
    entry = encode_key(key_id, secrets.token_bytes(KEY_BYTES))
    parse_key_ring(entry)  # the same rules as GATEWAY_ENCRYPTION_KEYS (raises ValueError)
    return entry


def load_or_create_dev_key(path: Path) -> EncryptionKey:
    """Read the development key file, creating it (0600) with a fresh random key if absent."""
    if path.exists():
        refuse_exposed_key_file(path)
        ring = parse_key_ring(path.read_text(encoding="utf-8").strip())
        _warn_once(path)
        return ring[0]
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)  # the data directory is private (security review L10)
    key = EncryptionKey(key_id=DEV_KEY_ID, secret=secrets.token_bytes(KEY_BYTES))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(encode_key(key.key_id, key.secret) + "\n")
    _warn_once(path)
    return key


def refuse_exposed_key_file(path: Path) -> None:
    """Refuse a development key file that others could read or replace (security review,
    hardening 6): it must belong to the current user and have no group/other permissions."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise SettingsError(
            f"development key file {path} belongs to uid {info.st_uid}, not to this user "
            f"(uid {os.getuid()}); fix its owner or set GATEWAY_ENCRYPTION_KEYS"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"development key file {path} has mode {mode:04o}, readable or writable by "
            f"others; run: chmod 600 {path}"
        )


_warned: set[Path] = set()


def _warn_once(path: Path) -> None:
    """The development-key warning, once per process (serve and the app both resolve the ring)."""
    if path not in _warned:
        _warned.add(path)
        log.warning(_DEV_WARNING, path)


_DEV_WARNING = (
    "!!! USING A GENERATED DEVELOPMENT ENCRYPTION KEY (%s). Credentials encrypted with it are "
    "only as safe as that file. Production MUST set GATEWAY_ENCRYPTION_KEYS. !!!"
)
