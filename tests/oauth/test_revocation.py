"""Token revocation (RFC 7009)."""

from __future__ import annotations

from app.db.models import Athlete, Grant
from tests.oauth.conftest import Gateway


def _revoke(gateway: Gateway, client_id: str, token: str, **extra: str) -> int:
    response = gateway.http.post(
        f"{gateway.base}/revoke", data={"token": token, "client_id": client_id, **extra}
    )
    return response.status_code


def test_revoking_an_access_token_ends_only_that_token(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    assert (
        _revoke(gateway, client_id, tokens["access_token"], token_type_hint="access_token") == 200
    )
    assert not gateway.access_token_usable(tokens["access_token"])
    refreshed = gateway.refresh(client_id, tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert gateway.access_token_usable(refreshed.json()["access_token"])


def test_revoking_a_refresh_token_ends_the_grant(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    assert _revoke(gateway, client_id, tokens["refresh_token"]) == 200
    assert not gateway.access_token_usable(tokens["access_token"])
    assert gateway.refresh(client_id, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert gateway.grants()[0].revoked_at is not None


def test_unknown_tokens_get_200_and_only_the_owner_may_revoke(gateway: Gateway) -> None:
    client_id, tokens = gateway.connect()
    other = gateway.register()["client_id"]
    assert _revoke(gateway, client_id, "gwa_not-a-real-token") == 200
    assert _revoke(gateway, other, tokens["access_token"]) == 200
    assert gateway.access_token_usable(tokens["access_token"])
    unknown_client = gateway.http.post(
        f"{gateway.base}/revoke", data={"token": tokens["access_token"], "client_id": "nobody"}
    )
    assert unknown_client.status_code == 401
    assert gateway.access_token_usable(tokens["access_token"])


def test_a_revoked_grant_refuses_its_access_tokens_even_if_they_were_not_revoked(
    gateway: Gateway,
) -> None:
    """The resource server checks the grant itself, not only the token row (a half-finished
    revocation, or one made directly in the database, still locks the client out)."""
    _, tokens = gateway.connect()
    with gateway.db() as db, db.begin():
        grant = db.get(Grant, gateway.grants()[0].id)
        assert grant is not None
        grant.revoked_at = gateway.now
    assert gateway.token_row(tokens["access_token"]).revoked_at is None  # type: ignore[union-attr]
    assert not gateway.access_token_usable(tokens["access_token"])


def test_a_disabled_athlete_tokens_are_refused(gateway: Gateway) -> None:
    _, tokens = gateway.connect()
    with gateway.db() as db, db.begin():
        athlete = db.get(Athlete, gateway.athlete_id)
        assert athlete is not None
        athlete.disabled_at = gateway.now
    assert not gateway.access_token_usable(tokens["access_token"])
