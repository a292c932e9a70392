"""Request body limits (security review H1): every endpoint reachable without a token refuses
an oversized body with 413 before reading it (by Content-Length) or as soon as a streamed body
passes the limit; form endpoints refuse multipart and parse only a few small fields."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.db.models import OAuthClient
from app.web.body_limit import (
    FORM_BODY_LIMIT,
    MAX_FORM_FIELDS,
    declared_length,
    has_bearer,
    length_and_bearer,
)
from tests.oauth.conftest import Gateway

UNAUTHENTICATED_POSTS = [
    "/register",
    "/token",
    "/revoke",
    "/authorize",
    "/signin",
    "/signout",
    "/account/delete",
    "/account/credential",
]


def raw_post(base: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
    """POST over a plain socket (so a body can be announced but never sent, or sent in
    chunked encoding without its end) and return the response status. Head and body go out in
    one write, so the server has everything it will get before it answers and closes (no
    reset from unread data). Waits at most 10 s for the answer."""
    parts = urlsplit(base)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n" not in answer:
            received = sock.recv(4096)
            if not received:
                break
            answer += received
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize("path", UNAUTHENTICATED_POSTS)
def test_announced_oversized_body_is_refused_before_it_is_sent(gateway: Gateway, path: str) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "10000000"}
    if path == "/register":
        headers["Content-Type"] = "application/json"
    assert raw_post(gateway.base, path, headers) == 413


def test_streamed_body_is_cut_at_the_limit(gateway: Gateway) -> None:
    """A chunked body (no Content-Length) is refused once it passes the route's limit, before
    it has ended (the closing zero-length chunk is never sent)."""
    piece = b"a=" + b"b" * 4094
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    count = FORM_BODY_LIMIT // len(piece) + 2
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Transfer-Encoding": "chunked",
    }
    assert raw_post(gateway.base, "/signin", headers, chunk * count) == 413


def test_registration_body_over_the_limit_is_refused_and_nothing_is_stored(
    gateway: Gateway,
) -> None:
    big = {"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], "x": "y" * 40_000}
    document = json.dumps(big).encode()
    chunked = f"{len(document):x}\r\n".encode() + document + b"\r\n0\r\n\r\n"
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    assert raw_post(gateway.base, "/register", headers, chunked) == 413
    with gateway.db() as db:
        assert db.scalar(select(func.count()).select_from(OAuthClient)) == 0


def test_form_pages_refuse_multipart_and_too_many_fields(gateway: Gateway) -> None:
    url = f"{gateway.base}/signin"
    multipart = gateway.browser.post(url, files={"f": ("a.bin", b"x" * 1000)})
    assert multipart.status_code == 415
    many = {f"f{i}": "v" for i in range(MAX_FORM_FIELDS + 5)}
    assert gateway.browser.post(url, data=many).status_code == 400
    big_field = gateway.browser.post(url, data={"api_key": "k" * 9000})
    assert big_field.status_code == 400
    consent = gateway.browser.post(f"{gateway.base}/authorize", files={"client_id": ("a", b"x")})
    assert consent.status_code == 415


def test_token_endpoint_refuses_too_many_fields_as_an_oauth_error(gateway: Gateway) -> None:
    many = {f"f{i}": "v" for i in range(MAX_FORM_FIELDS + 5)}
    response = gateway.token({"grant_type": "refresh_token", **many})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_mcp_reads_no_body_before_the_bearer_check(gateway: Gateway) -> None:
    """/mcp: without a bearer token the small default limit applies; with one (here invalid)
    the larger MCP limit, but a body announced and never sent gets its 401 at once: nothing is
    read before the token is verified."""
    headers = {"Content-Type": "application/json", "Content-Length": "1000000"}
    assert raw_post(gateway.base, "/mcp", headers) == 413
    small = {**headers, "Content-Length": "1000"}
    assert raw_post(gateway.base, "/mcp", small) == 401
    with_token = {**headers, "Authorization": "Bearer gwa_not_a_token"}
    assert raw_post(gateway.base, "/mcp", with_token) == 401
    huge = {**with_token, "Content-Length": "99999999"}
    assert raw_post(gateway.base, "/mcp", huge) == 413


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"content-length", b"12"), (b"authorization", b"Bearer abc")],
        [(b"Content-Length", b" 12 "), (b"Authorization", b"bearer abc")],
        [(b"content-length", b"12"), (b"content-length", b"99"), (b"authorization", b"Basic x")],
        [(b"authorization", b"Basic x"), (b"authorization", b"Bearer abc")],
        [(b"authorization", b"  Bearer abc"), (b"content-length", b"-1")],
        [(b"content-length", b"12x"), (b"AUTHORIZATION", b"BEARER ")],
        [(b"x-other", b"1"), (b"authorization", b"Bearer")],
    ],
)
def test_one_pass_reads_the_length_and_bearer_as_the_two_checks_do(
    headers: list[tuple[bytes, bytes]],
) -> None:
    """BodyLimit reads both facts in one pass over the headers: the first header of each
    name, as ``declared_length`` and ``has_bearer`` read them."""
    scope = {"type": "http", "headers": headers}
    assert length_and_bearer(scope) == (declared_length(scope), has_bearer(scope))
