"""Discovery documents: RFC 8414 authorization server metadata and RFC 9728 protected resource
metadata. The issuer string is ``settings.issuer`` everywhere (never re-parsed, so never gains a
trailing slash)."""

from __future__ import annotations

from typing import Any

from app.oauth import scopes
from app.oauth.pkce import S256
from app.settings import Settings

AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = ("authorization_code", "refresh_token")
PRM_PATH = "/.well-known/oauth-protected-resource"


def authorization_server_metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 §2 document (also served as the OpenID configuration alias, with no OIDC scope).

    tests/oauth/test_metadata.py checks it with Authlib's RFC 8414 `AuthorizationServerMetadata`.
    """
    issuer = settings.issuer
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "registration_endpoint": f"{issuer}/register",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": list(scopes.SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": [S256],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
    }
    return document


def protected_resource_metadata(settings: Settings) -> dict[str, Any]:
    """RFC 9728 §2 document for the MCP endpoint."""
    return {
        "resource": settings.mcp_resource,
        "authorization_servers": [settings.issuer],
        "scopes_supported": list(scopes.SUPPORTED),
        "bearer_methods_supported": ["header"],
        "resource_name": "Intervals.icu MCP gateway",
    }


def protected_resource_metadata_url(settings: Settings) -> str:
    """RFC 9728 §3.1: the well-known URL with the resource path appended (for the 401 challenge)."""
    return f"{settings.base_url}{PRM_PATH}/mcp"
