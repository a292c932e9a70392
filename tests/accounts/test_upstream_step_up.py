"""Upstream step-up for writes (issue 15): an athlete signed in with Intervals.icu who left out
an area's write permission is told which one is missing (never "key rejected"); signing in with
Intervals.icu again and allowing it upgrades the stored token, and the athlete's connected MCP
app keeps its token and can now write."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.engine import transaction
from app.db.models import Athlete, Grant, OAuthClient, Token, utcnow
from app.oauth.tokens import hash_token
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import LENA, Gateway, gateway_settings, running_gateway
from tests.accounts.test_upstream_oauth import approve_upstream, callback_path

FULL = "ACTIVITY:WRITE,WELLNESS:WRITE,CALENDAR:WRITE,LIBRARY:WRITE,SETTINGS:WRITE"
NO_WELLNESS_WRITE = "ACTIVITY:WRITE,WELLNESS:READ,CALENDAR:WRITE,LIBRARY:WRITE,SETTINGS:WRITE"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url, oauth=True)


async def sign_in_with_intervals(gw: Gateway, granted: str) -> None:
    gw.fake.oauth.default_athlete = LENA[0]
    gw.fake.oauth.grant_scope = granted
    start = await gw.browser.get("/signin/intervals")
    back = await gw.browser.get(
        await callback_path(await approve_upstream(gw, start.headers["location"]))
    )
    assert back.status_code == 303


async def connect_mcp_app(gw: Gateway, settings: Settings) -> str:
    """A connected app with read and write access (what the consent flow leaves)."""
    token = f"gwa_{secrets.token_urlsafe(32)}"
    async with transaction(services_of(gw.app).sessions) as db:
        athlete = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == LENA[0]))
        assert athlete is not None
        client = OAuthClient(client_id="claude", origin="dynamic", name="Claude")
        db.add(client)
        await db.flush()
        grant = Grant(
            athlete_id=athlete,
            client_pk=client.id,
            scope="mcp.read mcp.write",
            resource=settings.mcp_resource,
        )
        db.add(grant)
        await db.flush()
        db.add(
            Token(
                token_hash=hash_token(token),
                kind="access",
                grant_id=grant.id,
                scope="mcp.read mcp.write",
                resource=settings.mcp_resource,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    return token


async def set_wellness(gw: Gateway, token: str) -> str:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "set_wellness", "arguments": {"day": "2026-11-28", "weight_kg": 55.5}},
    }
    response = await gw.browser.post(
        "/mcp",
        content=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": "2025-11-25",
        },
    )
    assert response.status_code == 200, response.text
    return response.text


async def test_a_missing_upstream_write_scope_is_named_and_a_new_sign_in_upgrades_it(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await sign_in_with_intervals(gw, NO_WELLNESS_WRITE)
        token = await connect_mcp_app(gw, settings)
        refused = await set_wellness(gw, token)
        assert "WELLNESS:WRITE permission" in refused and "Reconnect with Intervals.icu" in refused
        assert not gw.fake.requests.matching("PUT", "/api/v1/athlete/i100002/wellness/2026-11-28")

        await sign_in_with_intervals(gw, FULL)  # re-consent at Intervals.icu, allowing writes
        preview = await set_wellness(gw, token)  # the same app token: the connection survived
    assert "PREVIEW, nothing written" in preview and "chg_" in preview
