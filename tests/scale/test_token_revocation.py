"""Every revocation path reaches the other instance's verified-token cache within a second
(issue 20): two real `intervals-gateway serve` processes on one SQLite file and one Redis.

For each path a fresh athlete's token is used on instance 2 until its cache answers it (the
`gateway_token_cache_lookups_total{result="hit"}` count grows), then the token, grant or
credential is ended through instance 1 (its OAuth endpoints, its account pages, a tool call
that Intervals.icu refuses) or through the operator CLI (a third process), and instance 2 must
refuse the token within one second. The processes are started once for all paths.

Needs scripts/with-redis.sh (TEST_REDIS_URL); skips without it, fails under E2E_REQUIRED=1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.db.models import Athlete, Credential, Grant, OAuthClient, Token
from app.settings import parse_key_ring
from app.vault.crypto import Vault
from tests.e2e.athlete import CSRF, REVOKE_FORM
from tests.e2e.athlete import Athlete as Browser
from tests.e2e.stack import GATEWAY_COMMAND, fake_intervals, gateway_env
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.support.processes import free_port, running
from tests.test_observability import samples

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

METRICS_TOKEN = "metrics-token-for-the-cache-test-" + "y" * 16
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}
WITHIN = 1.0


@dataclass
class Pair:
    """Instances 1 and 2 (own ports, so own MCP resources) on one database and one Redis."""

    bases: tuple[str, str]
    env: dict[str, str]
    database: Path
    ring: str

    def resource(self, instance: int) -> str:
        return f"{self.bases[instance - 1]}/mcp"

    def post_mcp(self, instance: int, token: str, body: dict[str, object]) -> httpx.Response:
        return httpx.post(
            self.resource(instance),
            headers={**HEADERS, "Authorization": f"Bearer {token}"},
            content=json.dumps(body),
            timeout=30,
        )

    def tools_list(self, instance: int, token: str) -> int:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        return self.post_mcp(instance, token, body).status_code

    def metric(self, instance: int, name: str, label: tuple[str, str]) -> float:
        page = httpx.get(
            f"{self.bases[instance - 1]}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            timeout=30,
        )
        assert page.status_code == 200, page.text
        return samples(page.text).get((name, (label,)), 0.0)

    def hits(self, instance: int) -> float:
        return self.metric(instance, "gateway_token_cache_lookups_total", ("result", "hit"))

    def cli(self, *args: str) -> None:
        done = subprocess.run(
            [GATEWAY_COMMAND, *args],
            env={**os.environ, **self.env, "GATEWAY_BASE_URL": self.bases[0]},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class Seeded:
    intervals_id: str
    api_key: str
    client_id: str
    client_name: str
    access: dict[int, str]
    """An access token per instance (each instance is its own resource)."""
    refresh: str
    """A refresh token of instance 2's grant, already rotated away (presenting it is reuse)."""


def new_token(prefix: str) -> tuple[str, str]:
    value = f"{prefix}{secrets.token_urlsafe(32)}"
    return value, hashlib.sha256(value.encode()).hexdigest()


def seed(pair: Pair, intervals_id: str, api_key: str) -> Seeded:
    """An athlete with `api_key` sealed, a public client, and a grant per instance."""
    engine = create_engine(f"sqlite:///{pair.database}")
    name = f"Cache test {uuid.uuid4().hex[:8]}"
    access: dict[int, str] = {}
    try:
        with Session(engine) as db, db.begin():
            athlete = Athlete(intervals_id=intervals_id, name=intervals_id, timezone="UTC")
            client = OAuthClient(client_id=uuid.uuid4().hex, origin="dynamic", name=name)
            db.add_all([athlete, client])
            db.flush()
            key_id, blob = Vault(parse_key_ring(pair.ring)).encrypt(api_key, athlete.id, "api_key")
            db.add(
                Credential(athlete_id=athlete.id, kind="api_key", key_id=key_id, ciphertext=blob)
            )
            expires = datetime.now(UTC) + timedelta(hours=1)
            for instance in (1, 2):
                grant = Grant(
                    athlete_id=athlete.id,
                    client_pk=client.id,
                    redirect_key=str(instance),
                    scope="mcp.read",
                    resource=pair.resource(instance),
                )
                db.add(grant)
                db.flush()
                value, digest = new_token("gwa_")
                db.add(
                    Token(
                        token_hash=digest,
                        kind="access",
                        grant_id=grant.id,
                        scope="mcp.read",
                        resource=pair.resource(instance),
                        expires_at=expires,
                    )
                )
                access[instance] = value
            refresh, digest = new_token("gwr_")
            db.add(
                Token(
                    token_hash=digest,
                    kind="refresh",
                    grant_id=grant.id,
                    scope="mcp.read",
                    resource=pair.resource(2),
                    expires_at=expires,
                    revoked_at=datetime.now(UTC),
                )
            )
            client_id = client.client_id
    finally:
        engine.dispose()
    return Seeded(intervals_id, api_key, client_id, name, access, refresh)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        reason = "TEST_REDIS_URL not set; run under scripts/with-redis.sh"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("token-cache")
    ring = "e2e:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    with ExitStack() as stack:
        fake_api = stack.enter_context(fake_intervals(work))
        ports = (free_port(), free_port())
        shared = {
            "GATEWAY_DATABASE_URL": f"sqlite:///{work / 'gateway.db'}",
            "GATEWAY_ENCRYPTION_KEYS": ring,
            "GATEWAY_SHARED_STATE_BACKEND": "redis",
            "GATEWAY_REDIS_URL": redis_url,
            "GATEWAY_REDIS_KEY_PREFIX": f"cache-{uuid.uuid4().hex[:8]}:",
            "GATEWAY_METRICS_TOKEN": METRICS_TOKEN,
        }
        env: dict[str, str] = {}
        for number, port in enumerate(ports, start=1):
            data_dir = work / f"instance{number}"
            data_dir.mkdir()
            env = gateway_env(port, fake_api, data_dir, shared)
            ready = f"http://127.0.0.1:{port}/readyz"
            log = data_dir / "gateway.log"
            stack.enter_context(running([GATEWAY_COMMAND, "serve"], ready, env=env, log=log))
        bases = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
        yield Pair(bases, env, work / "gateway.db", ring)


def signed_in(pair: Pair, athlete: Seeded) -> Browser:
    """The athlete's browser, signed in on instance 1's account pages."""
    browser = Browser(pair.bases[0], athlete.intervals_id, athlete.api_key)
    page = browser.http.get("/signin?next=/account")
    browser._sign_in(page.text)
    return browser


def account_form(browser: Browser, path: str, data: dict[str, str]) -> httpx.Response:
    page = browser.http.get("/account")
    return browser.http.post(path, data={"csrf_token": CSRF.findall(page.text)[0], **data})


# -- the revocation paths, each acting through instance 1 or the CLI ------------------------


def revocation_endpoint(pair: Pair, athlete: Seeded) -> None:
    """RFC 7009: the client revokes the access token itself."""
    response = httpx.post(
        f"{pair.bases[0]}/revoke",
        data={"token": athlete.access[2], "client_id": athlete.client_id},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def refresh_reuse(pair: Pair, athlete: Seeded) -> None:
    """RFC 9700 §4.14.2: a rotated refresh token presented again ends the grant."""
    response = httpx.post(
        f"{pair.bases[0]}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": athlete.refresh,
            "client_id": athlete.client_id,
        },
        timeout=30,
    )
    assert response.status_code == 400 and "reuse" in response.text, response.text


def upstream_rejects_the_key(pair: Pair, athlete: Seeded) -> None:
    """A tool call on instance 1 that Intervals.icu answers 401: every token of the athlete
    ends (the credential is marked rejected)."""
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get_wellness_data", "arguments": {}},
    }
    assert pair.post_mcp(1, athlete.access[1], call).status_code == 401


def account_disconnects_the_app(pair: Pair, athlete: Seeded) -> None:
    browser = signed_in(pair, athlete)
    try:
        page = browser.http.get("/account").text
        actions = [action for _name, action in REVOKE_FORM.findall(page)]
        assert len(actions) == 2  # the grants of both instances (one per resource)
        for action in actions:
            response = account_form(browser, action, {})
            assert response.status_code == 303, response.text
    finally:
        browser.close()


def account_deleted(pair: Pair, athlete: Seeded) -> None:
    browser = signed_in(pair, athlete)
    try:
        response = account_form(browser, "/account/delete", {"confirm": "yes"})
        assert response.status_code == 200, response.text
    finally:
        browser.close()


def club_admin_removes_the_member(pair: Pair, athlete: Seeded) -> None:
    """A club admin (made with the CLI) removes the member on instance 1's /club page."""
    admin = DEMO_ATHLETES[5]
    pair.cli("club", "admin", "add", admin.id)
    browser = Browser(pair.bases[0], admin.id, admin.api_key)
    try:
        browser._sign_in(browser.http.get("/signin?next=/club").text)
        page = browser.http.get("/club")
        assert page.status_code == 200, page.text
        form = {"csrf_token": CSRF.findall(page.text)[0], "target": athlete.intervals_id}
        response = browser.http.post("/club/remove", data=form)
        assert "was removed from the club" in response.text, response.text
    finally:
        browser.close()


def cli_disables_the_athlete(pair: Pair, athlete: Seeded) -> None:
    pair.cli("athletes", "disable", athlete.intervals_id)


def cli_deletes_the_athlete(pair: Pair, athlete: Seeded) -> None:
    pair.cli("athletes", "delete", athlete.intervals_id, "--yes")


def cli_removes_the_client(pair: Pair, athlete: Seeded) -> None:
    pair.cli("clients", "remove", athlete.client_id)


@dataclass(frozen=True)
class Path_:
    act: Callable[[Pair, Seeded], None]
    demo: int | None = None
    """Index of the fake's demo athlete (paths that sign in); None: an athlete of its own."""
    wrong_key: bool = False
    sign_in_first: bool = False


PATHS = {
    "revocation endpoint": Path_(revocation_endpoint),
    "refresh token reuse": Path_(refresh_reuse),
    "upstream 401": Path_(upstream_rejects_the_key, demo=1, wrong_key=True),
    "account page: disconnect app": Path_(account_disconnects_the_app, demo=2, sign_in_first=True),
    "account page: delete account": Path_(account_deleted, demo=3, sign_in_first=True),
    "club admin removes the member": Path_(club_admin_removes_the_member),
    "CLI: athlete disabled": Path_(cli_disables_the_athlete),
    "CLI: athlete deleted": Path_(cli_deletes_the_athlete),
    "CLI: client removed": Path_(cli_removes_the_client),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_a_token_cached_on_instance_2_is_refused_there_within_a_second_of_its_revocation(
    pair: Pair, name: str
) -> None:
    path = PATHS[name]
    if path.demo is None:
        athlete = seed(pair, f"i{7_000_000 + list(PATHS).index(name)}", "k" * 20)
    else:
        demo = DEMO_ATHLETES[path.demo]
        athlete = seed(pair, demo.id, "wrong-key-000000" if path.wrong_key else demo.api_key)
    token = athlete.access[2]
    if path.sign_in_first:  # signing in itself refreshes the cached identity: do it first
        signed_in(pair, athlete).close()
    hits = pair.hits(2)
    assert pair.tools_list(2, token) == 200
    assert pair.tools_list(2, token) == 200
    assert pair.hits(2) > hits  # instance 2 answers the token from its cache

    path.act(pair, athlete)
    deadline = time.monotonic() + WITHIN
    status = pair.tools_list(2, token)
    while status != 401 and time.monotonic() < deadline:
        status = pair.tools_list(2, token)
    assert status == 401, f"{name}: instance 2 still accepts the token after {WITHIN} s"


def test_a_replaced_key_is_not_used_from_another_instances_cache(pair: Pair) -> None:
    """The account page's "replace key" keeps the tokens but changes the sealed credential:
    instance 2 drops its cached copy within a second and reads the new one."""
    demo = DEMO_ATHLETES[4]
    athlete = seed(pair, demo.id, demo.api_key)
    token = athlete.access[2]
    browser = signed_in(pair, athlete)
    try:
        assert pair.tools_list(2, token) == 200
        invalidations = ("origin", "remote")
        before = pair.metric(2, "gateway_token_cache_invalidations_total", invalidations)
        hits = pair.hits(2)
        assert pair.tools_list(2, token) == 200
        assert pair.hits(2) > hits
        response = account_form(browser, "/account/credential", {"api_key": demo.api_key})
        assert response.status_code == 303, response.text
    finally:
        browser.close()
    deadline = time.monotonic() + WITHIN
    while pair.metric(2, "gateway_token_cache_invalidations_total", invalidations) <= before:
        assert time.monotonic() < deadline, "instance 2 kept the replaced credential"
    hits = pair.hits(2)
    assert pair.tools_list(2, token) == 200
    assert pair.hits(2) == hits  # read afresh from the database, with the new ciphertext
