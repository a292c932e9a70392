"""`mcp-remote` (npm, pinned in tests/e2e/node/package-lock.json) as a subprocess, launched the
way Claude Desktop launches it: a stdio MCP server that proxies to the gateway. It prints the
authorization URL (its browser opener is /bin/true); an `Athlete` completes sign-in and consent
and the test delivers the redirect to mcp-remote's loopback callback. Then JSON-RPC over its
stdin/stdout."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.e2e.requirements import NODE, NODE_DIR
from tests.support.processes import die_with_parent, free_port

MCP_REMOTE = NODE_DIR / "node_modules" / "mcp-remote" / "dist" / "proxy.js"
AUTHORIZE_PROMPT = "Please authorize this client by visiting:"
READY = "Local STDIO server running"
TIMEOUT = 60.0


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@dataclass
class McpRemote:
    """A running mcp-remote: send JSON-RPC requests, read the answers."""

    process: subprocess.Popen[str]
    stdout: queue.Queue[str | None]
    log: list[str] = field(default_factory=list)
    next_id: int = 1

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        ident = self.next_id
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params or {}})
        while (line := self.stdout.get(timeout=TIMEOUT)) is not None:
            message = json.loads(line)
            if message.get("id") == ident:
                return dict(message)
        raise AssertionError(f"mcp-remote exited:\n{''.join(self.log)[-3000:]}")

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()


@contextmanager
def mcp_remote(
    home: Path, server_url: str, args: Sequence[str], authorize: Callable[[str], str]
) -> Iterator[McpRemote]:
    """Start `mcp-remote SERVER_URL PORT ARGS`, complete OAuth with `authorize(url)` (which
    returns the redirect to deliver), and yield it once its stdio server is running."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "MCP_REMOTE_CONFIG_DIR": str(home / ".mcp-auth"),
        "BROWSER": "/bin/true",
    }
    port = free_port()
    process = subprocess.Popen(
        [str(NODE), str(MCP_REMOTE), server_url, str(port), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,
    )
    assert process.stdout is not None and process.stderr is not None
    out: queue.Queue[str | None] = queue.Queue()
    err: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, out), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, err), daemon=True).start()
    remote = McpRemote(process, out)
    try:
        _wait_until_ready(remote, err, authorize)
        yield remote
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _wait_until_ready(
    remote: McpRemote, err: queue.Queue[str | None], authorize: Callable[[str], str]
) -> None:
    expect_url = False
    while (line := err.get(timeout=TIMEOUT)) is not None:
        remote.log.append(line)
        if expect_url and line.strip():
            redirect = authorize(line.strip())
            assert "/oauth/callback?" in redirect, redirect
            httpx.get(redirect, timeout=30)
            expect_url = False
        elif AUTHORIZE_PROMPT in line:
            expect_url = True
        elif READY in line:
            threading.Thread(target=_drain, args=(err, remote.log), daemon=True).start()
            return
    raise AssertionError(f"mcp-remote exited:\n{''.join(remote.log)[-3000:]}")


def _drain(lines: queue.Queue[str | None], log: list[str]) -> None:
    while (line := lines.get()) is not None:
        log.append(line)
