"""Error mapping and retry discipline: retries only where safe, ``Retry-After`` honoured,
bounded attempts and total time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from app.intervals import (
    AccessDenied,
    ApiKey,
    BearerToken,
    CredentialRejected,
    IntervalsClient,
    NotFound,
    RateLimited,
    RetryPolicy,
    Timeouts,
    UnexpectedPayload,
    UpstreamUnavailable,
    ValidationFailed,
)
from app.intervals.client import parse_retry_after
from tests.fake_intervals import FakeIntervals
from tests.intervals.conftest import AROHA, COACH, LENA, SAM, VirtualTime, make_client


async def test_wrong_key_is_credential_rejected(
    client: IntervalsClient, fake: FakeIntervals
) -> None:
    with pytest.raises(CredentialRejected) as err:
        await client.session(ApiKey("not-a-real-key")).get_athlete()
    assert err.value.status == 403
    assert "Reconnect" in str(err.value)
    assert len(fake.requests) == 1  # never retried


async def test_key_sent_as_bearer_is_rejected(client: IntervalsClient) -> None:
    token = BearerToken(LENA.api_key, scope="WELLNESS:READ,SETTINGS:READ")  # as stored
    with pytest.raises(CredentialRejected):
        await client.session(token).list_wellness()


async def test_other_athlete_is_access_denied_not_a_bad_key(client: IntervalsClient) -> None:
    session = client.session(ApiKey(SAM.api_key), LENA.id, owner_id=SAM.id)
    with pytest.raises(AccessDenied) as err:
        await session.list_wellness()
    assert LENA.id in str(err.value) and "shared" in str(err.value)


async def test_own_athlete_403_with_owner_id_is_credential_rejected(
    client: IntervalsClient,
) -> None:
    session = client.session(ApiKey("revoked-key"), LENA.id, owner_id=LENA.id)
    with pytest.raises(CredentialRejected):
        await session.list_wellness()


async def test_coach_reads_shared_athletes_only(client: IntervalsClient) -> None:
    coach = ApiKey(COACH.api_key)
    assert (await client.session(coach, AROHA.id).get_athlete()).id == AROHA.id
    listed = await client.session(coach).list_athletes()
    assert {a.id for a in listed} == {COACH.id, AROHA.id, LENA.id}
    with pytest.raises(AccessDenied):
        await client.session(coach, SAM.id).get_athlete()


async def test_object_of_another_athlete_is_forbidden(
    client: IntervalsClient, fake: FakeIntervals
) -> None:
    sam_activity = next(iter(fake.athletes[SAM.id].activities))
    with pytest.raises(AccessDenied):
        await client.session(ApiKey(LENA.api_key)).get_activity(sam_activity)


async def test_not_found_and_validation_messages(client: IntervalsClient) -> None:
    lena = client.session(ApiKey(LENA.api_key))
    with pytest.raises(NotFound):
        await lena.get_activity("i1")
    with pytest.raises(NotFound):
        await lena.get_event(1)
    with pytest.raises(ValidationFailed) as err:
        await lena.create_workout({"folder_id": 999999, "name": "x"})
    assert err.value.status == 422 and err.value.upstream_message == "Folder not found"
    assert "Folder not found" in str(err.value)


async def test_malformed_json_is_unexpected_payload(
    client: IntervalsClient, fake: FakeIntervals
) -> None:
    fake.faults.malformed_json()
    with pytest.raises(UnexpectedPayload):
        await client.session(ApiKey(LENA.api_key)).get_athlete()


async def test_wrong_shape_is_unexpected_payload(
    client: IntervalsClient, fake: FakeIntervals
) -> None:
    fake.athletes[LENA.id].wellness["2026-04-30"]["id"] = "30/04/2026"
    with pytest.raises(UnexpectedPayload) as err:
        await client.session(ApiKey(LENA.api_key)).list_wellness("2026-04-29", "2026-04-30")
    assert "wellness" in str(err.value) and "id" in str(err.value)


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_get_retried_on_gateway_errors(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime, status: int
) -> None:
    fake.faults.fail(status, times=2)
    athlete = await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert athlete.id == LENA.id
    assert [r.status for r in fake.requests] == [status, status, 200]
    assert vt.sleeps == [0.375, 0.75]  # equal jitter at 0.5: base 0.5, then 1.0


async def test_put_and_delete_retried_on_503(client: IntervalsClient, fake: FakeIntervals) -> None:
    lena = client.session(ApiKey(LENA.api_key))
    fake.faults.fail(503, method="PUT")
    await lena.update_wellness("2026-04-30", {"weight": 70})
    note = next(e for e in fake.athletes[LENA.id].events.values() if e["category"] == "NOTE")
    fake.faults.fail(503, method="DELETE")
    await lena.delete_event(note["id"])
    assert [(r.method, r.status) for r in fake.requests] == [
        ("PUT", 503),
        ("PUT", 200),
        ("DELETE", 503),
        ("DELETE", 200),
    ]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_never_retried_after_5xx(
    client: IntervalsClient, fake: FakeIntervals, status: int
) -> None:
    fake.faults.fail(status)
    with pytest.raises(UpstreamUnavailable):
        await client.session(ApiKey(LENA.api_key)).create_event(
            {"category": "NOTE", "start_date_local": "2026-05-02", "name": "x"}
        )
    assert len(fake.requests) == 1
    assert not any(e["name"] == "x" for e in fake.athletes[LENA.id].events.values())


async def test_post_retried_on_429(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    fake.faults.rate_limit(retry_after=3)
    event = await client.session(ApiKey(LENA.api_key)).create_event(
        {"category": "NOTE", "start_date_local": "2026-05-02", "name": "once"}
    )
    assert event.name == "once"
    assert [r.status for r in fake.requests] == [429, 200]
    assert 3 in vt.sleeps
    assert sum(e["name"] == "once" for e in fake.athletes[LENA.id].events.values()) == 1


async def test_500_not_retried_even_for_get(client: IntervalsClient, fake: FakeIntervals) -> None:
    fake.faults.fail(500)
    with pytest.raises(UpstreamUnavailable):
        await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert len(fake.requests) == 1


async def test_retry_after_seconds_honoured(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    fake.faults.rate_limit(retry_after=7)
    await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert 7 in vt.sleeps
    assert [r.status for r in fake.requests] == [429, 200]


async def test_retry_after_http_date_honoured(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=6)
    fake.faults.rate_limit(retry_after=format_datetime(when, usegmt=True))
    await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert any(4 <= s <= 6 for s in vt.sleeps)


async def test_429_without_retry_after_uses_backoff(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    fake.faults.rate_limit(times=2)
    await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert vt.sleeps == [0.375, 0.75]


async def test_long_retry_after_surfaces_rate_limited(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    fake.faults.rate_limit(retry_after=120)
    with pytest.raises(RateLimited) as err:
        await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert err.value.retry_after == 120
    assert "try again in 120 s" in str(err.value)
    assert len(fake.requests) == 1 and vt.sleeps == []


async def test_attempts_are_bounded(
    client: IntervalsClient, fake: FakeIntervals, vt: VirtualTime
) -> None:
    fake.faults.fail(503, times=10)
    with pytest.raises(UpstreamUnavailable):
        await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert len(fake.requests) == 4
    assert len(vt.sleeps) == 3


async def test_total_retry_time_is_bounded(fake: FakeIntervals, vt: VirtualTime) -> None:
    client = make_client(fake, vt)
    client.retry = RetryPolicy(max_attempts=10, max_total_seconds=5, base_delay=2, max_delay=8)
    fake.faults.fail(503, times=10)
    with pytest.raises(UpstreamUnavailable):
        await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert sum(vt.sleeps) <= 5
    assert len(fake.requests) == 3  # waits 1.5 + 3.0, then 6.0 would exceed 5 s


async def test_timeouts_retried_for_get_not_for_post(fake: FakeIntervals, vt: VirtualTime) -> None:
    client = make_client(fake, vt, timeouts=Timeouts(connect=1, read=1, total=0.05))
    fake.faults.hang(times=1, seconds=5)
    assert (await client.session(ApiKey(LENA.api_key)).get_athlete()).id == LENA.id
    assert len(fake.requests) == 2
    fake.faults.hang(times=1, seconds=5)
    with pytest.raises(UpstreamUnavailable) as err:
        await client.session(ApiKey(LENA.api_key)).add_message(
            next(iter(fake.athletes[LENA.id].activities)), "hi"
        )
    assert "in time" in str(err.value)
    assert len(fake.requests) == 3


async def test_connection_error_is_upstream_unavailable(vt: VirtualTime) -> None:
    from tests.fake_intervals.server import free_port

    http = httpx.AsyncClient()
    client = IntervalsClient(
        f"http://127.0.0.1:{free_port()}/api/v1", http=http, clock=vt.clock, sleep=vt.sleep
    )
    with pytest.raises(UpstreamUnavailable) as err:
        await client.session(ApiKey(LENA.api_key)).get_athlete()
    assert "reach Intervals.icu" in str(err.value)
    assert len(vt.sleeps) == 3  # idempotent GET: retried up to the attempt limit
    await http.aclose()


def test_parse_retry_after() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("5", now) == 5
    assert parse_retry_after("Fri, 01 May 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_each_path_names_the_oauth_scope_area_it_needs() -> None:
    from app.intervals.client import scope_area

    assert scope_area("/athlete/i1") == "SETTINGS"
    assert scope_area("/athlete/i1/activities") == "ACTIVITY"
    assert scope_area("/athlete/i1/activities-around") == "ACTIVITY"
    assert scope_area("/athlete/i1/power-curves.json") == "ACTIVITY"
    assert scope_area("/activity/i55/streams.json") == "ACTIVITY"
    assert scope_area("/activity/i55/messages") == "CHATS"
    assert scope_area("/athlete/i1/wellness/2026-05-01") == "WELLNESS"
    assert scope_area("/athlete/i1/wellness-bulk") == "WELLNESS"
    assert scope_area("/athlete/i1/events/bulk") == "CALENDAR"
    assert scope_area("/athlete/i1/duplicate-events") == "CALENDAR"
    assert scope_area("/athlete/i1/workouts") == "LIBRARY"
    assert scope_area("/athlete/i1/sport-settings/Ride") == "SETTINGS"
    assert scope_area("/athletes") is None
    assert scope_area("/disconnect-app") is None


async def test_write_with_a_read_only_token_names_the_write_permission(
    client: IntervalsClient, fake: FakeIntervals
) -> None:
    from app.intervals.errors import MissingPermission

    scope = "WELLNESS:READ,SETTINGS:READ"
    token = BearerToken(fake.oauth.issue_token(LENA.id, scope=scope), scope=scope)
    with pytest.raises(MissingPermission, match="WELLNESS:WRITE permission"):
        await client.session(token).update_wellness("2026-05-01", {"weight": 60})
    assert len(fake.requests) == 0  # the stored scope answered; Intervals.icu was not asked
    session = client.session(BearerToken(fake.oauth.issue_token(LENA.id, scope=scope)))
    with pytest.raises(MissingPermission, match="WELLNESS:WRITE permission"):
        await session.update_wellness("2026-05-01", {"weight": 60})  # scope unknown: asked
    assert [r.path.rsplit("/", 2)[-2:] for r in fake.requests][-1] == ["athlete", "0"]
