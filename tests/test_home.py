"""The root page a newcomer opens in a browser, and the favicon."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from tests.conftest import make_settings


def test_root_page_says_what_this_is_and_which_url_to_paste(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, base_url="http://127.0.0.1:8123")
    with TestClient(create_app(settings)) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Intervals.icu" in text and "ChatGPT" in text and "Claude" in text
    assert "<code>http://127.0.0.1:8123/mcp</code>" in text
    links = set(re.findall(r'href="([^"]+)"', text))
    assert {"/account", "/signin?next=%2Faccount"} <= links
    assert "<script" not in text
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"


def test_root_page_links_the_documentation_when_configured(tmp_path: Path) -> None:
    plain = make_settings(tmp_path)
    docs = make_settings(tmp_path, docs_url="https://club.example.org/gateway-help")
    with TestClient(create_app(plain)) as client:
        without = client.get("/").text
    with TestClient(create_app(docs)) as client:
        linked = client.get("/").text
    assert 'href="https://club.example.org/gateway-help"' in linked
    assert "docs/connect-claude.md" in without  # names the guides shipped with the source


def test_favicon(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        ico = client.get("/favicon.ico")
        svg = client.get("/favicon.svg")
        page = client.get("/")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "cache-control" in ico.headers and "max-age" in ico.headers["cache-control"]
    assert 'rel="icon"' in page.text


def test_root_page_escapes_the_docs_url(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, docs_url='https://x.example/"><b>')
    with TestClient(create_app(settings)) as client:
        text = client.get("/").text
    assert '"><b>' not in text


def test_docs_url_must_be_a_web_address(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="docs_url"):
        make_settings(tmp_path, docs_url="javascript:alert(1)")
