"""Roster triage over a 50-athlete squad within the shared rate budget (on virtual time), and
the sharing policy applied by the platform to a coach's answers (a policy object, no page)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from app.coach.policy import EVERYTHING_SHARED, SharingPolicy
from app.coach.roster import Roster, RosterEntry
from app.intervals import RateBudget
from app.intervals.answer_cache import AnswerCache, MemoryStore
from app.intervals.client import IntervalsClient, RetryPolicy
from app.intervals.credentials import ApiKey
from app.intervals.session import AthleteSession
from app.mcp.server import build_server
from app.mcp.tools.context import AthleteContext
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.intervals.conftest import VirtualTime
from tests.mcp.tools.harness import TODAY

BY_ID = {a.id: a for a in DEMO_ATHLETES}
COACH, LENA = BY_ID["i100004"], BY_ID["i100002"]
MOMENT = datetime(2026, 7, 29, 12, tzinfo=UTC)
BASE = "http://intervals.test/api/v1"


@dataclass
class Squad:
    client: IntervalsClient
    roster: Roster

    async def members(self) -> Sequence[RosterEntry]:
        return self.roster.entries

    async def session(self, entry: RosterEntry) -> AthleteSession:
        return self.client.session(
            ApiKey(COACH.api_key), entry.intervals_id, owner_id=COACH.id, rate_key=COACH.id
        )


@dataclass
class CoachBench:
    """The coach's context (with the squad), or a roster athlete's under ``sharing``."""

    client: IntervalsClient
    roster: Roster
    acting_for: RosterEntry | None = None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AthleteContext]:
        entry = self.acting_for
        athlete = COACH.id if entry is None else entry.intervals_id
        yield AthleteContext(
            self.client.session(ApiKey(COACH.api_key), athlete, owner_id=COACH.id),
            athlete,
            ZoneInfo(COACH.timezone if entry is None else entry.timezone),
            lambda: MOMENT,
            about=None if entry is None else entry.label,
            sharing=EVERYTHING_SHARED if entry is None else entry.policy,
            squad=Squad(self.client, self.roster) if entry is None else None,
        )


def squad_of(fake: FakeIntervals, size: int) -> Roster:
    added = fake.add_squad(COACH.id, size - len(COACH.coached))
    ids = [*COACH.coached, *added]
    return Roster(
        COACH.id,
        tuple(RosterEntry(i, fake.demo[i].name, timezone=fake.demo[i].timezone) for i in ids),
    )


def client_on(fake: FakeIntervals, budget: RateBudget, vt: VirtualTime) -> IntervalsClient:
    """A client with the gateway's per-athlete answer cache (in memory, at :data:`MOMENT`)."""
    client = IntervalsClient(
        BASE,
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)),
        budget=budget,
        retry=RetryPolicy(max_attempts=2),
        clock=vt.clock,
        sleep=vt.sleep,
    )
    client.answers = AnswerCache(
        MemoryStore(clock=MOMENT.timestamp), ttl=60.0, analyzed_ttl=86_400.0, now=lambda: MOMENT
    )
    return client


async def call(bench: CoachBench, name: str, arguments: dict[str, Any]) -> Any:
    async def roster() -> Roster:
        return bench.roster

    server = build_server(bench, roster=roster)
    return await server.call_tool(name, arguments)


async def test_a_50_athlete_squad_is_triaged_within_the_shared_budget() -> None:
    vt = VirtualTime()
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    roster = squad_of(fake, 50)
    budget = RateBudget(
        10, 30, per_athlete_concurrency=4, max_wait=5, clock=vt.clock, sleep=vt.sleep
    )
    bench = CoachBench(client_on(fake, budget, vt), roster)
    start = vt.now
    first = await call(bench, "get_roster_triage", {"page_size": 20})
    asked = len(fake.requests)
    second = await call(bench, "get_roster_triage", {"page": 3, "page_size": 20})
    assert not first.is_error, first.content[0].text
    page = first.structured_content
    assert page["athletes"] == 50 and page["pages"] == 3 and len(page["rows"]) == 20
    scores = [row["score"] for row in page["rows"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert all(not row.get("unreadable") for row in page["rows"])
    assert asked == 2 * 50, "two upstream reads per athlete"
    assert budget.usage[COACH.id].refused == 0, "no request waited past the budget's max wait"
    assert vt.now - start < 25, "within one tool call's time limit"
    assert not second.is_error and len(second.structured_content["rows"]) == 10
    assert len(fake.requests) == asked, "paging: the answer cache holds every athlete's reads"
    assert first.content[0].text.startswith("Roster triage: 50 athletes, page 1 of 3")


async def test_what_an_athlete_hides_from_the_coach_is_removed_from_the_answer() -> None:
    vt = VirtualTime()
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    budget = RateBudget(1000, 1000, clock=vt.clock, sleep=vt.sleep)
    lena = RosterEntry(LENA.id, LENA.name, timezone=LENA.timezone)
    roster = Roster(COACH.id, (lena,))
    hidden = RosterEntry(
        LENA.id, LENA.name, timezone=LENA.timezone, policy=SharingPolicy.hiding(["location"])
    )
    shared = await call(
        CoachBench(client_on(fake, budget, vt), roster, lena), "get_athlete_profile", {}
    )
    filtered = await call(
        CoachBench(client_on(fake, budget, vt), roster, hidden), "get_athlete_profile", {}
    )
    assert "Freiburg" in shared.content[0].text
    assert "Freiburg" not in filtered.content[0].text
    assert "city" not in filtered.structured_content
    assert filtered.content[0].text.startswith("About Lena Vogel (i100002):")
    assert filtered.meta == {"athlete": "Lena Vogel (i100002)"}
