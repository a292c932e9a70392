"""OAuth 2.1 §4.1.3 at /token: ``redirect_uri`` is REQUIRED when the authorization request
included it, and must then be identical; a request that left it out (a client with a single
registered URI) may leave it out at /token too."""

from __future__ import annotations

from tests.oauth.conftest import CHATGPT_CALLBACK, CLAUDE_CALLBACK, Flow, Gateway, pkce_pair


def code_form(client_id: str, flow: Flow, **redirect: str) -> dict[str, str]:
    """A code redemption; ``redirect_uri`` only when given."""
    return {
        "grant_type": "authorization_code",
        "code": flow.code,
        "code_verifier": flow.verifier,
        "client_id": client_id,
        **redirect,
    }


def authorize_without_redirect_uri(gateway: Gateway, client_id: str) -> Flow:
    """An authorization request that leaves redirect_uri out (the client has exactly one)."""
    verifier, challenge = pkce_pair()
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge)
    del params["redirect_uri"]
    response = gateway.decide(gateway.consent_page(params))
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"].startswith(CLAUDE_CALLBACK + "?")
    return Flow(verifier, CLAUDE_CALLBACK, response.headers["location"])


def test_redirect_uri_sent_at_authorize_is_required_at_token(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    missing = gateway.token(code_form(client_id, gateway.authorize(client_id)))
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"
    assert "redirect_uri is required" in missing.json()["error_description"]
    assert "access_token" not in missing.json()

    flow = gateway.authorize(client_id)
    repeated = gateway.token(code_form(client_id, flow, redirect_uri=flow.redirect_uri))
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["token_type"] == "Bearer"


def test_redirect_uri_left_out_at_authorize_may_be_left_out_at_token(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    omitted = gateway.token(
        code_form(client_id, authorize_without_redirect_uri(gateway, client_id))
    )
    assert omitted.status_code == 200, omitted.text

    flow = authorize_without_redirect_uri(gateway, client_id)
    same = gateway.token(code_form(client_id, flow, redirect_uri=CLAUDE_CALLBACK))
    assert same.status_code == 200, same.text

    flow = authorize_without_redirect_uri(gateway, client_id)
    other = gateway.token(code_form(client_id, flow, redirect_uri=CHATGPT_CALLBACK))
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
