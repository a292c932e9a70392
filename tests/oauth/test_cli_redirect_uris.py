"""`intervals-gateway clients add-redirect-uri|remove-redirect-uri`: ChatGPT gives each connector
its own callback (https://chatgpt.com/connector/oauth/<id>); the operator adds it to an existing
operator client without disconnecting athletes or replacing the secret."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from app.cli import main
from tests.oauth.conftest import CHATGPT_CALLBACK, Gateway, pkce_pair

CONNECTOR_CALLBACK = "https://chatgpt.com/connector/oauth/c_0123456789abcdef"


@pytest.fixture
def cli_env(gateway: Gateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Gateway:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", gateway.settings.database_url)
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(gateway.settings.data_dir))
    monkeypatch.setenv("GATEWAY_BASE_URL", gateway.base)
    return gateway


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _connect(gw: Gateway, secret: str, redirect_uri: str) -> dict[str, str]:
    """One athlete authorizes the operator client at `redirect_uri`; returns the tokens."""
    flow = gw.authorize("35_openai", redirect_uri=redirect_uri)
    response = gw.exchange("35_openai", flow, client_secret=secret)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _authorize_status(gw: Gateway, redirect_uri: str) -> tuple[int, str]:
    params = gw.authorize_params("35_openai", redirect_uri, pkce_pair()[1])
    response = gw.browser.get(f"{gw.base}/authorize", params=params)
    return response.status_code, response.text


def test_redirect_uris_are_added_and_removed_without_disconnecting_anyone(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = cli_env
    status, out, _ = _run(
        capsys, "clients", "add", "--name", "ChatGPT", "--client-id", "35_openai",
        "--redirect-uri", CHATGPT_CALLBACK,
    )  # fmt: skip
    found = re.search(r"client secret: (\S+)", out)
    assert status == 0 and found
    secret = found.group(1)
    before = _connect(gw, secret, CHATGPT_CALLBACK)
    status, page = _authorize_status(gw, CONNECTOR_CALLBACK)
    assert status == 400 and "not registered" in page

    status, out, err = _run(capsys, "clients", "add-redirect-uri", "35_openai", CONNECTOR_CALLBACK)
    assert (status, err) == (0, "")
    assert CONNECTOR_CALLBACK in out and CHATGPT_CALLBACK in out
    _, second_session = gw.add_athlete("i2000", "Second athlete")
    gw.browser.cookies.set("gw_session", second_session)
    after = _connect(gw, secret, CONNECTOR_CALLBACK)  # same secret: not rotated
    assert gw.access_token_usable(before["access_token"])  # nobody was disconnected
    assert gw.access_token_usable(after["access_token"])

    status, out, err = _run(capsys, "clients", "remove-redirect-uri", "35_openai", CHATGPT_CALLBACK)
    assert (status, err) == (0, "")
    status, page = _authorize_status(gw, CHATGPT_CALLBACK)
    assert status == 400 and "not registered" in page  # error page, never a redirect there
    assert gw.access_token_usable(before["access_token"])
    refreshed = gw.refresh("35_openai", before["refresh_token"], client_secret=secret)
    assert refreshed.status_code == 200, refreshed.text
    assert len([g for g in gw.grants() if g.revoked_at is None]) == 2
    status, out, _ = _run(capsys, "clients", "show", "35_openai")
    assert f"redirect uris: {CONNECTOR_CALLBACK}\n" in out


def test_a_code_issued_for_a_removed_redirect_uri_cannot_be_redeemed(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = cli_env
    secret = gw.add_operator_client(
        name="ChatGPT",
        client_id="35_openai",
        auth_method="client_secret_post",
        redirect_uris=[CHATGPT_CALLBACK, CONNECTOR_CALLBACK],
    )
    assert secret
    flow = gw.authorize("35_openai", redirect_uri=CHATGPT_CALLBACK)
    assert _run(capsys, "clients", "remove-redirect-uri", "35_openai", CHATGPT_CALLBACK)[0] == 0
    response = gw.exchange("35_openai", flow, client_secret=secret)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add-redirect-uri", "35_openai", "http://chatgpt.com/cb"], "not an https"),
        (["add-redirect-uri", "nobody", CONNECTOR_CALLBACK], "no client with id"),
        (["add-redirect-uri", "35_openai", CHATGPT_CALLBACK], "already"),
        (["remove-redirect-uri", "35_openai", CONNECTOR_CALLBACK], "is not a redirect URI of"),
        (["remove-redirect-uri", "35_openai", CHATGPT_CALLBACK], "at least one"),
    ],
)
def test_bad_redirect_uri_changes_are_refused_and_change_nothing(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    gw = cli_env
    gw.add_operator_client(
        name="ChatGPT",
        client_id="35_openai",
        auth_method="client_secret_post",
        redirect_uris=[CHATGPT_CALLBACK],
    )
    status, out, err = _run(capsys, "clients", *argv)
    assert status == 1 and message in err, err
    _, out, _ = _run(capsys, "clients", "show", "35_openai")
    assert f"redirect uris: {CHATGPT_CALLBACK}\n" in out


def test_only_operator_clients_are_edited(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    registered = cli_env.register()["client_id"]
    status, _, err = _run(capsys, "clients", "add-redirect-uri", registered, CONNECTOR_CALLBACK)
    assert status == 1 and "operator" in err
