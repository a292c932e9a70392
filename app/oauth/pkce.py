"""PKCE (RFC 7636), S256 only as OAuth 2.1 §4.1.1 and the MCP authorization spec require."""

from __future__ import annotations

import hmac
import re

S256 = "S256"
# RFC 7636 §4.1 / §4.2: 43-128 characters of [A-Z a-z 0-9 - . _ ~]
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def challenge_problem(challenge: str | None, method: str | None) -> str | None:
    """Why an authorization request's PKCE parameters are unacceptable (RFC 7636 §4.3), or None."""
    if not challenge:
        return "code_challenge is required (PKCE, S256)"
    if method != S256:
        return "code_challenge_method must be S256"
    if not _PKCE_VALUE.match(challenge):
        return "code_challenge is malformed"
    return None


def verifier_matches(verifier: str | None, challenge: str) -> bool:
    """RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge, compared in constant time.
    Authlib is loaded by the first token exchange, not by every start."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    if not verifier or not _PKCE_VALUE.match(verifier):
        return False
    computed: str = create_s256_code_challenge(verifier)
    return hmac.compare_digest(computed.encode(), challenge.encode())
