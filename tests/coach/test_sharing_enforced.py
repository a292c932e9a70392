"""The athlete's choices on the account page, enforced on the coach's calls (issue 18): Sam
signs in, shares with coach Maria from /account while hiding location; Maria's assistant reads
Sam's profile without it; the call appears in Sam's access log under Maria's name; once Sam
stops sharing, Maria's next call is refused before touching Sam's data (so it is in nobody's
log: it read nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlalchemy import select

from app.db.engine import transaction
from app.db.models import AccessRecord
from app.services import services_of
from tests.coach.test_coach_access import COACH, MOMENT, SAM, fake, text_of
from tests.mcp.support import mcp_client, running_gateway

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def post_form(browser: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    page = await browser.get("/account" if path != "/signin" else "/signin")
    match = CSRF.search(page.text)
    assert match, page.text[:200]
    return await browser.post(path, data={**data, "csrf_token": match.group(1)})


async def test_what_sam_hides_and_stops_on_the_account_page_binds_the_coach(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH)
        async with httpx.AsyncClient(base_url=gw.url) as sam:
            signed_in = await post_form(
                sam, "/signin", {"athlete_id": "", "api_key": SAM.api_key, "next": "/account"}
            )
            assert signed_in.status_code == 303
            shared = await post_form(
                sam, "/account/sharing", {"coach_id": COACH.id, "hide_location": "on"}
            )
            assert shared.status_code == 200, shared.text
            async with mcp_client(gw.mcp_url, coach.token) as client:
                hidden = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
                stopped = await post_form(sam, f"/account/sharing/{COACH.id}/stop", {})
                assert "You no longer share" in stopped.text
                after = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
            log = (await sam.get("/account")).text
        async with transaction(services_of(gw.app).sessions) as db:
            logged = list(await db.scalars(select(AccessRecord)))
    assert not hidden.is_error, text_of(hidden)
    assert "Sam Rivera" in text_of(hidden) and "Oakland" not in text_of(hidden)
    assert after.is_error and "not on your roster" in text_of(after)
    assert f"<td>{COACH.name}</td><td>get_athlete_profile</td>" in log
    assert log.count("<td>get_athlete_profile</td>") == 1
    assert [(r.athlete_id, r.actor_id, r.outcome) for r in logged] == [
        (logged[0].athlete_id, coach.athlete_pk, "ok")
    ] and logged[0].athlete_id != coach.athlete_pk


async def test_a_roster_triage_is_in_the_log_of_each_athlete_it_read(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH)
        async with httpx.AsyncClient(base_url=gw.url) as sam:
            await post_form(
                sam, "/signin", {"athlete_id": "", "api_key": SAM.api_key, "next": "/account"}
            )
            await post_form(sam, "/account/sharing", {"coach_id": COACH.id})
            async with mcp_client(gw.mcp_url, coach.token) as client:
                triage = await client.call_tool("get_roster_triage", {})
            log = (await sam.get("/account")).text
        async with transaction(services_of(gw.app).sessions) as db:
            logged = list(await db.scalars(select(AccessRecord)))
    assert not triage.is_error, text_of(triage)
    assert f"<td>{COACH.name}</td><td>get_roster_triage</td>" in log
    assert "<td>wellness,fitness</td>" in log
    by_athlete = {r.athlete_id: (r.actor_id, r.tool) for r in logged}
    assert by_athlete[coach.athlete_pk] == (coach.athlete_pk, "get_roster_triage")
    assert len(by_athlete) == 2, "the coach's own log and Sam's (Lena has no account here)"


async def test_disconnecting_intervals_ends_the_coachs_access_at_once(
    tmp_path: Path, database_url: str
) -> None:
    """A coach's tools reach Sam's data with Sam's stored credential: when Sam disconnects
    Intervals.icu, the coach's next call is refused, naming why, before any request upstream."""
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH)
        async with httpx.AsyncClient(base_url=gw.url) as sam:
            await post_form(
                sam, "/signin", {"athlete_id": "", "api_key": SAM.api_key, "next": "/account"}
            )
            await post_form(sam, "/account/sharing", {"coach_id": COACH.id})
            async with mcp_client(gw.mcp_url, coach.token) as client:
                before = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
                page = await sam.get("/account/disconnect-intervals")
                match = CSRF.search(page.text)
                assert match
                done = await sam.post(
                    "/account/disconnect-intervals",
                    data={"csrf_token": match.group(1), "confirm": "yes"},
                )
                assert done.status_code == 200 and "Intervals.icu disconnected" in done.text
                upstream_before = len(gw.fake.requests)
                after = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
                assert len(gw.fake.requests) == upstream_before
    assert not before.is_error and "Sam Rivera" in text_of(before)
    assert after.is_error and "must sign in to the gateway again" in text_of(after)
