"""The per-athlete answer cache (app/intervals/answer_cache.py) through the tools, in process:
a repeated question costs no upstream request, the TTL fallback expires on the test's clock,
writes and the Invalidator drop what they change, an analyzed activity's details are kept
longer, a token without a scope never reads what another credential cached, and a cached
answer says how old it is (``as_of``). The full stack (two athletes, a coach, Redis) is in
tests/intervals/test_answer_cache_isolation.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.intervals.answer_cache import AnswerCache, MemoryStore
from app.intervals.credentials import ApiKey, BearerToken
from app.intervals.errors import MissingPermission
from app.intervals.freshness import Area
from tests.mcp.tools.activity_picks import newest
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench, fake_at

NOON = datetime(2026, 7, 29, 12, tzinfo=UTC)
TTL = 60.0


def cached_bench(athlete: Any = AUCKLAND) -> ToolBench:
    """A bench whose calls share one in-memory answer cache on the bench's clock."""
    bench = ToolBench(fake_at(NOON), athlete, NOON)
    bench.answers = AnswerCache(
        MemoryStore(clock=lambda: bench.moment.timestamp()),
        ttl=TTL,
        analyzed_ttl=86_400.0,
        now=lambda: bench.moment,
    )
    return bench


def upstream(bench: ToolBench, path: str) -> int:
    """GET requests that reached the fake Intervals.icu whose path contains ``path``."""
    return len(bench.fake.requests.matching("GET", path))


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def without_as_of(structured: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (structured or {}).items() if k != "as_of"}


async def test_a_repeated_question_is_answered_without_asking_intervals_again() -> None:
    bench = cached_bench()
    first = await bench.call("get_wellness_data", {})
    assert not first.is_error, first.text
    asked = len(bench.fake.requests)
    bench.moment = NOON + timedelta(seconds=30)
    second = await bench.call("get_wellness_data", {})
    assert len(bench.fake.requests) == asked  # nothing went upstream
    assert without_as_of(second.structured) == first.structured
    assert "as_of" not in (first.structured or {})  # live: nothing to say
    assert (second.structured or {})["as_of"] == iso(NOON)
    assert second.text.endswith(f"\nas of {iso(NOON)}")


async def test_without_a_cache_every_call_asks_intervals() -> None:
    bench = cached_bench()
    bench.answers = None
    await bench.call("get_wellness_data", {})
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2


async def test_the_fallback_ttl_expires_on_the_clock() -> None:
    bench = cached_bench()
    await bench.call("get_wellness_data", {})
    bench.moment = NOON + timedelta(seconds=TTL - 1)
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 1
    bench.moment = NOON + timedelta(seconds=TTL + 1)
    late = await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2
    assert "as_of" not in (late.structured or {})


async def test_a_write_through_the_gateway_drops_the_cached_area_at_once() -> None:
    bench = cached_bench()
    day = "2026-07-28"
    before = await bench.call("get_wellness_day", {"date": day})
    assert not before.is_error, before.text
    async with bench.open() as ctx:
        await ctx.api.update_wellness(day, {"weight": 61.3})
    bench.moment = NOON + timedelta(seconds=5)
    after = await bench.call("get_wellness_day", {"date": day})
    assert upstream(bench, f"/wellness/{day}") == 2
    assert "61.3" in after.text and "as_of" not in (after.structured or {})


async def test_the_invalidator_drops_only_the_named_athlete_and_areas() -> None:
    bench = cached_bench()
    await bench.call("get_wellness_data", {})
    await bench.call("get_events", {})
    assert bench.answers is not None
    await bench.answers.invalidate(BERLIN.id, [Area.WELLNESS])  # someone else
    await bench.answers.invalidate(AUCKLAND.id, [Area.CALENDAR])  # another area
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 1
    await bench.answers.invalidate(AUCKLAND.id, [Area.WELLNESS])
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2


async def test_an_analyzed_activitys_streams_are_kept_for_a_day_the_activity_briefly() -> None:
    bench = cached_bench()
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    assert ride.get("analyzed")
    args = {"activity_id": ride["id"], "points": 10}
    first = await bench.call("get_activity_streams", args)
    assert not first.is_error, first.text
    bench.moment = NOON + timedelta(hours=2)
    later = await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 1  # kept: analyzed data does not change
    assert upstream(bench, f"/activity/{ride['id']}") == 3  # the activity itself: short TTL
    assert without_as_of(later.structured) == first.structured
    assert (later.structured or {})["as_of"] == iso(NOON)  # the oldest answer used
    assert bench.answers is not None
    await bench.answers.invalidate(AUCKLAND.id, [Area.ACTIVITIES])  # e.g. another upload
    await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 1
    await bench.answers.invalidate(AUCKLAND.id, [Area.ACTIVITIES], activity_ids=[ride["id"]])
    await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 2


async def test_streams_of_an_activity_not_yet_analyzed_follow_the_short_ttl() -> None:
    bench = cached_bench()
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    bench.fake.athletes[AUCKLAND.id].activities[ride["id"]]["analyzed"] = None
    args = {"activity_id": ride["id"], "points": 10}
    await bench.call("get_activity_streams", args)
    bench.moment = NOON + timedelta(seconds=TTL + 1)
    await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 2


async def test_a_token_without_the_wellness_scope_never_reads_cached_wellness() -> None:
    bench = cached_bench()
    await bench.call("get_wellness_data", {})  # cached with the athlete's API key
    scope = "ACTIVITY:READ,SETTINGS:READ"
    bench.credential = BearerToken(bench.fake.oauth.issue_token(AUCKLAND.id, scope=scope), scope)
    async with bench.open() as ctx:
        with pytest.raises(MissingPermission):
            await ctx.api.list_wellness("2026-07-01", "2026-07-29")
    refused = await bench.call("get_wellness_data", {})
    assert refused.is_error and "WELLNESS" in refused.text
    assert upstream(bench, "/wellness") == 1


async def test_another_credential_of_the_same_athlete_has_its_own_entries() -> None:
    bench = cached_bench()
    await bench.call("get_wellness_data", {})
    scope = "WELLNESS:READ,SETTINGS:READ"
    bench.credential = BearerToken(bench.fake.oauth.issue_token(AUCKLAND.id, scope=scope), scope)
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2
    bench.credential = ApiKey(AUCKLAND.api_key)
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2  # the key's own entry is still there
