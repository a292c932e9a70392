"""The real-server fixture serves the gateway over TCP (used by every black-box test)."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.main import create_app
from tests.conftest import make_settings
from tests.support.live import free_port, live_server


def test_gateway_answers_over_real_http_with_page_headers_only_on_html(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    settings = make_settings(tmp_path, database_url, base_url=f"http://127.0.0.1:{port}")
    with live_server(create_app(settings), port) as base:
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200
        assert "x-frame-options" not in ready.headers
