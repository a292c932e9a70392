"""Signing in proves ownership, not read access (security review M1): the account is always the
key's owner (``GET /athlete/0``), whatever athlete id is typed, on /signin, on key replacement
and on "Continue with Intervals.icu". Replacing a credential ends the athlete's other sessions.
The fake's coach Maria (i100004) may read Lena (i100002) with her own key."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from app.accounts.policy import allowlist_add
from app.db.engine import transaction
from app.db.models import Athlete, BrowserSession, Credential
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import (
    COACH_KEY,
    CSRF_INPUT,
    LENA,
    Gateway,
    gateway_settings,
    running_gateway,
)
from tests.fake_intervals import DEMO_ATHLETES, DemoAthlete, FakeIntervals

LENA_NEW_KEY = "fake-key-lena-rotated-3c8d1e"


@pytest.mark.parametrize("athlete", DEMO_ATHLETES, ids=lambda a: a.id)
async def test_the_fake_answers_athlete_0_with_the_keys_owner(athlete: DemoAthlete) -> None:
    """The contract (intervals-api.md 3.2): id 0 is the athlete of the key used, coach or not."""
    fake = FakeIntervals()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://intervals.test"
    ) as upstream:
        response = await upstream.get("/api/v1/athlete/0", auth=("API_KEY", athlete.api_key))
    assert response.status_code == 200 and response.json()["id"] == athlete.id


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


async def sign_in_with(browser: httpx.AsyncClient, athlete_id: str, key: str) -> httpx.Response:
    page = await browser.get("/signin")
    match = CSRF_INPUT.search(page.text)
    assert match
    form = {"athlete_id": athlete_id, "api_key": key, "csrf_token": match.group(1)}
    return await browser.post("/signin", data=form)


async def stored_rows(gw: Gateway) -> tuple[list[str], list[bytes], int]:
    """Athlete ids with an account, their credential ciphertexts, and the session count."""
    async with transaction(services_of(gw.app).sessions) as db:
        athletes = list(await db.scalars(select(Athlete.intervals_id).order_by(Athlete.id)))
        blobs = list(await db.scalars(select(Credential.ciphertext).order_by(Credential.id)))
        sessions = len(list(await db.scalars(select(BrowserSession.id))))
    return athletes, blobs, sessions


async def test_a_coach_key_never_signs_in_as_the_coached_athlete(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        response = await gw.sign_in(LENA[0], COACH_KEY)
        assert response.status_code == 400
        assert "This API key belongs to Maria Santos (coach) (i100004), not i100002" in (
            response.text
        )
        assert await stored_rows(gw) == ([], [], 0)
        asked = [r.path for r in gw.fake.requests.matching("GET", "/api/v1/athlete/")]
        assert asked == ["/api/v1/athlete/0"]  # only the key's owner is asked about


async def test_a_coach_key_cannot_take_over_an_existing_account(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        assert (await gw.sign_in(LENA[0], LENA[1])).status_code == 303
        before = await stored_rows(gw)
        async with gw.new_browser("198.51.100.40") as coach:
            refused = await sign_in_with(coach, LENA[0], COACH_KEY)
            assert refused.status_code == 400
            assert (await coach.get("/account")).status_code == 303  # not signed in
        assert await stored_rows(gw) == before  # Lena's credential untouched
        assert (await gw.browser.get("/account")).status_code == 200  # Lena still signed in


async def test_the_allowlist_applies_to_the_key_owner(tmp_path: Path, database_url: str) -> None:
    settings = gateway_settings(tmp_path, database_url, access_policy="allowlist")
    async with running_gateway(settings) as gw:
        async with transaction(services_of(gw.app).sessions) as db:
            await allowlist_add(db, LENA[0])
        assert (await gw.sign_in(LENA[0], COACH_KEY)).status_code == 400
        blank = await gw.sign_in("", COACH_KEY)  # Maria herself is not on the list
        assert blank.status_code == 403 and "i100004 is not on its list" in blank.text
        assert (await stored_rows(gw))[0] == []


async def test_key_replacement_refuses_a_key_owned_by_someone_else(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in(LENA[0], LENA[1])
        before = await stored_rows(gw)
        response = await gw.post_form("/account/credential", {"api_key": COACH_KEY})
        assert response.status_code == 400
        assert "belongs to Maria Santos (coach) (i100004), not i100002" in response.text
        assert await stored_rows(gw) == before


async def test_replacing_the_key_ends_the_other_browser_sessions(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        gw.fake.keys[LENA_NEW_KEY] = LENA[0]
        await gw.sign_in("", LENA[1])
        async with gw.new_browser("198.51.100.41") as other:
            assert (await sign_in_with(other, "", LENA[1])).status_code == 303
            assert (await other.get("/account")).status_code == 200
            replaced = await gw.post_form("/account/credential", {"api_key": LENA_NEW_KEY})
            assert replaced.status_code == 303
            assert (await gw.browser.get("/account")).status_code == 200  # this browser stays
            assert (await other.get("/account")).status_code == 303  # the other one is out


async def test_signing_in_with_a_new_key_ends_other_sessions_but_the_same_key_does_not(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        gw.fake.keys[LENA_NEW_KEY] = LENA[0]
        await gw.sign_in("", LENA[1])
        async with gw.new_browser("198.51.100.42") as second:
            await sign_in_with(second, "", LENA[1])  # same key on a second device
            assert (await gw.browser.get("/account")).status_code == 200
            async with gw.new_browser("198.51.100.43") as third:
                await sign_in_with(third, "", LENA_NEW_KEY)  # the key was rotated
                assert (await third.get("/account")).status_code == 200
            assert (await gw.browser.get("/account")).status_code == 303
            assert (await second.get("/account")).status_code == 303


async def test_continue_with_intervals_replacing_a_key_ends_other_sessions(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(tmp_path, database_url, oauth=True)
    async with running_gateway(settings) as gw:
        await gw.sign_in("", LENA[1])
        gw.fake.oauth.default_athlete = LENA[0]
        async with gw.new_browser("198.51.100.44") as other:
            start = await other.get("/signin/intervals")
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw.fake.app)) as up:
                consent = await up.get(start.headers["location"])
            parts = urlsplit(consent.headers["location"])
            back = await other.get(f"{parts.path}?{parts.query}")
            assert back.status_code == 303
            assert (await other.get("/account")).status_code == 200
        assert (await gw.browser.get("/account")).status_code == 303
        owner_reads = gw.fake.requests.matching("GET", "/api/v1/athlete/")
        assert owner_reads[-1].path == "/api/v1/athlete/0" and owner_reads[-1].auth == "bearer"
