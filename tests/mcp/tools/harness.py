"""The fast tier for tool tests: the real MCP server object (argument validation, scope
filtering, error results) and the real Intervals.icu client, over the fake Intervals.icu app
through ``httpx.ASGITransport``: no uvicorn, no database, milliseconds per call.

The acting athlete's context is opened the way the gateway opens it (one per call, session
bound to the athlete's own key); the full HTTP stack (bearer tokens, transports, both protocol
eras) is covered by tests/mcp/test_transports.py and tests/mcp/test_auth.py.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from app.coach.roster import Roster, RosterEntry
from app.intervals.answer_cache import AnswerCache
from app.intervals.client import IntervalsClient, RetryPolicy
from app.intervals.credentials import ApiKey, Credential
from app.intervals.session import AthleteSession
from app.mcp.server import build_server
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.spec import ToolSpec
from app.training.guardrails import Limits
from app.writes.memory import MemoryJournal
from tests.fake_intervals import app as fake_app
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import (
    DEMO_ATHLETES,
    HISTORY_DAYS,
    AthleteData,
    DemoAthlete,
    Ids,
    generate,
)

FAKE_BASE = "http://intervals.test/api/v1"
TODAY = date(2026, 7, 29)
DEMO = {a.timezone: a for a in DEMO_ATHLETES}
AUCKLAND, BERLIN, LOS_ANGELES = (
    DEMO["Pacific/Auckland"],
    DEMO["Europe/Berlin"],
    DEMO["America/Los_Angeles"],
)


def local(tz: str, day: date, at: time) -> datetime:
    """An aware UTC moment for a local wall-clock time in ``tz``."""
    return datetime.combine(day, at, ZoneInfo(tz)).astimezone(UTC)


_GENERATED: dict[tuple[int, date, int], tuple[dict[str, AthleteData], dict[str, int]]] = {}


def generated_once(
    seed: int, today: date, ids: Ids, history_days: int = HISTORY_DAYS
) -> dict[str, AthleteData]:
    """The fake's deterministic data for (seed, today), generated once per test session and
    handed out as a deep copy (with the id counters where generation left them)."""
    if (seed, today, history_days) not in _GENERATED:
        fresh = Ids()
        _GENERATED[(seed, today, history_days)] = (
            generate(seed, today, fresh, history_days),
            dict(vars(fresh)),
        )
    athletes, counters = _GENERATED[(seed, today, history_days)]
    vars(ids).update(counters)
    return copy.deepcopy(athletes)


def fake_at(moment: datetime, today: date = TODAY) -> FakeIntervals:
    """The fake with its data anchored on ``today`` and its clock at ``moment``."""
    original = fake_app.generate
    fake_app.generate = generated_once  # type: ignore[assignment]
    try:
        return FakeIntervals(today=today, now=lambda: moment)
    finally:
        fake_app.generate = original


@dataclass
class Answer:
    """One tool result as a client receives it."""

    is_error: bool
    text: str
    structured: dict[str, Any] | None
    """``structuredContent`` without ``as_of`` (kept apart so answers compare exactly)."""
    as_of: str | None = None
    """``structuredContent.as_of``: when the oldest Intervals.icu data used was fetched."""

    @property
    def cached(self) -> bool:
        """Whether the text says the answer came from the answer cache."""
        return self.text.endswith(f"\nas of {self.as_of} (cached)")


def without_as_of(structured: dict[str, Any] | None) -> dict[str, Any] | None:
    """``structuredContent`` without the ``as_of`` every answer read from Intervals.icu
    carries (it names the call's time), for comparing answers exactly."""
    if structured is None:
        return None
    return {key: value for key, value in structured.items() if key != "as_of"}


def answer_of(is_error: bool, text: str, structured: dict[str, Any] | None) -> Answer:
    """A result as tests compare it: ``as_of`` split off the structured content."""
    as_of = None if structured is None else structured.get("as_of")
    return Answer(is_error, text, without_as_of(structured), as_of)


@dataclass
class ToolBench:
    """Calls tools as ``athlete`` against ``fake`` at ``moment``; ``scopes`` None = unscoped."""

    fake: FakeIntervals
    athlete: DemoAthlete
    moment: datetime = field(default_factory=lambda: datetime(2026, 7, 29, 12, tzinfo=UTC))
    specs: Sequence[ToolSpec] | None = None
    scopes: Collection[str] | None = None
    max_attempts: int = 4
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    grant_id: int = 1
    guardrails: Limits = field(default_factory=Limits)
    credential: Credential | None = None
    """The upstream credential (default: the athlete's API key)."""
    roster: Roster | None = None
    """A coach's roster (:func:`coach_bench`): coach tools listed, a squad in the context."""
    answers: AnswerCache | None = None
    """The answer cache the calls share (tests/intervals/test_answer_cache.py); None: off."""

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AthleteContext]:
        """The AthleteProvider: a context bound to the athlete's own key, as the gateway does."""
        transport = httpx.ASGITransport(app=self.fake.app)
        async with httpx.AsyncClient(transport=transport) as http:
            client = IntervalsClient(
                FAKE_BASE,
                http=http,
                retry=RetryPolicy(max_attempts=self.max_attempts),
                sleep=_no_wait,
            )
            client.answers = self.answers
            session = client.session(
                self.credential or ApiKey(self.athlete.api_key),
                self.athlete.id,
                owner_id=self.athlete.id,
            )
            yield AthleteContext(
                session,
                self.athlete.id,
                ZoneInfo(self.athlete.timezone),
                lambda: self.moment,
                self.journal.store_for(self.athlete.id, self.grant_id, "test-client"),
                self.guardrails,
                squad=None if self.roster is None else BenchSquad(client, self),
            )

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> Answer:
        token = _BENCH.set(self)
        try:
            result = await server_for(self.specs).call_tool(name, arguments or {})
        finally:
            _BENCH.reset(token)
        text = result.content[0].text if result.content else ""
        return answer_of(bool(result.is_error), text, result.structured_content)

    async def listed(self) -> list[dict[str, Any]]:
        token = _BENCH.set(self)
        try:
            tools = await server_for(self.specs).list_tools()
        finally:
            _BENCH.reset(token)
        return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


_BENCH: ContextVar[ToolBench] = ContextVar("tool_bench")


@dataclass
class BenchSquad:
    """A coach bench's roster, each athlete read with the coach's key."""

    client: IntervalsClient
    bench: ToolBench

    async def members(self) -> Sequence[RosterEntry]:
        return () if self.bench.roster is None else self.bench.roster.entries

    async def session(self, entry: RosterEntry) -> AthleteSession:
        key = ApiKey(self.bench.athlete.api_key)
        return self.client.session(key, entry.intervals_id, owner_id=self.bench.athlete.id)


def coach_bench(fake: FakeIntervals, moment: datetime) -> ToolBench:
    """A bench for the fake's coach (i100004) with the athletes who share with her upstream."""
    coach = fake.demo["i100004"]
    entries = tuple(
        RosterEntry(i, fake.demo[i].name, timezone=fake.demo[i].timezone)
        for i in sorted(fake.shares[coach.id])
    )
    return ToolBench(fake, coach, moment, roster=Roster(coach.id, entries))


async def _bench_roster() -> Roster | None:
    return _BENCH.get().roster


class _CurrentBench:
    """The provider of the shared servers: the bench of the call in progress."""

    def open(self) -> AbstractAsyncContextManager[AthleteContext]:
        return _BENCH.get().open()


_SERVERS: dict[tuple[str, ...] | None, Any] = {}


def server_for(specs: Sequence[ToolSpec] | None) -> Any:
    """One gateway MCP server per tool list for the whole session (building one costs ~0.1 s),
    serving whichever bench is calling."""
    key = None if specs is None else tuple(spec.name for spec in specs)
    if key not in _SERVERS:
        _SERVERS[key] = build_server(
            _CurrentBench(), specs, scopes=lambda: _BENCH.get().scopes, roster=_bench_roster
        )
    return _SERVERS[key]


async def _no_wait(seconds: float) -> None:
    """Retries without real waiting (the fast tier never sleeps)."""


def no_nulls(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


def add_activity(fake: FakeIntervals, athlete: str, activity_id: str, start_local: str) -> None:
    """A copy of one of the athlete's own (non-Strava) activities, at another local time."""
    import copy

    data = fake.athletes[athlete].activities
    template = next(a for a in data.values() if a.get("source") != "STRAVA")
    activity = copy.deepcopy(template)
    activity.update(id=activity_id, start_date_local=start_local, name=f"Late {activity_id}")
    data[activity_id] = activity
