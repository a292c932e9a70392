"""The least a gateway in front of Intervals.icu can do, as a server of its own: the floor
that ``bench.floor`` holds the gateway's added latency against.

    python -m bench.relay --port P --upstream http://127.0.0.1:Q [--mode bytes|json]

A ``POST`` names an athlete, its API key and a date window as JSON
(``{"athlete": ..., "key": ..., "oldest": ..., "newest": ..., "limit": ..., "fields": ...}``);
the relay asks the upstream's ``GET /api/v1/athlete/{id}/activities`` for it (Intervals.icu API,
"List activities"; HTTP basic auth ``API_KEY:<key>``) on a kept-alive connection and answers
with what came back: the bytes as they came (``--mode bytes``: one extra hop and nothing
else), or decoded and encoded again (``--mode json``: the least a gateway that shapes its
answer does). It runs on the gateway's own server stack (uvicorn, uvloop, httptools, the
gateway's coalescing protocol, aiohttp upstream), with no authentication, no MCP, no
database and no log: nothing a real gateway could leave out is left in.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import aiohttp
import pydantic_core
import uvicorn

from app.web.coalesce import CoalescingHttpToolsProtocol

Scope = dict[str, Any]
ANSWER_HEADERS = [(b"content-type", b"application/json")]


class Relay:
    """An ASGI app answering every ``POST`` with the upstream's activities (see the module)."""

    def __init__(self, upstream: str, mode: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = mode
        self.http: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["method"] != "POST":  # the readiness probe
            await self.answer(send, 200, b"{}")
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        asked = pydantic_core.from_json(body)
        status, answer = await self.activities(asked)
        if self.mode == "json" and status == 200:
            answer = pydantic_core.to_json(pydantic_core.from_json(answer))
        await self.answer(send, status, answer)

    async def activities(self, asked: dict[str, Any]) -> tuple[int, bytes]:
        """``GET /api/v1/athlete/{id}/activities?oldest&newest&limit&fields`` for the asked
        athlete."""
        if self.http is None:
            self.http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256),
                auth=None,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        url = f"{self.upstream}/api/v1/athlete/{asked['athlete']}/activities"
        params = {
            key: asked[key] for key in ("oldest", "newest", "limit", "fields") if key in asked
        }
        auth = aiohttp.BasicAuth("API_KEY", asked["key"])
        async with self.http.get(url, params=params, auth=auth) as response:
            return response.status, await response.read()

    @staticmethod
    async def answer(send: Any, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": ANSWER_HEADERS})
        await send({"type": "http.response.body", "body": body})

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.http is not None:
                    await self.http.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--mode", choices=("bytes", "json"), default="bytes")
    args = parser.parse_args(argv)
    uvicorn.run(
        Relay(args.upstream, args.mode),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        http=CoalescingHttpToolsProtocol,
        timeout_keep_alive=130,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
