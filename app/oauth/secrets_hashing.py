"""Client secrets: generated, hashed for storage, verified in constant time.

Generated secrets carry 256 random bits, so one SHA-256 is enough (``sha256$<hex>``). An
operator may supply their own secret, which could be weak: those are stored with scrypt
(``scrypt$<n>$<r>$<p>$<salt>$<hex>``, RFC 7914).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "gws_"
MIN_SUPPLIED_SECRET_LENGTH = 16
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def generate_client_secret() -> str:
    """A new client secret with 256 bits of entropy."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_generated_secret(secret: str) -> str:
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def hash_supplied_secret(secret: str) -> str:
    """Slow hash for an operator-chosen secret (may be low-entropy)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    encoded_salt = base64.urlsafe_b64encode(salt).decode().rstrip("=")
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded_salt}${digest.hex()}"


def is_slow_hash(stored: str | None) -> bool:
    """Whether verifying against `stored` costs real CPU time (scrypt), worth a thread."""
    return stored is not None and stored.startswith("scrypt$")


def verify_secret(secret: str, stored: str | None) -> bool:
    """True when `secret` matches the stored hash (constant-time comparison)."""
    if not stored or not secret:
        return False
    kind, _, rest = stored.partition("$")
    if kind == "sha256":
        computed = hashlib.sha256(secret.encode()).hexdigest()
        return hmac.compare_digest(computed, rest)
    if kind == "scrypt":
        n, r, p, salt, expected = rest.split("$")
        digest = hashlib.scrypt(
            secret.encode(),
            salt=base64.urlsafe_b64decode(salt + "=" * (-len(salt) % 4)),
            n=int(n),
            r=int(r),
            p=int(p),
        )
        return hmac.compare_digest(digest.hex(), expected)
    return False
