"""Black-box fixtures for the authorization server: a real gateway on a loopback port with an
athlete signed in, on the shared harness (tests/support/gateway.py: ``Gateway`` carries the
helpers that walk the OAuth flow over HTTP; the names below are re-exported for the tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from tests.conftest import make_settings
from tests.oauth.documents import CHATGPT_CALLBACK as CHATGPT_CALLBACK
from tests.oauth.documents import DocumentHost
from tests.oauth.tls import TlsFiles, make_tls_files
from tests.support.gateway import CLAUDE_CALLBACK as CLAUDE_CALLBACK
from tests.support.gateway import Flow as Flow
from tests.support.gateway import Gateway as Gateway
from tests.support.gateway import csrf_of as csrf_of
from tests.support.gateway import hidden_fields as hidden_fields
from tests.support.gateway import live_gateway
from tests.support.gateway import pkce_pair as pkce_pair
from tests.support.gateway import query_of as query_of
from tests.support.live import free_port, live_server

GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def make_gateway(tmp_path: Path, database_url: str) -> Iterator[GatewayFactory]:
    """Start live gateways (tests/support/gateway.py) on demand, each with a signed-in athlete
    (settings overrides as keyword arguments; `loop` picks uvicorn's event loop)."""
    with ExitStack() as stack:
        started: list[Gateway] = []

        def start(loop: str = "auto", **overrides: Any) -> Gateway:
            port = free_port()
            settings = make_settings(
                tmp_path, database_url, base_url=f"http://127.0.0.1:{port}", **overrides
            )
            gateway = stack.enter_context(live_gateway(settings, port, loop=loop))
            started.append(gateway)
            athlete = f"i{1000 + len(started)}"  # gateways started by one test share a database
            gateway.athlete_id, raw = gateway.add_athlete(athlete, "Ada Lovelace")
            gateway.browser.cookies.set("gw_session", raw)
            return gateway

        yield start


@pytest.fixture
def gateway(make_gateway: GatewayFactory) -> Gateway:
    return make_gateway()


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
def host(tls: TlsFiles) -> Iterator[DocumentHost]:
    documents = DocumentHost()
    app = Starlette(routes=[Route("/{path:path}", documents.serve)])
    with live_server(app, ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key)) as base:
        documents.base = base
        yield documents
