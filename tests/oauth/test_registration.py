"""Dynamic Client Registration (RFC 7591) with the tolerance MCP clients need."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.models import OAuthClient
from app.web.client_address import limiter_key as address_key
from tests.oauth.conftest import CLAUDE_CALLBACK, Gateway, GatewayFactory


def _nulls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() if v is None] + [
            n for v in value.values() for n in _nulls(v)
        ]
    if isinstance(value, list):
        return [n for v in value for n in _nulls(v)]
    return []


def test_public_client_without_scope_gets_defaults_and_no_nulls(gateway: Gateway) -> None:
    response = gateway.http.post(
        f"{gateway.base}/register",
        json={"client_name": "Claude", "redirect_uris": [CLAUDE_CALLBACK]},
    )
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in body
    assert body["scope"] == "mcp.read mcp.write"
    assert body["redirect_uris"] == [CLAUDE_CALLBACK]
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert _nulls(body) == []


def test_unknown_fields_and_nulls_in_the_request_are_tolerated(gateway: Gateway) -> None:
    body = gateway.register(
        client_uri=None,
        logo_uri=None,
        software_statement_extra={"nested": True},
        application_type="native",
        scope="mcp.read offline_access openid",
        response_types=["code"],
    )
    assert body["scope"] == "mcp.read"
    assert "software_statement_extra" not in body
    assert _nulls(body) == []


def test_confidential_client_on_request_gets_a_secret_that_works(gateway: Gateway) -> None:
    body = gateway.register(token_endpoint_auth_method="client_secret_post", scope="mcp.read")
    assert body["client_secret"] and body["client_secret_expires_at"] == 0
    assert body["scope"] == "mcp.read"
    flow = gateway.authorize(body["client_id"], scope=None)
    ok = gateway.exchange(body["client_id"], flow, client_secret=body["client_secret"])
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "mcp.read"


def test_refuses_non_https_redirect_uris_and_bad_bodies(gateway: Gateway) -> None:
    url = f"{gateway.base}/register"
    bad_uri = gateway.http.post(url, json={"redirect_uris": ["http://evil.example/cb"]})
    assert bad_uri.status_code == 400
    assert bad_uri.json()["error"] == "invalid_redirect_uri"
    no_uris = gateway.http.post(url, json={"client_name": "x"})
    assert no_uris.json()["error"] == "invalid_redirect_uri"
    not_json = gateway.http.post(url, content=b"{", headers={"content-type": "application/json"})
    assert not_json.json()["error"] == "invalid_client_metadata"
    jwt_auth = gateway.http.post(
        url,
        json={"redirect_uris": [CLAUDE_CALLBACK], "token_endpoint_auth_method": "private_key_jwt"},
    )
    assert jwt_auth.json()["error"] == "invalid_client_metadata"


def test_loopback_redirect_uris_are_accepted(gateway: Gateway) -> None:
    body = gateway.register(redirect_uris=["http://127.0.0.1/callback", "http://localhost:6274/cb"])
    assert body["redirect_uris"] == ["http://127.0.0.1/callback", "http://localhost:6274/cb"]


OTHER_CALLBACK = "https://app.example/oauth/callback"


def _junk(gateway: Gateway, n: int) -> httpx.Response:
    """A registration for the general pool (not a ChatGPT/Claude callback), unique by name."""
    body = {"client_name": f"junk {n}", "redirect_uris": [OTHER_CALLBACK]}
    return gateway.http.post(f"{gateway.base}/register", json=body)


def test_deeply_nested_registration_json_is_a_clear_error(gateway: Gateway) -> None:
    """Hardening 2 at /register: nesting past the parser's limit is a 400, not a 500."""
    response = gateway.http.post(
        f"{gateway.base}/register",
        content=b"[" * 20_000,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_registrations_per_address_are_limited(make_gateway: GatewayFactory) -> None:
    limited = make_gateway(oauth_register_per_address_per_hour=3)
    for n in range(3):
        assert _junk(limited, n).status_code == 201
    refused = _junk(limited, 3)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    limited.advance(3601)
    assert _junk(limited, 4).status_code == 201


def test_total_number_of_dynamic_clients_is_capped(make_gateway: GatewayFactory) -> None:
    capped = make_gateway(oauth_dynamic_clients_max=2)
    assert _junk(capped, 0).status_code == 201
    assert _junk(capped, 1).status_code == 201
    full = _junk(capped, 2)
    assert full.status_code == 503


def test_identical_unused_registrations_share_one_client(gateway: Gateway) -> None:
    """M4: every Claude user registers the same metadata; while unused, one row serves all."""
    first = gateway.register(client_name="Claude")
    gateway.advance(3600)
    second = gateway.register(client_name="Claude")
    assert second["client_id"] == first["client_id"] and "client_secret" not in second
    # registered again: its unused-expiry starts over
    assert second["client_id_issued_at"] == first["client_id_issued_at"] + 3600
    assert gateway.register(client_name="Claude Code")["client_id"] != first["client_id"]
    gateway.authorize(first["client_id"])  # in use now: the next registration gets its own
    assert gateway.register(client_name="Claude")["client_id"] != first["client_id"]
    confidential = gateway.register(token_endpoint_auth_method="client_secret_post")
    again = gateway.register(token_endpoint_auth_method="client_secret_post")
    assert again["client_id"] != confidential["client_id"] and again["client_secret"]


def test_chatgpt_and_claude_register_while_junk_fills_the_cap_and_the_rate(
    make_gateway: GatewayFactory,
) -> None:
    """M4: junk from one address exhausts the general pool's rate and cap; registrations with
    the ChatGPT and Claude callbacks (same shared address) still succeed, in their own pool."""
    gateway = make_gateway(oauth_dynamic_clients_max=4, oauth_register_per_address_per_hour=4)
    statuses = [_junk(gateway, n).status_code for n in range(5)]
    assert statuses == [201, 201, 201, 201, 429]
    gateway.advance(3601)
    assert _junk(gateway, 5).status_code == 503  # the general pool is full
    vendors = [
        ("Claude", CLAUDE_CALLBACK),
        ("Claude", "https://claude.com/api/mcp/auth_callback"),
        ("ChatGPT", "https://chatgpt.com/connector_platform_oauth_redirect"),
        ("ChatGPT", "https://chatgpt.com/connector/oauth/abc123"),
    ]
    for name, uri in vendors:
        body = gateway.register(client_name=name, redirect_uris=[uri])
        assert body["client_id"].startswith("gwv_")
    lookalike = {"client_name": "ChatGPT", "redirect_uris": ["https://chatgpt.com.evil.example/cb"]}
    assert gateway.http.post(f"{gateway.base}/register", json=lookalike).status_code == 503


def test_the_cap_holds_under_concurrent_registrations(make_gateway: GatewayFactory) -> None:
    """M4: count and insert are atomic: 20 parallel registrations for 5 places store 5."""
    gateway = make_gateway(oauth_dynamic_clients_max=5, oauth_register_per_address_per_hour=100)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: _junk(gateway, n).status_code, range(20)))
    assert statuses.count(201) == 5 and statuses.count(503) == 15
    with gateway.db() as db:
        assert db.scalar(select(func.count()).select_from(OAuthClient)) == 5


def test_the_operator_is_warned_near_the_cap(
    make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = make_gateway(oauth_dynamic_clients_max=10, oauth_register_per_address_per_hour=100)
    with caplog.at_level(logging.WARNING, logger="app.oauth.registration_capacity"):
        for n in range(8):
            _junk(gateway, n)
        assert "registration" not in caplog.text
        _junk(gateway, 8)
    assert "general pool) at 9 of 10" in caplog.text


def test_limiter_keys_group_ipv6_by_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("192.0.2.1") != address_key("192.0.2.2")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_client_names_with_terminal_or_bidi_controls_are_refused(gateway: Gateway) -> None:
    """L9: a client_name must be printable (no C0/C1 escapes, no bidi overrides)."""
    url = f"{gateway.base}/register"
    for name in ("Claude\x1b[1A\x1b[2K", "Claude\x9b2J", "Chat\u202egpt", "a\u2066b", "x\ny"):
        response = gateway.http.post(
            url, json={"client_name": name, "redirect_uris": [CLAUDE_CALLBACK]}
        )
        assert response.status_code == 400, name
        assert response.json()["error"] == "invalid_client_metadata"
        assert "client_name" in response.json()["error_description"]
    assert gateway.register(client_name="Claude Code \u2013 Zürich 🚴")["client_name"]


def test_metadata_sizes_are_bounded_with_clear_errors(gateway: Gateway) -> None:
    """H1: at most 10 redirect URIs of at most 2000 characters; echoed fields at most 2000."""
    url = f"{gateway.base}/register"
    many = [f"https://app.example/cb{i}" for i in range(11)]
    too_many = gateway.http.post(url, json={"redirect_uris": many})
    assert too_many.status_code == 400 and "at most 10" in too_many.json()["error_description"]
    long_uri = "https://app.example/" + "a" * 2000
    too_long = gateway.http.post(url, json={"redirect_uris": [long_uri]})
    assert too_long.status_code == 400 and "2000" in too_long.json()["error_description"]
    for field in ("software_id", "client_uri", "client_name"):
        value = "https://app.example/" + "s" * 2000
        response = gateway.http.post(url, json={"redirect_uris": [CLAUDE_CALLBACK], field: value})
        assert response.status_code == 400, field
        assert response.json()["error"] == "invalid_client_metadata"
        assert field in response.json()["error_description"]
    assert len(gateway.register(redirect_uris=many[:10])["redirect_uris"]) == 10


def test_redirect_uris_whose_shown_host_is_not_the_real_host_are_refused(
    gateway: Gateway,
) -> None:
    """M5: userinfo, or an authority a browser parses differently, is refused."""
    url = f"{gateway.base}/register"
    for uri in (
        "https://chatgpt.com%2Fconnector_platform_oauth_redirect@evil.example/cb",
        "https://user@claude.ai/api/mcp/auth_callback",
        "https://claude.ai%5C@evil.example/cb",
        "https://evil.example%2F.claude.ai/cb",
        "https://evil.example\\.claude.ai/cb",
        "http://127.0.0.1@evil.example/cb",
        "https://ex\u00e4mple.com/cb",  # IDN: must be registered as punycode (xn--)
        "https://\u017flack.com/cb",  # long s: a browser maps it to "s"
    ):
        response = gateway.http.post(url, json={"client_name": "ChatGPT", "redirect_uris": [uri]})
        assert response.status_code == 400, uri
        assert response.json()["error"] == "invalid_redirect_uri"
