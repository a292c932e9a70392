"""The token endpoint: client authentication, code redemption, PKCE, refresh rotation."""

from __future__ import annotations

import pytest

from tests.oauth.conftest import CHATGPT_CALLBACK, CLAUDE_CALLBACK, Gateway


def test_code_redemption_returns_bearer_tokens_with_no_store(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    response = gateway.exchange(client_id, gateway.authorize(client_id))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("gwa_") and body["refresh_token"].startswith("gwr_")
    assert body["expires_in"] == 3600
    assert body["scope"] == "mcp.read mcp.write"  # write tools are served: both pre-ticked
    assert gateway.access_token_usable(body["access_token"])
    row = gateway.token_row(body["access_token"])
    assert row is not None and row.token_hash != body["access_token"]
    assert row.resource == f"{gateway.base}/mcp"


@pytest.mark.parametrize(
    ("verifier", "description"),
    [(None, "missing"), ("x" * 43, "wrong"), ("short", "malformed")],
)
def test_wrong_or_missing_pkce_verifier_is_refused(
    gateway: Gateway, verifier: str | None, description: str
) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    form = {
        "grant_type": "authorization_code",
        "code": flow.code,
        "redirect_uri": flow.redirect_uri,
        "client_id": client_id,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    response = gateway.token(form)
    assert response.status_code == 400, description
    assert response.json()["error"] == "invalid_grant"


def test_code_replay_revokes_the_tokens_issued_from_it(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    first = gateway.exchange(client_id, flow).json()
    assert gateway.access_token_usable(first["access_token"])
    replay = gateway.exchange(client_id, flow)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not gateway.access_token_usable(first["access_token"])
    assert gateway.refresh(client_id, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_expired_code_is_refused(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    gateway.advance(601)
    response = gateway.exchange(client_id, flow)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "the authorization code has expired",
    }


def test_code_is_bound_to_client_redirect_uri_and_resource(gateway: Gateway) -> None:
    client_id = gateway.register(redirect_uris=[CLAUDE_CALLBACK, CHATGPT_CALLBACK])["client_id"]
    other = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    assert gateway.exchange(other, flow).json()["error"] == "invalid_grant"
    flow = gateway.authorize(client_id)
    wrong_uri = gateway.exchange(client_id, flow, redirect_uri=CHATGPT_CALLBACK)
    assert wrong_uri.json()["error"] == "invalid_grant"
    flow = gateway.authorize(client_id)
    wrong_target = gateway.exchange(client_id, flow, resource="https://other.example/mcp")
    assert wrong_target.json()["error"] == "invalid_target"


def test_unknown_client_gets_401_invalid_client(gateway: Gateway) -> None:
    response = gateway.token({"grant_type": "authorization_code", "code": "x", "client_id": "gone"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unsupported_grant_type_and_wrong_content_type(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    response = gateway.token({"grant_type": "password", "client_id": client_id})
    assert response.json()["error"] == "unsupported_grant_type"
    as_json = gateway.http.post(
        f"{gateway.base}/token", json={"grant_type": "refresh_token", "client_id": client_id}
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


def _operator(gateway: Gateway, method: str, client_id: str) -> str:
    secret = gateway.add_operator_client(
        name="ChatGPT",
        client_id=client_id,
        auth_method=method,
        redirect_uris=[CHATGPT_CALLBACK],
    )
    assert secret
    return secret


def _code_form(gateway: Gateway, client_id: str) -> dict[str, str]:
    flow = gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK)
    return {
        "grant_type": "authorization_code",
        "code": flow.code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
    }


def test_pre_registered_client_secret_post(gateway: Gateway) -> None:
    secret = _operator(gateway, "client_secret_post", "35_openai")
    ok = gateway.token(
        {**_code_form(gateway, "35_openai"), "client_id": "35_openai", "client_secret": secret}
    )
    assert ok.status_code == 200, ok.text
    wrong = gateway.token(
        {
            **_code_form(gateway, "35_openai"),
            "client_id": "35_openai",
            "client_secret": secret + "x",
        }
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    as_basic = gateway.token(_code_form(gateway, "35_openai"), auth=("35_openai", secret))
    assert as_basic.status_code == 401, "method not registered must be refused"
    no_secret = gateway.token({**_code_form(gateway, "35_openai"), "client_id": "35_openai"})
    assert no_secret.status_code == 401


def test_pre_registered_client_secret_basic(gateway: Gateway) -> None:
    secret = _operator(gateway, "client_secret_basic", "claude_custom")
    ok = gateway.token(_code_form(gateway, "claude_custom"), auth=("claude_custom", secret))
    assert ok.status_code == 200, ok.text
    wrong = gateway.token(_code_form(gateway, "claude_custom"), auth=("claude_custom", "nope"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")
    as_post = gateway.token(
        {
            **_code_form(gateway, "claude_custom"),
            "client_id": "claude_custom",
            "client_secret": secret,
        }
    )
    assert as_post.status_code == 401


def test_one_invalid_client_answer_for_every_reason(gateway: Gateway) -> None:
    """L6: unknown client, wrong method and wrong secret look the same at /token and /revoke."""
    _operator(gateway, "client_secret_post", "35_openai")
    attempts = [
        {"client_id": "nonexistent"},
        {"client_id": "35_openai"},  # no secret: wrong method
        {"client_id": "35_openai", "client_secret": "wrong-secret"},
    ]
    answers = set()
    for path in ("/token", "/revoke"):
        for attempt in attempts:
            form = {"grant_type": "refresh_token", "refresh_token": "x", "token": "x", **attempt}
            response = gateway.http.post(f"{gateway.base}{path}", data=form)
            assert response.status_code == 401
            answers.add(response.text)
    assert len(answers) == 1, answers


def test_failed_client_authentications_are_throttled_per_client_and_address(
    gateway: Gateway,
) -> None:
    """L5: repeated wrong secrets for one client from one address get 429 without the secret
    being checked again (no scrypt work); the limit ends with its window."""
    secret = "operator-chosen-secret-0123456789"
    gateway.add_operator_client(
        name="Claude team",
        client_id="claude_team",
        auth_method="client_secret_post",
        redirect_uris=[CHATGPT_CALLBACK],
        supplied_secret=secret,
    )
    limit = gateway.settings.oauth_client_auth_failures_per_address
    wrong = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "claude_team"}
    for _ in range(limit):
        response = gateway.token({**wrong, "client_secret": "guess"})
        assert response.status_code == 401
    throttled = gateway.token({**wrong, "client_secret": secret})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    other_client = gateway.token({**wrong, "client_id": "nonexistent", "client_secret": "x"})
    assert other_client.status_code == 401
    gateway.advance(gateway.settings.oauth_client_auth_window_seconds + 1)
    recovered = gateway.token({**wrong, "client_secret": secret})
    assert recovered.status_code == 400 and recovered.json()["error"] == "invalid_grant"


def test_public_client_presenting_a_secret_is_refused(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    flow = gateway.authorize(client_id)
    response = gateway.exchange(client_id, flow, client_secret="anything")
    assert response.status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(gateway: Gateway) -> None:
    client_id, first = gateway.connect()
    second = gateway.refresh(client_id, first["refresh_token"])
    assert second.status_code == 200 and second.headers["cache-control"] == "no-store"
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    third = gateway.refresh(client_id, second_body["refresh_token"]).json()
    assert gateway.access_token_usable(third["access_token"])
    # the first token was rotated twice ago: an attacker replaying it ends the whole grant
    reuse = gateway.refresh(client_id, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert not gateway.access_token_usable(third["access_token"])
    assert gateway.refresh(client_id, third["refresh_token"]).json()["error"] == "invalid_grant"
    assert gateway.grants()[0].revoked_at is not None


def test_grace_retry_when_the_refresh_response_was_lost(gateway: Gateway) -> None:
    client_id, first = gateway.connect()
    lost = gateway.refresh(client_id, first["refresh_token"]).json()  # response never arrived
    retry = gateway.refresh(client_id, first["refresh_token"])
    assert retry.status_code == 200
    retried = retry.json()
    assert gateway.access_token_usable(retried["access_token"])
    assert not gateway.access_token_usable(lost["access_token"])
    onward = gateway.refresh(client_id, retried["refresh_token"])
    assert onward.status_code == 200
    # once the successor has been used, the old token is plain reuse
    again = gateway.refresh(client_id, first["refresh_token"])
    assert again.json()["error"] == "invalid_grant"
    assert not gateway.access_token_usable(onward.json()["access_token"])


def test_grace_ends_a_minute_after_rotation(gateway: Gateway) -> None:
    """Hardening 1: a rotated refresh token is only retried within ~60 s; later it is reuse."""
    client_id, first = gateway.connect()
    lost = gateway.refresh(client_id, first["refresh_token"]).json()
    gateway.advance(61)
    late = gateway.refresh(client_id, first["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert not gateway.access_token_usable(lost["access_token"])
    assert gateway.grants()[0].revoked_at is not None


def test_refresh_may_narrow_scope_but_not_widen(gateway: Gateway) -> None:
    client_id = gateway.register()["client_id"]
    tokens = gateway.exchange(client_id, gateway.authorize(client_id, scopes=["mcp.read"])).json()
    wider = gateway.refresh(client_id, tokens["refresh_token"], scope="mcp.read mcp.write")
    assert wider.json()["error"] == "invalid_scope"
    client2, full = gateway.connect()
    narrow = gateway.refresh(client2, full["refresh_token"], scope="mcp.read")
    assert narrow.json()["scope"] == "mcp.read"


def test_refresh_token_of_another_client_or_expired_is_refused(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    other = gateway.register()["client_id"]
    assert gateway.refresh(other, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    gateway.advance(31 * 86400)
    expired = gateway.refresh(client_id, tokens["refresh_token"])
    assert expired.json()["error"] == "invalid_grant"


def test_deleted_client_gets_invalid_client_so_it_re_registers(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    from app.oauth import operator_clients

    with gateway.db() as db, db.begin():
        operator_clients.remove_client(db, client_id)
    response = gateway.refresh(client_id, tokens["refresh_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
