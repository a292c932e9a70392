"""Several instances (issue 19): two gateway processes behind nginx on one PostgreSQL and one
Redis (tests/scale/topology.py). Tokens and revocations cross instances through the database;
the loss of one instance, and restarts of PostgreSQL and Redis mid-load, are ridden out without
restarting a gateway."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.athlete import Athlete, query_of
from tests.e2e.oauth_flow import (
    LOOPBACK_CALLBACK,
    authorize_url,
    pkce_pair,
    register_public_client,
)
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.scale.topology import (
    MCP_HEADERS,
    Load,
    Topology,
    control,
    tools_list,
    topology,
    wait_ready,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def scale(tmp_path: Path) -> Iterator[Topology]:
    with topology(tmp_path) as running:
        yield running


@pytest.fixture
def uncached(tmp_path: Path) -> Iterator[Topology]:
    """The topology with the verified-token cache off: every request reads the database (a
    cached token is answered without it, so a database outage would not show)."""
    with topology(tmp_path, GATEWAY_TOKEN_CACHE_SECONDS="0") as running:
        yield running


def issue(scale: Topology, name: str) -> dict[str, str]:
    """Register a public client and let an athlete approve it, all through the proxy (so the
    requests land on both instances): the token response, with the client id added."""
    demo = DEMO_ATHLETES[0]
    athlete = Athlete(scale.proxy, demo.id, demo.api_key)
    client_id = register_public_client(scale.proxy, name)
    verifier, challenge = pkce_pair()
    url = authorize_url(
        scale.proxy, client_id, LOOPBACK_CALLBACK, challenge, resource=scale.mcp_url
    )
    try:
        code = query_of(athlete.authorize(url))["code"]
    finally:
        athlete.close()
    response = httpx.post(
        f"{scale.proxy}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
            "client_id": client_id,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {**{k: str(v) for k, v in response.json().items()}, "client_id": client_id}


def test_a_token_issued_through_one_instance_works_on_the_other_and_revocation_reaches_both(
    scale: Topology,
) -> None:
    tokens = issue(scale, "Scale client")
    access = tokens["access_token"]
    for instance in scale.instances:
        assert tools_list(f"{instance.base}/mcp", access).status_code == 200, instance.name
    first, second = scale.instances
    revoked = httpx.post(
        f"{first.base}/revoke",
        data={"token": tokens["refresh_token"], "client_id": tokens["client_id"]},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    deadline = time.monotonic() + 1.0
    status = tools_list(f"{second.base}/mcp", access).status_code
    while status != 401 and time.monotonic() < deadline:
        status = tools_list(f"{second.base}/mcp", access).status_code
    assert status == 401  # refused on the other instance within a second


def test_one_instance_killed_mid_load_loses_no_grant_and_the_proxy_keeps_serving(
    scale: Topology,
) -> None:
    tokens = issue(scale, "Scale client")
    access = tokens["access_token"]
    with Load(scale.mcp_url, access) as load:
        time.sleep(1.0)
        killed_at = time.monotonic()
        scale.instances[0].kill()
        time.sleep(2.0)
    after = load.between(killed_at + 0.5, time.monotonic())
    assert after and all(outcome == 200 for outcome in after), after
    around = load.between(killed_at - 0.5, killed_at + 0.5)
    assert sum(1 for outcome in around if outcome != 200) <= 2, around
    assert tools_list(scale.mcp_url, access).status_code == 200  # the grant lives on
    refreshed = httpx.post(
        f"{scale.proxy}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": tokens["client_id"],
        },
        timeout=30,
    )
    assert refreshed.status_code == 200, refreshed.text  # the grant survived the lost instance


def test_postgres_and_redis_restarts_mid_load_are_ridden_out(uncached: Topology) -> None:
    scale = uncached
    access = issue(scale, "Scale client")["access_token"]
    with Load(scale.mcp_url, access) as load:
        time.sleep(0.5)
        stopping = time.monotonic()
        control(scale.postgres_ctl, "stop")
        stopped = time.monotonic()
        time.sleep(1.0)
        restarting = time.monotonic()
        control(scale.postgres_ctl, "start")
        time.sleep(3.0)
        redis_stopping = time.monotonic()
        control(scale.redis_ctl, "stop")
        ready = httpx.get(f"{scale.instances[0].base}/readyz", timeout=30).json()
        control(scale.redis_ctl, "start")
        redis_back = time.monotonic()
        time.sleep(1.5)
        end = time.monotonic()
    print([(round(at - stopping, 2), outcome) for at, outcome in load.results])
    assert set(load.between(0, stopping)) == {200}
    during = load.between(stopped + 0.1, restarting)
    assert during and set(during) == {503}  # "database unavailable" during the gap only
    assert set(load.between(restarting + 2.0, end)) == {200}  # back without a restart
    assert ready["status"] == "degraded" and ready["redis"].startswith("redis unreachable")
    del redis_stopping, redis_back
    for instance in scale.instances:
        wait_ready(instance.base)
        assert httpx.get(f"{instance.base}/readyz", timeout=30).json()["redis"] == "ok"


def call_tool(url: str, token: str, name: str, client: httpx.Client) -> str:
    """The text of one `tools/call` answer (JSON or a one-event SSE stream)."""
    response = client.post(
        url,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": name, "arguments": {}},
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text


def test_the_upstream_budget_holds_across_both_instances(tmp_path: Path) -> None:
    """Burst 4 at 1 request/s for the whole egress address: a quick series of calls spread by
    the proxy over both instances gets about 4 through, not 4 per instance."""
    budget = {
        "GATEWAY_UPSTREAM_RATE_PER_SECOND": "1",
        "GATEWAY_UPSTREAM_BURST": "4",
        "GATEWAY_UPSTREAM_MAX_WAIT_SECONDS": "0",
    }
    with topology(tmp_path, **budget) as scale:
        access = issue(scale, "Budget client")["access_token"]
        time.sleep(4.5)  # the sign-in's requests are refilled at 1/s
        with httpx.Client() as client:
            answers = [
                call_tool(scale.mcp_url, access, "get_athlete_profile", client) for _ in range(10)
            ]
    refused = [a for a in answers if "request budget is used up" in a]
    assert 5 <= len(refused) <= 7, answers
