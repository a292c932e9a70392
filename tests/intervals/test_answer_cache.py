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
from pydantic_core import from_json

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


async def test_a_repeated_question_is_answered_without_asking_intervals_again() -> None:
    bench = cached_bench()
    first = await bench.call("get_wellness_data", {})
    assert not first.is_error, first.text
    asked = len(bench.fake.requests)
    bench.moment = NOON + timedelta(seconds=30)
    second = await bench.call("get_wellness_data", {})
    assert len(bench.fake.requests) == asked  # nothing went upstream
    assert second.structured == first.structured
    assert first.as_of == iso(NOON) and not first.cached  # live: the text says nothing
    assert "as of" not in first.text
    assert second.as_of == iso(NOON) and second.cached
    assert second.text.endswith(f"\nas of {iso(NOON)} (cached)")


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
    assert late.as_of == iso(NOON + timedelta(seconds=TTL + 1)) and not late.cached


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
    assert "61.3" in after.text and not after.cached


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
    assert later.structured == first.structured
    assert later.as_of == iso(NOON) and later.cached  # the oldest answer used
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


async def test_with_webhooks_reported_areas_live_longer_the_library_does_not() -> None:
    bench = cached_bench()
    assert bench.answers is not None
    bench.answers.webhook_ttl = 900.0
    await bench.call("get_wellness_data", {})
    await bench.call("get_workout_library", {})
    bench.moment = NOON + timedelta(seconds=TTL + 1)
    await bench.call("get_wellness_data", {})
    await bench.call("get_workout_library", {})
    assert upstream(bench, "/wellness") == 1  # a WELLNESS_UPDATED webhook would drop it
    assert upstream(bench, "/folders") == 2  # no webhook reports library changes
    bench.moment = NOON + timedelta(seconds=901)
    await bench.call("get_wellness_data", {})
    assert upstream(bench, "/wellness") == 2


def test_webhooks_count_as_on_only_with_the_webhook_secret(tmp_path: Any) -> None:
    from app.intervals.answer_cache import answer_cache_from_settings
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, answer_cache="memory")
    cache = answer_cache_from_settings(settings, now=lambda: NOON, redis=None, sealer=None)
    assert cache is not None and cache.webhook_ttl is None and cache.ttl == 60.0
    off = make_settings(tmp_path, answer_cache="off")
    assert answer_cache_from_settings(off, now=lambda: NOON, redis=None, sealer=None) is None


async def test_the_memory_store_stays_within_its_bound_oldest_out() -> None:
    store = MemoryStore(clock=lambda: 0.0, max_bytes=2_000)  # three entries of ~500 bytes
    for n in range(5):
        await store.put(f"k{n}", b"x" * 300, ttl=60)
    assert await store.get("k0") is None and await store.get("k1") is None
    assert all([await store.get(f"k{n}") == b"x" * 300 for n in (2, 3, 4)])
    await store.put("huge", b"x" * 2_000, ttl=60)  # larger than the whole store: not kept
    assert await store.get("huge") is None and await store.get("k4") is not None


class PlainSealer:
    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        return plaintext

    def open(self, sealed: bytes, bound_to: str) -> bytes | None:
        return sealed


async def test_a_redis_that_does_not_answer_sends_calls_upstream_and_fails_none() -> None:
    from redis.asyncio import Redis

    from app.intervals.answer_cache import RedisStore
    from app.redis_state import RedisState

    dead = RedisState(Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2), "gw-dead:")
    bench = cached_bench()
    bench.answers = AnswerCache(RedisStore(dead, PlainSealer()), now=lambda: bench.moment)
    try:
        first = await bench.call("get_wellness_data", {})
        second = await bench.call("get_wellness_data", {})
        await bench.answers.invalidate(AUCKLAND.id, [Area.WELLNESS])  # logged, not raised
    finally:
        await dead.aclose()
    assert not first.is_error and not second.is_error
    assert upstream(bench, "/wellness") == 2


async def test_every_area_at_once_forgets_the_long_lived_details_too() -> None:
    bench = cached_bench()
    ride = newest(bench.fake, AUCKLAND.id, "Ride", "VirtualRide")
    args = {"activity_id": ride["id"], "points": 10}
    await bench.call("get_activity_streams", args)
    assert bench.answers is not None
    await bench.answers.invalidate(AUCKLAND.id, [a for a in Area if a is not Area.LIBRARY])
    await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 1  # details hang on their activity only
    await bench.answers.invalidate(AUCKLAND.id, list(Area))  # e.g. access revoked
    await bench.call("get_activity_streams", args)
    assert upstream(bench, "/streams.json") == 2


def test_every_request_the_session_sends_maps_to_the_areas_it_reads_or_changes() -> None:
    """Registry-driven over tests/intervals/test_endpoints.py: a GET the cache cannot place is
    never cached (only these on purpose), and every write names what it changes, so none
    leaves a stale answer behind."""
    from app.intervals.answer_cache import areas_of, written_areas
    from tests.fake_intervals import FakeIntervals
    from tests.intervals.conftest import TODAY
    from tests.intervals.test_endpoints import CASES

    fake = FakeIntervals(today=TODAY)
    not_cached = set()
    for _name, _call, method, path, _query, _body in CASES:
        where = (path(fake) if callable(path) else path).removeprefix("/api/v1")
        if method == "GET":
            if areas_of(where) is None:
                not_cached.add(where.split("/")[-1] if "messages" in where else where)
        else:
            assert written_areas(where) is not None, f"{method} {where} invalidates nothing"
    assert not_cached == {"/athletes", "messages"}
    wellness = written_areas("/athlete/i1/wellness/2026-07-01")
    assert wellness is not None and {Area.WELLNESS, Area.FITNESS} <= set(wellness.areas)
    activity = written_areas("/activity/i55")
    assert activity is not None and activity.activity_id == "i55"
    assert Area.FITNESS in activity.areas


def test_a_redis_cache_without_the_redis_shared_state_is_refused_at_startup(
    tmp_path: Any,
) -> None:
    from pydantic import ValidationError

    from tests.conftest import make_settings

    with pytest.raises(ValidationError, match="GATEWAY_ANSWER_CACHE=redis needs"):
        make_settings(tmp_path, answer_cache="redis")


def test_several_workers_without_redis_turn_auto_off(tmp_path: Any) -> None:
    """A write or webhook reaches one worker only: per-process caches in the others would
    serve what it invalidated (app/cli.py ``serve --workers``)."""
    from app.intervals.answer_cache import answer_cache_worker_env
    from tests.conftest import make_settings

    auto = make_settings(tmp_path, answer_cache="auto")
    assert answer_cache_worker_env(auto, 1) == {}
    assert answer_cache_worker_env(auto, 4) == {"GATEWAY_ANSWER_CACHE": "off"}
    shared = make_settings(
        tmp_path, answer_cache="auto", shared_state_backend="redis", redis_url="redis://r:6379/0"
    )
    assert answer_cache_worker_env(shared, 4) == {}  # one cache in Redis for all of them
    chosen = make_settings(tmp_path, answer_cache="memory")
    assert answer_cache_worker_env(chosen, 4) == {}  # asked for explicitly: kept


async def test_lookups_are_counted_for_the_metrics_page() -> None:
    from app.observe import current_observer
    from app.web.metrics import PrometheusObserver

    metrics = PrometheusObserver()
    token = current_observer.set(metrics)
    try:
        bench = cached_bench()
        await bench.call("get_wellness_data", {})
        await bench.call("get_wellness_data", {})
    finally:
        current_observer.reset(token)

    def count(result: str) -> float | None:
        name = "gateway_answer_cache_lookups_total"
        return metrics.registry.get_sample_value(name, {"result": result})

    assert (count("miss"), count("hit")) == (1.0, 1.0)


async def test_pace_units_read_from_the_cached_profile_follow_a_settings_change() -> None:
    """Every get_activities with a run reads the athlete's pace units from the one cached
    profile (decoded and validated once, then reused); a sport-settings change invalidated
    through the Invalidator (webhook or write) shows in the very next answer."""
    bench = cached_bench(BERLIN)
    athlete = bench.fake.athletes[BERLIN.id]
    assert any(s["types"][0] == "Run" for s in athlete.sport_settings)
    window = {"start_date": "2026-06-01", "end_date": "2026-07-28"}
    answers = [await bench.call("get_activities", {**window, "limit": n}) for n in (30, 29, 28)]
    assert all(" /km" in answer.text for answer in answers), answers[0].text
    assert upstream(bench, "/activities") == 3  # three different questions
    profile = f"/athlete/{BERLIN.id}"
    assert len([r for r in bench.fake.requests if r.path.endswith(profile)]) == 1
    for settings in athlete.sport_settings:
        if settings["types"][0] == "Run":
            settings["pace_units"] = "MINS_MILE"
    assert bench.answers is not None
    await bench.answers.invalidate(BERLIN.id, [Area.SETTINGS])
    changed = await bench.call("get_activities", {**window, "limit": 30})
    assert " /mi" in changed.text and " /km" not in changed.text, changed.text


async def test_requests_whose_parameters_differ_never_share_an_entry() -> None:
    """Entry keys are remembered per request: parameters equal as Python values but sent
    differently (``limit=1`` / ``limit=true``), or a list, still get their own entries, and an
    unset parameter is the same request as one left out."""
    cache = AnswerCache(MemoryStore(clock=lambda: NOON.timestamp()), now=lambda: NOON)
    path = "/athlete/i1/activities"
    asks: list[dict[str, Any]] = [
        {"oldest": "2026-07-01"},
        {"oldest": "2026-07-02"},
        {"oldest": "2026-07-01", "limit": 1},
        {"oldest": "2026-07-01", "limit": True},
        {"oldest": "2026-07-01", "limit": "2"},
        {"oldest": "2026-07-01", "fields": ["id", "name"]},
        {"oldest": "2026-07-01", "fields": ["id", 3]},
        {"oldest": "2026-07-01", "fields": ["id", "3"], "limit": 3},
    ]
    for answer, params in enumerate(asks):
        hit, key, areas = await cache.lookup("i1", "reader", path, params)
        assert hit is None, params
        assert key is not None and areas is not None
        await cache.keep(key, areas, [answer], analyzed=False)
    for answer, params in enumerate(asks * 2):  # asked again (twice): each its own answer
        hit, _, _ = await cache.lookup("i1", "reader", path, params)
        assert hit is not None and hit.data == [answer % len(asks)], params
    hit, _, _ = await cache.lookup("i1", "reader", path, {"oldest": "2026-07-01", "newest": None})
    assert hit is not None and hit.data == [0]
    hit, _, _ = await cache.lookup("i1", "reader", path, {"oldest": "2026-07-01", "limit": "1"})
    assert hit is not None and hit.data == [2]  # limit=1 sent either way
    same_fields = {"oldest": "2026-07-01", "fields": ("id", "name")}  # sent as id,name too
    hit, _, _ = await cache.lookup("i1", "reader", path, same_fields)
    assert hit is not None and hit.data == [5]
    hit, _, _ = await cache.lookup("i1", "other reader", path, {"oldest": "2026-07-01"})
    assert hit is None


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": "i1", "distance": 1E4, "icu_ftp": 250}]',
        b'  {"name": "L\\u00e4ufer \xc3\xa4 \\"q\\"",'
        b' "v": [1.5e-07, -0.0, 123456789012345678901]}\n',
        b'{"a": {"b": [true, false, null, 0.1]}, "a2": 1.0000000000000002}',
        b"[]",
    ],
)
async def test_an_answer_kept_from_its_body_reads_back_as_the_json_decoded_from_it(
    body: bytes,
) -> None:
    """A miss stores the upstream text as it came (issue 20: not encoded again); a later hit
    gives the same values, and the same fetch time, as an entry encoded from the decoded
    answer."""
    clock = [NOON.timestamp()]
    answers = [
        AnswerCache(
            MemoryStore(clock=lambda: clock[0]), ttl=TTL, analyzed_ttl=TTL, now=lambda: NOON
        )
        for _ in range(2)
    ]
    data = from_json(body)
    found = []
    for kept_body, cache in zip((body, None), answers, strict=True):
        miss, key, areas = await cache.lookup("i9", "reader", "/athlete/i9/activities", {})
        assert miss is None and key is not None and areas is not None
        await cache.keep(key, areas, data, analyzed=False, body=kept_body)
        hit, _, _ = await cache.lookup("i9", "reader", "/athlete/i9/activities", {})
        assert hit is not None
        found.append(hit)
    assert found[0].data == data == found[1].data
    assert found[0].fetched_at == NOON == found[1].fetched_at
