"""OAuth-only sign-in (``GATEWAY_SIGNIN_METHODS=oauth``, issue 21): a ChatGPT or Claude user of
such a gateway can only connect through Intervals.icu, so no tool answer tells them to paste an
API key; a gateway that offers keys (and stdio, which runs on one) keeps the key advice."""

from __future__ import annotations

from app.intervals.client import missing_permission
from app.mcp.tools.errors import ReauthRequired, describe, offering_api_keys


def test_a_permission_without_a_known_area_suggests_a_key_only_where_keys_are_offered() -> None:
    error = missing_permission(None, "the athletes list")
    offered = str(describe(error, "the athletes list"))
    with offering_api_keys(False):
        oauth_only = str(describe(error, "the athletes list"))
    assert "API key" in offered  # both / api_key modes, stdio: unchanged
    assert "key" not in oauth_only.lower()
    assert oauth_only == (
        "Your Intervals.icu connection is not allowed to access the athletes list. "
        "Reconnect with Intervals.icu and allow the requested access."
    )
    named = missing_permission("WELLNESS", "the wellness data")
    with offering_api_keys(False):
        assert str(describe(named, "x")) == named.message  # already says: reconnect, allow


def test_a_dead_credential_is_explained_without_keys_in_oauth_only_mode() -> None:
    assert "new key" in str(ReauthRequired())
    text = str(ReauthRequired(api_keys=False))
    assert "key" not in text.lower()
    assert "sign in again" in text and "continue with Intervals.icu" in text
