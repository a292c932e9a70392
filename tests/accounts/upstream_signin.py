"""Signing in with "Continue with Intervals.icu" in-process: the athlete's browser starts at
the gateway, Intervals.icu (the fake) answers its consent page, the browser follows the
redirect back to the gateway's callback."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.support.gateway import Gateway


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
