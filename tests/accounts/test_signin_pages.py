"""Sign-in against the fake Intervals.icu server: success, each failure, the session cookie,
rate limits, the access policy, sign-out and session lifetimes (real SQLite / PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db.engine import make_sync_engine
from app.db.models import Athlete, BrowserSession, Credential
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import (
    AROHA,
    COACH_KEY,
    LENA,
    gateway_settings,
    running_gateway,
)
from tests.fake_intervals import FakeIntervals


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    yield engine
    engine.dispose()


def count(engine: Engine, model: type[object]) -> int:
    with Session(engine) as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


async def test_blank_athlete_id_signs_in_as_the_key_owner(
    settings: Settings, engine: Engine
) -> None:
    async with running_gateway(settings) as gw:
        response = await gw.sign_in("", AROHA[1])
        assert response.status_code == 303 and response.headers["location"] == "/account"
        account = await gw.browser.get("/account")
    assert account.status_code == 200
    assert AROHA[2] in account.text and AROHA[0] in account.text
    with Session(engine) as db:
        athlete = db.scalars(select(Athlete)).one()
        assert (athlete.intervals_id, athlete.timezone) == (AROHA[0], "Pacific/Auckland")
        assert db.scalars(select(Credential.kind)).one() == "api_key"
        assert athlete.last_signin_at is not None


@pytest.mark.parametrize(
    ("athlete_id", "key", "fault", "status", "message"),
    [
        ("", "wrong-key-123", None, 400, "Intervals.icu rejected this API key"),
        (AROHA[0], "wrong-key-123", None, 400, "Intervals.icu rejected this API key"),
        ("i100003", AROHA[1], None, 400, "belongs to Aroha Ngata (i100001), not i100003"),
        (LENA[0], COACH_KEY, None, 400, "belongs to Maria Santos (coach) (i100004)"),
        ("", AROHA[1], 500, 503, "could not be reached just now. Please try again"),
        ("../x", AROHA[1], None, 400, "should look like i12345"),
    ],
)
async def test_a_failed_sign_in_says_why_and_stores_nothing(
    settings: Settings,
    engine: Engine,
    athlete_id: str,
    key: str,
    fault: int | None,
    status: int,
    message: str,
) -> None:
    fake = FakeIntervals()
    if fault:
        fake.faults.fail(fault, times=10)
    async with running_gateway(settings, fake) as gw:
        response = await gw.sign_in(athlete_id, key)
    assert response.status_code == status
    assert message in response.text
    assert key not in response.text  # the key is never echoed back into the form
    assert "set-cookie" not in response.headers or "gw_session" not in response.headers.get(
        "set-cookie", ""
    )
    assert (count(engine, Athlete), count(engine, Credential), count(engine, BrowserSession)) == (
        0,
        0,
        0,
    )


async def test_session_cookie_is_host_prefixed_secure_httponly_lax_on_https(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(
        tmp_path,
        database_url,
        base_url="https://gw.example.com",
        encryption_keys="k1:" + "A" * 43,
    )
    async with running_gateway(settings) as gw:
        response = await gw.sign_in("", AROHA[1])
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-gw_session=")
        )
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "path", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
        assert "domain" not in attributes
        assert (await gw.browser.get("/account")).status_code == 200


async def test_on_http_loopback_the_cookie_drops_secure_and_the_prefix(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        response = await gw.sign_in("", AROHA[1])
    cookie = next(c for c in response.headers.get_list("set-cookie") if "gw_session=" in c)
    assert cookie.startswith("gw_session=")
    assert "secure" not in cookie.lower() and "httponly" in cookie.lower()


async def test_the_session_id_is_stored_only_as_a_hash(settings: Settings, engine: Engine) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        raw = gw.browser.cookies["gw_session"]
    with Session(engine) as db:
        stored = db.scalars(select(BrowserSession.session_hash)).one()
    assert raw not in stored and len(stored) == 64


@pytest.mark.parametrize(
    ("next_path", "location"),
    [
        ("/authorize?client_id=abc&state=xyz", "/authorize?client_id=abc&state=xyz"),
        ("//evil.example/", "/account"),
        ("https://evil.example/", "/account"),
    ],
)
async def test_sign_in_returns_to_a_safe_local_next_path(
    settings: Settings, next_path: str, location: str
) -> None:
    async with running_gateway(settings) as gw:
        form = await gw.browser.get("/signin", params={"next": next_path})
        assert 'name="next" value="' in form.text
        response = await gw.sign_in("", AROHA[1], next_path=next_path)
    assert response.status_code == 303 and response.headers["location"] == location


async def test_failures_in_an_athletes_name_never_lock_out_their_own_key(
    tmp_path: Path, database_url: str
) -> None:
    """Security review L2: athlete ids are semi-public, so failures elsewhere in Aroha's name
    must not refuse Aroha's correct key."""
    settings = gateway_settings(tmp_path, database_url, signin_attempts_per_address=3)
    async with running_gateway(settings) as gw:
        for n in range(8):
            async with gw.new_browser(f"198.51.100.{n + 10}") as attacker:
                page = await attacker.get("/signin")
                token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
                form = {"athlete_id": AROHA[0], "api_key": "wrong-key-123", "csrf_token": token}
                assert (await attacker.post("/signin", data=form)).status_code == 400
        response = await gw.sign_in(AROHA[0], AROHA[1])
    assert response.status_code == 303


async def test_failed_attempts_are_limited_per_client_address(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(tmp_path, database_url, signin_attempts_per_address=3)
    async with running_gateway(settings) as gw:
        for athlete in ("", "i100001", "i100002"):
            assert (await gw.sign_in(athlete, "wrong-key-123")).status_code == 400
        blocked = await gw.sign_in("", AROHA[1])
        assert blocked.status_code == 429 and "Try again in" in blocked.text
        async with gw.new_browser("198.51.100.77") as elsewhere:
            page = await elsewhere.get("/signin")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            ok = await elsewhere.post(
                "/signin", data={"api_key": AROHA[1], "athlete_id": "", "csrf_token": token}
            )
        assert ok.status_code == 303


async def test_allowlist_policy_refuses_unlisted_athletes_and_says_why(
    tmp_path: Path, database_url: str
) -> None:
    from app.accounts.policy import allowlist_add
    from app.db.engine import make_async_engine, make_sessionmaker, transaction

    settings = gateway_settings(tmp_path, database_url, access_policy="allowlist")
    engine = make_sync_engine(settings)
    async with running_gateway(settings) as gw:
        refused = await gw.sign_in("", AROHA[1])
        assert refused.status_code == 403
        assert "not on its list" in refused.text and AROHA[0] in refused.text
        assert count(engine, Athlete) == 0 and count(engine, Credential) == 0
        async_engine = make_async_engine(settings)
        async with transaction(make_sessionmaker(async_engine)) as db:
            await allowlist_add(db, AROHA[0])
        await async_engine.dispose()
        assert (await gw.sign_in("", AROHA[1])).status_code == 303
    assert count(engine, Athlete) == 1
    engine.dispose()


async def test_a_disabled_athlete_is_refused_and_loses_the_session(
    settings: Settings, engine: Engine
) -> None:
    from app.accounts.service import disable_athlete
    from app.db.engine import transaction
    from app.db.models import utcnow

    async with running_gateway(settings) as gw:
        assert (await gw.sign_in("", AROHA[1])).status_code == 303
        async with transaction(services_of(gw.app).sessions) as db:
            athlete = (await db.scalars(select(Athlete))).one()
            await disable_athlete(db, athlete, utcnow())
        assert (await gw.browser.get("/account")).headers["location"].startswith("/signin")
        refused = await gw.sign_in("", AROHA[1])
    assert refused.status_code == 403 and "has been disabled by the gateway" in refused.text


async def test_sign_out_ends_the_session(settings: Settings, engine: Engine) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        old_cookie = gw.browser.cookies["gw_session"]
        response = await gw.post_form("/signout")
        assert response.status_code == 303
        assert (await gw.browser.get("/account")).status_code == 303
        gw.browser.cookies.set("gw_session", old_cookie)  # a copied cookie is dead too
        assert (await gw.browser.get("/account")).status_code == 303
    assert count(engine, BrowserSession) == 0


async def test_sessions_expire_when_idle_and_after_the_absolute_lifetime(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(
        tmp_path, database_url, session_idle_seconds=600, session_absolute_seconds=1800
    )
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        for _ in range(3):  # used every 9 minutes: stays alive up to the absolute limit
            gw.clock.now += timedelta(seconds=540)
            assert (await gw.browser.get("/account")).status_code == 200
        gw.clock.now += timedelta(seconds=300)  # 27 + 5 = 32 min > 30 min absolute
        assert (await gw.browser.get("/account")).status_code == 303

        await gw.sign_in("", AROHA[1])
        gw.clock.now += timedelta(seconds=601)  # idle for more than 10 minutes
        assert (await gw.browser.get("/account")).status_code == 303


async def test_pages_forbid_framing(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        page = await gw.browser.get("/signin")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<label for="api_key">' in page.text and '<label for="athlete_id">' in page.text
    assert "<script" not in page.text


async def test_the_sign_in_page_names_the_gateway_and_links_to_the_key(
    tmp_path: Path, database_url: str
) -> None:
    """Newcomer trial: the page was titled "Sign in with Intervals.icu" (it looked like the
    official sign-in), named no operator and had no link to where the key is found."""
    club = gateway_settings(tmp_path, database_url, operator_name="Harbour Tri Club")
    async with running_gateway(club) as gw:
        page = (await gw.browser.get("/signin")).text
    assert "<title>Connect your Intervals.icu account · Harbour Tri Club</title>" in page
    assert "<h1>Connect your Intervals.icu account to Harbour Tri Club</h1>" in page
    assert "This page is not Intervals.icu" in page and "run by Harbour Tri Club" in page
    assert 'href="https://intervals.icu/settings"' in page
    assert "Sign in with Intervals.icu" not in page
    async with running_gateway(gateway_settings(tmp_path, database_url)) as gw:
        plain = (await gw.browser.get("/signin")).text
    assert "<h1>Connect your Intervals.icu account to 127.0.0.1:8000</h1>" in plain
    assert "run by" not in plain
