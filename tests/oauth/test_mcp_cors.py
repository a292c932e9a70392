"""CORS in front of ``/mcp``: :class:`~app.oauth.cors.OriginGatedCors` answers exactly as
Starlette's CORSMiddleware configured the same way, and a request without ``Origin`` (a
server-to-server MCP client) gets no CORS headers, only ``Vary: Origin``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.mcp.auth import cors_origin_regex
from app.oauth.cors import OriginGatedCors
from tests.mcp.support import AUCKLAND, running_gateway
from tests.mcp.test_auth import post

ALLOWED = "https://app.example"
CONFIG: dict[str, object] = {
    "allow_origin_regex": cors_origin_regex([ALLOWED, "http://localhost:*"]),
    "allow_methods": ["GET", "POST", "DELETE", "OPTIONS"],
    "allow_headers": ["Authorization", "Content-Type", "MCP-Protocol-Version"],
    "expose_headers": ["WWW-Authenticate", "Mcp-Session-Id"],
}


def answering(headers: list[tuple[bytes, bytes]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def answer(app: ASGIApp, method: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
        return await client.request(method, "/mcp", headers=headers)


REQUESTS = {
    "no origin": ("POST", {}),
    "allowed origin": ("POST", {"Origin": ALLOWED}),
    "allowed origin any port": ("POST", {"Origin": "http://localhost:5173"}),
    "foreign origin": ("POST", {"Origin": "https://evil.example"}),
    "preflight": (
        "OPTIONS",
        {
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    ),
    "preflight foreign header": (
        "OPTIONS",
        {"Origin": ALLOWED, "Access-Control-Request-Method": "POST", "X-Other": "1"},
    ),
    "options without origin": ("OPTIONS", {"Access-Control-Request-Method": "POST"}),
}
ANSWER_HEADERS = {
    "no vary": [(b"content-type", b"application/json")],
    "one vary": [(b"vary", b"Accept-Encoding"), (b"content-type", b"application/json")],
    "two varies": [(b"vary", b"Accept"), (b"x-a", b"1"), (b"vary", b"Accept-Encoding")],
}


@pytest.mark.parametrize("answer_headers", ANSWER_HEADERS.values(), ids=ANSWER_HEADERS.keys())
@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
async def test_answers_as_starlettes_cors_middleware(
    request_: tuple[str, dict[str, str]], answer_headers: list[tuple[bytes, bytes]]
) -> None:
    method, headers = request_
    inner = answering(answer_headers)
    ours = await answer(OriginGatedCors(inner, **CONFIG), method, headers)  # type: ignore[arg-type]
    starlettes = await answer(CORSMiddleware(inner, **CONFIG), method, headers)  # type: ignore[arg-type]
    assert ours.status_code == starlettes.status_code
    assert ours.headers.multi_items() == starlettes.headers.multi_items()
    assert ours.content == starlettes.content


async def test_an_mcp_answer_without_origin_has_no_cors_headers(
    tmp_path: Path, database_url: str
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        athlete = await gw.seed(AUCKLAND)
        answered = await post(gw.mcp_url, athlete.token)
    assert answered.status_code == 200
    assert not [name for name in answered.headers if name.startswith("access-control-")]
    assert "origin" in answered.headers["vary"].lower()
