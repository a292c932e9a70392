"""The vault key ring: keys from settings, or a generated development key for local use."""

from __future__ import annotations

import logging
import os
import secrets
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


def load_or_create_dev_key(path: Path) -> EncryptionKey:
    """Read the development key file, creating it (0600) with a fresh random key if absent."""
    if path.exists():
        ring = parse_key_ring(path.read_text(encoding="utf-8").strip())
        log.warning(_DEV_WARNING, path)
        return ring[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    key = EncryptionKey(key_id=DEV_KEY_ID, secret=secrets.token_bytes(KEY_BYTES))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(encode_key(key.key_id, key.secret) + "\n")
    log.warning(_DEV_WARNING, path)
    return key


_DEV_WARNING = (
    "!!! USING A GENERATED DEVELOPMENT ENCRYPTION KEY (%s). Credentials encrypted with it are "
    "only as safe as that file. Production MUST set GATEWAY_ENCRYPTION_KEYS. !!!"
)
