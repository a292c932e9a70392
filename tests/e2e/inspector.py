"""MCP Inspector's CLI (npm @modelcontextprotocol/inspector 2.x) as a subprocess. For OAuth it
prints the authorization URL (its browser opener is /bin/true); an `Athlete` completes sign-in
and consent, and the test delivers the redirect to the Inspector's loopback callback."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from tests.e2e.requirements import INSPECTOR, NODE
from tests.support.processes import die_with_parent, free_port

NAVIGATE = "Please navigate to: "
TIMEOUT = 60.0


def inspector_env(home: Path) -> dict[str, str]:
    """An environment isolated from the developer's own Inspector state and keychain."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "MCP_CATALOG_PATH": str(home / "catalog.json"),
        "MCP_CLIENT_CONFIG_PATH": str(home / "client.json"),
        "MCP_INSPECTOR_SECRET_STORE": "file",  # under the throwaway HOME
        "MCP_AUTO_OPEN_ENABLED": "true",
        "BROWSER": "/bin/true",
    }


def _pump(stream: TextIO, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_inspector(
    home: Path,
    mcp_url: str,
    args: Sequence[str],
    authorize: Callable[[str], str] | None = None,
) -> Any:
    """Run `inspector --cli MCP_URL ARGS` and return its JSON result. When it asks for OAuth,
    `authorize(url)` must return the redirect (to the Inspector's callback) to deliver."""
    output = home / f"result-{free_port()}.json"
    callback = f"http://127.0.0.1:{free_port()}/oauth/callback"
    command = [str(NODE), str(INSPECTOR), "--cli", mcp_url, *args]
    command += ["--format", "json", "--output", str(output), "--callback-url", callback]
    process = subprocess.Popen(
        command,
        env=inspector_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=die_with_parent,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    log: list[str] = []
    try:
        while (line := lines.get(timeout=TIMEOUT)) is not None:
            log.append(line)
            if NAVIGATE in line:
                assert authorize is not None, "the Inspector asked for OAuth unexpectedly"
                url = line.split(NAVIGATE, 1)[1].strip()
                redirect = authorize(url)
                assert redirect.startswith(callback + "?"), redirect
                httpx.get(redirect, timeout=30)
        code = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0, f"inspector exited {code}:\n{''.join(log)[-3000:]}"
    return json.loads(output.read_text())
