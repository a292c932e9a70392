"""The cheap reads the guards in front of ``/mcp`` make instead of building a dictionary of
every header or parsing every body: each must decide exactly as the full read did."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.mcp.apps import initialize_capabilities, may_initialize
from app.mcp.auth import SdkUsers, _sdk_user, bearer_token, bearer_token_of, last_header
from app.mcp.identity import Caller

HEADER_SETS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"authorization", b"Bearer one")],
    [(b"Authorization", b"Bearer one")],
    [(b"authorization", b"Bearer one"), (b"accept", b"*/*"), (b"AUTHORIZATION", b"Bearer two")],
    [(b"authorization\xc0", b"Bearer x"), (b"x-authorization", b"Bearer y")],
    [(b"authorization", b"Basic abc"), (b"authorization", b"bearer   three  ")],
    [(b"mcp-protocol-version", b"2025-11-25"), (b"Mcp-Protocol-Version", b"2026-07-28")],
    [(b"authorization", "Bearer caf\u00e9".encode("latin-1"))],
]


def whole_view(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """What the guards built before: every header, names lower-cased, the last one kept."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}


@pytest.mark.parametrize("headers", HEADER_SETS)
@pytest.mark.parametrize("name", ["authorization", "mcp-protocol-version", "accept"])
def test_last_header_reads_what_the_whole_view_kept(
    headers: list[tuple[bytes, bytes]], name: str
) -> None:
    scope: dict[str, Any] = {"headers": headers}
    assert last_header(scope, name.encode()) == whole_view(headers).get(name)


@pytest.mark.parametrize("headers", HEADER_SETS)
def test_the_bearer_token_is_the_one_the_whole_view_gave(
    headers: list[tuple[bytes, bytes]],
) -> None:
    scope: dict[str, Any] = {"headers": headers}
    token = bearer_token_of(last_header(scope, b"authorization") or "")
    assert token == bearer_token(whole_view(headers))


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
BODIES = [
    json.dumps(INITIALIZE).encode(),
    json.dumps([INITIALIZE]).encode(),
    json.dumps(INITIALIZE).encode("utf-16"),
    json.dumps(INITIALIZE).encode("utf-32-le"),
    b"\xef\xbb\xbf" + json.dumps(INITIALIZE).encode(),
    json.dumps({**INITIALIZE, "method": "\\u0069nitialize"}).encode().replace(b"\\\\", b"\\"),
    b'{"jsonrpc":"2.0","id":1,"method":"init\\u0069alize","params":{}}',
    b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}',
    b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    b"not json",
    b"[" * 5000,
    b"",
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_read_as_no_initialize_has_none(body: bytes) -> None:
    if not may_initialize(body):
        assert initialize_capabilities(body) is None
    if initialize_capabilities(body) is not None:
        assert may_initialize(body)


def test_the_escaped_and_wide_initializes_are_recognised() -> None:
    for body in BODIES[:7]:
        assert initialize_capabilities(body) == {}, body
        assert may_initialize(body), body
    assert not may_initialize(BODIES[7])


def test_the_sdk_view_of_a_caller_is_made_once_and_equals_a_fresh_one() -> None:
    users = SdkUsers("https://gw.example", size=2)
    first = Caller(1, "i1", "UTC", "c", 10, frozenset({"mcp.read", "mcp.write"}))
    same_fields = Caller(1, "i1", "UTC", "c", 10, frozenset({"mcp.read", "mcp.write"}))
    user, credentials = users.of(first)
    assert users.of(first)[0] is user
    fresh = _sdk_user(first, "https://gw.example")
    assert user.access_token == fresh.access_token
    assert credentials.scopes == ["mcp.read", "mcp.write"]
    assert users.of(same_fields)[0] is user  # the same grant, client, athlete and scopes
    narrower = Caller(1, "i1", "UTC", "c", 10, frozenset({"mcp.read"}))
    assert users.of(narrower)[1].scopes == ["mcp.read"]
    assert users.of(narrower)[0].access_token.scopes == ["mcp.read"]
    other = Caller(2, "i2", "UTC", "c", 11, frozenset({"mcp.read"}))
    assert users.of(other)[0].access_token == _sdk_user(other, "https://gw.example").access_token
    assert users.of(other)[1].scopes == ["mcp.read"]
