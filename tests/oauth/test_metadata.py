"""Discovery: RFC 8414 AS metadata (+ OpenID alias), RFC 9728 PRM at both URLs, one issuer
string byte-for-byte, CORS only where browser clients need it."""

from __future__ import annotations

from pathlib import Path

import httpx
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from app.oauth.metadata import authorization_server_metadata
from tests.conftest import make_settings
from tests.oauth.conftest import Gateway

PRM_PATHS = ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")


def test_authorization_server_metadata_lists_what_mcp_clients_require(gateway: Gateway) -> None:
    response = gateway.http.get(f"{gateway.base}/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    doc = response.json()
    base = gateway.base
    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == f"{base}/authorize"
    assert doc["token_endpoint"] == f"{base}/token"
    assert doc["registration_endpoint"] == f"{base}/register"
    assert doc["revocation_endpoint"] == f"{base}/revoke"
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "none",
        "client_secret_post",
        "client_secret_basic",
    ]
    assert doc["scopes_supported"] == ["mcp.read", "mcp.write"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["client_id_metadata_document_supported"] is True


def test_openid_configuration_aliases_it_without_oidc_scopes(gateway: Gateway) -> None:
    oauth = gateway.http.get(f"{gateway.base}/.well-known/oauth-authorization-server").json()
    oidc = gateway.http.get(f"{gateway.base}/.well-known/openid-configuration")
    assert oidc.status_code == 200
    assert oidc.json() == oauth
    assert not {"openid", "profile", "email", "offline_access"} & set(oauth["scopes_supported"])


def test_protected_resource_metadata_at_both_urls(gateway: Gateway) -> None:
    for path in PRM_PATHS:
        response = gateway.http.get(gateway.base + path)
        assert response.status_code == 200, path
        doc = response.json()
        assert doc["resource"] == f"{gateway.base}/mcp"
        assert doc["authorization_servers"] == [gateway.base]
        assert doc["scopes_supported"] == ["mcp.read", "mcp.write"]
        assert doc["bearer_methods_supported"] == ["header"]


def test_issuer_is_byte_identical_in_prm_as_metadata_and_authorization_response(
    gateway: Gateway,
) -> None:
    prm = gateway.http.get(gateway.base + PRM_PATHS[0]).content
    asm = gateway.http.get(f"{gateway.base}/.well-known/oauth-authorization-server").content
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    # compare raw bytes of the JSON string values, not parsed-and-normalised URLs
    issuer = gateway.base.encode()
    assert b'"authorization_servers":["' + issuer + b'"]' in prm
    assert b'"issuer":"' + issuer + b'"' in asm
    assert flow.params["iss"].encode() == issuer
    assert not gateway.base.endswith("/")


def test_metadata_is_valid_rfc8414_for_an_https_deployment(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        base_url="https://gw.example.com/",
        encryption_keys="k1:" + "A" * 43,
    )
    doc = authorization_server_metadata(settings)
    AuthorizationServerMetadata(doc).validate()
    assert doc["issuer"] == "https://gw.example.com"


def test_cors_on_metadata_token_register_revoke_but_never_on_authorize(gateway: Gateway) -> None:
    origin = {"Origin": "https://inspector.example"}
    for path in (*PRM_PATHS, "/.well-known/oauth-authorization-server"):
        assert (
            gateway.http.get(gateway.base + path, headers=origin).headers[
                "access-control-allow-origin"
            ]
            == "*"
        )
    for path in ("/token", "/register", "/revoke"):
        preflight = gateway.http.options(
            gateway.base + path,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, mcp-protocol-version",
            },
        )
        assert preflight.status_code in (200, 204), path
        assert preflight.headers["access-control-allow-origin"] == "*"
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "mcp-protocol-version"} <= {
            h.strip() for h in allowed.split(",")
        }
    token = gateway.http.post(f"{gateway.base}/token", data={}, headers=origin)
    assert token.headers["access-control-allow-origin"] == "*"
    for path in ("/authorize", "/signin"):
        response = gateway.http.get(gateway.base + path, headers=origin)
        assert "access-control-allow-origin" not in response.headers, path
        preflight = gateway.http.options(
            gateway.base + path, headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in preflight.headers, path


def test_metadata_needs_no_sign_in_and_is_json(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.base}/.well-known/oauth-authorization-server")
    assert response.headers["content-type"].startswith("application/json")
