"""`intervals-gateway clients ...` and `intervals-gateway purge` against a running gateway."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from app.cli import main
from tests.oauth.conftest import CHATGPT_CALLBACK, Gateway


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


def _code_form(gateway: Gateway, client_id: str, secret: str) -> dict[str, str]:
    flow = gateway.authorize(client_id, redirect_uri=CHATGPT_CALLBACK)
    return {
        "grant_type": "authorization_code",
        "code": flow.code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": client_id,
        "client_secret": secret,
    }


def test_add_prints_a_secret_once_and_it_works_then_rotate_and_remove(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = cli_env
    status, out, _ = _run(
        capsys,
        "clients",
        "add",
        "--name",
        "ChatGPT",
        "--client-id",
        "35_openai",
        "--auth-method",
        "client_secret_post",
        "--redirect-uri",
        CHATGPT_CALLBACK,
    )
    assert status == 0
    secret = re.search(r"client secret: (\S+)", out)
    assert secret
    first = secret.group(1)
    assert gw.token(_code_form(gw, "35_openai", first)).status_code == 200

    status, out, _ = _run(capsys, "clients", "list")
    assert "35_openai\toperator\tclient_secret_post\t1\tChatGPT" in out
    status, out, _ = _run(capsys, "clients", "show", "35_openai")
    assert first not in out and "(set, hashed)" in out and CHATGPT_CALLBACK in out

    status, out, _ = _run(capsys, "clients", "rotate-secret", "35_openai")
    rotated = re.search(r"client secret: (\S+)", out)
    assert status == 0 and rotated
    assert gw.token(_code_form(gw, "35_openai", first)).status_code == 401
    assert gw.token(_code_form(gw, "35_openai", rotated.group(1))).status_code == 200

    status, out, _ = _run(capsys, "clients", "remove", "35_openai")
    assert status == 0 and "1 grant" in out
    refused = gw.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": "gwr_x",
            "client_id": "35_openai",
            "client_secret": rotated.group(1),
        }
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_operator_supplied_secret_from_stdin(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (
        "clients",
        "add",
        "--name",
        "Claude",
        "--client-id",
        "claude_team",
        "--auth-method",
        "client_secret_post",
        "--redirect-uri",
        CHATGPT_CALLBACK,
        "--secret-stdin",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    status, _, err = _run(capsys, *args)
    assert status == 1 and "at least 16" in err
    chosen = "correct-horse-battery-staple"
    monkeypatch.setattr("sys.stdin", io.StringIO(chosen + "\n"))
    status, out, _ = _run(capsys, *args)
    assert status == 0 and chosen not in out and "client secret:" not in out
    assert cli_env.token(_code_form(cli_env, "claude_team", chosen)).status_code == 200


def test_add_refuses_bad_input(cli_env: Gateway, capsys: pytest.CaptureFixture[str]) -> None:
    base = ("clients", "add", "--name", "X", "--auth-method", "none")
    bad = [
        ("--client-id", "https://x.example/doc", "--redirect-uri", CHATGPT_CALLBACK),
        ("--client-id", "ok_id", "--redirect-uri", "http://evil.example/cb"),
        ("--client-id", "ok_id", "--redirect-uri", "https://chatgpt.com%2F@evil.example/cb"),
    ]
    for extra in bad:
        status, _, err = _run(capsys, *base, *extra)
        assert status == 1 and err
    _run(capsys, *base, "--client-id", "dup", "--redirect-uri", CHATGPT_CALLBACK)
    status, _, err = _run(capsys, *base, "--client-id", "dup", "--redirect-uri", CHATGPT_CALLBACK)
    assert status == 1 and "already exists" in err


def test_purge_command(cli_env: Gateway, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "purge")
    assert status == 0
    assert re.match(r"purged \d+ codes, \d+ tokens, \d+ browser sessions, \d+ abandoned", out)


def test_list_and_show_escape_terminal_controls_in_names(
    cli_env: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    """L9: names stored before validation (or from elsewhere) never reach the terminal raw."""
    from app.db.models import OAuthClient

    hostile = "Claude\x1b[1A\x1b[2K\x1b]0;pwned\x07\x9b8m\u202ehidden"
    with cli_env.db() as db, db.begin():
        db.add(
            OAuthClient(
                client_id="gwd_hostile",
                origin="dynamic",
                name=hostile,
                token_endpoint_auth_method="none",
                redirect_uris=[CHATGPT_CALLBACK],
                grant_types=["authorization_code"],
                scope="mcp.read",
                created_at=cli_env.now,
            )
        )
    for argv in (("clients", "list"), ("clients", "show", "gwd_hostile")):
        status, out, _ = _run(capsys, *argv)
        assert status == 0
        assert "Claude\\x1b[1A" in out and "\\u202ehidden" in out
        assert not any(c in out for c in "\x1b\x07\x9b\u202e")
