"""The authorization endpoint: validation order, PKCE, scope, resource, iss, sign-in, consent."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.oauth.conftest import CHATGPT_CALLBACK, CLAUDE_CALLBACK, Gateway, pkce_pair, query_of


def _get(gateway: Gateway, params: dict[str, str]):  # type: ignore[no-untyped-def]
    return gateway.browser.get(f"{gateway.base}/authorize", params=params)


def test_unknown_client_gets_an_error_page_never_a_redirect(gateway: Gateway) -> None:
    _, challenge = pkce_pair()
    response = _get(gateway, gateway.authorize_params("gwd_nope", CLAUDE_CALLBACK, challenge))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not registered" in response.text
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/api/mcp/auth_callback",
        CLAUDE_CALLBACK + "/",
        CLAUDE_CALLBACK + "?x=1",
        "https://claude.ai:8443/api/mcp/auth_callback",
    ],
)
def test_redirect_uri_mismatch_never_redirects(gateway: Gateway, redirect_uri: str) -> None:
    client_id = gateway.register()["client_id"]
    _, challenge = pkce_pair()
    # also with otherwise-invalid parameters: the URI is checked first
    params = gateway.authorize_params(client_id, redirect_uri, challenge, response_type="token")
    response = _get(gateway, params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect URI" in response.text


def test_loopback_redirect_accepted_on_any_port(gateway: Gateway) -> None:
    client_id = gateway.register(redirect_uris=["http://127.0.0.1/callback"])["client_id"]
    flow = gateway.authorize(client_id, redirect_uri="http://127.0.0.1:51734/callback")
    assert flow.location.startswith("http://127.0.0.1:51734/callback?")
    assert gateway.exchange(client_id, flow).status_code == 200
    other_path = _get(
        gateway,
        gateway.authorize_params(client_id, "http://127.0.0.1:5000/other", pkce_pair()[1]),
    )
    assert other_path.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"resource": "https://other.example/mcp"}, "invalid_target"),
        ({"scope": "mcp.admin"}, "invalid_scope"),
    ],
)
def test_bad_requests_redirect_back_with_error_state_and_iss(
    gateway: Gateway, overrides: dict[str, str | None], error: str
) -> None:
    client_id = "operator_public"  # an operator client's redirect URIs are trusted (L1)
    gateway.add_operator_client(
        name="Claude", client_id=client_id, auth_method="none", redirect_uris=[CLAUDE_CALLBACK]
    )
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, pkce_pair()[1], **overrides)
    response = _get(gateway, params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(CLAUDE_CALLBACK + "?")
    got = query_of(location)
    assert got["error"] == error
    assert got["state"] == params["state"]
    assert got["iss"] == gateway.base
    assert "code" not in got


def test_dynamic_client_errors_show_a_page_until_the_athlete_trusted_it(
    gateway: Gateway,
) -> None:
    """L1 (RFC 9700 §4.11.2): a self-registered client's redirect URI is not an open redirect:
    stage-two errors show the error page, for a signed-out visitor and for an athlete who never
    approved the client, and redirect only once the athlete holds a grant for it."""
    evil = "https://evil.example/landing"
    client_id = gateway.register(redirect_uris=[evil])["client_id"]
    params = gateway.authorize_params(client_id, evil, pkce_pair()[1], response_type="x")
    stranger = gateway.http.get(f"{gateway.base}/authorize", params=params)
    signed_in = _get(gateway, params)
    for response in (stranger, signed_in):
        assert response.status_code == 400 and "location" not in response.headers
        assert "unsupported_response_type" in response.text
    gateway.authorize(client_id, redirect_uri=evil)  # the athlete approves it
    trusted = _get(gateway, params)
    assert trusted.status_code == 302
    assert query_of(trusted.headers["location"])["error"] == "unsupported_response_type"


def test_consent_shows_the_real_host_the_full_uri_and_unverified_names(
    gateway: Gateway,
) -> None:
    """M5: host name only (what the browser reaches), the full URI in small print, and a
    self-chosen name marked unverified; an operator client is not marked."""
    client_id = gateway.register(client_name="ChatGPT", redirect_uris=[CHATGPT_CALLBACK])[
        "client_id"
    ]
    page = gateway.consent_page(
        gateway.authorize_params(client_id, CHATGPT_CALLBACK, pkce_pair()[1])
    )
    assert "sent back to <strong>chatgpt.com</strong>" in page.text
    assert f"<small>{CHATGPT_CALLBACK}</small>" in page.text
    assert "unverified" in page.text
    gateway.add_operator_client(
        name="Claude", client_id="claude_op", auth_method="none", redirect_uris=[CLAUDE_CALLBACK]
    )
    operator = gateway.consent_page(
        gateway.authorize_params("claude_op", CLAUDE_CALLBACK, pkce_pair()[1])
    )
    assert "sent back to <strong>claude.ai</strong>" in operator.text
    assert "unverified" not in operator.text


def test_a_stored_redirect_uri_with_userinfo_is_refused_at_authorize(gateway: Gateway) -> None:
    """M5: a client stored before the registration rule cannot use a spoofing redirect URI."""
    from app.db.models import OAuthClient

    spoof = "https://chatgpt.com%2Fconnector_platform_oauth_redirect@evil.example/cb"
    with gateway.db() as db, db.begin():
        db.add(
            OAuthClient(
                client_id="gwd_old",
                origin="dynamic",
                name="ChatGPT",
                token_endpoint_auth_method="none",
                redirect_uris=[spoof],
                grant_types=["authorization_code"],
                scope="mcp.read",
                created_at=gateway.now,
            )
        )
    response = _get(gateway, gateway.authorize_params("gwd_old", spoof, pkce_pair()[1]))
    assert response.status_code == 400 and "location" not in response.headers
    assert "is not allowed" in response.text


def test_resource_defaults_to_the_mcp_url_and_matches_case_insensitively(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, resource=None)
    assert gateway.exchange(client_id, flow).status_code == 200
    upper = gateway.base.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "/mcp"
    flow2 = gateway.authorize(client_id, resource=upper)
    assert gateway.exchange(client_id, flow2).status_code == 200
    assert {g.resource for g in gateway.grants()} == {f"{gateway.base}/mcp"}


def test_missing_scope_defaults_to_the_clients_scopes(gateway: Gateway) -> None:
    client_id = gateway.register(scope="mcp.read")["client_id"]
    _, challenge = pkce_pair()
    page = gateway.consent_page(
        gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge, scope=None)
    )
    assert 'value="mcp.read" checked' in page.text
    assert "mcp.write" not in page.text
    wide = gateway.register()["client_id"]
    offered = gateway.consent_page(
        gateway.authorize_params(wide, CLAUDE_CALLBACK, challenge, scope=None)
    )
    # write tools are served, so write access is offered ticked (the athlete may untick it)
    assert (
        'value="mcp.write" checked' in offered.text and 'value="mcp.read" checked' in offered.text
    )
    flow = gateway.authorize(wide, scope=None, scopes=["mcp.read"])
    assert gateway.exchange(wide, flow).json()["scope"] == "mcp.read"
    flow = gateway.authorize(wide, scope=None)
    assert gateway.exchange(wide, flow).json()["scope"] == "mcp.read mcp.write"


def test_stepping_up_from_a_read_grant_explains_the_write_access(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    _, challenge = pkce_pair()
    first = gateway.consent_page(gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge))
    assert 'id="step-up"' not in first.text  # a first connection: no grant to step up from
    flow = gateway.authorize(client_id, scopes=["mcp.read"])
    assert gateway.exchange(client_id, flow).json()["scope"] == "mcp.read"
    again = gateway.consent_page(gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge))
    assert 'id="step-up"' in again.text and "can already read your data" in again.text
    assert "undo" in again.text
    flow = gateway.authorize(client_id)
    assert gateway.exchange(client_id, flow).json()["scope"] == "mcp.read mcp.write"
    after = gateway.consent_page(gateway.authorize_params(client_id, CLAUDE_CALLBACK, challenge))
    assert 'id="step-up"' not in after.text


def test_success_redirect_carries_code_state_and_iss(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, state="xyz 123")
    got = flow.params
    assert got["state"] == "xyz 123"
    assert got["iss"] == gateway.base
    assert got["code"].startswith("gwc_")


def test_signed_out_athlete_is_sent_to_sign_in_and_back(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, pkce_pair()[1])
    gateway.browser.cookies.clear()
    response = _get(gateway, params)
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["location"])
    assert location.path == "/signin"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith("/authorize?")
    assert query_of(back) == params


def test_consent_page_names_client_host_and_scopes_in_plain_words(gateway: Gateway) -> None:
    client_id = gateway.register(client_name="ChatGPT <b>", redirect_uris=[CHATGPT_CALLBACK])[
        "client_id"
    ]
    page = gateway.consent_page(
        gateway.authorize_params(client_id, CHATGPT_CALLBACK, pkce_pair()[1])
    )
    assert "ChatGPT &lt;b&gt;" in page.text
    assert "chatgpt.com" in page.text
    assert "Read your Intervals.icu training data" in page.text
    assert "Change your Intervals.icu data" in page.text
    assert "Ada Lovelace" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    # hardening 7: the 303 to a registered [::1] redirect URI is a form action too
    assert "http://[::1]:*" in page.headers["content-security-policy"]
    assert "access-control-allow-origin" not in page.headers
    assert "csrf" in page.headers.get("set-cookie", "")


def test_deny_returns_access_denied_with_iss(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, decision="deny", state="s1")
    assert flow.params == {
        "error": "access_denied",
        "error_description": "the athlete denied access",
        "state": "s1",
        "iss": gateway.base,
    }
    assert gateway.grants() == []


def test_athlete_may_approve_fewer_scopes(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, scopes=["mcp.read"])
    tokens = gateway.exchange(client_id, flow).json()
    assert tokens["scope"] == "mcp.read"
    assert [g.scope for g in gateway.grants()] == ["mcp.read"]
    none_left = gateway.authorize(client_id, scopes=[])
    assert none_left.params["error"] == "access_denied"


def test_consent_without_csrf_token_is_refused(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, pkce_pair()[1])
    forged = gateway.browser.post(
        f"{gateway.base}/authorize",
        data={**params, "decision": "approve", "approved_scope": "mcp.read"},
    )
    assert forged.status_code == 403
    assert "location" not in forged.headers
    assert gateway.grants() == []


def test_a_new_authorization_replaces_the_previous_grant(gateway: Gateway) -> None:
    client_id, first = gateway.connect()
    second = gateway.exchange(client_id, gateway.authorize(client_id, scopes=["mcp.read"]))
    assert second.status_code == 200
    grants = gateway.grants()
    assert len(grants) == 1 and grants[0].scope == "mcp.read"
    assert not gateway.access_token_usable(first["access_token"])
    assert gateway.access_token_usable(second.json()["access_token"])
    stale = gateway.refresh(client_id, first["refresh_token"])
    assert stale.json()["error"] == "invalid_grant"


def test_offline_access_is_ignored_and_refresh_tokens_still_issued(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id, scope="mcp.read offline_access")
    tokens = gateway.exchange(client_id, flow).json()
    assert tokens["scope"] == "mcp.read"
    assert tokens["refresh_token"].startswith("gwr_")


def test_repeated_parameters_are_refused(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    gateway.authorize(client_id)  # approved once: its errors may be redirected (L1)
    params = gateway.authorize_params(client_id, CLAUDE_CALLBACK, pkce_pair()[1])
    query = [*params.items(), ("code_challenge", pkce_pair()[1])]
    response = gateway.browser.get(f"{gateway.base}/authorize", params=query)
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_request"
    twice = [*params.items(), ("redirect_uri", CLAUDE_CALLBACK)]
    page = gateway.browser.get(f"{gateway.base}/authorize", params=twice)
    assert page.status_code == 400 and "location" not in page.headers
