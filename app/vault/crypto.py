"""AES-256-GCM encryption of credentials, bound to their owner and kind.

NIST SP 800-38D: a fresh random 96-bit nonce per encryption; the 128-bit tag authenticates the
ciphertext *and* the associated data. The associated data names the athlete row and the
credential kind, so a ciphertext copied to another athlete's row (or relabelled as another
kind) fails to decrypt. Stored form: ``nonce (12 bytes) || ciphertext || tag``; the key id
travels next to it (``credentials.key_id``) and selects the key-ring key for decryption.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.settings import EncryptionKey

NONCE_BYTES = 12
TAG_BYTES = 16
AAD_PREFIX = "intervals-gateway/credential/v1"


class VaultError(Exception):
    """A stored credential cannot be decrypted (unknown key id, tampered or misplaced data)."""


def associated_data(athlete_pk: int, kind: str) -> bytes:
    """The AEAD associated data binding a ciphertext to one athlete row and one kind."""
    return f"{AAD_PREFIX}|athlete:{athlete_pk}|kind:{kind}".encode()


class Vault:
    """The key ring in use: the first key encrypts, every key may decrypt (by key id)."""

    def __init__(self, keys: Sequence[EncryptionKey]) -> None:
        if not keys:
            raise ValueError("the vault needs at least one key")
        self._keys = {key.key_id: AESGCM(key.secret) for key in keys}
        self.primary_key_id = keys[0].key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, plaintext: str, athlete_pk: int, kind: str) -> tuple[str, bytes]:
        """Encrypt under the primary key; returns ``(key_id, nonce || ciphertext || tag)``."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._keys[self.primary_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), associated_data(athlete_pk, kind)
        )
        return self.primary_key_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, athlete_pk: int, kind: str) -> str:
        """Decrypt a stored blob; raises VaultError (never showing any secret) on failure."""
        aead = self._keys.get(key_id)
        if aead is None:
            raise VaultError(f"credential encrypted with key {key_id!r}, which is not configured")
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise VaultError("stored credential is truncated")
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plaintext = aead.decrypt(nonce, sealed, associated_data(athlete_pk, kind))
        except InvalidTag:
            raise VaultError(
                "stored credential failed authentication (wrong key, owner or kind)"
            ) from None
        return plaintext.decode("utf-8")
