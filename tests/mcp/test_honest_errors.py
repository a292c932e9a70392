"""Honest error answers (issue 12 cases 3-5, security review L8): a 403 on one data area with a
working credential names the missing Intervals.icu permission and never disconnects the
athlete; a 403 from a revoked key is a credential problem whatever the path; someone else's
object is a sharing problem; a stalled Intervals.icu answers "slow, try again" within the
tool call's time limit; the gateway's own budget says it is the gateway's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.intervals.errors import GatewayBudgetExhausted, RateLimited
from app.intervals.ratelimit import RateBudget
from app.keyring import resolve_key_ring
from app.mcp.tools.errors import describe
from app.settings import Settings
from app.vault.store import KIND_OAUTH_TOKEN, save_credential
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import BERLIN, LOS_ANGELES, Gateway, gateway_settings, seed_caller
from tests.support.gateway import gateway_app
from tests.support.live import free_port, live_server

HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
PARTIAL_SCOPE = "ACTIVITY:READ,CALENDAR:READ,SETTINGS:READ"
COACH = next(a for a in DEMO_ATHLETES if a.coached)
LENA = COACH.coached[1]


@contextmanager
def gateway(tmp_path: Path, database_url: str, **overrides: object) -> Iterator[Gateway]:
    port = free_port()
    settings = gateway_settings(tmp_path, database_url, port, **overrides)
    fake = FakeIntervals()
    app, _, _ = gateway_app(settings, fake)
    with live_server(app, port) as url:
        yield Gateway(url=url, settings=settings, fake=fake, app=app)


async def call(gw: Gateway, token: str, name: str, arguments: dict[str, Any]) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    async with httpx.AsyncClient(timeout=60) as http:
        return await http.post(
            gw.mcp_url, json=body, headers={**HEADERS, "Authorization": f"Bearer {token}"}
        )


def error_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result.get("isError") is True, result
    return str(result["content"][0]["text"])


async def timed_error_text(
    gw: Gateway, token: str, name: str, arguments: dict[str, Any]
) -> tuple[str, float]:
    """The tool's error text and the seconds the call took to answer it."""
    started = time.monotonic()
    text = error_text(await call(gw, token, name, arguments))
    return text, time.monotonic() - started


async def store_oauth_token(
    settings: Settings, athlete_pk: int, token: str, scope: str | None
) -> None:
    """Replace the athlete's credential with an Intervals.icu OAuth token (as the "Continue
    with Intervals.icu" sign-in stores it, with the granted scope when known)."""
    engine = make_async_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            await save_credential(
                db,
                resolve_key_ring(settings),
                athlete_pk,
                KIND_OAUTH_TOKEN,
                token,
                upstream_scope=scope,
            )
    finally:
        await engine.dispose()


async def test_token_without_wellness_names_the_permission_and_stays_connected(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        seeded = await seed_caller(gw.settings, BERLIN)
        upstream = gw.fake.oauth.issue_token(BERLIN.id, scope=PARTIAL_SCOPE)
        await store_oauth_token(gw.settings, seeded.athlete_pk, upstream, PARTIAL_SCOPE)
        text = error_text(await call(gw, seeded.token, "get_wellness_data", {}))
        assert "WELLNESS permission" in text
        assert not gw.fake.requests.matching(path="/wellness")  # known scope: not even asked
        after = await call(gw, seeded.token, "get_activities", {"limit": 1})
    assert after.status_code == 200 and after.json()["result"].get("isError") is not True


async def test_unknown_scope_403_is_told_apart_by_asking_for_the_profile(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        seeded = await seed_caller(gw.settings, BERLIN)
        upstream = gw.fake.oauth.issue_token(BERLIN.id, scope=PARTIAL_SCOPE)
        await store_oauth_token(gw.settings, seeded.athlete_pk, upstream, None)
        text = error_text(await call(gw, seeded.token, "get_wellness_data", {}))
        assert "WELLNESS permission" in text
        assert [r.status for r in gw.fake.requests.matching(path="/wellness")] == [403]
        assert gw.fake.requests.last.path.endswith("/athlete/0")  # the follow-up check
        after = await call(gw, seeded.token, "get_activities", {"limit": 1})
    assert after.status_code == 200 and after.json()["result"].get("isError") is not True


async def test_key_revoked_upstream_on_an_object_asks_to_sign_in_again(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        seeded = await seed_caller(gw.settings, BERLIN)
        activity_id = next(iter(gw.fake.athletes[BERLIN.id].activities))
        del gw.fake.keys[BERLIN.api_key]  # revoked on Intervals.icu: 403 "Access denied"
        response = await call(
            gw, seeded.token, "get_activity_details", {"activity_id": activity_id}
        )
    assert response.status_code == 401
    assert "sign in again" in response.headers["www-authenticate"]


async def test_someone_elses_activity_is_a_sharing_problem(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        seeded = await seed_caller(gw.settings, BERLIN)
        other = next(iter(gw.fake.athletes[LOS_ANGELES.id].activities))
        text = error_text(
            await call(gw, seeded.token, "get_activity_details", {"activity_id": other})
        )
        after = await call(gw, seeded.token, "get_activities", {"limit": 1})
    assert "no access" in text and "someone else" in text
    assert after.status_code == 200  # still connected


async def test_stalled_intervals_answers_slow_within_the_call_limit(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url, tool_call_timeout_seconds=1.0) as gw:
        seeded = await seed_caller(gw.settings, BERLIN)
        gw.fake.faults.hang(times=10, seconds=20, path="/activities")
        text, elapsed = await timed_error_text(gw, seeded.token, "get_activities", {"limit": 1})
    assert "Intervals.icu is slow" in text and "try again" in text
    assert elapsed < 5


async def test_a_coachs_stalled_roster_answers_slow_within_the_call_limit(
    tmp_path: Path, database_url: str
) -> None:
    """A coach naming an athlete: the roster lookup (``GET /athletes``) counts against the
    same call limit as the tool's own requests, and a stall there is told as one."""
    with gateway(tmp_path, database_url, tool_call_timeout_seconds=1.0) as gw:
        seeded = await seed_caller(gw.settings, COACH)
        gw.fake.faults.hang(times=10, seconds=20, path="/athletes")
        text, elapsed = await timed_error_text(
            gw, seeded.token, "get_athlete_profile", {"athlete": LENA}
        )
    assert "Intervals.icu is slow" in text and "try again" in text
    assert elapsed < 5


async def test_a_coachs_slow_roster_and_stalled_tool_share_one_call_limit(
    tmp_path: Path, database_url: str
) -> None:
    """The roster lookup's 1.5 s come out of the call's 2 s, not before them: the stalled
    tool request is cut at 2 s in all (two limits one after the other would take 3.5 s)."""
    with gateway(tmp_path, database_url, tool_call_timeout_seconds=2.0) as gw:
        seeded = await seed_caller(gw.settings, COACH)
        gw.fake.faults.hang(times=1, seconds=1.5, path="/athletes")
        gw.fake.faults.hang(times=10, seconds=20, path=f"/athlete/{LENA}")
        text, elapsed = await timed_error_text(
            gw, seeded.token, "get_athlete_profile", {"athlete": LENA}
        )
    assert "Intervals.icu is slow" in text and "try again" in text
    assert [r.status for r in gw.fake.requests.matching(path="/athletes")] == [200]
    assert elapsed < 3


def test_gateway_budget_refusal_says_it_is_the_gateways() -> None:
    budget = RateBudget(1, 1, max_wait=0)
    refusal = budget._limited(3.2)
    assert isinstance(refusal, GatewayBudgetExhausted)
    text = str(describe(refusal, "activities"))
    assert text == (
        "This gateway's share of the Intervals.icu request budget is used up; try again in 4 s."
    )
    upstream_429 = RateLimited("429", retry_after=7, status=429)
    assert "Intervals.icu is busy (rate limited); try again in 7 s" in str(
        describe(upstream_429, "activities")
    )
