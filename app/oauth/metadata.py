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
MCP_PATH = "/mcp"
SSE_PATH = "/sse"


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
    if settings.privacy_policy_url:  # RFC 8414 §2: "op_policy_uri"
        document["op_policy_uri"] = settings.privacy_policy_url
    if settings.terms_url:  # RFC 8414 §2: "op_tos_uri"
        document["op_tos_uri"] = settings.terms_url
    return document


def protected_resource_metadata(settings: Settings, resource: str | None = None) -> dict[str, Any]:
    """RFC 9728 §2 document for the MCP endpoint (``resource`` one of :func:`resource_aliases`,
    default the canonical ``{base}/mcp``)."""
    document: dict[str, Any] = {
        "resource": resource or settings.mcp_resource,
        "authorization_servers": [settings.issuer],
        "scopes_supported": list(scopes.SUPPORTED),
        "bearer_methods_supported": ["header"],
        "resource_name": "Intervals.icu MCP gateway",
    }
    if settings.privacy_policy_url:  # RFC 9728 §2: "resource_policy_uri"
        document["resource_policy_uri"] = settings.privacy_policy_url
    if settings.terms_url:  # RFC 9728 §2: "resource_tos_uri"
        document["resource_tos_uri"] = settings.terms_url
    return document


def protected_resource_metadata_url(settings: Settings) -> str:
    """RFC 9728 §3.1: the well-known URL with the resource path appended (for the 401 challenge)."""
    return f"{settings.base_url}{PRM_PATH}/mcp"


def sse_resource(settings: Settings) -> str:
    """The legacy SSE endpoint ``{base}/sse`` as a resource identifier (RFC 8707 §2)."""
    return f"{settings.base_url}{SSE_PATH}"


def resource_aliases(canonical: str) -> tuple[str, str]:
    """The names clients may use for the one MCP resource ``{base}/mcp``: itself, and
    ``{base}/sse`` for legacy SSE clients.

    MCP clients accept a protected resource only when its ``resource`` is the URL they connect to
    or that URL's origin (RFC 9728 §3.3; the SDKs' ``checkResourceAllowed``), so an SSE client
    (``mcp-remote --transport sse-only``) connecting to ``{base}/sse`` must read
    ``resource={base}/sse`` and then asks for tokens with that ``resource``. Both transports
    serve the same server, tools and data, so tokens are issued for (and verified against) the
    canonical ``{base}/mcp`` whichever name was asked for (RFC 8707 §2: the authorization server
    decides the audience it puts in the token).
    """
    base = canonical.removesuffix(MCP_PATH)
    return canonical, f"{base}{SSE_PATH}"
