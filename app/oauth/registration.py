"""Dynamic Client Registration (RFC 7591 §3), tolerant the way MCP clients need it.

Public clients (`none`) by default, confidential on request; unknown fields are ignored, a
missing or unknown scope gets the defaults, and the response never contains nulls (Claude Code
failed on them). Metadata syntax is checked with Authlib's RFC 7591 `ClientMetadataClaims`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import OAuthClient
from app.oauth import scopes
from app.oauth.clients import CONFIDENTIAL_METHODS, DYNAMIC, NONE
from app.oauth.errors import OAuthError
from app.oauth.metadata import AUTH_METHODS, GRANT_TYPES
from app.oauth.redirect_uris import redirect_uri_allowed
from app.oauth.secrets_hashing import generate_client_secret, hash_generated_secret

DYNAMIC_ID_PREFIX = "gwd_"
MAX_NAME = 200
# Bounds on what one registration may store and echo (security review H1).
MAX_REDIRECT_URIS = 10
MAX_URI_CHARS = 2000
MAX_FIELD_CHARS = 2000
# Optional RFC 7591 §2 fields echoed back when the client sent them as strings.
ECHOED_FIELDS = (
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
)


def invalid_metadata(description: str) -> OAuthError:
    return OAuthError("invalid_client_metadata", description)


@dataclass(frozen=True)
class Registration:
    """The accepted, normalised client metadata (RFC 7591 §2)."""

    client_name: str
    redirect_uris: list[str]
    token_endpoint_auth_method: str
    grant_types: list[str]
    response_types: list[str]
    scope: str
    extra: dict[str, str]


def check_syntax(body: dict[str, Any]) -> None:
    """Authlib's RFC 7591 claim checks (URI syntax, contacts, jwks) on the known fields.
    Authlib (and joserfc under it) is loaded by the first registration, not by every start."""
    from authlib.oauth2.rfc7591 import ClientMetadataClaims
    from joserfc.errors import JoseError

    known = {k: v for k, v in body.items() if k in ClientMetadataClaims.REGISTERED_CLAIMS}
    known.setdefault("token_endpoint_auth_method", NONE)
    known.pop("redirect_uris", None)  # checked below with the loopback rules
    try:
        ClientMetadataClaims(known, {}).validate()
    except (JoseError, ValueError, TypeError) as error:
        raise invalid_metadata(f"invalid client metadata: {error}") from None


def normalise_redirect_uris(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(u, str) for u in value):
        raise OAuthError("invalid_redirect_uri", "redirect_uris must be a non-empty list of URIs")
    if len(value) > MAX_REDIRECT_URIS:
        raise OAuthError(
            "invalid_redirect_uri", f"at most {MAX_REDIRECT_URIS} redirect URIs may be registered"
        )
    if any(len(u) > MAX_URI_CHARS for u in value):
        raise OAuthError(
            "invalid_redirect_uri", f"a redirect URI may have at most {MAX_URI_CHARS} characters"
        )
    bad = [u for u in value if not redirect_uri_allowed(u)]
    if bad:
        raise OAuthError(
            "invalid_redirect_uri",
            "redirect URIs must be https, or http on a loopback host, with a plain host name "
            "(no user name, percent-encoding or backslash in the authority)",
        )
    return list(dict.fromkeys(value))


def client_name_of(body: dict[str, Any]) -> str:
    """The self-chosen display name: printable characters only (no terminal escapes or bidi
    controls, security review L9), at most MAX_NAME characters; '' when absent."""
    name = body.get("client_name")
    if not isinstance(name, str) or not name.strip():
        return ""
    name = name.strip()
    if len(name) > MAX_NAME:
        raise invalid_metadata(f"client_name may have at most {MAX_NAME} characters")
    if not name.isprintable():
        raise invalid_metadata("client_name may contain only printable characters")
    return name


def echoed_fields(body: dict[str, Any]) -> dict[str, str]:
    """The optional RFC 7591 §2 string fields stored and echoed back, each length-limited."""
    fields = {k: body[k] for k in ECHOED_FIELDS if isinstance(body.get(k), str) and body[k]}
    for key, value in fields.items():
        if len(value) > MAX_FIELD_CHARS:
            raise invalid_metadata(f"{key} may have at most {MAX_FIELD_CHARS} characters")
    return fields


def _string_list(body: dict[str, Any], key: str, default: list[str]) -> list[str]:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_metadata(f"{key} must be a list of strings")
    return value


def parse_registration(body: Any) -> Registration:
    """Validate a registration request body and fill in the defaults."""
    if not isinstance(body, dict):
        raise invalid_metadata("the request body must be a JSON object")
    name = client_name_of(body)
    extra = echoed_fields(body)
    check_syntax(body)
    redirect_uris = normalise_redirect_uris(body.get("redirect_uris"))
    method = body.get("token_endpoint_auth_method") or NONE
    if method not in AUTH_METHODS:
        raise invalid_metadata(
            f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}"
        )
    requested_grants = _string_list(body, "grant_types", list(GRANT_TYPES))
    if "authorization_code" not in requested_grants:
        raise invalid_metadata("grant_types must include authorization_code")
    response_types = _string_list(body, "response_types", ["code"])
    if "code" not in response_types:
        raise invalid_metadata("response_types must include code")
    raw_scope = body.get("scope")
    requested = scopes.known_scopes(
        scopes.parse_scope(raw_scope if isinstance(raw_scope, str) else "")
    )
    return Registration(
        client_name=name,
        redirect_uris=redirect_uris,
        token_endpoint_auth_method=method,
        grant_types=[g for g in GRANT_TYPES if g in requested_grants],
        response_types=["code"],
        scope=scopes.format_scope(requested) or scopes.DEFAULT_CLIENT_SCOPE,
        extra=extra,
    )


def stored_name(registration: Registration) -> str:
    return registration.client_name or "Unnamed client"


def stored_metadata(registration: Registration) -> dict[str, Any]:
    """The columns a registration is stored with, as compared when reusing a client."""
    return {
        "redirect_uris": registration.redirect_uris,
        "grant_types": registration.grant_types,
        "scope": registration.scope,
        "client_metadata": {"response_types": registration.response_types, **registration.extra},
    }


async def register_client(
    db: AsyncSession, registration: Registration, now: datetime, id_prefix: str = DYNAMIC_ID_PREFIX
) -> tuple[OAuthClient, str | None]:
    """Store the client; returns it and its secret (shown once) for confidential clients."""
    secret = (
        generate_client_secret()
        if registration.token_endpoint_auth_method in CONFIDENTIAL_METHODS
        else None
    )
    client = OAuthClient(
        client_id=id_prefix + secrets.token_urlsafe(18),
        origin=DYNAMIC,
        name=stored_name(registration),
        secret_hash=hash_generated_secret(secret) if secret else None,
        token_endpoint_auth_method=registration.token_endpoint_auth_method,
        created_at=now,
        **stored_metadata(registration),
    )
    db.add(client)
    await db.flush()
    return client, secret


def registration_response(client: OAuthClient, secret: str | None) -> dict[str, Any]:
    """RFC 7591 §3.2.1 client information response, without any null member."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        "client_name": client.name,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "scope": client.scope,
        **client.client_metadata,
    }
    if secret:
        body["client_secret"] = secret
        body["client_secret_expires_at"] = 0
    return {k: v for k, v in body.items() if v is not None}
