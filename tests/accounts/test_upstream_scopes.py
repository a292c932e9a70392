"""Scope-limited Intervals.icu tokens (issue 21): on the fake's consent page the athlete may
untick scopes, as on Intervals.icu; the token then refuses the other areas with 403, the
latest consent applies to the app's earlier tokens too (intervals-api.md §3.7), and the
gateway's tool answers name the missing permission instead of failing vaguely."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.accounts.harness import AROHA, Gateway, gateway_settings, running_gateway
from tests.accounts.upstream_signin import connect_ai_client, tool_call
from tests.fake_intervals import FakeIntervals
from tests.support.gateway import CLAUDE_CALLBACK, hidden_fields

REQUESTED = "ACTIVITY:WRITE,WELLNESS:WRITE,CALENDAR:WRITE,LIBRARY:WRITE,SETTINGS:WRITE"
BOX = re.compile(r'name="scope" value="([A-Z]+:[A-Z]+)" checked')


def fake_client(fake: FakeIntervals) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app), base_url="http://f")


async def consent_on_intervals(
    upstream: httpx.AsyncClient, location: str, keep: list[str], athlete: str = AROHA[0]
) -> httpx.Response:
    """Open Intervals.icu's consent form, leave only ``keep`` ticked, authorize."""
    form_page = await upstream.get(location)
    assert form_page.status_code == 200 and "authorize an application" in form_page.text
    offered = BOX.findall(form_page.text)
    fields = [(k, v) for k, v in hidden_fields(form_page.text) if k != "athlete"]
    fields += [("athlete", athlete), ("decision", "authorize")]
    fields += [("scope", s) for s in offered if s in keep]
    answer: httpx.Response = await upstream.post(
        "/oauth/authorize",
        content=str(httpx.QueryParams(fields)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    return answer


async def test_the_fakes_consent_page_lets_the_athlete_untick_scopes() -> None:
    fake = FakeIntervals()
    fake.oauth.consent_page = True
    async with fake_client(fake) as upstream:
        query = {"client_id": "fake-client-id", "redirect_uri": "http://app/cb", "state": "s"}
        location = str(httpx.URL("/oauth/authorize", params={**query, "scope": REQUESTED}))
        assert BOX.findall((await upstream.get(location)).text) == REQUESTED.split(",")
        back = await consent_on_intervals(upstream, location, ["ACTIVITY:WRITE"])
        assert back.status_code == 302
        code = httpx.URL(back.headers["location"]).params["code"]
        token = await upstream.post(
            "/api/oauth/token",
            data={
                "client_id": "fake-client-id",
                "client_secret": "fake-client-secret",
                "code": code,
            },
        )
        assert token.json()["scope"] == "ACTIVITY:WRITE"
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        activities = await upstream.get(
            "/api/v1/athlete/0/activities", params={"oldest": "2020-01-01"}, headers=bearer
        )
        wellness = await upstream.get("/api/v1/athlete/0/wellness", headers=bearer)
        assert (activities.status_code, wellness.status_code) == (200, 403)
        assert wellness.json() == {"status": 403, "error": "Access denied"}

        # the latest consent's scopes apply to the app's earlier tokens as well
        again = await consent_on_intervals(upstream, location, ["WELLNESS:WRITE"])
        code = httpx.URL(again.headers["location"]).params["code"]
        await upstream.post(
            "/api/oauth/token",
            data={
                "client_id": "fake-client-id",
                "client_secret": "fake-client-secret",
                "code": code,
            },
        )
        assert (await upstream.get("/api/v1/athlete/0/wellness", headers=bearer)).status_code == 200
        later = await upstream.get(
            "/api/v1/athlete/0/activities", params={"oldest": "2020-01-01"}, headers=bearer
        )
        assert later.status_code == 403

        cancelled = await upstream.post(
            "/oauth/authorize",
            data={**query, "athlete": AROHA[0], "scope": "ACTIVITY:READ", "decision": "cancel"},
        )
        assert "error=access_denied" in cancelled.headers["location"]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, oauth=True, signin_methods="oauth")


async def sign_in_keeping(gw: Gateway, keep: list[str]) -> None:
    """Continue with Intervals.icu, untick all but ``keep`` on its consent page, come back."""
    gw.fake.oauth.consent_page = True
    start = await gw.browser.get("/signin/intervals", params={"next": "/account"})
    async with fake_client(gw.fake) as upstream:
        answer = await consent_on_intervals(upstream, start.headers["location"], keep)
    back = httpx.URL(answer.headers["location"])
    signed_in = await gw.browser.get(f"{back.path}?{back.query.decode()}")
    assert signed_in.status_code == 303, signed_in.text[:300]


def result_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text[:300]
    result: dict[str, Any] = json.loads(response.text)["result"]
    return result


async def test_a_tool_names_the_permission_the_athlete_left_out_on_intervals(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await sign_in_keeping(gw, ["ACTIVITY:WRITE", "CALENDAR:WRITE", "SETTINGS:WRITE"])
        assert "Intervals.icu sign-in (OAuth)" in (await gw.browser.get("/account")).text
        token = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)

        wellness = result_of(await tool_call(gw, token, "get_wellness_data"))
        text = json.dumps(wellness)
        assert wellness.get("isError") is True
        assert "does not include the WELLNESS permission" in text
        assert "Reconnect with Intervals.icu and allow WELLNESS access" in text
        assert "rejected" not in text  # the connection itself is fine

        activities = result_of(await tool_call(gw, token, "get_activities"))
        assert not activities.get("isError"), activities
        assert (await tool_call(gw, token, "get_athlete_profile")).status_code == 200
        assert len(gw.fake.oauth.tokens_of(AROHA[0])) == 1  # still connected, nothing revoked


async def test_oauth_only_a_revoked_grant_is_answered_without_a_word_about_api_keys(
    settings: Settings,
) -> None:
    """GATEWAY_SIGNIN_METHODS=oauth: the athlete can only come back through Intervals.icu,
    so the tool answer says so and never asks for a key (stdio keeps its key wording)."""
    async with running_gateway(settings) as gw:
        await sign_in_keeping(gw, REQUESTED.split(","))
        token = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        gw.fake.oauth.tokens.clear()  # the athlete disconnected the app on Intervals.icu

        refused = await tool_call(gw, token, "get_activities")
        assert refused.status_code == 401  # the AI client is sent to sign in again
        challenge = refused.headers["www-authenticate"]
        assert "sign in again" in challenge and "key" not in challenge.lower()
        # a transport that already started its answer shows the tool's own text instead:
        # this gateway's tool calls are set to word it without keys too
        assert gw.app.state.mcp.callers.api_key_signin is False
