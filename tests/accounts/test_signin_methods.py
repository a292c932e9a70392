"""GATEWAY_SIGNIN_METHODS: in `oauth` mode (a deployment for the ChatGPT and Claude
directories) the API-key form and its routes are gone and no page the gateway serves mentions
API keys; `api_key` mode hides "Continue with Intervals.icu"; `both` offers both."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters
from sqlalchemy import select

from app.accounts.club import make_club_admin
from app.db.engine import transaction
from app.db.models import Credential
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, CSRF_INPUT, Gateway, gateway_settings, running_gateway
from tests.accounts.upstream_signin import continue_with_intervals
from tests.fake_intervals import FakeIntervals
from tests.fake_intervals.server import FakeServer
from tests.support.gateway import CLAUDE_CALLBACK, pkce_pair

MENTIONS_API_KEYS = re.compile(r"api[\s_-]*key", re.IGNORECASE)


@pytest.fixture
def oauth_only(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(
        tmp_path,
        database_url,
        oauth=True,
        signin_methods="oauth",
        privacy_policy_url="https://club.example/privacy",
        terms_url="https://club.example/terms",
    )


def assert_no_api_key_words(path: str, response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), (path, response.text[:200])
    found = MENTIONS_API_KEYS.search(response.text)
    assert found is None, f"{path} mentions API keys: …{response.text[found.start() - 80 :][:200]}"


async def csrf(browser: httpx.AsyncClient, path: str) -> str:
    match = CSRF_INPUT.search((await browser.get(path)).text)
    assert match, path
    return match.group(1)


async def consent_page(gw: Gateway) -> tuple[httpx.Response, dict[str, str]]:
    registered = await gw.browser.post(
        "/register", json={"client_name": "Claude", "redirect_uris": [CLAUDE_CALLBACK]}
    )
    assert registered.status_code == 201, registered.text
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": registered.json()["client_id"],
        "redirect_uri": CLAUDE_CALLBACK,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "scope": "mcp.read mcp.write",
        "resource": gw.settings.mcp_resource,
    }
    return await gw.browser.get("/authorize", params=params), params


async def test_every_page_in_oauth_only_mode_never_mentions_api_keys(
    oauth_only: Settings,
) -> None:
    """Every page a visitor, a signing-in athlete, a signed-in athlete and a club admin can
    reach, including the error pages and the refusals of the API-key routes."""
    pages: list[tuple[str, httpx.Response]] = []
    async with running_gateway(oauth_only) as gw:
        visitor = gw.new_browser("198.51.100.20")
        for path in ("/", "/signin", "/signin?done=signed-out", "/signin?done=invited"):
            pages.append((path, await visitor.get(path)))
        pages.append(("/join/unknown", await visitor.get("/join/gwi_unknown")))
        await visitor.get("/signin")  # no form on it to take a CSRF token from: it is refused
        refused = await visitor.post("/signin", data={"api_key": AROHA[1], "athlete_id": ""})
        assert refused.status_code == 404 and "Continue with Intervals.icu" in refused.text
        pages.append(("POST /signin", refused))
        pages.append(("bad callback", await visitor.get("/signin/intervals/callback?state=x")))
        start = await visitor.get("/signin/intervals")
        denied = await visitor.get(
            "/signin/intervals/callback",
            params={
                "error": "access_denied",
                "state": start.headers["location"].split("state=")[1],
            },
        )
        assert denied.status_code == 400
        pages.append(("declined on Intervals.icu", denied))
        for path in ("/privacy", "/terms"):
            assert (await visitor.get(path)).status_code == 307

        signed_in = await continue_with_intervals(gw, AROHA[0])
        assert signed_in.status_code == 303
        async with transaction(services_of(gw.app).sessions) as db:
            await make_club_admin(db, AROHA[0])
        consent, _ = await consent_page(gw)
        assert consent.status_code == 200 and "Allow" in consent.text
        pages.append(("consent", consent))
        for path in (
            "/",
            "/signin",
            "/account",
            "/account?done=key",
            "/account?done=revoked",
            "/account/delete",
            "/account/disconnect-intervals",
            "/club",
        ):
            page = await gw.browser.get(path)
            assert page.status_code == 200, (path, page.status_code)
            pages.append((path, page))
        token = await csrf(gw.browser, "/account")
        refused = await gw.browser.post(
            "/account/credential", data={"api_key": AROHA[1], "csrf_token": token}
        )
        assert refused.status_code == 404
        pages.append(("POST /account/credential", refused))
        for path in ("/account/delete", "/account/disconnect-intervals"):
            unconfirmed = await gw.browser.post(path, data={"csrf_token": token})
            assert unconfirmed.status_code == 400
            pages.append((f"POST {path} unconfirmed", unconfirmed))
        pages.append(("expired form", await gw.browser.post("/signout", data={})))
        pages.append(
            ("unknown client", await gw.browser.get("/authorize", params={"client_id": "x"}))
        )
        async with transaction(services_of(gw.app).sessions) as db:
            stored = (await db.scalars(select(Credential.kind))).all()
        assert stored == ["oauth_token"]  # the refused key was never checked nor stored
    for path, response in pages:
        assert_no_api_key_words(path, response)


async def test_without_a_privacy_policy_the_fixed_paths_say_so(
    tmp_path: Path, database_url: str
) -> None:
    async with running_gateway(gateway_settings(tmp_path, database_url)) as gw:
        for path, words in (("/privacy", "privacy policy"), ("/terms", "terms of service")):
            page = await gw.browser.get(path)
            assert page.status_code == 404
            assert f"has not published a {words}" in page.text
        assert "privacy policy" not in (await gw.browser.get("/signin")).text


async def test_both_methods_by_default_and_api_key_mode_hides_intervals_sign_in(
    tmp_path: Path, database_url: str
) -> None:
    both = gateway_settings(tmp_path, database_url, oauth=True)
    async with running_gateway(both) as gw:
        page = (await gw.browser.get("/signin")).text
        assert 'name="api_key"' in page and "Continue with Intervals.icu" in page
    keys_only = gateway_settings(tmp_path, database_url, oauth=True, signin_methods="api_key")
    async with running_gateway(keys_only) as gw:
        page = (await gw.browser.get("/signin")).text
        assert 'name="api_key"' in page and "Continue with Intervals.icu" not in page
        assert (await gw.browser.get("/signin/intervals")).status_code == 404


async def test_oauth_only_sign_in_page_offers_intervals_links_policy_and_terms(
    oauth_only: Settings,
) -> None:
    async with running_gateway(oauth_only) as gw:
        page = (await gw.browser.get("/signin?next=/account")).text
        assert 'action="/signin/intervals"' in page and 'name="api_key"' not in page
        assert 'href="https://club.example/privacy"' in page
        assert 'href="https://club.example/terms"' in page
        assert (await gw.browser.get("/privacy")).headers["location"] == (
            "https://club.example/privacy"
        )


@pytest.mark.slow
async def test_stdio_keeps_its_api_key_in_an_oauth_only_environment(tmp_path: Path) -> None:
    """`intervals-gateway stdio` is one athlete's own process: GATEWAY_SIGNIN_METHODS=oauth
    (set for the hosted gateway) does not change it; it still reads INTERVALS_API_KEY."""
    fake = FakeIntervals()
    with FakeServer(fake) as server:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "INTERVALS_API_KEY": AROHA[1],
            "INTERVALS_API_BASE_URL": server.api_base_url,
            "GATEWAY_DATA_DIR": str(tmp_path / "var"),
            "GATEWAY_DATABASE_URL": "postgresql://nowhere.invalid/none",  # never touched
            "GATEWAY_SIGNIN_METHODS": "oauth",
            "GATEWAY_INTERVALS_OAUTH_CLIENT_ID": "fake-client-id",
            "GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET": "fake-client-secret",
        }
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "app.cli", "stdio"], env=env, cwd=str(tmp_path)
        )
        async with Client(params, mode="legacy") as client:
            result = await client.call_tool("get_athlete_profile", {})
    assert result.is_error is False, result
    assert all(r.auth == "basic" for r in fake.requests)
