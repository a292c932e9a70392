"""Signing in with "Continue with Intervals.icu" in-process: the athlete's browser starts at
the gateway, Intervals.icu (the fake) answers its consent page, the browser follows the
redirect back to the gateway's callback."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support.gateway import Gateway, hidden_fields, pkce_pair, query_of

MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


async def on_intervals(gw: Gateway, location: str, **choices: str) -> httpx.Response:
    """Play the athlete on Intervals.icu's consent page (the fake answers at once)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gw.fake.app)) as upstream:
        url = httpx.URL(location)
        return await upstream.get(url.copy_merge_params(choices) if choices else url)


async def continue_with_intervals(
    gw: Gateway,
    athlete_id: str,
    next_path: str = "/account",
    browser: httpx.AsyncClient | None = None,
    **choices: str,
) -> httpx.Response:
    """The whole round trip for ``athlete_id``; returns the gateway's answer to the callback."""
    browser = browser or gw.browser
    start = await browser.get("/signin/intervals", params={"next": next_path})
    assert start.status_code == 303, start.text
    answer = await on_intervals(gw, start.headers["location"], athlete=athlete_id, **choices)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    response: httpx.Response = await browser.get(f"{back.path}?{back.query}")
    return response


async def connect_ai_client(
    gw: Gateway, name: str, redirect_uri: str, browser: httpx.AsyncClient | None = None
) -> str:
    """Register ``name``, approve it on the consent page in ``browser`` (signed in), redeem the
    code (RFC 6749 §4.1, RFC 7636); returns the access token."""
    browser = browser or gw.browser
    registered = await browser.post(
        "/register", json={"client_name": name, "redirect_uris": [redirect_uri]}
    )
    client_id = registered.json()["client_id"]
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s",
        "scope": "mcp.read mcp.write",
        "resource": gw.settings.mcp_resource,
    }
    page = await browser.get("/authorize", params=params)
    assert page.status_code == 200, (page.status_code, page.headers.get("location"))
    form = [*hidden_fields(page.text), ("decision", "approve")]
    form += [("approved_scope", "mcp.read"), ("approved_scope", "mcp.write")]
    decided = await browser.post(
        "/authorize",
        content=str(httpx.QueryParams(form)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert decided.status_code == 303, decided.text[:300]
    code = query_of(decided.headers["location"])["code"]
    tokens = await browser.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["access_token"])


async def tool_call(
    gw: Gateway,
    token: str,
    name: str = "get_athlete_profile",
    arguments: dict[str, Any] | None = None,
) -> httpx.Response:
    """``tools/call`` over /mcp with the AI client's bearer token."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments or {}},
    }
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    response: httpx.Response = await gw.browser.post("/mcp", json=body, headers=headers)
    return response
