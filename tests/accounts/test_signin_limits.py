"""The sign-in attempt limit (security review L3, M2 (c)): it is reserved before Intervals.icu
is asked, so concurrent attempts cannot exceed it; every failure counts, including Intervals.icu
being unreachable; a verified key gives its attempt back. Addresses are counted by
app/web/client_address.py (IPv6 by /64)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from app.attempts import AttemptLimiter
from app.settings import Settings
from app.web.client_address import client_address, limiter_key
from tests.accounts.harness import AROHA, CSRF_INPUT, LENA, browser_for, gateway_settings
from tests.accounts.harness import running_gateway as _running_gateway
from tests.fake_intervals import FakeIntervals


class Gate:
    """The fake's latency: every upstream request waits until the test opens the gate. The
    gate opens once each of ``expected`` requests has either reached it or finished."""

    def __init__(self, expected: int) -> None:
        self.opened = asyncio.Event()
        self.expected = expected
        self.settled = 0

    def settle(self, *_: object) -> None:
        self.settled += 1
        if self.settled >= self.expected:
            self.opened.set()

    async def sleep(self, _seconds: float) -> None:
        self.settle()
        await self.opened.wait()


def limited(tmp_path: Path, database_url: str, attempts: int) -> Settings:
    return gateway_settings(tmp_path, database_url, signin_attempts_per_address=attempts)


async def post_signin(browser: httpx.AsyncClient, key: str, athlete_id: str = "") -> int:
    page = await browser.get("/signin")
    match = CSRF_INPUT.search(page.text)
    assert match
    form = {"athlete_id": athlete_id, "api_key": key, "csrf_token": match.group(1)}
    return (await browser.post("/signin", data=form)).status_code


async def test_concurrent_attempts_never_exceed_the_limit(
    tmp_path: Path, database_url: str
) -> None:
    gate = Gate(expected=20)
    fake = FakeIntervals(sleep=gate.sleep)
    fake.faults.delay(0.3)
    async with _running_gateway(limited(tmp_path, database_url, 3), fake) as gw:
        browsers = [gw.new_browser("198.51.100.7") for _ in range(20)]
        posts = []
        for n, browser in enumerate(browsers):
            match = CSRF_INPUT.search((await browser.get("/signin")).text)
            assert match
            form = {"api_key": f"wrong-key-{n}", "athlete_id": "", "csrf_token": match.group(1)}
            posts.append(asyncio.create_task(browser.post("/signin", data=form)))
            posts[-1].add_done_callback(gate.settle)
        statuses = sorted(r.status_code for r in await asyncio.gather(*posts))
        for browser in browsers:
            await browser.aclose()
        assert statuses == [400] * 3 + [429] * 17
        assert len(gw.fake.requests.matching("GET", "/api/v1/athlete/")) == 3


async def test_attempts_that_fail_upstream_count_too(tmp_path: Path, database_url: str) -> None:
    """A flood of random keys while Intervals.icu is failing (or the shared budget is spent)
    must not reach Intervals.icu unthrottled."""
    fake = FakeIntervals()
    fake.faults.fail(503, times=50)
    async with _running_gateway(limited(tmp_path, database_url, 2), fake) as gw:
        assert [await post_signin(gw.browser, f"random-{n}") for n in range(2)] == [503, 503]
        asked = len(gw.fake.requests)
        assert [await post_signin(gw.browser, f"random-{n}") for n in range(2, 9)] == [429] * 7
        assert len(gw.fake.requests) == asked  # the refused attempts never reached upstream


async def test_a_blocked_address_may_try_again_once_the_window_has_passed(
    tmp_path: Path, database_url: str
) -> None:
    """The limit counts on the gateway's one clock (app/clock.py), so moving it past
    ``GATEWAY_SIGNIN_WINDOW_SECONDS`` lets the address try again (no sleeping)."""
    settings = limited(tmp_path, database_url, 2)
    async with _running_gateway(settings, FakeIntervals()) as gw:
        assert [await post_signin(gw.browser, f"wrong-key-{n}") for n in range(3)] == [
            400,
            400,
            429,
        ]
        gw.clock.advance(settings.signin_window_seconds - 5)
        assert await post_signin(gw.browser, "wrong-key-3") == 429
        gw.clock.advance(6)
        assert await post_signin(gw.browser, "wrong-key-4") == 400


async def test_verified_keys_do_not_use_up_the_limit(tmp_path: Path, database_url: str) -> None:
    """A club behind one NAT address: its members' successful sign-ins never count."""
    async with _running_gateway(limited(tmp_path, database_url, 2), FakeIntervals()) as gw:
        for key in (AROHA[1], LENA[1], AROHA[1], LENA[1]):
            async with gw.new_browser("198.51.100.8") as browser:
                assert await post_signin(browser, key) == 303
        assert await post_signin(gw.browser, "wrong-key-1") == 400


async def test_ipv6_clients_are_counted_per_64(tmp_path: Path, database_url: str) -> None:
    async with _running_gateway(limited(tmp_path, database_url, 2), FakeIntervals()) as gw:
        for host in ("2001:db8:1:2::10", "2001:db8:1:2::11"):
            async with browser_for(gw.app, gw.browser.base_url, host) as browser:
                assert await post_signin(browser, "wrong-key-1") == 400
        async with browser_for(gw.app, gw.browser.base_url, "2001:db8:1:2:ffff::1") as browser:
            assert await post_signin(browser, AROHA[1]) == 429
        async with browser_for(gw.app, gw.browser.base_url, "2001:db8:1:3::10") as browser:
            assert await post_signin(browser, AROHA[1]) == 303


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd:12::/64"),
        ("2001:DB8:ABCD:12::99", "2001:db8:abcd:12::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
    ],
)
def test_limiter_key_groups_ipv6_by_64(address: str, key: str) -> None:
    assert limiter_key(address) == key


def test_the_address_is_the_peer_the_server_saw() -> None:
    def request(client: tuple[str, int] | None, xff: str) -> Request:
        headers = [(b"x-forwarded-for", xff.encode())]
        return Request({"type": "http", "client": client, "headers": headers, "app": FastAPI()})

    assert client_address(request(("198.51.100.3", 5000), "203.0.113.1")) == "198.51.100.3"
    assert client_address(request(None, "203.0.113.1")) == "unknown"


def test_reserve_is_check_and_count_in_one_step() -> None:
    now = [0.0]
    limiter = AttemptLimiter(2, 60, clock=lambda: now[0])
    assert limiter.reserve("a") is None and limiter.reserve("a") is None
    assert limiter.reserve("a") == 60
    limiter.release("a")
    assert limiter.reserve("a") is None
    now[0] = 61.0
    assert limiter.reserve("a") is None


async def test_failed_intervals_code_exchanges_count_toward_the_limit(
    tmp_path: Path, database_url: str
) -> None:
    settings = gateway_settings(tmp_path, database_url, oauth=True, signin_attempts_per_address=2)
    async with _running_gateway(settings, FakeIntervals()) as gw:
        statuses = []
        for n in range(4):
            start = await gw.browser.get("/signin/intervals")
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            callback = "/signin/intervals/callback"
            response = await gw.browser.get(
                callback, params={"code": f"forged-{n}", "state": state}
            )
            statuses.append(response.status_code)
        assert statuses == [502, 502, 429, 429]
        assert len(gw.fake.requests.matching("POST", "/api/oauth/token")) == 2
