"""OAuth-only mode end to end in a real browser (issue 21; headless Chromium via Playwright):
a gateway run as for the ChatGPT and Claude directories (GATEWAY_SIGNIN_METHODS=oauth, privacy
policy and terms set). An AI client discovers the gateway and registers; the athlete is sent to
the gateway, finds no API-key field, continues to Intervals.icu (the fake, with its consent page
where scopes can be unticked), comes back, reads on the consent page what each scope reaches
and the privacy and terms links, and allows; the client redeems the code and calls a tool. A
second AI client then connects in the same browser on the same upstream grant: no second
Intervals.icu consent, still one upstream token and one stored credential."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.db.models import Credential
from tests.e2e.browser import PHONE, ClientCallback
from tests.e2e.oauth_flow import authorize_url, pkce_pair, register_public_client
from tests.e2e.stack import Stack, gateway
from tests.fake_intervals import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.fake_intervals.server import FakeServer

AROHA = DEMO_ATHLETES[0]
PRIVACY = "https://club.example/privacy"
TERMS = "https://club.example/terms"
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    intervals = FakeIntervals()
    intervals.oauth.consent_page = True
    with FakeServer(intervals) as server:
        yield server


@pytest.fixture
def directory_stack(fake: FakeServer, e2e_dir: Path) -> Iterator[Stack]:
    extra = {
        "GATEWAY_SIGNIN_METHODS": "oauth",
        "GATEWAY_INTERVALS_OAUTH_CLIENT_ID": DEFAULT_OAUTH_CLIENT[0],
        "GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET": DEFAULT_OAUTH_CLIENT[1],
        "GATEWAY_INTERVALS_OAUTH_AUTHORIZE_URL": f"{fake.base_url}/oauth/authorize",
        "GATEWAY_INTERVALS_OAUTH_TOKEN_URL": f"{fake.base_url}/api/oauth/token",
        "GATEWAY_PRIVACY_POLICY_URL": PRIVACY,
        "GATEWAY_TERMS_URL": TERMS,
        "GATEWAY_OPERATOR_NAME": "Harbour Cycling Club",
    }
    with gateway(fake.api_base_url, e2e_dir / "oauth-only-gateway", extra_env=extra) as running:
        yield running


def discover_and_register(stack: Stack, name: str, callback: ClientCallback) -> str:
    """What an AI client does first: 401 from /mcp names the resource metadata (RFC 9728),
    which names the authorization server (RFC 8414), whose registration endpoint registers
    the client (RFC 7591)."""
    challenge = httpx.post(stack.mcp_url, json={}, headers=MCP_HEADERS, timeout=30)
    assert challenge.status_code == 401
    found = re.search(r'resource_metadata="([^"]+)"', challenge.headers["www-authenticate"])
    assert found, challenge.headers["www-authenticate"]
    resource_doc = found.group(1)
    issuer = httpx.get(resource_doc, timeout=30).json()["authorization_servers"][0]
    server = httpx.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=30).json()
    assert (server["op_policy_uri"], server["op_tos_uri"]) == (PRIVACY, TERMS)
    return register_public_client(stack.base, name, callback.url)


def open_authorization(page: Page, stack: Stack, client_id: str, callback: ClientCallback) -> str:
    verifier, challenge = pkce_pair()
    scope = {"scope": "mcp.read mcp.write", "resource": stack.mcp_url}
    page.goto(authorize_url(stack.base, client_id, callback.url, challenge, **scope))
    return verifier


def allow_and_redeem(
    page: Page, stack: Stack, client_id: str, callback: ClientCallback, verifier: str
) -> str:
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback.url}?*")
    response = httpx.post(
        f"{stack.base}/token",
        data={
            "grant_type": "authorization_code",
            "code": callback.last["code"],
            "redirect_uri": callback.url,
            "code_verifier": verifier,
            "client_id": client_id,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def profile_name(stack: Stack, token: str) -> str:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_athlete_profile", "arguments": {}},
    }
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    answer = httpx.post(stack.mcp_url, json=body, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    result = json.loads(answer.text)["result"]
    assert not result.get("isError"), result
    return str(result["structuredContent"]["name"])


def stored_credentials(stack: Stack) -> int:
    engine = create_engine(f"sqlite:///{stack.database_file}")
    try:
        with Session(engine) as db:
            return db.scalar(select(func.count()).select_from(Credential)) or 0
    finally:
        engine.dispose()


def test_oauth_only_sign_in_consent_and_a_second_ai_client_on_the_same_grant(
    browser: Browser,
    directory_stack: Stack,
    fake: FakeServer,
    callback: ClientCallback,
    shots: Path,
) -> None:
    stack = directory_stack
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="en-GB")
    page = context.new_page()

    claude = discover_and_register(stack, "Claude", callback)
    verifier = open_authorization(page, stack, claude, callback)

    # the gateway's sign-in page: Intervals.icu only, no API-key field, policy and terms linked
    expect(page.get_by_role("heading", name="Connect your Intervals.icu account")).to_be_visible()
    assert page.get_by_label("API key").count() == 0
    assert "api key" not in page.content().lower()
    expect(page.get_by_role("link", name="privacy policy")).to_have_attribute("href", PRIVACY)
    expect(page.get_by_role("link", name="terms of service")).to_have_attribute("href", TERMS)
    page.screenshot(path=str(shots / "signin-oauth-only.png"), full_page=True)
    page.get_by_role("button", name="Continue with Intervals.icu").click()

    # Intervals.icu's consent (the fake): the athlete signs in there and authorizes
    expect(page.get_by_role("heading", name="authorize an application")).to_be_visible()
    assert page.url.startswith(fake.base_url)
    expect(page.get_by_role("checkbox", name="WELLNESS:WRITE")).to_be_checked()
    page.get_by_label("Signed in as athlete").fill(AROHA.id)
    page.get_by_role("button", name="Authorize").click()

    # back at the gateway's consent page: what each scope reaches, in plain words
    expect(page.get_by_role("heading", name="Allow Claude")).to_be_visible()
    expect(
        page.get_by_text("Wellness (health data): weight, resting heart rate, HRV, sleep")
    ).to_be_visible()
    expect(page.get_by_text("Calendar: create, move, change and delete")).to_be_visible()
    expect(page.get_by_role("link", name="privacy policy")).to_have_attribute("href", PRIVACY)
    expect(page.get_by_role("link", name="terms of service")).to_have_attribute("href", TERMS)
    assert "api key" not in page.content().lower()
    page.screenshot(path=str(shots / "consent-health-data.png"), full_page=True)
    claude_token = allow_and_redeem(page, stack, claude, callback, verifier)
    assert profile_name(stack, claude_token) == AROHA.name

    # a second AI client: the browser session is still there, so no trip to Intervals.icu
    upstream_visits = len(fake.fake.requests.matching("GET", "/oauth/authorize"))
    chatgpt = discover_and_register(stack, "ChatGPT", callback)
    verifier = open_authorization(page, stack, chatgpt, callback)
    expect(page.get_by_role("heading", name="Allow ChatGPT")).to_be_visible()
    assert page.url.startswith(stack.base)
    chatgpt_token = allow_and_redeem(page, stack, chatgpt, callback, verifier)
    assert profile_name(stack, chatgpt_token) == AROHA.name
    assert profile_name(stack, claude_token) == AROHA.name  # the first one is undisturbed

    assert len(fake.fake.requests.matching("GET", "/oauth/authorize")) == upstream_visits
    assert len(fake.fake.requests.matching("POST", "/api/oauth/token")) == 1
    assert len(fake.fake.oauth.tokens_of(AROHA.id)) == 1
    assert stored_credentials(stack) == 1
    context.close()
