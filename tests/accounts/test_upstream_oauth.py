""" "Continue with Intervals.icu" against the fake Intervals.icu server's OAuth endpoints."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from app.accounts.upstream_oauth import (
    UpstreamOAuthFailed,
    parse_token_response,
    read_state_cookie,
    state_cookie_value,
)
from app.db.engine import transaction
from app.db.models import Athlete
from app.intervals.credentials import BearerToken
from app.services import services_of
from app.settings import Settings
from app.vault.store import KIND_OAUTH_TOKEN
from tests.accounts.harness import AROHA, LENA, Gateway, gateway_settings, running_gateway
from tests.support.vault import load_credential


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, oauth=True)


async def approve_upstream(gw: Gateway, location: str, **choices: str) -> httpx.Response:
    """Play the athlete on Intervals.icu's consent page (the fake approves or denies at once)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw.fake.app)) as upstream:
        url = httpx.URL(location)
        return await upstream.get(url.copy_merge_params(choices) if choices else url)


async def callback_path(response: httpx.Response) -> str:
    assert response.status_code == 302
    parts = urlsplit(response.headers["location"])
    return f"{parts.path}?{parts.query}"


async def test_the_button_appears_only_when_an_intervals_app_is_configured(
    settings: Settings, tmp_path: Path, database_url: str
) -> None:
    async with running_gateway(settings) as gw:
        assert "Continue with Intervals.icu" in (await gw.browser.get("/signin")).text
    plain = gateway_settings(tmp_path, database_url)
    async with running_gateway(plain) as gw:
        assert "Continue with Intervals.icu" not in (await gw.browser.get("/signin")).text
        assert (await gw.browser.get("/signin/intervals")).status_code == 404


async def test_continue_with_intervals_signs_in_and_vaults_the_token(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        gw.fake.oauth.default_athlete = LENA[0]
        start = await gw.browser.get("/signin/intervals", params={"next": "/authorize?x=1"})
        assert start.status_code == 303
        location = start.headers["location"]
        query = parse_qs(urlsplit(location).query)
        assert location.startswith("http://intervals.test/oauth/authorize?")
        assert query["client_id"] == ["fake-client-id"]
        assert query["redirect_uri"] == ["http://127.0.0.1:8000/signin/intervals/callback"]
        assert "fake-client-secret" not in location

        back = await gw.browser.get(await callback_path(await approve_upstream(gw, location)))
        assert back.status_code == 303 and back.headers["location"] == "/authorize?x=1"
        assert LENA[2] in (await gw.browser.get("/account")).text

        async with transaction(services_of(gw.app).sessions) as db:
            athlete = (await db.scalars(select(Athlete))).one()
            stored = await load_credential(db, services_of(gw.app).vault, athlete.id)
        assert (athlete.intervals_id, athlete.timezone) == (LENA[0], "Europe/Berlin")
        assert stored is not None and stored.kind == KIND_OAUTH_TOKEN
        assert isinstance(stored.credential, BearerToken)
        assert stored.upstream_scope and "ACTIVITY:WRITE" in stored.upstream_scope
        token_requests = gw.fake.requests.matching("POST", "/api/oauth/token")
        assert len(token_requests) == 1 and token_requests[0].status == 200


async def test_a_forged_or_replayed_callback_is_refused(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        start = await gw.browser.get("/signin/intervals")
        path = await callback_path(await approve_upstream(gw, start.headers["location"]))
        tampered = path.replace("state=", "state=x")
        refused = await gw.browser.get(tampered)
        assert refused.status_code == 400 and "Start again" in refused.text
        replay = await gw.browser.get(path)  # the state cookie was cleared by the first try
        assert replay.status_code == 400
        async with transaction(services_of(gw.app).sessions) as db:
            assert (await db.scalars(select(Athlete))).first() is None


async def test_declining_on_intervals_shows_the_sign_in_page_again(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        start = await gw.browser.get("/signin/intervals")
        denied = await approve_upstream(gw, start.headers["location"], deny="1")
        page = await gw.browser.get(await callback_path(denied))
    assert page.status_code == 400 and "did not grant access" in page.text


async def test_allowlist_applies_to_intervals_sign_in_too(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(tmp_path, database_url, oauth=True, access_policy="allowlist")
    async with running_gateway(settings) as gw:
        start = await gw.browser.get("/signin/intervals")
        back = await gw.browser.get(
            await callback_path(await approve_upstream(gw, start.headers["location"]))
        )
    assert back.status_code == 403 and AROHA[0] in back.text


async def test_a_rejected_client_secret_is_a_clear_error(tmp_path: Path, database_url: str) -> None:
    settings = gateway_settings(
        tmp_path,
        database_url,
        intervals_oauth_client_id="fake-client-id",
        intervals_oauth_client_secret="not-the-secret",
    )
    async with running_gateway(settings) as gw:
        start = await gw.browser.get("/signin/intervals")
        back = await gw.browser.get(
            await callback_path(await approve_upstream(gw, start.headers["location"]))
        )
    assert back.status_code == 502 and "did not accept the sign-in" in back.text
    assert "not-the-secret" not in back.text


def test_state_cookie_round_trip_and_token_response_parsing() -> None:
    assert read_state_cookie(state_cookie_value("abc", "/authorize?a=1&b=2")) == (
        "abc",
        "/authorize?a=1&b=2",
    )
    assert read_state_cookie("garbage") is None
    token = parse_token_response(
        {"access_token": "t0k", "scope": "ACTIVITY:READ", "athlete": {"id": "i5", "name": "N"}}
    )
    assert (token.athlete_id, token.scope) == ("i5", "ACTIVITY:READ") and "t0k" not in repr(token)
    with pytest.raises(UpstreamOAuthFailed):
        parse_token_response({"access_token": "t0k"})


async def test_intervals_down_during_the_token_exchange_asks_to_retry(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        start = await gw.browser.get("/signin/intervals")
        callback = await callback_path(await approve_upstream(gw, start.headers["location"]))
        gw.fake.faults.fail(503, path="/api/oauth/token")
        back = await gw.browser.get(callback)
    assert back.status_code == 502 and "could not be reached just now" in back.text


@pytest.mark.parametrize("next_path", ["//evil.example/x", "https://evil.example/", "/\\evil"])
async def test_a_tampered_next_in_the_state_cookie_stays_on_the_site(
    settings: Settings, next_path: str
) -> None:
    """Security hardening 5: the cookie comes back from the browser, so its next path is
    checked again when it is read."""
    assert read_state_cookie(state_cookie_value("abc", next_path)) == ("abc", "/account")
    async with running_gateway(settings) as gw:
        gw.fake.oauth.default_athlete = LENA[0]
        start = await gw.browser.get("/signin/intervals")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        gw.browser.cookies.set("gw_upstream_oauth", state_cookie_value(state, next_path))
        back = await gw.browser.get(
            await callback_path(await approve_upstream(gw, start.headers["location"]))
        )
    assert back.status_code == 303 and back.headers["location"] == "/account"
