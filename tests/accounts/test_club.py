"""The club (issue 18): the operator makes a club admin (CLI); the admin's /club page lists
members with their coaches and usage, hands out invitations (single-use or several uses,
expiring, pre-approved or held for approval) that admit their holder under the allowlist
policy, approves requests, assigns coaches and removes members. Forms need the CSRF token and
an admin; nobody else sees the page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.accounts.club import make_club_admin
from app.accounts.policy import allowlist_add, is_allowlisted
from app.cli import build_parser
from app.db.engine import transaction
from app.db.models import AccessRecord, Athlete, ClubInvitation, CoachShare, OAuthClient
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import (
    AROHA,
    COACH_KEY,
    CSRF_INPUT,
    LENA,
    Gateway,
    gateway_settings,
    running_gateway,
)

COACH = "i100004"
LINK = re.compile(r'id="new_link" readonly value="[^"]*?(/join/gwi_[A-Za-z0-9_-]+)"')


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, access_policy="allowlist")


def cli(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    code: int = args.handler(settings, args)
    return code


async def csrf_of(browser: httpx.AsyncClient, path: str) -> str:
    match = CSRF_INPUT.search((await browser.get(path)).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def sign_in(browser: httpx.AsyncClient, api_key: str) -> httpx.Response:
    token = await csrf_of(browser, "/signin")
    form = {"athlete_id": "", "api_key": api_key, "next": "/account", "csrf_token": token}
    return await browser.post("/signin", data=form)


async def club_post(gw: Gateway, action: str, data: dict[str, str]) -> httpx.Response:
    token = await csrf_of(gw.browser, "/club")
    return await gw.browser.post(f"/club/{action}", data={**data, "csrf_token": token})


async def admin_signed_in(gw: Gateway, settings: Settings) -> None:
    """Aroha is on the allowlist, signs in, and is a club admin (what ``club admin add`` does,
    test_the_operator_makes_and_removes_club_admins)."""
    async with transaction(services_of(gw.app).sessions) as db:
        await allowlist_add(db, AROHA[0])
        await make_club_admin(db, AROHA[0])
    assert (await gw.sign_in("", AROHA[1])).status_code == 303


async def invitation_link(gw: Gateway, **form: str) -> str:
    made = await club_post(gw, "invite", form)
    assert made.status_code == 200 and "shown only once" in made.text
    match = LINK.search(made.text)
    assert match, made.text
    return match.group(1)


def test_the_operator_makes_and_removes_club_admins(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(settings, "club", "admin", "add", "i100001") == 0
    assert cli(settings, "club", "admin", "add", "not-an-id") == 1
    assert cli(settings, "club", "admin", "list") == 0
    assert "i100001" in capsys.readouterr().out
    assert cli(settings, "club", "admin", "remove", "i100001") == 0
    assert cli(settings, "club", "admin", "remove", "i100001") == 1


async def test_only_a_club_admin_sees_the_club_page(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        signed_out = await gw.browser.get("/club")
        assert signed_out.status_code == 303 and "/signin" in signed_out.headers["location"]
        async with transaction(services_of(gw.app).sessions) as db:
            await allowlist_add(db, AROHA[0])
        await gw.sign_in("", AROHA[1])
        refused = await gw.browser.get("/club")
        assert refused.status_code == 403 and "club&#39;s admins" in refused.text
        token = await csrf_of(gw.browser, "/account")
        posted = await gw.browser.post("/club/invite", data={"label": "x", "csrf_token": token})
        assert posted.status_code == 403
        async with transaction(services_of(gw.app).sessions) as db:
            assert list(await db.scalars(select(ClubInvitation))) == []


async def test_a_preapproved_single_use_invitation_admits_one_holder(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await admin_signed_in(gw, settings)
        link = await invitation_link(gw, label="Lena", days="7", uses="1", preapproved="on")
        async with transaction(services_of(gw.app).sessions) as db:
            [stored] = list(await db.scalars(select(ClubInvitation)))
            assert link.removeprefix("/join/") not in stored.token_hash  # only its hash

        async with gw.new_browser() as lena, gw.new_browser("198.51.100.10") as maria:
            refused = await sign_in(maria, COACH_KEY)  # no invitation: the allowlist refuses
            assert refused.status_code == 403 and "not on its list" in refused.text
            joined = await lena.get(link)
            assert joined.status_code == 303
            assert (await sign_in(lena, LENA[1])).status_code == 303
            assert (await lena.get("/account")).status_code == 200
            used_up = await maria.get(link)
            assert used_up.status_code == 404 and "cannot be used" in used_up.text
        async with transaction(services_of(gw.app).sessions) as db:
            assert await is_allowlisted(db, LENA[0])
            assert not await is_allowlisted(db, COACH)


async def test_an_invitation_needing_approval_waits_for_the_admin(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await admin_signed_in(gw, settings)
        link = await invitation_link(gw, label="squad", days="2", uses="5")
        async with gw.new_browser() as lena:
            await lena.get(link)
            waiting = await sign_in(lena, LENA[1])
            assert waiting.status_code == 403 and "waiting" in waiting.text
            page = (await gw.browser.get("/club")).text
            assert f"({LENA[0]}), asked" in page
            approved = await club_post(gw, "approve", {"target": LENA[0]})
            assert f"{LENA[0]} approved." in approved.text
            assert (await sign_in(lena, LENA[1])).status_code == 303


async def test_an_expired_or_withdrawn_invitation_admits_nobody(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await admin_signed_in(gw, settings)
        expiring = await invitation_link(gw, label="soon", days="1", uses="1", preapproved="on")
        withdrawn = await invitation_link(gw, label="oops", days="7", uses="1", preapproved="on")
        async with transaction(services_of(gw.app).sessions) as db:
            oops = await db.scalar(select(ClubInvitation.id).where(ClubInvitation.label == "oops"))
        await club_post(gw, "revoke", {"target": str(oops)})
        assert (await gw.browser.get(withdrawn)).status_code == 404
        async with gw.new_browser() as lena:
            assert (await lena.get(expiring)).status_code == 303
            gw.clock.advance(timedelta(days=1, seconds=1).total_seconds())
            late = await sign_in(lena, LENA[1])
            assert late.status_code == 403 and "not on its list" in late.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"days": "0"}, "valid for 1 to 90 days"),
        ({"days": "7", "uses": "many"}, "whole numbers"),
        ({"days": "7", "uses": "501"}, "admits 1 to 500 people"),
    ],
)
async def test_bad_invitation_forms_are_refused(
    settings: Settings, form: dict[str, str], message: str
) -> None:
    async with running_gateway(settings) as gw:
        await admin_signed_in(gw, settings)
        refused = await club_post(gw, "invite", form)
        assert refused.status_code == 400 and message in refused.text
        async with transaction(services_of(gw.app).sessions) as db:
            assert list(await db.scalars(select(ClubInvitation))) == []


async def test_members_usage_coach_assignment_and_removal(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await admin_signed_in(gw, settings)
        async with transaction(services_of(gw.app).sessions) as db:
            await allowlist_add(db, LENA[0])
        async with gw.new_browser() as lena:
            assert (await sign_in(lena, LENA[1])).status_code == 303
            async with transaction(services_of(gw.app).sessions) as db:
                lena_pk = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == LENA[0]))
                assert lena_pk is not None
                db.add(OAuthClient(client_id="gwd_claude1", origin="dynamic", name="Claude"))
                for minutes in (0, 5):
                    db.add(
                        AccessRecord(
                            athlete_id=lena_pk,
                            actor_id=lena_pk,
                            actor_name="you",
                            client_id="gwd_claude1",
                            tool="get_wellness_data",
                            categories="wellness",
                            mode="read",
                            outcome="ok",
                            at=gw.clock.now - timedelta(minutes=minutes),
                        )
                    )
            page = (await gw.browser.get("/club")).text
            assert f"({LENA[0]})" in page and "2 calls, last" in page and "Claude" in page
            assert f"({AROHA[0]}) · club admin" in page

            assigned = await club_post(gw, "assign", {"target": str(lena_pk), "coach_id": COACH})
            assert f"{COACH} now coaches" in assigned.text
            own = (await lena.get("/account")).text
            assert f"({COACH})" in own and "Stop sharing" in own  # she sees and controls it

            removed = await club_post(gw, "remove", {"target": LENA[0]})
            assert f"{LENA[0]} was removed from the club." in removed.text
            gone = await lena.get("/account")
            assert gone.status_code == 303  # her browser session ended
            again = await sign_in(lena, LENA[1])
            assert again.status_code == 403
        async with transaction(services_of(gw.app).sessions) as db:
            assert list(await db.scalars(select(CoachShare))) == []
            assert not await is_allowlisted(db, LENA[0])
