"""The athlete's sharing choices on the account page (issue 18): share with a coach, hide
categories from them through a day, change or stop it; what is stored is what the coach's
roster applies to every answer (app/coach); bad input is refused with nothing stored."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.coach.store import gateway_roster
from app.db.engine import transaction
from app.db.models import Athlete, CoachShare
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, Gateway, gateway_settings, running_gateway

COACH = "i100004"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


async def shares(gw: Gateway) -> list[CoachShare]:
    async with transaction(services_of(gw.app).sessions) as db:
        return list((await db.scalars(select(CoachShare))).all())


async def test_share_hide_through_a_day_change_and_stop(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        page = (await gw.browser.get("/account")).text
        assert "You do not share your data with any coach" in page

        saved = await gw.post_form(
            "/account/sharing",
            {"coach_id": "100004", "hide_weight": "on", "until": "2026-12-31"},
        )
        assert saved.status_code == 200 and f"Your sharing with {COACH} is saved." in saved.text
        assert 'name="hide_weight" checked' in saved.text and 'value="2026-12-31"' in saved.text
        async with transaction(services_of(gw.app).sessions) as db:
            zone = await db.scalar(select(Athlete.timezone).where(Athlete.intervals_id == AROHA[0]))
            roster = await gateway_roster(db, COACH)
        [entry] = roster
        assert entry.intervals_id == AROHA[0]
        end = datetime(2027, 1, 1, tzinfo=ZoneInfo(zone or "UTC"))
        assert entry.policy.hidden == {"weight"} and entry.policy.until == end
        wellness = {"id": "2026-12-01", "weight": 71.5, "restingHR": 48}
        before_end = datetime(2026, 12, 31, 9, tzinfo=ZoneInfo(zone or "UTC"))
        assert entry.policy.filter(wellness, before_end) == {**wellness, "weight": None}
        assert entry.policy.filter(wellness, end) == wellness  # the day has passed

        changed = await gw.post_form(
            "/account/sharing", {"coach_id": COACH, "hide_location": "on", "until": ""}
        )
        assert changed.status_code == 200
        [share] = await shares(gw)
        assert share.hidden == ["location"] and share.hidden_until is None
        assert "Hidden now: location." in changed.text

        stopped = await gw.post_form(f"/account/sharing/{COACH}/stop")
        assert f"You no longer share with {COACH}." in stopped.text
        assert await shares(gw) == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"coach_id": "coach maria"}, "Enter the coach&#39;s Intervals.icu athlete id"),
        ({"coach_id": AROHA[0]}, "That is your own athlete id"),
        ({"coach_id": COACH, "hide_weight": "on", "until": "31/12/2026"}, "must look like"),
        ({"coach_id": COACH, "until": "2026-12-31"}, "Choose what to hide"),
    ],
)
async def test_bad_sharing_forms_are_refused_and_nothing_is_stored(
    settings: Settings, form: dict[str, str], message: str
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        refused = await gw.post_form("/account/sharing", form)
        assert refused.status_code == 400 and message in refused.text
        assert await shares(gw) == []


async def test_sharing_needs_the_form_token_and_a_session(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        forged = await gw.browser.post("/account/sharing", data={"coach_id": COACH})
        assert forged.status_code == 403
        gw.browser.cookies.clear()
        token = await gw.csrf("/signin")
        anonymous = await gw.browser.post(
            "/account/sharing", data={"coach_id": COACH, "csrf_token": token}
        )
        assert anonymous.status_code in (302, 303) and "/signin" in anonymous.headers["location"]
        assert await shares(gw) == []
