"""The access log on the account page (issue 18): the athlete sees every tool call on their
data, newest first, can narrow it (tool, read or write, outcome) and download it as CSV; nobody
else's calls appear; entries older than GATEWAY_ACCESS_LOG_RETENTION_DAYS are purged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.access_log import record_access
from app.db.engine import transaction
from app.db.models import AccessRecord, Athlete, OAuthClient
from app.oauth.purge import purge_once
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, LENA, Gateway, gateway_settings, running_gateway

MORNING = datetime(2026, 11, 29, 7, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, access_log_retention_days=30)


async def athlete_pk(gw: Gateway, intervals_id: str) -> int:
    async with transaction(services_of(gw.app).sessions) as db:
        pk = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == intervals_id))
    assert pk is not None
    return pk


async def calls_were_made(gw: Gateway, pk: int, other_pk: int) -> None:
    """What three tool calls by Claude on Aroha's data (and one on Lena's) leave behind."""
    async with transaction(services_of(gw.app).sessions) as db:
        db.add(OAuthClient(client_id="gwd_claude1", origin="dynamic", name="Claude"))
        db.add(OAuthClient(client_id="gwd_evil", origin="dynamic", name="=HYPERLINK(1)"))
        rows = [
            (pk, "gwd_claude1", "get_wellness_data", "wellness", "read", "ok", 0),
            (pk, "gwd_claude1", "set_wellness", "wellness", "write", "ok", 1),
            (pk, "gwd_evil", "get_activity_details", "activities", "read", "refused", 2),
            (other_pk, "gwd_claude1", "get_gear", "profile", "read", "ok", 3),
        ]
        for owner, client, tool, categories, mode, outcome, minutes in rows:
            db.add(
                AccessRecord(
                    athlete_id=owner,
                    actor_id=owner,
                    actor_name="you",
                    client_id=client,
                    tool=tool,
                    categories=categories,
                    mode=mode,
                    outcome=outcome,
                    at=MORNING + timedelta(minutes=minutes),
                )
            )


async def test_the_athlete_sees_filters_and_exports_their_access_log(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in(LENA[0], LENA[1])
        lena = await athlete_pk(gw, LENA[0])
        gw.browser.cookies.clear()
        await gw.sign_in("", AROHA[1])
        aroha = await athlete_pk(gw, AROHA[0])
        await calls_were_made(gw, aroha, lena)

        page = (await gw.browser.get("/account")).text
        assert "Access log" in page and "get_gear" not in page
        order = [page.index(t) for t in ("get_activity_details", "set_wellness", "get_wellness")]
        assert order == sorted(order)  # newest first

        writes = (await gw.browser.get("/account", params={"mode": "write"})).text
        assert "set_wellness" in writes and "get_wellness_data" not in writes
        refused = (await gw.browser.get("/account", params={"outcome": "refused"})).text
        assert "get_activity_details" in refused and "set_wellness" not in refused
        nothing = (await gw.browser.get("/account", params={"tool": "get_gear"})).text
        assert "No calls match this filter." in nothing

        export = await gw.browser.get("/account/access.csv")
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        table = list(csv.DictReader(io.StringIO(export.text)))
        assert [r["tool"] for r in table] == [
            "get_activity_details",
            "set_wellness",
            "get_wellness_data",
        ]
        assert table[1] == {
            "time_utc": "2026-11-29T07:01:00+00:00",
            "client": "Claude",
            "by": "you",
            "tool": "set_wellness",
            "categories": "wellness",
            "mode": "write",
            "outcome": "ok",
        }
        assert table[0]["client"] == "'=HYPERLINK(1)"  # never a spreadsheet formula
        only_reads = await gw.browser.get("/account/access.csv", params={"mode": "read"})
        assert "set_wellness" not in only_reads.text

        gw.browser.cookies.clear()
        signed_out = await gw.browser.get("/account/access.csv")
        assert signed_out.status_code in (302, 303) and "get_wellness" not in signed_out.text


async def test_entries_past_the_retention_are_purged(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        aroha = await athlete_pk(gw, AROHA[0])
        await calls_were_made(gw, aroha, aroha)
        sessions = services_of(gw.app).sessions
        await purge_once(
            sessions, settings, now=MORNING + timedelta(days=30, minutes=1, seconds=30)
        )
        async with transaction(sessions) as db:
            left = await db.scalars(select(AccessRecord.tool).order_by(AccessRecord.at))
            assert list(left) == ["get_activity_details", "get_gear"]
            assert await db.scalar(select(func.count()).select_from(AccessRecord)) == 2


async def test_a_coachs_call_is_in_the_athletes_log_under_the_coachs_name(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in(LENA[0], LENA[1])
        coach = await athlete_pk(gw, LENA[0])
        gw.browser.cookies.clear()
        await gw.sign_in("", AROHA[1])
        aroha = await athlete_pk(gw, AROHA[0])
        async with transaction(services_of(gw.app).sessions) as db:
            await record_access(
                db,
                acting=AROHA[0],
                actor_pk=coach,
                client_id="gwd_coachapp",
                tool="get_wellness_data",
                categories=("wellness",),
                mode="read",
                outcome="ok",
            )
            await record_access(
                db,
                acting="i999999",  # nobody with an account here: no log to write to
                actor_pk=coach,
                client_id="gwd_coachapp",
                tool="get_gear",
                categories=("profile",),
                mode="read",
                outcome="ok",
            )
            rows = list(await db.scalars(select(AccessRecord)))
        assert [(r.athlete_id, r.actor_id, r.actor_name) for r in rows] == [(aroha, coach, LENA[2])]
        page = (await gw.browser.get("/account")).text
        assert f"<td>{LENA[2]}</td><td>get_wellness_data</td>" in page
