"""The one-way digest under which the gateway stores what it must recognise but never reveal:
access and refresh tokens, codes, browser session ids, write confirmation handles and
invitation links. Each is a high-entropy random value, so a plain SHA-256 (no salt, no slow
hash) is what its lookup needs; the database keeps only this hex digest."""

from __future__ import annotations

import hashlib


def sha256_hex(value: str) -> str:
    """SHA-256 of the UTF-8 value, as 64 hex characters."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
