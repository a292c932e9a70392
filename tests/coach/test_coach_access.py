"""Coach access over real HTTP (issue 18): the roster is checked on the server for every call,
the ``athlete`` argument and coach tools exist only for callers with a roster, answers say
which athlete they are about, and an athlete's hiding choices filter what the coach sees."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.coach.store import share_with_coach
from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete, JournalRecord
from app.mcp.tools.registry import served, takes_athlete
from app.services import services_of
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import mcp_client, running_gateway
from tests.mcp.test_tools import TODAY

BY_ID = {a.id: a for a in DEMO_ATHLETES}
COACH, LENA, AROHA, SAM, JORDAN = (
    BY_ID[i] for i in ("i100004", "i100002", "i100001", "i100003", "i100005")
)
MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)


def text_of(result: Any) -> str:
    return str(result.content[0].text)


def fake() -> FakeIntervals:
    return FakeIntervals(today=TODAY, now=lambda: MOMENT)


def outsider_requests(gw: Any, athlete: str) -> list[Any]:
    return [r for r in gw.fake.requests if athlete in r.path]


async def test_a_coach_acts_for_a_roster_athlete_and_the_answer_says_who(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH)
        async with mcp_client(gw.mcp_url, coach.token) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            lena = await client.call_tool("get_athlete_profile", {"athlete": "lena"})
            own = await client.call_tool("get_athlete_profile", {})
    assert "athlete" in tools["get_athlete_profile"].input_schema["properties"]
    assert not lena.is_error, text_of(lena)
    assert text_of(lena).startswith("About Lena Vogel (i100002):")
    assert "Lena" in text_of(lena) and "Maria" not in text_of(lena)
    assert not own.is_error and "About" not in text_of(own) and "Maria" in text_of(own)


async def test_every_tool_refuses_an_athlete_outside_the_roster_before_asking_upstream(
    tmp_path: Path, database_url: str
) -> None:
    """Registry-driven: every tool that acts for one athlete, with its own example."""
    specs = [s for s in served() if takes_athlete(s)]
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH, scope="mcp.read mcp.write")
        async with mcp_client(gw.mcp_url, coach.token) as client:
            results = {
                spec.name: await client.call_tool(
                    spec.name, {**spec.example_arguments(gw.fake, LENA.id), "athlete": SAM.id}
                )
                for spec in specs
            }
    for name, result in results.items():
        assert result.is_error, name
        assert "not on your roster" in text_of(result), (name, text_of(result))
    assert outsider_requests(gw, SAM.id) == []


async def test_a_caller_without_a_roster_sees_no_athlete_argument_and_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        athlete = await gw.seed(AROHA)
        async with mcp_client(gw.mcp_url, athlete.token) as client:
            tools = (await client.list_tools()).tools
            refused = await client.call_tool("get_athlete_profile", {"athlete": COACH.id})
    assert all("athlete" not in t.input_schema.get("properties", {}) for t in tools)
    assert "get_roster_triage" not in {t.name for t in tools}
    assert refused.is_error and "for coaches" in text_of(refused)
    assert outsider_requests(gw, COACH.id) == []


async def test_a_follower_who_is_not_a_coach_is_refused(tmp_path: Path, database_url: str) -> None:
    """Sam's key may read Jordan upstream (he follows him), but he does not coach."""
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        follower = await gw.seed(SAM)
        async with mcp_client(gw.mcp_url, follower.token) as client:
            tools = (await client.list_tools()).tools
            refused = await client.call_tool("get_wellness_data", {"athlete": JORDAN.id})
    assert all("athlete" not in t.input_schema.get("properties", {}) for t in tools)
    assert refused.is_error and "for coaches" in text_of(refused)
    assert outsider_requests(gw, f"/athlete/{JORDAN.id}/") == []


async def test_an_athlete_who_shares_here_is_read_with_their_own_key_minus_what_they_hide(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH)
        sam = await gw.seed(SAM, client_id="sams-client")
        async with mcp_client(gw.mcp_url, coach.token) as client:
            before = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
            engine = make_async_engine(gw.settings)
            try:
                async with transaction(make_sessionmaker(engine)) as db:
                    await share_with_coach(
                        db,
                        sam.athlete_pk,
                        COACH.id,
                        hidden=["location"],
                        cache=services_of(gw.app).rosters,
                    )
            finally:
                await engine.dispose()
            after = await client.call_tool("get_athlete_profile", {"athlete": "Sam"})
    assert before.is_error and "not on your roster" in text_of(before)
    assert not after.is_error, text_of(after)
    assert "Sam Rivera" in text_of(after) and "Oakland" not in text_of(after)
    assert "city" not in (after.structured_content or {})
    reads = [r for r in gw.fake.requests if r.path.endswith(f"/athlete/{SAM.id}")]
    assert reads and all(r.athlete == SAM.id for r in reads), "read with Sam's own key"


async def test_a_coach_write_is_journaled_for_the_athlete_naming_the_coach(
    tmp_path: Path, database_url: str
) -> None:
    day = "2026-08-03"
    plan = {"category": "WORKOUT", "date": day, "name": "Coach tempo", "type": "Ride"}
    with running_gateway(tmp_path, database_url, fake=fake()) as gw:
        gw.pin(MOMENT)
        coach = await gw.seed(COACH, scope="mcp.read mcp.write")
        async with mcp_client(gw.mcp_url, coach.token) as client:
            preview = await client.call_tool("create_event", {**plan, "athlete": "Lena"})
            assert not preview.is_error, text_of(preview)
            handle = (preview.structured_content or {})["confirm"]
            applied = await client.call_tool(
                "create_event", {**plan, "athlete": "Lena", "confirm": handle}
            )
            assert not applied.is_error, text_of(applied)
            changes = await client.call_tool("list_changes", {"athlete": "Lena"})
            own = await client.call_tool("list_changes", {})
        engine = make_async_engine(gw.settings)
        try:
            async with make_sessionmaker(engine)() as db:
                rows = (
                    await db.execute(
                        select(JournalRecord, Athlete.intervals_id).join(
                            Athlete, JournalRecord.athlete_id == Athlete.id
                        )
                    )
                ).all()
        finally:
            await engine.dispose()
    assert [(r.coach_intervals_id, who) for r, who in rows] == [(COACH.id, LENA.id)]
    assert "by coach Maria Santos (coach) (i100004)" in text_of(changes)
    assert "0 changes" in text_of(own)
    assert any(e.get("name") == "Coach tempo" for e in gw.fake.athletes[LENA.id].events.values())
