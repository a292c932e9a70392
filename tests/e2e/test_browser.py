"""Flow 5: a real browser (headless Chromium via Playwright) used exactly as a person would:
sign-in, consent (approve with a narrowed scope, step up from read to write, and deny), then
the account page: revoke an application and delete the account, all by clicking. Screenshots
of the sign-in, consent and account pages go to $E2E_SCREENSHOTS (docs/img to refresh the
docs), else a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import PHONE, ClientCallback
from tests.e2e.oauth_flow import authorize_url, pkce_pair, register_public_client
from tests.e2e.sdk_client import bearer_status
from tests.e2e.stack import Stack
from tests.fake_intervals.data import DEMO_ATHLETES

SAM = DEMO_ATHLETES[2]
APP = "Training Coach App"
PLANNER = "Race Planner"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="en-GB")
    yield context.new_page()
    context.close()


def open_authorization(page: Page, stack: Stack, client_id: str, callback: str) -> tuple[str, str]:
    """Open the URL an OAuth client would open; returns (PKCE verifier, state)."""
    verifier, challenge = pkce_pair()
    url = authorize_url(
        stack.base,
        client_id,
        callback,
        challenge,
        scope="mcp.read mcp.write",
        resource=stack.mcp_url,
    )
    page.goto(url)
    return verifier, dict(httpx.URL(url).params)["state"]


def sign_in(page: Page, shots: Path) -> None:
    expect(page.get_by_role("heading", name="Connect your Intervals.icu account")).to_be_visible()
    page.screenshot(path=str(shots / "signin.png"), full_page=True)
    page.get_by_label("Athlete id").fill(SAM.id)
    page.get_by_label("API key").fill(SAM.api_key)
    page.get_by_role("button", name="Sign in").click()


def redeem(stack: Stack, client_id: str, callback: ClientCallback, verifier: str) -> dict[str, str]:
    response = httpx.post(
        f"{stack.base}/token",
        data={
            "grant_type": "authorization_code",
            "code": callback.last["code"],
            "redirect_uri": callback.url,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def approve(page: Page, stack: Stack, client_id: str, callback: ClientCallback) -> str:
    verifier, _ = open_authorization(page, stack, client_id, callback.url)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback.url}?*")
    return redeem(stack, client_id, callback, verifier)["access_token"]


def test_sign_in_and_consent_by_clicking(
    page: Page, stack: Stack, callback: ClientCallback, shots: Path
) -> None:
    client_id = register_public_client(stack.base, APP, callback.url)
    verifier, state = open_authorization(page, stack, client_id, callback.url)
    sign_in(page, shots)

    # consent: both scopes offered and ticked (write tools are served); the athlete unticks one
    expect(page.get_by_role("heading", name=f"Allow {APP}")).to_be_visible()
    read_box = page.get_by_role("checkbox", name="Read your Intervals.icu training data")
    write_box = page.get_by_role("checkbox", name="Change your Intervals.icu data")
    expect(read_box).to_be_checked()
    expect(write_box).to_be_checked()
    write_box.uncheck()
    page.screenshot(path=str(shots / "consent.png"), full_page=True)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback.url}?*")
    expect(page.get_by_text("Back at the client.")).to_be_visible()
    answer = callback.last
    assert answer["state"] == state and answer["iss"] == stack.base and answer["code"]
    tokens = redeem(stack, client_id, callback, verifier)
    assert tokens["scope"] == "mcp.read", "the unticked scope was not granted"
    assert bearer_status(stack.mcp_url, tokens["access_token"]) == 200

    # step-up: the client asks again for write access; the page says what is being added
    verifier, state = open_authorization(page, stack, client_id, callback.url)
    expect(page.locator("#step-up")).to_contain_text("can already read your data")
    expect(page.locator("#step-up")).to_contain_text("undo")
    expect(page.get_by_role("checkbox", name="Change your Intervals.icu data")).to_be_checked()
    page.screenshot(path=str(shots / "consent-step-up.png"), full_page=True)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback.url}?*")
    assert callback.last["state"] == state
    upgraded = redeem(stack, client_id, callback, verifier)
    assert upgraded["scope"] == "mcp.read mcp.write", "the step-up did not grant write access"

    # a second request, denied: the client learns access_denied, with state and iss
    _, state = open_authorization(page, stack, client_id, callback.url)
    expect(page.get_by_role("heading", name=f"Allow {APP}")).to_be_visible()  # still signed in
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{callback.url}?*")
    denied = callback.last
    assert denied["error"] == "access_denied" and "code" not in denied
    assert denied["state"] == state and denied["iss"] == stack.base


def test_account_page_revoke_and_delete_by_clicking(
    page: Page, stack: Stack, callback: ClientCallback, shots: Path
) -> None:
    client_id = register_public_client(stack.base, PLANNER, callback.url)
    verifier, _ = open_authorization(page, stack, client_id, callback.url)
    sign_in(page, shots)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{callback.url}?*")
    token = redeem(stack, client_id, callback, verifier)["access_token"]
    assert bearer_status(stack.mcp_url, token) == 200

    page.goto(f"{stack.base}/account")
    expect(page.get_by_role("heading", name=SAM.name)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=PLANNER)
    expect(row).to_contain_text("Read your training data")
    page.screenshot(path=str(shots / "account.png"), full_page=True)
    row.get_by_role("button", name=f"Revoke {PLANNER}").click()
    expect(page.get_by_role("status")).to_contain_text("The application was disconnected")
    expect(page.get_by_role("row").filter(has_text=PLANNER)).to_have_count(0)
    assert bearer_status(stack.mcp_url, token) == 401

    token = approve(page, stack, client_id, callback)
    assert bearer_status(stack.mcp_url, token) == 200
    page.goto(f"{stack.base}/account")
    page.get_by_role("button", name="Delete account…").click()
    expect(page.get_by_role("heading", name="Delete your account?")).to_be_visible()
    page.get_by_role("button", name="Delete account").click()  # not ticked: the browser refuses
    expect(page.get_by_role("heading", name="Delete your account?")).to_be_visible()
    page.get_by_label("I want to delete my account").check()
    page.get_by_role("button", name="Delete account").click()
    expect(page.get_by_role("heading", name="Account deleted")).to_be_visible()
    assert bearer_status(stack.mcp_url, token) == 401
    page.goto(f"{stack.base}/account")
    expect(page.get_by_role("heading", name="Connect your Intervals.icu account")).to_be_visible()
