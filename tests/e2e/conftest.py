"""Session-wide running system for the end-to-end flows: one fake Intervals.icu process, one
https host for Client ID Metadata Documents, and one gateway process (fresh SQLite database,
trusting the test CA for CIMD fetches on loopback: test mode only)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.routing import Route

from tests.e2e.athlete import Athlete
from tests.e2e.browser import ClientCallback, chromium, client_callback
from tests.e2e.requirements import require_chromium
from tests.e2e.stack import Stack, fake_intervals, gateway
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles, make_tls_files
from tests.support.live import live_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e/ carries the `e2e` marker (`-m "not e2e"` skips them)."""
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def tls(e2e_dir: Path) -> TlsFiles:
    directory = e2e_dir / "tls"
    directory.mkdir()
    return make_tls_files(directory)


@pytest.fixture(scope="session")
def documents(tls: TlsFiles) -> Iterator[DocumentHost]:
    """An https host on 127.0.0.1 serving Client ID Metadata Documents (test CA)."""
    host = DocumentHost()
    app = Starlette(routes=[Route("/{path:path}", host.serve)])
    with live_server(app, ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key)) as base:
        host.base = base
        yield host


@pytest.fixture(scope="session")
def fake_api(e2e_dir: Path) -> Iterator[str]:
    with fake_intervals(e2e_dir) as api:
        yield api


@pytest.fixture(scope="session")
def stack(fake_api: str, e2e_dir: Path, tls: TlsFiles) -> Iterator[Stack]:
    extra = {"GATEWAY_CIMD_EXTRA_CA_FILE": str(tls.ca), "GATEWAY_CIMD_ALLOW_LOOPBACK": "true"}
    with gateway(fake_api, e2e_dir / "gateway", extra_env=extra) as running:
        yield running


def demo(athlete_id: str) -> DemoAthlete:
    return next(a for a in DEMO_ATHLETES if a.id == athlete_id)


@pytest.fixture
def make_athlete(stack: Stack) -> Iterator[Callable[[str], Athlete]]:
    """`make_athlete("i100001")`: a person with their own browser on the gateway."""
    made: list[Athlete] = []

    def make(athlete_id: str) -> Athlete:
        person = Athlete(stack.base, athlete_id, demo(athlete_id).api_key)
        made.append(person)
        return person

    yield make
    for person in made:
        person.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for one test module (the browser flows)."""
    require_chromium()
    with chromium() as launched:
        yield launched


@pytest.fixture
def callback() -> Iterator[ClientCallback]:
    """A loopback page standing in for an AI client's OAuth callback."""
    with client_callback() as running:
        yield running


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the browser flows save screenshots (``E2E_SCREENSHOTS``, else a temp dir)."""
    target = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target
