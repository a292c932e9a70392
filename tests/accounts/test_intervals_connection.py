"""One Intervals.icu grant per athlete serves all of their AI clients (issue 21): a second AI
client reuses the stored upstream credential, disconnecting one AI client leaves the others,
and "Disconnect Intervals.icu" withdraws the gateway's access upstream
(``DELETE /api/v1/disconnect-app``) and locally, even when Intervals.icu cannot be told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.accounts.upstream import UpstreamDisconnect, disconnect_upstream
from app.db.engine import transaction
from app.db.models import Athlete, BrowserSession, Credential, Grant
from app.intervals.client import IntervalsClient
from app.intervals.credentials import BearerToken
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, CSRF_INPUT, Gateway, gateway_settings, running_gateway
from tests.accounts.upstream_signin import connect_ai_client, continue_with_intervals, tool_call
from tests.fake_intervals import FakeIntervals
from tests.support.gateway import CLAUDE_CALLBACK

CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"
UPSTREAM_SIGNIN = ("/oauth/authorize", "/api/oauth/token")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, oauth=True, signin_methods="oauth")


def answered_for(response: httpx.Response, name: str) -> bool:
    assert response.status_code == 200, response.text[:300]
    result: dict[str, Any] = json.loads(response.text)["result"]
    return not result.get("isError") and name in json.dumps(result)


async def counts(gw: Gateway) -> dict[str, int]:
    async with transaction(services_of(gw.app).sessions) as db:
        return {
            "credentials": await db.scalar(select(func.count()).select_from(Credential)) or 0,
            "live grants": await db.scalar(
                select(func.count()).select_from(Grant).where(Grant.revoked_at.is_(None))
            )
            or 0,
            "sessions": await db.scalar(select(func.count()).select_from(BrowserSession)) or 0,
            "athletes": await db.scalar(select(func.count()).select_from(Athlete)) or 0,
        }


def upstream_signins(gw: Gateway) -> int:
    return sum(len(gw.fake.requests.matching(None, path)) for path in UPSTREAM_SIGNIN)


def upstream_tokens_of(gw: Gateway, athlete: str) -> int:
    return sum(1 for caller in gw.fake.oauth.tokens.values() if caller.athlete == athlete)


async def csrf(browser: httpx.AsyncClient, path: str) -> str:
    match = CSRF_INPUT.search((await browser.get(path)).text)
    assert match, path
    return match.group(1)


async def test_a_second_ai_client_reuses_the_upstream_grant_without_asking_intervals_again(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        assert (await continue_with_intervals(gw, AROHA[0])).status_code == 303
        claude = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        signins_so_far = upstream_signins(gw)
        chatgpt = await connect_ai_client(gw, "ChatGPT", CHATGPT_CALLBACK)
        assert upstream_signins(gw) == signins_so_far  # no second Intervals.icu consent
        assert upstream_tokens_of(gw, AROHA[0]) == 1
        assert await counts(gw) == {
            "credentials": 1,
            "live grants": 2,
            "sessions": 1,
            "athletes": 1,
        }
        for token in (claude, chatgpt):
            assert answered_for(await tool_call(gw, token), AROHA[2])


async def test_signing_in_again_from_another_browser_keeps_one_stored_credential(
    settings: Settings,
) -> None:
    """Claude Desktop opens the system browser, ChatGPT its own: the athlete signs in with
    Intervals.icu twice. The second token replaces the first; the first AI client keeps
    working on it."""
    async with running_gateway(settings) as gw:
        await continue_with_intervals(gw, AROHA[0])
        claude = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        other = gw.new_browser("198.51.100.30")
        await continue_with_intervals(gw, AROHA[0], browser=other)
        chatgpt = await connect_ai_client(gw, "ChatGPT", CHATGPT_CALLBACK, browser=other)
        assert (await counts(gw))["credentials"] == 1
        assert (await counts(gw))["live grants"] == 2
        before = len(gw.fake.requests)
        for token in (claude, chatgpt):
            assert answered_for(await tool_call(gw, token), AROHA[2])
        used = {r.auth for r in list(gw.fake.requests)[before:]}
        assert used == {"bearer"}


async def test_disconnecting_one_ai_client_leaves_the_others_connected(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await continue_with_intervals(gw, AROHA[0])
        claude = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        chatgpt = await connect_ai_client(gw, "ChatGPT", CHATGPT_CALLBACK)
        async with transaction(services_of(gw.app).sessions) as db:
            claude_grant = await db.scalar(select(func.min(Grant.id)))
        token = await csrf(gw.browser, "/account")
        revoked = await gw.browser.post(
            f"/account/grants/{claude_grant}/revoke", data={"csrf_token": token}
        )
        assert revoked.status_code == 303
        assert (await tool_call(gw, claude)).status_code == 401
        assert answered_for(await tool_call(gw, chatgpt), AROHA[2])
        assert (await counts(gw))["credentials"] == 1
        assert upstream_tokens_of(gw, AROHA[0]) == 1  # Intervals.icu was not asked to end it
        assert gw.fake.requests.matching("DELETE", "/api/v1/disconnect-app") == []
        account = await gw.browser.get("/account")
        assert "ChatGPT" in account.text and "Disconnect Intervals.icu" in account.text


async def test_disconnect_intervals_ends_the_upstream_grant_and_every_ai_client(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await continue_with_intervals(gw, AROHA[0])
        claude = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        chatgpt = await connect_ai_client(gw, "ChatGPT", CHATGPT_CALLBACK)
        confirm = await gw.browser.get("/account/disconnect-intervals")
        assert "Claude" in confirm.text and "ChatGPT" in confirm.text
        token = CSRF_INPUT.search(confirm.text)
        assert token
        forged = await gw.browser.post("/account/disconnect-intervals", data={"confirm": "yes"})
        unticked = await gw.browser.post(
            "/account/disconnect-intervals", data={"csrf_token": token.group(1)}
        )
        assert (forged.status_code, unticked.status_code) == (403, 400)
        assert (await counts(gw))["credentials"] == 1 and upstream_tokens_of(gw, AROHA[0]) == 1

        done = await gw.browser.post(
            "/account/disconnect-intervals", data={"csrf_token": token.group(1), "confirm": "yes"}
        )
        assert done.status_code == 200
        assert "Intervals.icu confirmed" in done.text and "2 applications" in done.text
        [call] = gw.fake.requests.matching("DELETE", "/api/v1/disconnect-app")
        assert (call.auth, call.status) == ("bearer", 200)
        assert upstream_tokens_of(gw, AROHA[0]) == 0
        assert await counts(gw) == {
            "credentials": 0,
            "live grants": 0,
            "sessions": 0,
            "athletes": 1,
        }
        for ai_client in (claude, chatgpt):
            assert (await tool_call(gw, ai_client)).status_code == 401
        assert (await gw.browser.get("/account")).status_code == 303  # signed out


async def test_when_intervals_cannot_be_told_the_gateway_still_lets_go_and_says_so(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await continue_with_intervals(gw, AROHA[0])
        claude = await connect_ai_client(gw, "Claude", CLAUDE_CALLBACK)
        gw.fake.faults.fail(500, method="DELETE", path="/disconnect-app")
        token = await csrf(gw.browser, "/account/disconnect-intervals")
        done = await gw.browser.post(
            "/account/disconnect-intervals", data={"csrf_token": token, "confirm": "yes"}
        )
        assert done.status_code == 200
        assert "Intervals.icu did not confirm" in done.text
        assert "remove it there" in done.text
        assert upstream_tokens_of(gw, AROHA[0]) == 1  # still listed upstream, as the page says
        assert (await counts(gw))["credentials"] == 0
        assert (await tool_call(gw, claude)).status_code == 401


async def test_an_api_key_is_forgotten_without_an_upstream_call(
    tmp_path: Path, database_url: str
) -> None:
    async with running_gateway(gateway_settings(tmp_path, database_url)) as gw:
        await gw.sign_in("", AROHA[1])
        token = await csrf(gw.browser, "/account/disconnect-intervals")
        done = await gw.browser.post(
            "/account/disconnect-intervals", data={"csrf_token": token, "confirm": "yes"}
        )
        assert "stays valid on Intervals.icu until you generate a new one" in done.text
        assert gw.fake.requests.matching("DELETE", "/api/v1/disconnect-app") == []
        assert (await counts(gw))["credentials"] == 0


async def test_deleting_the_account_also_ends_the_gateways_access_on_intervals(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await continue_with_intervals(gw, AROHA[0])
        token = await csrf(gw.browser, "/account/delete")
        deleted = await gw.browser.post(
            "/account/delete", data={"csrf_token": token, "confirm": "yes"}
        )
        assert deleted.status_code == 200 and "Intervals.icu confirmed" in deleted.text
        [call] = gw.fake.requests.matching("DELETE", "/api/v1/disconnect-app")
        assert call.status == 200 and upstream_tokens_of(gw, AROHA[0]) == 0
        assert (await counts(gw))["athletes"] == 0


async def test_a_hanging_intervals_counts_as_not_told_within_the_time_limit() -> None:
    """The athlete waits on the page: a stalled ``DELETE /disconnect-app`` is given up after
    the limit (here 0.05 s) and reported as not told."""
    fake = FakeIntervals()
    token = fake.oauth.issue_token(AROHA[0])
    fake.faults.hang(seconds=5, path="/disconnect-app")
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
    async with IntervalsClient("http://fake/api/v1", http=http) as client:
        outcome = await disconnect_upstream(
            client, BearerToken(token), AROHA[0], give_up_after=0.05
        )
        assert outcome is UpstreamDisconnect.NOT_TOLD
        done = await disconnect_upstream(client, BearerToken(token), AROHA[0])
        assert done is UpstreamDisconnect.DISCONNECTED
        gone = await disconnect_upstream(client, BearerToken(token), AROHA[0])
        assert gone is UpstreamDisconnect.ALREADY_ENDED  # the token no longer works
    await http.aclose()
