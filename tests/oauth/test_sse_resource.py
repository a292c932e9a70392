"""The legacy SSE endpoint as a protected resource: its own RFC 9728 document whose `resource`
is `{base}/sse` (what SSE clients check against the URL they connect to), and the authorization
server accepting that name for the one MCP resource (RFC 8707)."""

from __future__ import annotations

from app.oauth.metadata import resource_aliases
from tests.oauth.conftest import CLAUDE_CALLBACK, Gateway, query_of


def test_sse_has_its_own_protected_resource_document(gateway: Gateway) -> None:
    response = gateway.http.get(f"{gateway.base}/.well-known/oauth-protected-resource/sse")
    assert response.status_code == 200
    doc = response.json()
    assert doc["resource"] == f"{gateway.base}/sse"
    assert doc["authorization_servers"] == [gateway.base]
    assert doc["scopes_supported"] == ["mcp.read", "mcp.write"]


def test_a_grant_asked_for_sse_is_for_the_mcp_server_and_works_on_both(gateway: Gateway) -> None:
    sse = f"{gateway.base}/sse"
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, resource=sse)
    assert "code" in flow.params, flow.location
    tokens = gateway.exchange(client_id, flow, resource=sse)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    row = gateway.token_row(body["access_token"])
    assert row is not None and row.resource == f"{gateway.base}/mcp"
    assert gateway.access_token_usable(body["access_token"])
    refreshed = gateway.refresh(client_id, body["refresh_token"], resource=sse)
    assert refreshed.status_code == 200, refreshed.text


def test_other_paths_on_the_same_host_are_still_not_resources_here(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)  # the athlete trusts the client: errors redirect to it
    wrong = gateway.exchange(client_id, flow, resource=f"{gateway.base}/account")
    assert wrong.json()["error"] == "invalid_target"
    for other in (f"{gateway.base}/messages/", f"{gateway.base}/", f"{gateway.base}/sse/x"):
        params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, "c" * 43, resource=other)
        response = gateway.browser.get(f"{gateway.base}/authorize", params=params)
        assert response.status_code == 302, other
        assert query_of(response.headers["location"])["error"] == "invalid_target", other


def test_resource_aliases_are_the_mcp_and_sse_urls() -> None:
    assert resource_aliases("https://gw.example/mcp") == (
        "https://gw.example/mcp",
        "https://gw.example/sse",
    )
