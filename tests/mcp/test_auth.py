"""Bearer protection of /mcp: every 401 and 403 path, the upstream-401 re-authentication path,
and two athletes calling at once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from sqlalchemy import select, update

from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Credential, Grant, Token
from app.mcp.auth import (
    MAX_BODY_BYTES,
    BearerGuard,
    ReadBody,
    called_tools,
    missing_scope,
    read_body,
    replay_body,
)
from app.mcp.identity import Caller
from tests.mcp.support import AUCKLAND, BERLIN, ERAS, LOS_ANGELES, mcp_client, running_gateway

CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "get_wellness_data", "arguments": {}},
}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def mcp_errors(error: BaseException) -> list[MCPError]:
    """The MCPErrors in an exception (the SDK may wrap them in an exception group)."""
    if isinstance(error, MCPError):
        return [error]
    if isinstance(error, BaseExceptionGroup):
        return [e for inner in error.exceptions for e in mcp_errors(inner)]
    return []


async def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.request(method, url, **kwargs)


async def post(url: str, token: str | None, body: Any = CALL) -> httpx.Response:
    headers = dict(HEADERS)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await request("POST", url, headers=headers, content=json.dumps(body))


async def run_sql(settings: Any, statement: Any) -> None:
    engine = make_async_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as db:
            await db.execute(statement)
    finally:
        await engine.dispose()


async def fetch(settings: Any, statement: Any) -> list[Any]:
    engine = make_async_engine(settings)
    try:
        async with make_sessionmaker(engine)() as db:
            return list((await db.execute(statement)).all())
    finally:
        await engine.dispose()


async def test_no_token_and_bad_tokens_get_the_challenge(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        good = await gw.seed(AUCKLAND)
        expired = await gw.seed(BERLIN, expires_in=timedelta(seconds=-1))
        wrong_audience = await gw.seed(
            LOS_ANGELES, resource="http://127.0.0.1:1/mcp", client_id="other"
        )
        metadata = f"{gw.url}/.well-known/oauth-protected-resource/mcp"
        missing = await post(gw.mcp_url, None)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == (
            f'Bearer resource_metadata="{metadata}", scope="mcp.read"'
        )
        for token in ("gwa_unknown", expired.token, wrong_audience.token):
            refused = await post(gw.mcp_url, token)
            assert refused.status_code == 401, token
            assert refused.headers["www-authenticate"] == (
                f'Bearer resource_metadata="{metadata}", scope="mcp.read", error="invalid_token"'
            )
        in_query = await request(
            "POST",
            f"{gw.mcp_url}?access_token={good.token}",
            headers=HEADERS,
            content=json.dumps(CALL),
        )
        assert in_query.status_code == 401
        assert (await post(gw.mcp_url, good.token)).status_code == 200
        # legacy SSE: the stream is opened with GET only (HTTP 405 with Allow, token or not);
        # without a token GET /sse and the message endpoint name the /sse resource document
        not_allowed = await request("POST", f"{gw.url}/sse", content=b"{}")
        assert not_allowed.status_code == 405
        assert "GET" in not_allowed.headers["allow"]
        sse_metadata = f"{gw.url}/.well-known/oauth-protected-resource/sse"
        sse_challenge = f'Bearer resource_metadata="{sse_metadata}", scope="mcp.read"'
        for method, url in (
            ("GET", f"{gw.url}/sse"),
            ("POST", f"{gw.url}/messages/?session_id=x"),
        ):
            refused = await request(method, url, content=b"{}", timeout=5)
            assert refused.status_code == 401, (method, url)
            assert refused.headers["www-authenticate"] == sse_challenge, (method, url)


async def test_revoked_token_grant_and_disabled_athlete_are_refused(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        token_revoked = await gw.seed(AUCKLAND)
        grant_revoked = await gw.seed(BERLIN, client_id="c2")
        disabled = await gw.seed(LOS_ANGELES, disabled=True, client_id="c3")
        now = datetime.now(UTC)
        await run_sql(
            gw.settings,
            update(Token).where(Token.grant_id == token_revoked.grant_id).values(revoked_at=now),
        )
        await run_sql(
            gw.settings,
            update(Grant).where(Grant.id == grant_revoked.grant_id).values(revoked_at=now),
        )
        for caller in (token_revoked, grant_revoked, disabled):
            response = await post(gw.mcp_url, caller.token)
            assert response.status_code == 401
            assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("era", ERAS)
async def test_sdk_client_sees_401_as_an_error(tmp_path: Path, database_url: str, era: str) -> None:
    with running_gateway(tmp_path, database_url) as gw, pytest.raises(BaseException) as raised:
        async with mcp_client(gw.mcp_url, "gwa_unknown", era) as client:
            await client.call_tool("get_wellness_data", {})
    assert [e.error.code for e in mcp_errors(raised.value)] == [-32603]


async def test_token_without_the_tools_scope_gets_403(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        write_only = await gw.seed(AUCKLAND, scope="mcp.write")
        response = await post(gw.mcp_url, write_only.token)
        listing = await post(
            gw.mcp_url, write_only.token, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        )
    assert response.status_code == 403
    value = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in value and 'scope="mcp.read"' in value
    assert listing.status_code == 200
    assert len(gw.fake.requests) == 0


async def test_deeply_nested_json_is_a_parse_error_not_a_crash(
    tmp_path: Path, database_url: str
) -> None:
    """Hardening 2: `[` x 100000 gets a JSON-RPC parse error (400), never a 500."""
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        headers = {**HEADERS, "Authorization": f"Bearer {caller.token}"}
        response = await request("POST", gw.mcp_url, headers=headers, content=b"[" * 100_000)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32700


def test_write_tools_need_mcp_write() -> None:
    scopes = {"get_events": "mcp.read", "create_event": "mcp.write"}
    body = json.dumps({**CALL, "params": {"name": "create_event"}}).encode()
    assert called_tools(body) == ["create_event"]
    assert missing_scope(["create_event"], scopes, frozenset({"mcp.read"})) == "mcp.read mcp.write"
    assert missing_scope(["create_event"], scopes, frozenset({"mcp.read", "mcp.write"})) == ""
    assert missing_scope(["get_events"], scopes, frozenset({"mcp.read"})) == ""
    batch = json.dumps([CALL, {**CALL, "params": {"name": "create_event"}}]).encode()
    assert called_tools(batch) == ["get_wellness_data", "create_event"]


async def test_guard_answers_403_for_a_write_tool_with_a_read_token() -> None:
    reached: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def verify(token: str) -> Caller:
        return Caller(1, "i1", "UTC", "c", 1, frozenset({"mcp.read"}))

    guard = BearerGuard(
        inner,
        base_url="https://gw.example",
        verify=verify,
        tool_scopes={"create_event": "mcp.write"},
    )
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="https://gw.example") as client:
        body = {**CALL, "params": {"name": "create_event", "arguments": {}}}
        response = await client.post("/mcp", json=body, headers={"Authorization": "Bearer t"})
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp", '
        'scope="mcp.read mcp.write", error="insufficient_scope"'
    )
    assert reached == []


async def test_the_body_reaches_the_app_whole_however_many_middleware_read_it() -> None:
    """The guard reads a POST's body (to find the called tools) and hands it on; middleware
    behind it read it and hand it on again (the era guard, the fast path): the app at the end
    gets the body the client sent, in one message, however it was sent."""
    delivered: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        for _ in range(2):
            receive = replay_body(await read_body(receive) or b"", receive)
        delivered.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def verify(token: str) -> Caller:
        return Caller(1, "i1", "UTC", "c", 1, frozenset({"mcp.read"}))

    async def chunks() -> Any:
        text = json.dumps(CALL).encode()
        for start in range(0, len(text), 7):
            yield text[start : start + 7]

    guard = BearerGuard(inner, base_url="https://gw.example", verify=verify, tool_scopes={})
    transport = httpx.ASGITransport(app=guard)
    async with httpx.AsyncClient(transport=transport, base_url="https://gw.example") as client:
        response = await client.post(
            "/mcp", content=chunks(), headers={"Authorization": "Bearer t"}
        )
    assert response.status_code == 204
    assert delivered == [
        {"type": "http.request", "body": json.dumps(CALL).encode(), "more_body": False}
    ]


@pytest.mark.parametrize("era", ERAS)
async def test_upstream_rejection_revokes_and_answers_401(
    tmp_path: Path, database_url: str, era: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND, api_key="fake-key-regenerated-000")
        other = await gw.seed(BERLIN, client_id="other")
        if era == "legacy":
            response = await post(gw.mcp_url, caller.token)
            assert response.status_code == 401
            value = response.headers["www-authenticate"]
            assert 'error="invalid_token"' in value and "sign in again" in value
            assert "fake-key" not in response.text
        else:
            with pytest.raises(BaseException) as raised:
                async with mcp_client(gw.mcp_url, caller.token, era) as client:
                    await client.call_tool("get_wellness_data", {})
            assert mcp_errors(raised.value)
        again = await post(
            gw.mcp_url, caller.token, {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
        )
        assert again.status_code == 401  # every token of the athlete is revoked
        assert (await post(gw.mcp_url, other.token)).status_code == 200  # other athletes unaffected
        credential = await fetch(
            gw.settings,
            select(Credential.rejected_at, Credential.rejected_reason).where(
                Credential.athlete_id == caller.athlete_pk
            ),
        )
        tokens = await fetch(
            gw.settings, select(Token.revoked_at).where(Token.grant_id == caller.grant_id)
        )
    assert credential[0][0] is not None and "rejected" in credential[0][1]
    assert all(row[0] is not None for row in tokens)


async def test_tool_call_records_last_use_on_the_grant(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        before = await fetch(
            gw.settings, select(Grant.last_used_at).where(Grant.id == caller.grant_id)
        )
        assert (await post(gw.mcp_url, caller.token)).status_code == 200
        after = await fetch(
            gw.settings, select(Grant.last_used_at).where(Grant.id == caller.grant_id)
        )
    assert before[0][0] is None and after[0][0] is not None


async def test_two_athletes_at_once_see_only_their_own_data(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        gw.fake.faults.delay(0.05)  # overlap the calls
        one = await gw.seed(AUCKLAND)
        two = await gw.seed(BERLIN, client_id="c2")

        async def activities(token: str, era: str) -> list[dict[str, Any]]:
            async with mcp_client(gw.mcp_url, token, era) as client:
                results = await asyncio.gather(
                    *[client.call_tool("get_activities", {"limit": 5}) for _ in range(4)]
                )
            return [r.structured_content or {} for r in results]

        answers = await asyncio.gather(
            activities(one.token, "legacy"),
            activities(two.token, "2026-07-28"),
            activities(one.token, "2026-07-28"),
            activities(two.token, "legacy"),
        )
    own = {
        AUCKLAND.id: set(gw.fake.athletes[AUCKLAND.id].activities),
        BERLIN.id: set(gw.fake.athletes[BERLIN.id].activities),
    }
    for athlete, batch in zip([AUCKLAND, BERLIN, AUCKLAND, BERLIN], answers, strict=True):
        for answer in batch:
            assert answer["timezone"] == athlete.timezone
            ids = {a["id"] for a in answer["activities"]}
            assert ids and ids <= own[athlete.id]
    by_athlete = {r.athlete for r in gw.fake.requests}
    assert by_athlete == {AUCKLAND.id, BERLIN.id}
    assert all(  # the athlete's own data, and their own profile (pace units)
        (r.path + "/").startswith(f"/api/v1/athlete/{r.athlete}/") for r in gw.fake.requests
    )


async def test_cors_preflight_and_exposed_headers(tmp_path: Path, database_url: str) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        origin = gw.url
        preflight = await request(
            "OPTIONS",
            gw.mcp_url,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        refused = await request(
            "POST", gw.mcp_url, headers={**HEADERS, "Origin": origin}, content=b"{}"
        )
        foreign = await gw.seed(AUCKLAND)
        same_origin = await post(gw.mcp_url, foreign.token)  # no Origin header: allowed
        evil_origin = await request(
            "POST",
            gw.mcp_url,
            headers={
                **HEADERS,
                "Origin": "https://evil.example",
                "Authorization": f"Bearer {foreign.token}",
            },
            content=json.dumps(CALL),
        )
        bad_host = await request(
            "POST",
            gw.mcp_url,
            headers={**HEADERS, "Host": "evil.example", "Authorization": f"Bearer {foreign.token}"},
            content=json.dumps(CALL),
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert refused.status_code == 401
    exposed = refused.headers["access-control-expose-headers"].lower()
    assert "www-authenticate" in exposed and "mcp-session-id" in exposed
    assert same_origin.status_code == 200
    assert evil_origin.status_code == 403
    assert bad_host.status_code == 421


async def test_a_token_expires_on_the_gateways_one_clock(tmp_path: Path, database_url: str) -> None:
    """Bearer acceptance reads the same clock as the rest of the gateway (app/clock.py): moving
    it past a token's lifetime refuses the token, no sleeping."""
    with running_gateway(tmp_path, database_url) as gw:
        seeded = await gw.seed(AUCKLAND, expires_in=timedelta(hours=1))
        assert (await post(gw.mcp_url, seeded.token)).status_code == 200
        gw.time.advance(3601)
        refused = await post(gw.mcp_url, seeded.token)
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_a_body_handed_on_over_the_limit_is_refused_as_one_read_is() -> None:
    """A body some middleware read whole and handed on (``ReadBody``) is held to the same
    limit as one read here: over ``MAX_BODY_BYTES`` it is refused, not taken as it is."""

    async def disconnected() -> Any:
        return {"type": "http.disconnect"}

    too_big = b" " * (MAX_BODY_BYTES + 1)
    assert await read_body(ReadBody(too_big, disconnected)) is None
    assert await read_body(ReadBody(b"{}", disconnected)) == b"{}"
