"""Client ID Metadata Documents: fetched over https (a throwaway CA on loopback in tests),
validated, cached; private addresses, mismatches, oversize documents and redirects refused."""

from __future__ import annotations

import pytest

from app.oauth.client_documents import address_allowed, cache_ttl
from tests.oauth.conftest import CHATGPT_CALLBACK, Gateway, GatewayFactory, pkce_pair
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles


@pytest.fixture
def cimd_gateway(make_gateway: GatewayFactory, tls: TlsFiles) -> Gateway:
    return make_gateway(cimd_extra_ca_file=tls.ca, cimd_allow_loopback=True)


def _authorize_page(gateway: Gateway, client_id: str, redirect_uri: str = CHATGPT_CALLBACK):  # type: ignore[no-untyped-def]
    params = gateway.authorize_params(client_id, redirect_uri, pkce_pair()[1])
    return gateway.browser.get(f"{gateway.base}/authorize", params=params)


def test_happy_path_with_unknown_grant_types_and_private_key_jwt(
    cimd_gateway: Gateway, host: DocumentHost
) -> None:
    client_id = host.document(
        "/oauth/client.json",
        grant_types=["authorization_code", "refresh_token", "urn:openai:custom", "implicit"],
        response_types=["code", "id_token"],
        token_endpoint_auth_method="private_key_jwt",
        jwks_uri="https://chatgpt.com/jwks.json",
    )
    page = _authorize_page(cimd_gateway, client_id)
    assert page.status_code == 200, page.text[:300]
    assert "ChatGPT" in page.text and "chatgpt.com" in page.text
    flow = cimd_gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK)
    response = cimd_gateway.exchange(client_id, flow)  # public: no secret, PKCE only
    assert response.status_code == 200, response.text
    assert cimd_gateway.access_token_usable(response.json()["access_token"])


def test_client_id_mismatch_is_refused_without_redirect(
    cimd_gateway: Gateway, host: DocumentHost
) -> None:
    url = host.document("/a.json", client_id="https://chatgpt.com/a.json")
    response = _authorize_page(cimd_gateway, url)
    assert response.status_code == 400 and "location" not in response.headers
    assert "does not equal its URL" in response.text


@pytest.mark.parametrize("missing", ["client_name", "redirect_uris"])
def test_document_needs_name_and_redirect_uris(
    cimd_gateway: Gateway, host: DocumentHost, missing: str
) -> None:
    url = host.document("/b.json", **{missing: None})
    assert _authorize_page(cimd_gateway, url).status_code == 400


def test_unregistered_redirect_uri_is_refused(cimd_gateway: Gateway, host: DocumentHost) -> None:
    url = host.document("/c.json")
    response = _authorize_page(cimd_gateway, url, "https://evil.example/cb")
    assert response.status_code == 400 and "location" not in response.headers


def test_document_with_a_userinfo_redirect_uri_is_refused(
    cimd_gateway: Gateway, host: DocumentHost
) -> None:
    """M5: the consent page could show chatgpt.com while the browser goes to evil.example."""
    spoof = "https://chatgpt.com%2Fconnector_platform_oauth_redirect@evil.example/cb"
    url = host.document("/spoof.json", redirect_uris=[spoof])
    response = _authorize_page(cimd_gateway, url, spoof)
    assert response.status_code == 400 and "location" not in response.headers


def test_private_address_refused_without_fetching(
    make_gateway: GatewayFactory, tls: TlsFiles, host: DocumentHost
) -> None:
    production_like = make_gateway(cimd_extra_ca_file=tls.ca)  # loopback not allowed
    url = host.document("/d.json")
    for client_id in (url, url.replace("127.0.0.1", "localhost")):
        response = _authorize_page(production_like, client_id)
        assert response.status_code == 400
        assert "could not be fetched" in response.text  # one message for every failure
    assert host.hits == []


def test_oversize_document_refused(cimd_gateway: Gateway, host: DocumentHost) -> None:
    url = host.url("/big.json")
    host.put(
        "/big.json",
        {"client_id": url, "client_name": "x" * 6000, "redirect_uris": [CHATGPT_CALLBACK]},
    )
    response = _authorize_page(cimd_gateway, url)
    assert response.status_code == 400
    assert "could not be fetched" in response.text  # the size is in the log only


def test_redirects_and_untrusted_certificates_refused(
    make_gateway: GatewayFactory, cimd_gateway: Gateway, host: DocumentHost
) -> None:
    target = host.document("/real.json")
    moved = host.put("/moved.json", b"", status=302, location=target)
    assert _authorize_page(cimd_gateway, moved).status_code == 400
    no_ca = make_gateway(cimd_allow_loopback=True)  # the test CA is not trusted here
    assert _authorize_page(no_ca, target).status_code == 400


def test_documents_are_cached_per_cache_control(cimd_gateway: Gateway, host: DocumentHost) -> None:
    cached = host.document("/cached.json")
    host.routes["/cached.json"][2]["cache-control"] = "max-age=600"
    for _ in range(3):
        assert _authorize_page(cimd_gateway, cached).status_code == 200
    assert host.hits.count("/cached.json") == 1
    uncached = host.document("/fresh.json")
    host.routes["/fresh.json"][2]["cache-control"] = "no-store"
    for _ in range(2):
        assert _authorize_page(cimd_gateway, uncached).status_code == 200
    assert host.hits.count("/fresh.json") == 2


def test_one_grant_per_redirect_uri_for_a_shared_client_id(
    cimd_gateway: Gateway, host: DocumentHost
) -> None:
    other = "https://chatgpt.com/connector/oauth/abc123"
    client_id = host.document("/shared.json", redirect_uris=[CHATGPT_CALLBACK, other])
    cimd_gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK)
    cimd_gateway.authorize(client_id, redirect_uri=other)
    cimd_gateway.authorize(client_id, redirect_uri=other)
    assert sorted(g.redirect_key for g in cimd_gateway.grants()) == sorted(
        [CHATGPT_CALLBACK, other]
    )


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        # NAT64 (RFC 6052): judged by the embedded IPv4; the local-use prefix (RFC 8215) never
        ("64:ff9b::5db8:d822", True),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b::a00:5", False),
        ("64:ff9b:1::a00:1", False),
        ("64:ff9b:1::5db8:d822", False),
        # 6to4 (RFC 3056, deprecated by RFC 7526) and its relay anycast: refused
        ("2002:7f00:1::", False),
        ("2002:a9fe:a9fe::", False),
        ("2002:5db8:d822::1", False),
        ("192.88.99.1", False),
        # IPv4-compatible (RFC 4291 §2.5.5.1), site-local (RFC 3879), outside 2000::/3
        ("::127.0.0.1", False),
        ("::93.184.216.34", False),
        ("fec0::1", False),
        ("4000::1", False),
        # documentation ranges (RFC 3849, RFC 9637) and Teredo
        ("2001:db8::1", False),
        ("3fff::1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        ("198.51.100.7", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
    ],
)
def test_address_rules(address: str, allowed: bool) -> None:
    assert address_allowed(address, allow_loopback=False) is allowed


def test_cache_ttl_rules() -> None:
    assert cache_ttl("public, max-age=600") == 600
    assert cache_ttl("max-age=5") == 60
    assert cache_ttl("max-age=99999999") == 86400
    assert cache_ttl("no-store") == 0
    assert cache_ttl(None) == 3600
