"""The account page and its forms: key replacement, connected applications, deletion, CSRF,
and a raw scan of the database proving the API key is never stored in the clear."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.accounts.display import access_words
from app.db.engine import make_sync_engine, transaction
from app.db.models import (
    Athlete,
    AuthorizationCode,
    Base,
    Credential,
    Grant,
    OAuthClient,
    Token,
    utcnow,
)
from app.intervals.credentials import ApiKey
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, LENA, Gateway, gateway_settings, running_gateway
from tests.accounts.seed import owned_row_counts
from tests.support.vault import load_credential


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    yield engine
    engine.dispose()


async def athlete_pk(gw: Gateway, intervals_id: str) -> int:
    async with transaction(services_of(gw.app).sessions) as db:
        pk = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == intervals_id))
    assert pk is not None
    return pk


async def connect_app(
    sessions: async_sessionmaker[AsyncSession], athlete: int, name: str
) -> tuple[int, int]:
    """What the OAuth side leaves behind when a client is authorised: returns (grant, token)."""
    now = utcnow()
    async with transaction(sessions) as db:
        client = OAuthClient(client_id=f"{name}-{athlete}", origin="dynamic", name=name)
        db.add(client)
        await db.flush()
        grant = Grant(athlete_id=athlete, client_pk=client.id, scope="mcp.read", resource="r")
        db.add(grant)
        await db.flush()
        code = AuthorizationCode(
            code_hash=f"code-{name}-{athlete}".ljust(64, "0"),
            grant_id=grant.id,
            redirect_uri="https://claude.ai/api/mcp/auth_callback",
            code_challenge="c" * 43,
            scope="mcp.read",
            resource="r",
            expires_at=now,
        )
        db.add(code)
        await db.flush()
        token = Token(
            token_hash=f"tok-{name}-{athlete}".ljust(64, "0"),
            kind="access",
            grant_id=grant.id,
            code_id=code.id,
            scope="mcp.read",
            resource="r",
            expires_at=now + timedelta(hours=1),
        )
        db.add(token)
        await db.flush()
        return grant.id, token.id


async def test_account_page_needs_a_session(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        response = await gw.browser.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount"


async def test_replacing_the_key_checks_it_with_intervals_first(
    settings: Settings, engine: Engine
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        pk = await athlete_pk(gw, AROHA[0])
        page = await gw.browser.get("/account")
        assert "API key" in page.text and "Last verified" in page.text

        refused = await gw.post_form("/account/credential", {"api_key": "wrong-key-123"})
        assert refused.status_code == 400 and "rejected this API key" in refused.text
        lena_key = await gw.post_form("/account/credential", {"api_key": LENA[1]})
        assert (
            lena_key.status_code == 400
            and "belongs to Lena Vogel (i100002), not i100001" in lena_key.text
        )
        async with transaction(services_of(gw.app).sessions) as db:
            stored = await load_credential(db, services_of(gw.app).vault, pk)
        assert stored is not None and stored.credential == ApiKey(AROHA[1])

        gw.fake.keys["fake-key-aroha-regenerated"] = AROHA[0]  # the athlete made a new key
        replaced = await gw.post_form(
            "/account/credential", {"api_key": "fake-key-aroha-regenerated"}
        )
        assert replaced.status_code == 303 and replaced.headers["location"] == "/account?done=key"
        assert "API key was replaced" in (await gw.browser.get("/account?done=key")).text
        async with transaction(services_of(gw.app).sessions) as db:
            stored = await load_credential(db, services_of(gw.app).vault, pk)
    assert stored is not None and stored.credential == ApiKey("fake-key-aroha-regenerated")


async def test_connected_apps_are_listed_and_revoked_with_their_tokens(
    settings: Settings, engine: Engine
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        pk = await athlete_pk(gw, AROHA[0])
        grant_id, token_id = await connect_app(services_of(gw.app).sessions, pk, "Claude")
        page = await gw.browser.get("/account")
        assert "Claude" in page.text and f"/account/grants/{grant_id}/revoke" in page.text

        response = await gw.post_form(f"/account/grants/{grant_id}/revoke")
        assert response.status_code == 303
        page = await gw.browser.get("/account?done=revoked")
        assert "No applications are connected" in page.text
    with Session(engine) as db:
        assert db.get(Token, token_id).revoked_at is not None  # type: ignore[union-attr]
        assert db.get(Grant, grant_id).revoked_at is not None  # type: ignore[union-attr]


async def test_an_athlete_cannot_revoke_someone_elses_grant(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", LENA[1])
        lena = await athlete_pk(gw, LENA[0])
        grant_id, _ = await connect_app(services_of(gw.app).sessions, lena, "ChatGPT")
        async with gw.new_browser() as other:
            other_gw = Gateway(gw.app, other, gw.fake, gw.clock)
            await other_gw.sign_in("", AROHA[1])
            response = await other_gw.post_form(f"/account/grants/{grant_id}/revoke")
        assert response.status_code == 404
        assert "ChatGPT" in (await gw.browser.get("/account")).text


async def test_deleting_the_account_removes_every_row_of_the_athlete(
    settings: Settings, engine: Engine
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        pk = await athlete_pk(gw, AROHA[0])
        await connect_app(services_of(gw.app).sessions, pk, "Claude")
        async with gw.new_browser() as lena_browser:
            await Gateway(gw.app, lena_browser, gw.fake, gw.clock).sign_in("", LENA[1])
        lena = await athlete_pk(gw, LENA[0])
        await connect_app(services_of(gw.app).sessions, lena, "Claude")

        confirm = await gw.browser.get("/account/delete")
        assert confirm.status_code == 200 and "Delete your account?" in confirm.text
        unconfirmed = await gw.post_form("/account/delete")
        assert unconfirmed.status_code == 400
        assert owned_row_counts(engine, pk)["athletes"] == 1

        deleted = await gw.post_form("/account/delete", {"confirm": "yes"})
        assert deleted.status_code == 200 and "Account deleted" in deleted.text
        assert set(owned_row_counts(engine, pk).values()) == {0}
        assert owned_row_counts(engine, lena)["tokens"] == 1  # other athletes untouched
        assert (await gw.browser.get("/account")).status_code == 303

        assert (await gw.sign_in("", AROHA[1])).status_code == 303  # back later, as new
        assert await athlete_pk(gw, AROHA[0]) != pk


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/account/credential", {"api_key": "fake-key-aroha-1f3c9a2b7d"}),
        ("/account/delete", {"confirm": "yes"}),
        ("/signout", {}),
    ],
)
async def test_state_changing_forms_refuse_a_missing_or_wrong_csrf_token(
    settings: Settings, engine: Engine, path: str, fields: dict[str, str]
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        await gw.browser.get("/account")
        for token in (None, "x" * 43):
            data = dict(fields) if token is None else {**fields, "csrf_token": token}
            response = await gw.browser.post(path, data=data)
            assert response.status_code == 403 and "form has expired" in response.text
        assert (await gw.browser.get("/account")).status_code == 200  # still signed in
    assert owned_row_counts(engine, 1)["credentials"] == 1


async def test_sign_in_form_refuses_a_forged_post(settings: Settings, engine: Engine) -> None:
    async with running_gateway(settings) as gw:
        response = await gw.browser.post("/signin", data={"api_key": AROHA[1], "athlete_id": ""})
    assert response.status_code == 403
    with Session(engine) as db:
        assert db.scalars(select(Athlete)).first() is None


async def test_the_api_key_appears_nowhere_in_the_database_or_logs(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = AROHA[1].encode()
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        await gw.post_form("/account/credential", {"api_key": AROHA[1]})
        account = await gw.browser.get("/account")
    assert AROHA[1] not in account.text
    assert AROHA[1] not in caplog.text
    with Session(engine) as db:
        assert db.scalars(select(Credential)).one().ciphertext  # something was stored
        for table in Base.metadata.sorted_tables:
            for row in db.execute(select(table)):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    assert secret not in raw, f"key found in {table.name}"
        if engine.dialect.name == "sqlite":
            db.execute(text("PRAGMA wal_checkpoint(FULL)"))
    if engine.dialect.name == "sqlite":
        database = Path(str(engine.url.database))
        for path in (database, Path(f"{database}-wal")):
            if path.exists():
                assert secret not in path.read_bytes(), f"key found in {path.name}"


async def test_the_account_page_shows_times_in_the_athletes_zone_and_access_in_words(
    settings: Settings,
) -> None:
    """Newcomer trial: Aroha in Auckland saw "02:32 UTC" and the raw scope ``mcp.read``."""
    async with running_gateway(settings) as gw:
        gw.clock.now = datetime(2026, 11, 30, 2, 32, tzinfo=UTC)
        await gw.sign_in("", AROHA[1])
        await connect_app(services_of(gw.app).sessions, await athlete_pk(gw, AROHA[0]), "Claude")
        page = (await gw.browser.get("/account")).text
    assert "Last verified</dt><dd>2026-11-30 15:32 NZDT" in page
    assert "Pacific/Auckland" in page
    assert "UTC" not in page
    assert "Read your training data" in page and "mcp.read" not in page


@pytest.mark.parametrize(
    ("scope", "words"),
    [
        ("mcp.read", "Read your training data"),
        ("mcp.read mcp.write", "Read your training data, change your training data"),
        ("mcp.write", "Change your training data"),
        ("", "No access to your data"),
    ],
)
def test_access_is_described_in_plain_words(scope: str, words: str) -> None:
    assert access_words(scope) == words
