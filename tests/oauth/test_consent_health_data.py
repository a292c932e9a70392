"""Health-data consent (issue 21): the consent page names, per scope, the Intervals.icu data
it reaches in plain words, and links the operator's privacy policy and terms, which are also
published in the discovery documents (RFC 8414 §2 op_policy_uri / op_tos_uri, RFC 9728 §2
resource_policy_uri / resource_tos_uri)."""

from __future__ import annotations

import html
import re

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from app.oauth.metadata import authorization_server_metadata
from tests.oauth.conftest import CLAUDE_CALLBACK, Gateway, GatewayFactory, pkce_pair

PRIVACY = "https://club.example/legal/privacy"
TERMS = "https://club.example/legal/terms"


def reaches(page: str, scope: str) -> list[str]:
    """The data categories listed under a scope's checkbox."""
    label = re.search(rf'value="{re.escape(scope)}".*?</label>\s*<ul[^>]*>(.*?)</ul>', page, re.S)
    assert label, f"no data categories under {scope}"
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", label.group(1))]


def consent(gateway: Gateway, scope: str = "mcp.read mcp.write") -> str:
    client_id = gateway.register(client_name="Claude")["client_id"]
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, pkce_pair()[1], scope=scope)
    return gateway.consent_page(params).text


def test_each_scope_names_the_data_it_reaches_health_data_included(
    make_gateway: GatewayFactory,
) -> None:
    page = consent(make_gateway())
    read = reaches(page, "mcp.read")
    assert [item.split(":")[0] for item in read] == [
        "Activities",
        "Wellness (health data)",
        "Fitness",
        "Calendar",
        "Settings",
    ]
    wellness = read[1]
    for words in ("weight", "HRV", "sleep", "resting heart rate"):
        assert words in wellness
    assert "heart rate, power, pace" in read[0]
    write = reaches(page, "mcp.write")
    assert any("Calendar: create, move, change and delete" in item for item in write)
    assert any(item.startswith("Wellness:") and "weight" in item for item in write)
    assert any(item.startswith("Settings:") and "FTP" in item for item in write)
    assert "privacy policy" not in page  # none configured: no dead link

    read_only = consent(make_gateway(), scope="mcp.read")
    assert reaches(read_only, "mcp.read") == read
    assert 'value="mcp.write"' not in read_only


def test_consent_page_links_the_operators_privacy_policy_and_terms(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway(privacy_policy_url=PRIVACY, terms_url=TERMS)
    page = consent(gateway)
    assert f'href="{PRIVACY}"' in page and ">privacy policy</a>" in page
    assert f'href="{TERMS}"' in page and ">terms of service</a>" in page
    for path, target in (("/privacy", PRIVACY), ("/terms", TERMS)):
        answer = gateway.http.get(f"{gateway.base}{path}")
        assert (answer.status_code, answer.headers["location"]) == (307, target)


def test_discovery_documents_publish_the_policy_and_terms(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(privacy_policy_url=PRIVACY, terms_url=TERMS)
    server = gateway.http.get(f"{gateway.base}/.well-known/oauth-authorization-server").json()
    assert (server["op_policy_uri"], server["op_tos_uri"]) == (PRIVACY, TERMS)
    AuthorizationServerMetadata(server).validate_op_policy_uri()
    AuthorizationServerMetadata(server).validate_op_tos_uri()
    resource = gateway.http.get(f"{gateway.base}/.well-known/oauth-protected-resource/mcp").json()
    assert (resource["resource_policy_uri"], resource["resource_tos_uri"]) == (PRIVACY, TERMS)

    plain = authorization_server_metadata(make_gateway().settings)
    assert "op_policy_uri" not in plain and "op_tos_uri" not in plain
