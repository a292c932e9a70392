"""``python -m tests.demo`` (or ``make demo``): try the whole flow on loopback without an
Intervals.icu account or internet access. Starts the fake Intervals.icu server and the gateway
wired to it (fresh SQLite database in a temporary folder, discarded on exit), prints the demo
athletes' ids and API keys, the MCP URL and how to point MCP Inspector at it. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from tests.e2e.requirements import INSPECTOR, NODE
from tests.e2e.stack import Stack, fake_intervals, gateway
from tests.fake_intervals.data import DEMO_ATHLETES

READY = "Demo ready."


def banner(stack: Stack, logs: Path) -> str:
    """What a person needs to try the gateway: URLs, demo sign-ins, client commands."""
    node, inspector = os.path.relpath(NODE), os.path.relpath(INSPECTOR)
    rows = "\n".join(f"  {a.id:<9} {a.name:<22} {a.api_key}" for a in DEMO_ATHLETES)
    return f"""
Gateway        {stack.base}      (account page: {stack.base}/account)
MCP server URL {stack.mcp_url}
Fake Intervals.icu API {stack.fake_api}
Logs           {logs}

Sign in on the gateway's page with one of these demo athletes (fake keys, valid only here):
  athlete   name                   API key
{rows}

MCP Inspector (after scripts/install-e2e-deps.sh), OAuth in your browser:
  {node} {inspector} --cli {stack.mcp_url} --method tools/list
  {node} {inspector} {stack.mcp_url}        # the web UI

Claude Code: claude mcp add --transport http intervals-demo {stack.mcp_url}

{READY} Press Ctrl-C to stop both servers.""".strip("\n")


def stop_on_sigterm() -> None:
    """SIGTERM (e.g. from a process manager) stops the demo like Ctrl-C, so both servers are
    stopped too (they run in their own process groups)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (so the readiness probe will reach us)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_ports(port_flag: int | None) -> tuple[int, str | None]:
    """The gateway port and base URL, honouring the documented settings: --port, else
    GATEWAY_PORT, else the port of GATEWAY_BASE_URL, else 8000; GATEWAY_BASE_URL if set."""
    base_url = os.environ.get("GATEWAY_BASE_URL", "").strip().rstrip("/") or None
    env_port = os.environ.get("GATEWAY_PORT", "").strip()
    if port_flag is not None:
        return port_flag, base_url
    if env_port.isdigit():
        return int(env_port), base_url
    url_port = urlsplit(base_url).port if base_url else None
    return url_port or 8000, base_url


def busy_port_message(port: int, what: str) -> str:
    return (
        f"port {port} ({what}) is already in use (is `make run` or another demo still running?); "
        f'pick free ports: make demo DEMO_ARGS="--port 8001 --fake-port 8791"'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.demo", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=None, help="gateway port (default GATEWAY_PORT, else 8000)"
    )
    parser.add_argument(
        "--fake-port", type=int, default=8790, help="fake Intervals.icu port (default 8790)"
    )
    args = parser.parse_args(argv)
    port, base_url = demo_ports(args.port)
    for number, what in ((port, "gateway"), (args.fake_port, "fake Intervals.icu")):
        if not port_is_free(number):
            print(f"demo: {busy_port_message(number, what)}", file=sys.stderr)
            return 2
    stop_on_sigterm()
    logs = Path(tempfile.mkdtemp(prefix="gateway-demo-"))
    extra = {"GATEWAY_BASE_URL": base_url} if base_url else None
    try:
        with (
            fake_intervals(logs, args.fake_port) as api,
            gateway(api, logs / "gateway", port, extra_env=extra) as stack,
        ):
            print(banner(stack, logs), flush=True)
            stack.process.wait()
        print(f"the gateway stopped; its log is kept in {logs / 'gateway' / 'gateway.log'}")
        return 1
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        shutil.rmtree(logs, ignore_errors=True)
        return 0
    except RuntimeError as error:  # a server did not come up: say why, keep the logs
        lines = [line for line in str(error).splitlines() if line.strip()]
        print(f"demo: could not start: {lines[-1]}", file=sys.stderr)
        print(f"demo: logs kept in {logs}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
