"""Every state-changing form of the account and club pages is refused the same two ways: a post
without the browser's CSRF token gets the 403 "form has expired" page (app/web/csrf.py,
double-submit cookie), and a signed-out browser with a good token is sent to sign in and back
to the page the form belongs to. Nothing is changed either way."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from app.accounts import club_routes, routes
from app.settings import Settings
from tests.accounts.harness import AROHA, gateway_settings, running_gateway

# form path (as posted) -> the page a signed-out browser is sent back to after signing in
FORMS_OF_A_SIGNED_IN_ATHLETE = {
    "/account/changes/b1/undo": "/account",
    "/account/sharing": "/account",
    "/account/sharing/i100004/stop": "/account",
    "/account/credential": "/account",
    "/account/grants/1/revoke": "/account",
    "/account/disconnect-intervals": "/account/disconnect-intervals",
    "/account/delete": "/account/delete",
    "/club/invite": "/club",
}
ROUTE_OF = {
    "/account/changes/{batch_id}/undo": "/account/changes/b1/undo",
    "/account/sharing/{coach_id}/stop": "/account/sharing/i100004/stop",
    "/account/grants/{grant_id}/revoke": "/account/grants/1/revoke",
    "/club/{action}": "/club/invite",
}
OTHER_FORMS = {"/signin", "/signout"}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


@pytest.mark.parametrize("path", sorted(FORMS_OF_A_SIGNED_IN_ATHLETE))
async def test_a_signed_out_browser_is_sent_to_sign_in_and_back(
    settings: Settings, path: str
) -> None:
    async with running_gateway(settings) as gw:
        token = await gw.csrf("/signin")
        response = await gw.browser.post(path, data={"csrf_token": token, "confirm": "yes"})
    back = FORMS_OF_A_SIGNED_IN_ATHLETE[path]
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next={quote(back, safe='')}"


@pytest.mark.parametrize("path", sorted(FORMS_OF_A_SIGNED_IN_ATHLETE))
async def test_a_post_without_the_csrf_token_is_refused_before_anything_else(
    settings: Settings, path: str
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        await gw.browser.get("/account")
        for data in ({"confirm": "yes"}, {"confirm": "yes", "csrf_token": "y" * 43}):
            response = await gw.browser.post(path, data=data)
            assert response.status_code == 403 and "form has expired" in response.text
        assert (await gw.browser.get("/account")).status_code == 200  # still signed in


def test_the_lists_above_name_every_account_and_club_form() -> None:
    posted = {
        ROUTE_OF.get(route.path, route.path)
        for route in [*routes.router.routes, *club_routes.router.routes]
        if isinstance(route, APIRoute) and "POST" in route.methods
    }
    assert posted == set(FORMS_OF_A_SIGNED_IN_ATHLETE) | OTHER_FORMS
