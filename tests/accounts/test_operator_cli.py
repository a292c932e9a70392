"""Operator commands: athletes list/show/disable/enable/delete, allowlist, keys rotate."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.cli import build_parser
from app.db.engine import make_sync_engine
from app.db.models import Athlete, Credential, Grant, Token
from app.settings import EncryptionKey, Settings, encode_key
from app.vault.crypto import Vault
from app.vault.store import KIND_OAUTH_TOKEN
from tests.accounts.seed import owned_row_counts, seed_athlete
from tests.conftest import make_settings
from tests.fake_intervals import FakeIntervals
from tests.support.live import free_port, live_server

OLD = EncryptionKey("old", secrets.token_bytes(32))
NEW = EncryptionKey("new", secrets.token_bytes(32))


def ring(*keys: EncryptionKey) -> str:
    return ",".join(encode_key(k.key_id, k.secret) for k in keys)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, encryption_keys=ring(OLD))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    yield engine
    engine.dispose()


def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = args.handler(settings, args)
    return code


def test_list_and_show_never_print_the_key(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_athlete(engine, Vault([OLD]), "i100001", "secret-key-of-aroha")
    assert run(settings, "athletes", "list") == 0
    listed = capsys.readouterr().out
    assert "i100001\tactive\tapi_key" in listed and "1 athlete(s)" in listed
    assert run(settings, "athletes", "show", "i100001") == 0
    shown = capsys.readouterr().out
    assert "applications 1" in shown and "Claude (mcp.read)" in shown
    assert "secret-key-of-aroha" not in listed + shown
    assert run(settings, "athletes", "show", "i999") == 1
    assert "no account for athlete i999" in capsys.readouterr().out


def test_list_and_show_escape_terminal_controls_in_athlete_names(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """L9: an Intervals.icu profile name cannot rewrite the operator's terminal."""
    seed_athlete(engine, Vault([OLD]), "i100001", "secret-key-of-aroha")
    with Session(engine) as db, db.begin():
        athlete = db.scalar(select(Athlete).where(Athlete.intervals_id == "i100001"))
        assert athlete is not None
        athlete.name = "Aroha\x1b]0;pwned\x07\x1b[8m\u202ehidden"
    assert run(settings, "athletes", "list") == 0
    assert run(settings, "athletes", "show", "i100001") == 0
    out = capsys.readouterr().out
    assert "Aroha\\x1b]0;pwned\\x07" in out and "\\u202ehidden" in out
    assert not any(c in out for c in "\x1b\x07\u202e")


def test_disable_ends_every_token_and_session_at_once_and_enable_allows_sign_in(
    settings: Settings, engine: Engine
) -> None:
    pk = seed_athlete(engine, Vault([OLD]), "i100001", "k")
    assert run(settings, "athletes", "disable", "i100001") == 0
    with Session(engine) as db:
        assert db.get(Athlete, pk).disabled_at is not None  # type: ignore[union-attr]
        assert all(t.revoked_at is not None for t in db.scalars(select(Token)))
        assert all(g.revoked_at is not None for g in db.scalars(select(Grant)))
    assert owned_row_counts(engine, pk)["browser_sessions"] == 0
    assert run(settings, "athletes", "enable", "i100001") == 0
    with Session(engine) as db:
        assert db.get(Athlete, pk).disabled_at is None  # type: ignore[union-attr]


def test_delete_needs_confirmation_then_removes_every_owned_row(
    settings: Settings, engine: Engine
) -> None:
    pk = seed_athlete(engine, Vault([OLD]), "i100001", "k")
    other = seed_athlete(engine, Vault([OLD]), "i100002", "k2")
    assert run(settings, "athletes", "delete", "i100001") == 1
    assert owned_row_counts(engine, pk)["athletes"] == 1
    assert run(settings, "athletes", "delete", "i100001", "--yes") == 0
    assert set(owned_row_counts(engine, pk).values()) == {0}
    assert set(owned_row_counts(engine, other).values()) == {1, 2}  # untouched neighbour


def with_oauth_token(engine: Engine, pk: int, token: str, scope: str = "ACTIVITY:READ") -> None:
    """Replace the seeded athlete's stored key by an Intervals.icu OAuth token."""
    key_id, blob = Vault([OLD]).encrypt(token, pk, KIND_OAUTH_TOKEN)
    with Session(engine) as db, db.begin():
        row = db.scalars(select(Credential).where(Credential.athlete_id == pk)).one()
        row.kind, row.key_id, row.ciphertext, row.upstream_scope = (
            KIND_OAUTH_TOKEN,
            key_id,
            blob,
            scope,
        )


def test_delete_withdraws_the_oauth_access_on_intervals_like_the_account_page(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeIntervals()
    pk = seed_athlete(engine, Vault([OLD]), "i100001", "k")
    with_oauth_token(engine, pk, fake.oauth.issue_token("i100001"))
    assert len(fake.oauth.tokens_of("i100001")) == 1
    with live_server(fake.app, interface="asgi3", lifespan="off") as url:
        upstream = settings.model_copy(update={"intervals_api_base_url": f"{url}/api/v1"})
        assert run(upstream, "athletes", "delete", "i100001", "--yes") == 0
    out = capsys.readouterr().out
    assert fake.oauth.tokens_of("i100001") == []  # Intervals.icu no longer lists the gateway
    assert len(fake.requests.matching("DELETE", "/disconnect-app")) == 1
    assert "deleted i100001" in out and "Intervals.icu confirmed" in out
    assert set(owned_row_counts(engine, pk).values()) == {0}


def test_delete_removes_the_account_even_when_intervals_cannot_be_told(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    pk = seed_athlete(engine, Vault([OLD]), "i100001", "k")
    with_oauth_token(engine, pk, "token-of-aroha")
    unreachable = settings.model_copy(
        update={
            "intervals_api_base_url": f"http://127.0.0.1:{free_port()}/api/v1",
            "upstream_total_timeout_seconds": 2.0,
        }
    )
    assert run(unreachable, "athletes", "delete", "i100001", "--yes") == 0
    out = capsys.readouterr().out
    assert "deleted i100001" in out and "did not confirm" in out
    assert "token-of-aroha" not in out
    assert set(owned_row_counts(engine, pk).values()) == {0}


def test_delete_of_a_key_account_asks_intervals_nothing(
    settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    pk = seed_athlete(engine, Vault([OLD]), "i100001", "k")
    assert run(settings, "athletes", "delete", "i100001", "--yes") == 0
    assert "no app access to withdraw" in capsys.readouterr().out
    assert set(owned_row_counts(engine, pk).values()) == {0}


def test_allowlist_add_list_remove(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "allowlist", "add", "i100001", "--note", "Aroha") == 0
    assert run(settings, "allowlist", "add", "i100001") == 0
    assert run(settings, "allowlist", "add", "not-an-id") == 1
    assert run(settings, "allowlist", "list") == 0
    out = capsys.readouterr().out
    assert "already on the allowlist" in out and "i100001\tadded" in out and "Aroha" in out
    assert run(settings, "allowlist", "remove", "i100001") == 0
    assert run(settings, "allowlist", "remove", "i100001") == 1
    assert run(settings, "allowlist", "list") == 0
    assert "0 athlete id(s)" in capsys.readouterr().out


def test_keys_rotate_moves_everything_to_the_primary_key_and_reports_counts(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    pks = [seed_athlete(engine, Vault([OLD]), f"i10000{n}", f"key-{n}") for n in range(1, 4)]
    rotated = make_settings(tmp_path, database_url, encryption_keys=ring(NEW, OLD))
    assert run(rotated, "keys", "rotate", "--batch-size", "2") == 0
    out = capsys.readouterr().out
    assert "scanned 3 credential(s): 3 re-encrypted, 0 already under the primary key" in out
    assert "old keys may now be removed" in out
    new_only = Vault([NEW])
    with Session(engine) as db:
        for pk, n in zip(pks, range(1, 4), strict=True):
            row = db.scalars(select(Credential).where(Credential.athlete_id == pk)).one()
            assert row.key_id == "new"
            assert new_only.decrypt(row.key_id, row.ciphertext, pk, row.kind) == f"key-{n}"
    assert run(rotated, "keys", "rotate") == 0
    assert "0 re-encrypted, 3 already under the primary key" in capsys.readouterr().out


def test_keys_rotate_exits_1_when_a_key_is_missing(
    tmp_path: Path, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_athlete(engine, Vault([OLD]), "i100001", "k")
    assert (
        run(make_settings(tmp_path, database_url, encryption_keys=ring(NEW)), "keys", "rotate") == 1
    )
    assert "1 unreadable" in capsys.readouterr().out


def test_check_config_hides_the_intervals_oauth_secret(tmp_path: Path) -> None:
    from app.cli import describe_settings

    settings = make_settings(
        tmp_path, intervals_oauth_client_id="app-1", intervals_oauth_client_secret="hunter2-oauth"
    )
    lines = "\n".join(describe_settings(settings))
    assert "GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET=(set)" in lines
    assert "hunter2-oauth" not in lines and "GATEWAY_INTERVALS_OAUTH_CLIENT_ID=app-1" in lines


def test_allowlist_add_refuses_a_bare_number_unless_it_is_a_legacy_id(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newcomer trial: 'allowlist add 100003' (Sam's id without the 'i') was accepted silently
    and could never match Sam's sign-in as i100003."""
    assert run(settings, "allowlist", "add", "100003") == 1
    out = capsys.readouterr().out
    assert "100003 has no leading 'i'" in out and "allowlist add i100003" in out
    assert "--legacy-id" in out
    assert run(settings, "allowlist", "list") == 0
    assert "0 athlete id(s)" in capsys.readouterr().out
    assert run(settings, "allowlist", "add", "2049151", "--legacy-id") == 0
    assert run(settings, "allowlist", "add", "i100003") == 0
    assert run(settings, "allowlist", "list") == 0
    listed = capsys.readouterr().out
    assert "2049151\tadded" in listed and "i100003\tadded" in listed
