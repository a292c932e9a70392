"""The fake follows the Intervals.icu contract (raw HTTP against the ASGI app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.intervals import ApiKey, BearerToken, CredentialRejected, IntervalsClient
from app.intervals.errors import MissingPermission
from tests.fake_intervals import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.fake_intervals.data import generate
from tests.intervals.conftest import AROHA, COACH, LENA, SAM, TODAY, VirtualTime, make_client

V1 = "http://fake/api/v1"


@pytest.fixture
async def http(fake: FakeIntervals) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as client:
        yield client


def key(athlete: object) -> tuple[str, str]:
    return ("API_KEY", athlete.api_key)  # type: ignore[attr-defined]


async def test_auth_errors_have_upstream_bodies(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/athlete/0")).status_code == 401
    assert (await http.get("/api/v1/athlete/0", auth=("API_KEY", ""))).status_code == 401
    wrong = await http.get("/api/v1/athlete/0", auth=("API_KEY", "nope"))
    assert (wrong.status_code, wrong.json()) == (403, {"status": 403, "error": "Access denied"})
    as_bearer = await http.get(
        "/api/v1/athlete/0", headers={"Authorization": f"Bearer {LENA.api_key}"}
    )
    assert as_bearer.status_code == 403
    other = await http.get(f"/api/v1/athlete/{SAM.id}", auth=key(LENA))
    assert other.json() == {"status": 403, "error": "Access denied"}
    missing = await http.get("/api/v1/athlete/0/fitness", auth=key(LENA))
    assert missing.status_code == 404 and missing.json()["path"] == "/api/v1/athlete/0/fitness"


async def test_athlete_zero_and_coach_sharing(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/athlete/0", auth=key(AROHA))).json()["id"] == AROHA.id
    coach = key(COACH)
    assert (await http.get(f"/api/v1/athlete/{LENA.id}", auth=coach)).status_code == 200
    assert (await http.get(f"/api/v1/athlete/{SAM.id}", auth=coach)).status_code == 403
    # the athlete does not gain access to the coach
    assert (await http.get(f"/api/v1/athlete/{COACH.id}", auth=key(LENA))).status_code == 403


@pytest.mark.parametrize("ext", ["", ".json", ".csv"])
async def test_ext_variants(http: httpx.AsyncClient, ext: str) -> None:
    response = await http.get(
        f"/api/v1/athlete/0/wellness{ext}", params={"oldest": "2026-04-28"}, auth=key(LENA)
    )
    assert response.status_code == 200
    if ext == ".csv":
        assert response.text.splitlines()[0].startswith("id,")
        assert "2026-04-28" in response.text
    else:
        assert response.json()[0]["id"] == "2026-04-28"


async def test_activity_query_semantics(http: httpx.AsyncClient, fake: FakeIntervals) -> None:
    url = "/api/v1/athlete/0/activities"
    assert (await http.get(url, auth=key(LENA))).status_code == 422  # oldest is required
    acts = (
        await http.get(url, params={"oldest": "2026-04-01", "newest": "2026-04-30"}, auth=key(LENA))
    ).json()
    days = [a["start_date_local"] for a in acts]
    assert days == sorted(days, reverse=True)
    assert days[0].startswith("2026-04-3") or days[0] <= "2026-04-30T23:59:59"
    assert all("2026-04-01" <= d[:10] <= "2026-04-30" for d in days)
    last_day = days[0][:10]
    inclusive = (
        await http.get(url, params={"oldest": last_day, "newest": last_day}, auth=key(LENA))
    ).json()
    assert inclusive and inclusive[0]["start_date_local"] == days[0]  # newest is inclusive
    limited = (
        await http.get(
            url,
            params={"oldest": "2026-04-01", "limit": 2, "fields": "id,name,description"},
            auth=key(LENA),
        )
    ).json()
    assert len(limited) == 2 and set(limited[0]) == {"id", "name"}  # nulls dropped


async def test_strava_stubs(http: httpx.AsyncClient, fake: FakeIntervals) -> None:
    acts = (
        await http.get(
            "/api/v1/athlete/0/activities", params={"oldest": "2026-01-01"}, auth=key(SAM)
        )
    ).json()
    stubs = [a for a in acts if a.get("source") == "STRAVA"]
    assert stubs and all("_note" in s and "name" not in s for s in stubs)
    client = make_client(fake, VirtualTime())
    activity = await client.session(ApiKey(SAM.api_key)).get_activity(stubs[0]["id"])
    assert activity.is_stub and activity.note and "not available" in activity.note


async def test_events_default_window_follows_local_midnight() -> None:
    # 2026-05-01 11:30 UTC is 23:30 in Auckland; 12:30 UTC is 00:30 on May 2nd there.
    clock = {"now": datetime(2026, 5, 1, 11, 30, tzinfo=UTC)}
    fake = FakeIntervals(seed=42, today=TODAY, now=lambda: clock["now"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app)) as http:

        async def window() -> tuple[str, str]:
            events = (await http.get(f"{V1}/athlete/0/events", auth=key(AROHA))).json()
            return min(e["start_date_local"] for e in events), max(
                e["start_date_local"] for e in events
            )

        first, last = await window()
        assert first >= "2026-05-01" and last < "2026-05-08"
        clock["now"] += timedelta(hours=1)
        first, last = await window()
        assert first >= "2026-05-02" and last < "2026-05-09"
        # Los Angeles is still on April 30th / May 1st morning
        la = (await http.get(f"{V1}/athlete/0/events", auth=key(SAM))).json()
        assert min(e["start_date_local"] for e in la) >= "2026-05-01"


async def test_partial_update_and_minus_one(http: httpx.AsyncClient, fake: FakeIntervals) -> None:
    before = fake.athletes[LENA.id].wellness["2026-04-30"].copy()
    response = await http.put(
        "/api/v1/athlete/0/wellness/2026-04-30",
        auth=key(LENA),
        json={"weight": 70.1, "restingHR": -1, "ctl": 1},
    )
    after = response.json()
    assert after["weight"] == 70.1 and after["restingHR"] is None
    assert after["ctl"] == before["ctl"]  # computed fields are read-only
    assert after["sleepSecs"] == before["sleepSecs"]  # untouched fields kept


async def test_bulk_upsert_by_external_id(fake: FakeIntervals, vt: VirtualTime) -> None:
    client = make_client(fake, vt)
    lena = client.session(ApiKey(LENA.api_key))
    plan = [
        {
            "category": "WORKOUT",
            "start_date_local": "2026-05-05",
            "type": "Run",
            "name": "Easy 40",
            "external_id": "plan-1",
        }
    ]
    first = await lena.create_events_bulk(plan, upsert=True)
    plan[0]["name"] = "Easy 45"
    second = await lena.create_events_bulk(plan, upsert=True)
    assert first[0].id == second[0].id and second[0].name == "Easy 45"
    dupes = await lena.create_events_bulk(plan)  # without upsert: a second event
    assert dupes[0].id != first[0].id
    assert await lena.delete_events_bulk(external_ids=["plan-1"]) == 2


async def test_data_is_deterministic_and_anchored() -> None:
    a = generate(1, TODAY)
    b = generate(1, TODAY)
    assert a[LENA.id].activities == b[LENA.id].activities
    assert generate(2, TODAY)[LENA.id].activities != a[LENA.id].activities
    later = generate(1, date(2027, 1, 10))[LENA.id]
    assert max(later.wellness) == "2027-01-10"
    assert max(x["start_date_local"] for x in later.activities.values()) < "2027-01-10"


async def test_timezones_in_activity_dates(fake: FakeIntervals) -> None:
    aroha = next(iter(fake.athletes[AROHA.id].activities.values()))
    local = datetime.fromisoformat(aroha["start_date_local"])
    utc = datetime.fromisoformat(aroha["start_date"].replace("Z", ""))
    assert 12 <= (local - utc).total_seconds() / 3600 <= 13  # Pacific/Auckland
    sam = next(a for a in fake.athletes[SAM.id].activities.values() if "start_date" in a)
    offset = datetime.fromisoformat(sam["start_date_local"]) - datetime.fromisoformat(
        sam["start_date"].replace("Z", "")
    )
    assert -8 <= offset.total_seconds() / 3600 <= -7


async def test_fake_oauth_flow(http: httpx.AsyncClient, fake: FakeIntervals) -> None:
    client_id, secret = DEFAULT_OAUTH_CLIENT
    authorize = await http.get(
        "/oauth/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": "http://localhost/cb",
            "state": "s1",
            "scope": "ACTIVITY:READ,WELLNESS:WRITE",
            "athlete": AROHA.id,
        },
    )
    assert authorize.status_code == 302
    query = parse_qs(urlsplit(authorize.headers["location"]).query)
    assert query["state"] == ["s1"]
    bad = await http.post(
        "/api/oauth/token",
        data={"client_id": client_id, "client_secret": "wrong", "code": query["code"][0]},
    )
    assert bad.status_code == 404
    token = (
        await http.post(
            "/api/oauth/token",
            data={"client_id": client_id, "client_secret": secret, "code": query["code"][0]},
        )
    ).json()
    assert token["athlete"] == {"id": AROHA.id, "name": AROHA.name}
    assert "refresh_token" not in token and token["token_type"] == "Bearer"
    vt = VirtualTime()
    gateway: IntervalsClient = make_client(fake, vt)
    session = gateway.session(BearerToken(token["access_token"]))
    assert (await session.list_wellness())[0].id <= TODAY
    assert fake.requests.last.auth == "bearer" and fake.requests.last.athlete == AROHA.id
    with pytest.raises(MissingPermission, match="CALENDAR permission"):  # not granted
        await session.list_events()
    assert fake.requests.last.status == 403
    await session.disconnect_app()
    with pytest.raises(CredentialRejected):
        await session.list_wellness()


async def test_oauth_code_expires_after_two_minutes(http: httpx.AsyncClient) -> None:
    clock = {"now": datetime(2026, 5, 1, 12, tzinfo=UTC)}
    fake = FakeIntervals(seed=1, today=TODAY, now=lambda: clock["now"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as h:
        location = (
            await h.get(
                "/oauth/authorize",
                params={
                    "client_id": DEFAULT_OAUTH_CLIENT[0],
                    "redirect_uri": "http://localhost/",
                    "scope": "ACTIVITY:READ",
                },
            )
        ).headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        clock["now"] += timedelta(minutes=2, seconds=1)
        late = await h.post(
            "/api/oauth/token",
            data={
                "client_id": DEFAULT_OAUTH_CLIENT[0],
                "client_secret": DEFAULT_OAUTH_CLIENT[1],
                "code": code,
            },
        )
        assert late.status_code == 400


async def test_library_writes_are_visible_to_later_reads(
    http: httpx.AsyncClient, fake: FakeIntervals
) -> None:
    created = await http.post(
        "/api/v1/athlete/0/folders", json={"name": "Hills", "type": "PLAN"}, auth=key(LENA)
    )
    assert created.status_code == 200
    folder = created.json()["id"]
    workout = next(iter(fake.athletes[LENA.id].workouts))
    moved = await http.put(
        f"/api/v1/athlete/0/workouts/{workout}",
        json={"folder_id": folder, "description": "- 10m 90%\n- 5m 50%"},
        auth=key(LENA),
    )
    assert moved.status_code == 200
    renamed = await http.put(
        f"/api/v1/athlete/0/folders/{folder}", json={"name": "Hill plan"}, auth=key(LENA)
    )
    assert renamed.status_code == 200
    listing = {
        f["id"]: f for f in (await http.get("/api/v1/athlete/0/folders", auth=key(LENA))).json()
    }
    assert listing[folder]["name"] == "Hill plan" and listing[folder]["type"] == "PLAN"
    assert [w["id"] for w in listing[folder]["children"]] == [workout]
    stored = (await http.get(f"/api/v1/athlete/0/workouts/{workout}", auth=key(LENA))).json()
    assert stored["moving_time"] == 900 and stored["workout_doc"]["duration"] == 900
    too_long = await http.put(
        f"/api/v1/athlete/0/workouts/{workout}", json={"name": "x" * 81}, auth=key(LENA)
    )
    missing = await http.put("/api/v1/athlete/0/folders/999999", json={"name": "x"}, auth=key(LENA))
    assert too_long.status_code == 422 and missing.status_code == 404
    gone = await http.delete(f"/api/v1/athlete/0/folders/{folder}", auth=key(LENA))
    assert gone.status_code == 200 and workout not in fake.athletes[LENA.id].workouts
    assert (
        await http.get(f"/api/v1/athlete/0/workouts/{workout}", auth=key(LENA))
    ).status_code == 404
